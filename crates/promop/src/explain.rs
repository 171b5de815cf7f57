//! `promop explain`: which config objects each workload uses, and why the
//! others are not used — the selector or namespace selector that does not
//! match, the namespace the operator does not watch, the invalid field, or
//! the schema the API server would refuse. The objects come from manifests
//! (`-f`) or from a cluster (`--kubeconfig`, or the inferred configuration:
//! in-cluster, `$KUBECONFIG`, `~/.kube/config`). With an object
//! (`servicemonitor/shop/orders`, `smon orders -n shop`), only that object
//! is explained, and the exit status tells whether any workload uses it.
mod report;

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::ArgGroup;
use promop_core::manifests::Loaded;
use promop_core::pipeline::{alertmanager_config, prometheus_config};
use promop_core::prometheus::rules::thanos_ruler_rules;
use promop_core::select::ScrapeScope;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::snapshot::Snapshot;
use promop_operator::options::Tenancy;

use self::report::Report;
use crate::cluster;
use crate::manifests;
use crate::render::Only;

#[derive(clap::Args)]
#[command(group(ArgGroup::new("source").args(["files", "kubeconfig"]).multiple(false)))]
pub struct Args {
    /// Manifest file or directory (repeatable; `-` reads stdin). Directories
    /// are read recursively (*.yaml, *.yml, *.json). Without -f, the objects
    /// of a cluster are explained (see --kubeconfig).
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    limits: manifests::Limits,
    #[command(flatten)]
    cluster: cluster::Connection,
    /// The namespace of OBJECT when it names none; with -f also of the
    /// objects that have none. Default: with -f `default`, on a cluster the
    /// namespace of the kubeconfig's context (else `default`).
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    #[command(flatten)]
    only: Only,
    #[command(flatten)]
    tenancy: Tenancy,
    /// The object to explain: `KIND/[NAMESPACE/]NAME`, or `KIND NAME`; KIND
    /// one of servicemonitor (smon), podmonitor (pmon), probe (prb),
    /// scrapeconfig (scfg), prometheusrule (promrule), alertmanagerconfig
    /// (amcfg), or their plurals; NAMESPACE defaults to -n.
    #[arg(value_name = "OBJECT")]
    object: Option<String>,
    /// The name of the object when OBJECT is only a KIND (`smon orders`).
    #[arg(value_name = "NAME")]
    name: Option<String>,
    /// Output format: one line per object, or one JSON document (workloads
    /// → kinds → objects, each `used` or not with its `reason`).
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    output: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// The config kinds, their lower-case names and short names.
const KINDS: [(&str, &str, &str); 6] = [
    ("ServiceMonitor", "servicemonitor", "smon"),
    ("PodMonitor", "podmonitor", "pmon"),
    ("Probe", "probe", "prb"),
    ("ScrapeConfig", "scrapeconfig", "scfg"),
    ("PrometheusRule", "prometheusrule", "promrule"),
    ("AlertmanagerConfig", "alertmanagerconfig", "amcfg"),
];

/// The workload kinds: an object of theirs that is refused is reported too
/// (the workload is missing from the explanation).
const WORKLOAD_KINDS: [&str; 4] = [
    "Prometheus",
    "PrometheusAgent",
    "Alertmanager",
    "ThanosRuler",
];

/// The object asked about, its namespace not resolved yet.
#[derive(Debug, PartialEq, Eq)]
struct Wanted {
    kind: &'static str,
    namespace: Option<String>,
    name: String,
}

impl Wanted {
    /// `(Kind, namespace/name)`, the namespace defaulting to `namespace`.
    fn resolve(self, namespace: &str) -> (&'static str, String) {
        let ns = self.namespace.as_deref().unwrap_or(namespace);
        (self.kind, format!("{ns}/{}", self.name))
    }
}

/// `KIND/[NAMESPACE/]NAME`, or `KIND` and `NAME` as two arguments
/// (kubectl's two forms).
fn parse_object(text: &str, name: Option<&str>) -> anyhow::Result<Wanted> {
    if let Some(name) = name {
        if text.contains('/') || name.is_empty() || name.contains('/') {
            bail!("{text} {name}: expected KIND NAME (or KIND/NAME as one argument)");
        }
        return parse_object(&format!("{text}/{name}"), None);
    }
    let mut parts = text.splitn(3, '/');
    let kind = parts.next().unwrap_or_default().to_lowercase();
    let kind = KINDS
        .iter()
        .find(|(k, lower, short)| {
            let plural = format!("{lower}s");
            [k.to_lowercase().as_str(), *lower, *short, plural.as_str()].contains(&kind.as_str())
        })
        .map(|(k, _, _)| *k);
    let rest: Vec<&str> = parts.collect();
    match (kind, rest.as_slice()) {
        (Some(kind), [name]) if !name.is_empty() => Ok(Wanted {
            kind,
            namespace: None,
            name: (*name).to_owned(),
        }),
        (Some(kind), [ns, name]) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok(Wanted {
                kind,
                namespace: Some((*ns).to_owned()),
                name: (*name).to_owned(),
            })
        }
        (None, _) => bail!(
            "{text}: unknown kind; one of {}",
            KINDS.map(|(_, lower, _)| lower).join(", ")
        ),
        _ => bail!("{text}: expected KIND/NAME, KIND/NAMESPACE/NAME or KIND NAME"),
    }
}

/// The objects to explain, wherever they come from.
pub struct Input {
    pub loaded: Loaded,
    pub source: Source,
    /// The kinds that could not be read.
    pub unreadable: Vec<Unreadable>,
    /// The namespace of an OBJECT that names none.
    pub namespace: String,
}

/// Where the objects come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Manifests,
    Cluster,
}

impl Source {
    /// In messages: "not in the input".
    fn place(self) -> &'static str {
        match self {
            Self::Manifests => "the input",
            Self::Cluster => "the cluster",
        }
    }

    /// The heading of the objects that are not in the snapshot.
    fn refused_heading(self) -> &'static str {
        match self {
            Self::Manifests => "Refused by the API server's schema (no workload sees them):",
            Self::Cluster => "Not decoded by promop (no workload sees them):",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Manifests => "manifests",
            Self::Cluster => "cluster",
        }
    }
}

/// A kind the API server refuses to list: `ScrapeConfig: not readable
/// (forbidden)`.
pub struct Unreadable {
    pub kind: String,
    pub reason: String,
}

/// Runs the generation of every workload `only` selects, for its lookups
/// of Secrets and ConfigMaps (see [`cluster::read`]).
fn generate(snapshot: &Snapshot, only: &Only, scope: &ScrapeScope) {
    let watched = WatchedNamespaces::all();
    let selected = only.select(snapshot);
    for workload in selected.prometheuses {
        let _ = prometheus_config(snapshot, workload, scope);
    }
    for am in selected.alertmanagers {
        let _ = alertmanager_config(snapshot, am, &watched);
    }
    for ruler in selected.thanos_rulers {
        let _ = thanos_ruler_rules(snapshot, ruler, &watched);
    }
}

/// 0: explained (with OBJECT: used by at least one workload); 1: OBJECT is
/// used by none, or a workload got no configuration.
pub fn run(args: &Args) -> anyhow::Result<u8> {
    // A bad OBJECT is told before anything is read.
    let wanted = args
        .object
        .as_deref()
        .map(|o| parse_object(o, args.name.as_deref()))
        .transpose()?;
    let scope = args.tenancy.scrape_scope(WatchedNamespaces::all());
    let input = if args.files.is_empty() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        runtime.block_on(cluster::read(
            &args.cluster,
            args.namespace.as_deref(),
            |snapshot| generate(snapshot, &args.only, &scope),
        ))?
    } else {
        let namespace = args.namespace.as_deref().unwrap_or("default");
        Input {
            loaded: manifests::load(&args.files, namespace, &args.limits)?,
            source: Source::Manifests,
            unreadable: Vec::new(),
            namespace: namespace.to_owned(),
        }
    };
    let object = wanted.map(|w| w.resolve(&input.namespace));
    let report = Report::new(&input, &args.only, &scope, object.as_ref());
    match args.output {
        Format::Text => print!("{}", report.text()),
        Format::Json => println!("{:#}", report.json()),
    }
    Ok(report.exit_code())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn args(line: &[&str]) -> Result<Args, String> {
        Cli::try_parse_from(std::iter::once("explain").chain(line.iter().copied()))
            .map(|cli| cli.args)
            .map_err(|e| e.to_string())
    }

    /// The object of a command line, resolved in `default`.
    fn object(line: &[&str]) -> Result<(&'static str, String), String> {
        let args = args(line)?;
        let object = args.object.as_deref().ok_or("no OBJECT")?;
        let wanted = parse_object(object, args.name.as_deref()).map_err(|e| e.to_string())?;
        Ok(wanted.resolve(args.namespace.as_deref().unwrap_or("default")))
    }

    #[test]
    fn objects_are_named_by_kind_namespace_and_name() {
        assert_eq!(
            object(&["servicemonitor/shop/orders"]),
            Ok(("ServiceMonitor", "shop/orders".into()))
        );
        assert_eq!(
            object(&["amcfg/pager"]),
            Ok(("AlertmanagerConfig", "default/pager".into()))
        );
        assert_eq!(
            object(&["PrometheusRules/a/b"]),
            Ok(("PrometheusRule", "a/b".into()))
        );
        assert!(
            object(&["deployment/a/b"])
                .unwrap_err()
                .contains("unknown kind")
        );
        assert!(
            object(&["probe/"])
                .unwrap_err()
                .contains("expected KIND/NAME")
        );
        assert!(object(&["probe/a/b/c"]).is_err());
    }

    #[test]
    fn the_namespace_of_an_object_is_its_own_else_n() {
        for line in [
            &["servicemonitor/orders", "-n", "shop"][..],
            &["smon", "orders", "-n", "shop"],
            &["-n", "shop", "servicemonitors", "orders"],
            &["--namespace=shop", "ServiceMonitor/orders"],
            &["smon/shop/orders", "-n", "other"],
        ] {
            assert_eq!(
                object(line),
                Ok(("ServiceMonitor", "shop/orders".into())),
                "{line:?}"
            );
        }
        assert_eq!(
            object(&["pmon", "web"]),
            Ok(("PodMonitor", "default/web".into()))
        );
        assert!(
            object(&["smon/shop", "orders"])
                .unwrap_err()
                .contains("expected KIND NAME")
        );
        assert!(object(&["smon", "shop/orders"]).is_err());
        assert!(args(&["smon", "a", "b"]).is_err(), "three positionals");
    }

    #[test]
    fn manifests_and_a_cluster_exclude_each_other() {
        let files = args(&["-f", "dir"]).expect("files");
        assert_eq!(files.files, [PathBuf::from("dir")]);
        assert!(files.cluster.kubeconfig.is_none());
        let cluster = args(&["--kubeconfig", "kc", "--context", "test"]).expect("cluster");
        assert!(cluster.files.is_empty());
        assert_eq!(cluster.cluster.kubeconfig, Some(PathBuf::from("kc")));
        assert_eq!(cluster.cluster.context.as_deref(), Some("test"));
        // Neither: the inferred cluster configuration.
        let inferred = args(&["smon/a/b"]).expect("no source");
        assert!(inferred.files.is_empty() && inferred.cluster.kubeconfig.is_none());
        let both = args(&["-f", "dir", "--kubeconfig", "kc"])
            .err()
            .unwrap_or_default();
        assert!(both.contains("cannot be used with"), "{both}");
        let context = args(&["-f", "dir", "--context", "test"])
            .err()
            .unwrap_or_default();
        assert!(context.contains("cannot be used with"), "{context}");
        let filters = args(&["--prometheus", "ns/p", "--alertmanager", "ns/a"]).expect("filters");
        assert_eq!(filters.only.prometheus.as_deref(), Some("ns/p"));
        assert_eq!(filters.only.alertmanager.as_deref(), Some("ns/a"));
    }
}
