//! `promop render`: the exact Prometheus and Alertmanager configurations
//! that the operator would generate for a set of manifests, offline.
use std::path::PathBuf;

use anyhow::Context;
use promop_api::v1::Alertmanager;
use promop_core::pipeline::{alertmanager_config, prometheus_config};
use promop_core::prometheus::Workload;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::snapshot::Snapshot;

use crate::manifests;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    scope: Scope,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    output: Format,
    /// Write one file per workload (`<namespace>/<name>/prometheus.yaml`
    /// or `alertmanager.yaml`, `.json` with `-o json`) instead of printing.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
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
}

impl Only {
    /// The Prometheus/PrometheusAgent workloads and the Alertmanagers to
    /// consider, each sorted; a filter of one kind leaves out the other.
    pub fn select<'a>(&self, snapshot: &'a Snapshot) -> (Vec<Workload<'a>>, Vec<&'a Alertmanager>) {
        let prometheus_filter = match (&self.prometheus, &self.alertmanager) {
            (None, Some(_)) => Some(""),
            (p, _) => p.as_deref(),
        };
        (
            workloads(snapshot, prometheus_filter),
            alertmanagers(
                snapshot,
                self.alertmanager.as_deref(),
                self.prometheus.is_some(),
            ),
        )
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Yaml,
    Json,
}

/// A rendered configuration: Prometheus configs are built as YAML trees,
/// the Alertmanager one is text (the user's Secret may be used as it is).
enum Rendered {
    Tree(promop_core::yaml::Node),
    Text(String),
}

impl Rendered {
    fn format(&self, format: Format) -> anyhow::Result<String> {
        Ok(match (self, format) {
            (Rendered::Tree(node), Format::Yaml) => promop_core::yaml::to_string(node),
            (Rendered::Tree(node), Format::Json) => format!("{:#}\n", node.to_json()),
            (Rendered::Text(text), Format::Yaml) => text.clone(),
            (Rendered::Text(text), Format::Json) => {
                let value: serde_json::Value = serde_saphyr::from_str(text)
                    .context("reading the Alertmanager configuration")?;
                format!("{value:#}\n")
            }
        })
    }
}

/// One rendered workload: kind, namespace, name, file stem, configuration.
struct Output {
    kind: &'static str,
    namespace: String,
    name: String,
    file: &'static str,
    config: Rendered,
}

/// What a run produced: 0 when every workload rendered, 1 otherwise.
pub fn run(args: &Args) -> anyhow::Result<u8> {
    let loaded = args.scope.input.load()?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let (workloads, alertmanagers) = args.scope.only.select(&loaded.snapshot);
    if workloads.is_empty() && alertmanagers.is_empty() {
        if let Some(name) = &args.scope.only.prometheus {
            anyhow::bail!("no Prometheus or PrometheusAgent {name} in the input");
        }
        if let Some(name) = &args.scope.only.alertmanager {
            anyhow::bail!("no Alertmanager {name} in the input");
        }
        eprintln!("no Prometheus, PrometheusAgent or Alertmanager in the input: nothing to render");
        return Ok(0);
    }
    let watched = WatchedNamespaces::all();
    let mut failed = false;
    let mut outputs = Vec::new();
    for workload in workloads {
        let id = format!(
            "{} {}/{}",
            workload.kind(),
            workload.namespace(),
            workload.name()
        );
        match prometheus_config(&loaded.snapshot, workload, &watched) {
            Ok(output) => {
                for rejected in output.rejected() {
                    eprintln!("{rejected} (skipped by {id})");
                }
                outputs.push(Output {
                    kind: workload.kind(),
                    namespace: workload.namespace().to_owned(),
                    name: workload.name().to_owned(),
                    file: "prometheus",
                    config: Rendered::Tree(output.config),
                });
            }
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    for am in alertmanagers {
        let namespace = am.metadata.namespace.clone().unwrap_or_default();
        let name = am.metadata.name.clone().unwrap_or_default();
        match alertmanager_config(&loaded.snapshot, am, &watched) {
            Ok(output) => {
                for rejected in output.rejected() {
                    eprintln!("{rejected} (skipped by Alertmanager {namespace}/{name})");
                }
                outputs.push(Output {
                    kind: "Alertmanager",
                    namespace,
                    name,
                    file: "alertmanager",
                    config: Rendered::Text(output.config),
                });
            }
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    let extension = match args.output {
        Format::Yaml => "yaml",
        Format::Json => "json",
    };
    match &args.out_dir {
        Some(dir) => {
            for output in &outputs {
                let folder = dir.join(&output.namespace).join(&output.name);
                std::fs::create_dir_all(&folder)
                    .with_context(|| format!("creating {}", folder.display()))?;
                let file = folder.join(format!("{}.{extension}", output.file));
                std::fs::write(&file, output.config.format(args.output)?)
                    .with_context(|| format!("writing {}", file.display()))?;
            }
        }
        None => {
            let several = outputs.len() > 1;
            for output in &outputs {
                if several {
                    println!(
                        "---\n# {} {}/{}",
                        output.kind, output.namespace, output.name
                    );
                }
                print!("{}", output.config.format(args.output)?);
            }
        }
    }
    Ok(u8::from(failed))
}

/// The Alertmanagers to render, sorted by namespace/name.
fn alertmanagers<'a>(
    snapshot: &'a Snapshot,
    only: Option<&str>,
    other_kind_filtered: bool,
) -> Vec<&'a Alertmanager> {
    if other_kind_filtered && only.is_none() {
        return Vec::new();
    }
    let key = |a: &Alertmanager| {
        format!(
            "{}/{}",
            a.metadata.namespace.as_deref().unwrap_or_default(),
            a.metadata.name.as_deref().unwrap_or_default()
        )
    };
    let mut all: Vec<&Alertmanager> = snapshot.alertmanagers.iter().collect();
    all.sort_by_key(|a| key(a));
    all.retain(|a| only.is_none_or(|o| o == key(a)));
    all
}

fn workloads<'a>(snapshot: &'a Snapshot, only: Option<&str>) -> Vec<Workload<'a>> {
    let servers = snapshot.prometheuses.iter().map(Workload::Prometheus);
    let agents = snapshot.prometheus_agents.iter().map(Workload::Agent);
    let mut all: Vec<Workload<'a>> = servers.chain(agents).collect();
    all.sort_by_key(|w| (w.kind(), w.namespace().to_owned(), w.name().to_owned()));
    all.retain(|w| only.is_none_or(|o| o == format!("{}/{}", w.namespace(), w.name())));
    all
}
