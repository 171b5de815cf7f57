//! `promop render`: the exact Prometheus and Alertmanager configurations
//! that the operator would generate for a set of manifests, offline; with
//! `--rules` the rule files too, with `--objects` every object it would
//! write.
use std::borrow::Cow;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use promop_api::v1::{Alertmanager, ThanosRuler};
use promop_core::desired::manifests::{Manifests, name as object_name};
use promop_core::desired::{
    OperatorOptions, alertmanager_state, prometheus_state, thanos_ruler_state,
};
use promop_core::manifests::{ObjectId, Origin};
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::snapshot::{Objects, Snapshot};
use promop_operator::options::{ConfigReloader, Tenancy, WrittenObjects};
use serde_json::Value;

use crate::manifests;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    scope: Scope,
    /// Output format (`name`: `kind/name` of each object, with --objects).
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    output: Format,
    /// Write files instead of printing: `<namespace>/<name>/prometheus.yaml`
    /// or `alertmanager.yaml` per workload (`.json` with `-o json`), the
    /// rule files under `<namespace>/<name>/rules/<ConfigMap>/`, and with
    /// --objects one file per object, `<namespace>/<kind>-<name>.yaml`. A
    /// namespace or name that is not a plain file name (`..`, `a/b`) is
    /// refused (exit 2) before anything is written.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Also print each Prometheus' rule files, one per PrometheusRule, in
    /// the ConfigMaps the operator splits them into.
    #[arg(long, conflicts_with = "objects")]
    rules: bool,
    /// Print every object the operator would write for each workload
    /// (Secrets, rule ConfigMaps, Services, StatefulSets) as Kubernetes
    /// manifests, in the order it applies them, instead of the
    /// configurations. Owner references are kept for workloads whose
    /// manifest has a `metadata.uid`.
    #[arg(long)]
    objects: bool,
    /// With --objects: print Secret values (the generated configurations
    /// hold the credentials they reference) instead of placeholders.
    #[arg(long, requires = "objects")]
    show_secrets: bool,
    #[command(flatten)]
    tenancy: Tenancy,
    #[command(flatten)]
    written: WrittenObjects,
    #[command(flatten)]
    reloader: ConfigReloader,
}

/// The manifests and the workloads a command is about.
#[derive(clap::Args)]
pub struct Scope {
    #[command(flatten)]
    pub input: manifests::Input,
    #[command(flatten)]
    pub only: Only,
}

/// The workloads a command is limited to.
#[derive(clap::Args)]
pub struct Only {
    /// Only this Prometheus or PrometheusAgent (`NAMESPACE/NAME`).
    #[arg(long, value_name = "NS/NAME")]
    pub prometheus: Option<String>,
    /// Only this Alertmanager (`NAMESPACE/NAME`).
    #[arg(long, value_name = "NS/NAME")]
    pub alertmanager: Option<String>,
    /// Only this ThanosRuler (`NAMESPACE/NAME`).
    #[arg(long, value_name = "NS/NAME")]
    pub thanos_ruler: Option<String>,
}

/// The workloads to consider, each kind sorted by namespace/name.
pub struct Selected<'a> {
    pub prometheuses: Vec<Workload<'a>>,
    pub alertmanagers: Vec<&'a Alertmanager>,
    pub thanos_rulers: Vec<&'a ThanosRuler>,
}

impl Selected<'_> {
    pub fn is_empty(&self) -> bool {
        self.prometheuses.is_empty()
            && self.alertmanagers.is_empty()
            && self.thanos_rulers.is_empty()
    }
}

impl Only {
    /// The workloads to consider: every one without a filter, else those
    /// the filters name (a filter of one kind leaves out the others).
    pub fn select<'a>(&self, snapshot: &'a Snapshot) -> Selected<'a> {
        let filtered =
            self.prometheus.is_some() || self.alertmanager.is_some() || self.thanos_ruler.is_some();
        // A filter that matches nothing when another kind is filtered.
        fn only(filter: &Option<String>, filtered: bool) -> Option<&str> {
            match filter {
                Some(f) => Some(f.as_str()),
                None if filtered => Some(""),
                None => None,
            }
        }
        let servers = snapshot.prometheuses.iter().map(Workload::Prometheus);
        let agents = snapshot.prometheus_agents.iter().map(Workload::Agent);
        let mut prometheuses: Vec<Workload<'a>> = servers.chain(agents).collect();
        prometheuses.sort_by_key(|w| (w.kind(), w.namespace().to_owned(), w.name().to_owned()));
        let wanted = |filter: Option<&str>, namespace: &str, name: &str| {
            filter.is_none_or(|f| f == format!("{namespace}/{name}"))
        };
        prometheuses.retain(|w| wanted(only(&self.prometheus, filtered), w.namespace(), w.name()));
        Selected {
            prometheuses,
            alertmanagers: chosen(
                &snapshot.alertmanagers,
                |a| &a.metadata,
                only(&self.alertmanager, filtered),
            ),
            thanos_rulers: chosen(
                &snapshot.thanos_rulers,
                |r| &r.metadata,
                only(&self.thanos_ruler, filtered),
            ),
        }
    }
}

/// `(namespace, name)` of an object.
fn key(meta: &ObjectMeta) -> (&str, &str) {
    (
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default(),
    )
}

/// The objects `filter` (`namespace/name`) names, all without one,
/// sorted by namespace/name.
fn chosen<'a, T>(
    objects: &'a Objects<T>,
    meta: impl Fn(&T) -> &ObjectMeta,
    filter: Option<&str>,
) -> Vec<&'a T> {
    let mut all: Vec<&T> = objects
        .iter()
        .filter(|o| {
            let (namespace, name) = key(meta(o));
            filter.is_none_or(|f| f == format!("{namespace}/{name}"))
        })
        .collect();
    all.sort_by_key(|o| key(meta(o)));
    all
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Yaml,
    Json,
    Name,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml | Format::Name => "yaml",
        }
    }
}

/// A rendered configuration: Prometheus configs are built as YAML trees
/// (with their text when already printed), the Alertmanager one and rule
/// files are text (the user's Secret may be used as it is).
enum Rendered {
    Tree(promop_core::prometheus::GeneratedConfig, Option<String>),
    Text(String),
}

impl Rendered {
    fn format(&self, format: Format) -> anyhow::Result<Cow<'_, str>> {
        Ok(match (self, format) {
            (Rendered::Tree(config, _), Format::Json) => Cow::Owned(match config.tree() {
                Some(tree) => format!("{:#}\n", tree.to_json()),
                None => json_of(&config.text())?,
            }),
            (Rendered::Tree(_, Some(text)), _) => Cow::Borrowed(text),
            (Rendered::Tree(config, None), _) => Cow::Owned(config.text()),
            (Rendered::Text(text), Format::Json) => Cow::Owned(json_of(text)?),
            (Rendered::Text(text), _) => Cow::Borrowed(text),
        })
    }
}

/// A YAML document as indented JSON.
fn json_of(yaml: &str) -> anyhow::Result<String> {
    let value: Value = serde_saphyr::from_str(yaml).context("reading a rendered YAML file")?;
    Ok(format!("{value:#}\n"))
}

/// One rendered workload: kind, namespace, name, file stem, configuration,
/// and its rule files (`(ConfigMap, file, content)`).
struct Output {
    kind: &'static str,
    namespace: String,
    name: String,
    file: &'static str,
    config: Rendered,
    rules: Vec<(String, String, Rendered)>,
}

/// Where each object of the input was read.
type Origins = std::collections::BTreeMap<ObjectId, Origin>;

/// What a run produced: 0 when every workload rendered, 1 otherwise.
pub fn run(args: &Args) -> anyhow::Result<u8> {
    if args.output == Format::Name && !args.objects {
        bail!("-o name lists objects: add --objects");
    }
    let loaded = args.scope.input.load()?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let selected = args.scope.only.select(&loaded.snapshot);
    if selected.is_empty() {
        if let Some(name) = &args.scope.only.prometheus {
            bail!("no Prometheus or PrometheusAgent {name} in the input");
        }
        if let Some(name) = &args.scope.only.alertmanager {
            bail!("no Alertmanager {name} in the input");
        }
        if let Some(name) = &args.scope.only.thanos_ruler {
            bail!("no ThanosRuler {name} in the input");
        }
        eprintln!(
            "no Prometheus, PrometheusAgent, Alertmanager or ThanosRuler in the input: nothing to render"
        );
        return Ok(0);
    }
    let options = args.written.operator_options(&args.reloader);
    let scope = args.tenancy.scrape_scope(WatchedNamespaces::all());
    let mut rendered = Rendering::new(&loaded.snapshot, &options, scope);
    for workload in selected.prometheuses {
        rendered.prometheus(workload)?;
    }
    for am in selected.alertmanagers {
        rendered.alertmanager(am)?;
    }
    for ruler in selected.thanos_rulers {
        rendered.thanos_ruler(ruler)?;
    }
    if args.objects {
        let values = rendered.manifests.into_values(args.show_secrets)?;
        print_objects(&values, args.output, args.out_dir.as_deref())?;
    } else {
        print_configs(&rendered.outputs, args, &loaded.origins)?;
    }
    // The process exits next: freeing the outputs' trees node by node
    // would take a twentieth of the run at 5,000 monitors.
    std::mem::forget(rendered.outputs);
    Ok(u8::from(rendered.failed))
}

/// The workloads rendered so far.
struct Rendering<'a> {
    snapshot: &'a Snapshot,
    options: &'a OperatorOptions,
    scope: ScrapeScope,
    watched: WatchedNamespaces,
    outputs: Vec<Output>,
    manifests: Manifests,
    failed: bool,
}

impl<'a> Rendering<'a> {
    fn new(snapshot: &'a Snapshot, options: &'a OperatorOptions, scope: ScrapeScope) -> Self {
        Self {
            snapshot,
            options,
            scope,
            watched: WatchedNamespaces::all(),
            outputs: Vec::new(),
            manifests: Manifests::default(),
            failed: false,
        }
    }

    fn prometheus(&mut self, workload: Workload<'a>) -> anyhow::Result<()> {
        let id = format!(
            "{} {}/{}",
            workload.kind(),
            workload.namespace(),
            workload.name()
        );
        let state = match prometheus_state(self.snapshot, workload, &self.scope, self.options) {
            Ok(state) => state,
            Err(e) => {
                eprintln!("{e}");
                self.failed = true;
                return Ok(());
            }
        };
        for rejected in state.rejected() {
            eprintln!("{rejected} (skipped by {id})");
        }
        if state.unmanaged {
            eprintln!(
                "{id}: no resource selector: the user manages the configuration, the \
                 operator only creates its Secret when missing"
            );
        }
        self.manifests.add_prometheus(&state)?;
        let rules = rule_files(state.rule_config_maps());
        self.outputs.push(Output {
            kind: workload.kind(),
            namespace: workload.namespace().to_owned(),
            name: workload.name().to_owned(),
            file: "prometheus",
            config: Rendered::Tree(state.output.config, state.config_text),
            rules,
        });
        Ok(())
    }

    fn alertmanager(&mut self, am: &'a Alertmanager) -> anyhow::Result<()> {
        let namespace = am.metadata.namespace.clone().unwrap_or_default();
        let name = am.metadata.name.clone().unwrap_or_default();
        let state = match alertmanager_state(self.snapshot, am, &self.watched, self.options) {
            Ok(state) => state,
            Err(e) => {
                eprintln!("{e}");
                self.failed = true;
                return Ok(());
            }
        };
        for rejected in state.output.rejected() {
            eprintln!("{rejected} (skipped by Alertmanager {namespace}/{name})");
        }
        self.manifests.add_alertmanager(&state)?;
        self.outputs.push(Output {
            kind: "Alertmanager",
            namespace,
            name,
            file: "alertmanager",
            config: Rendered::Text(state.output.config),
            rules: Vec::new(),
        });
        Ok(())
    }
}

impl<'a> Rendering<'a> {
    /// A ThanosRuler's configuration is its remote-write file; its rule
    /// files are its PrometheusRules'.
    fn thanos_ruler(&mut self, ruler: &'a ThanosRuler) -> anyhow::Result<()> {
        let (namespace, name) = key(&ruler.metadata);
        let state = match thanos_ruler_state(self.snapshot, ruler, &self.watched, self.options) {
            Ok(state) => state,
            Err(e) => {
                eprintln!("{e}");
                self.failed = true;
                return Ok(());
            }
        };
        for rejected in state.rejected() {
            eprintln!("{rejected} (skipped by ThanosRuler {namespace}/{name})");
        }
        self.manifests.add_thanos_ruler(&state)?;
        let remote_write = state
            .objects
            .config
            .data
            .iter()
            .flatten()
            .map(|(_, v)| String::from_utf8_lossy(&v.0).into_owned())
            .collect();
        self.outputs.push(Output {
            kind: "ThanosRuler",
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            file: "remote-write",
            config: Rendered::Text(remote_write),
            rules: rule_files(state.config_maps()),
        });
        Ok(())
    }
}

/// `(ConfigMap, file, content)` of each rule file.
fn rule_files(maps: &[ConfigMap]) -> Vec<(String, String, Rendered)> {
    maps.iter()
        .flat_map(|map| {
            let name = map.metadata.name.clone().unwrap_or_default();
            map.data.iter().flatten().map(move |(file, content)| {
                (name.clone(), file.clone(), Rendered::Text(content.clone()))
            })
        })
        .collect()
}

/// The configurations (and with --rules the rule files), printed or written.
fn print_configs(outputs: &[Output], args: &Args, origins: &Origins) -> anyhow::Result<()> {
    let extension = args.output.extension();
    if let Some(dir) = &args.out_dir {
        let mut files = Vec::new();
        for output in outputs {
            let object = format!("{} {}/{}", output.kind, output.namespace, output.name);
            let object =
                match origins.get(&ObjectId::new(output.kind, &output.namespace, &output.name)) {
                    Some(origin) => {
                        format!("{object} ({}, document {})", origin.source, origin.index)
                    }
                    None => object,
                };
            let folder = [
                ("namespace", output.namespace.as_str()),
                ("name", output.name.as_str()),
            ];
            let config = format!("{}.{extension}", output.file);
            let path = out_path(dir, &object, &folder, ("file", &config))?;
            files.push((path, output.config.format(args.output)?.into_owned()));
            for (map, name, content) in output.rules.iter().filter(|_| args.rules) {
                let mut folder = folder.to_vec();
                folder.extend([("rules", "rules"), ("ConfigMap", map.as_str())]);
                let path = out_path(dir, &object, &folder, ("rule file", name))?;
                files.push((path, content.format(args.output)?.into_owned()));
            }
        }
        return write_all(&files);
    }
    let several = outputs.len() > 1 || args.rules;
    for output in outputs {
        if several {
            println!(
                "---\n# {} {}/{}",
                output.kind, output.namespace, output.name
            );
        }
        print!("{}", output.config.format(args.output)?);
        for (map, name, content) in output.rules.iter().filter(|_| args.rules) {
            println!(
                "---\n# rule file {name} (ConfigMap {}/{map})",
                output.namespace
            );
            print!("{}", content.format(args.output)?);
        }
    }
    Ok(())
}

/// The objects as a YAML stream, a JSON `List`, names, or files.
fn print_objects(values: &[Value], format: Format, out_dir: Option<&Path>) -> anyhow::Result<()> {
    let text = |value: &Value| -> anyhow::Result<String> {
        Ok(match format {
            Format::Json => format!("{value:#}\n"),
            Format::Yaml | Format::Name => {
                serde_saphyr::to_string(value).context("writing an object as YAML")?
            }
        })
    };
    if let Some(dir) = out_dir {
        let mut files = Vec::new();
        for value in values {
            let namespace = value["metadata"]["namespace"].as_str().unwrap_or_default();
            let kind = value["kind"].as_str().unwrap_or_default();
            let name = value["metadata"]["name"].as_str().unwrap_or_default();
            let object = format!("{kind} {namespace}/{name}");
            let file = format!("{}-{name}.{}", kind.to_lowercase(), format.extension());
            let path = out_path(dir, &object, &[("namespace", namespace)], ("name", &file))?;
            files.push((path, text(value)?));
        }
        return write_all(&files);
    }
    match format {
        Format::Name => values
            .iter()
            .for_each(|value| println!("{}", object_name(value))),
        Format::Json => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": values});
            println!("{list:#}");
        }
        Format::Yaml => {
            for value in values {
                print!("---\n{}", text(value)?);
            }
        }
    }
    Ok(())
}

/// A path `render --out-dir` would write outside its directory: a
/// namespace, a name or a file name that is not one plain path component
/// (`..`, `a/b`, `/etc`, empty). The API server refuses such names; a
/// manifest may hold them.
#[derive(Debug, thiserror::Error)]
#[error(
    "{object}: {field} {value:?} is not a plain file name: it would write outside --out-dir {}; nothing written",
    dir.display()
)]
pub struct OutsideOutDir {
    /// The object written (kind namespace/name, with the file and document
    /// of its manifest when known).
    object: String,
    field: String,
    value: String,
    dir: PathBuf,
}

/// `dir/folder…/file`, each component checked to stay inside `dir`;
/// `object` names the object in the error, each component with its field.
fn out_path(
    dir: &Path,
    object: &str,
    folders: &[(&str, &str)],
    file: (&str, &str),
) -> Result<PathBuf, OutsideOutDir> {
    let mut path = dir.to_owned();
    for (field, value) in folders.iter().chain([&file]) {
        let mut components = Path::new(value).components();
        let plain = matches!(components.next(), Some(std::path::Component::Normal(c)) if c == *value)
            && components.next().is_none()
            && !value.contains(['/', '\0']);
        if !plain {
            return Err(OutsideOutDir {
                object: object.to_owned(),
                field: (*field).to_owned(),
                value: (*value).to_owned(),
                dir: dir.to_owned(),
            });
        }
        path.push(value);
    }
    Ok(path)
}

/// Writes every file, once all paths are known to be inside `--out-dir`.
fn write_all(files: &[(PathBuf, String)]) -> anyhow::Result<()> {
    for (file, content) in files {
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("creating {}", folder.display()))?;
        }
        std::fs::write(file, content).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(())
}
