//! `promop render`: the exact Prometheus configuration that the operator
//! would generate for a set of manifests, offline.
use std::path::PathBuf;

use anyhow::Context;
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::snapshot::Snapshot;

use crate::manifests;

#[derive(clap::Args)]
pub struct Args {
    /// Manifest file or directory (repeatable; `-` reads stdin). Directories
    /// are read recursively (*.yaml, *.yml, *.json).
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR",
        required = true
    )]
    files: Vec<PathBuf>,
    /// Only this Prometheus or PrometheusAgent (`NAMESPACE/NAME`).
    #[arg(long, value_name = "NS/NAME")]
    prometheus: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    output: Format,
    /// Write one file per workload (`<namespace>/<name>/prometheus.yaml`,
    /// `prometheus.json` with `-o json`) instead of printing.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Namespace of objects that have none.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Yaml,
    Json,
}

/// What a run produced: 0 when every workload rendered, 1 otherwise.
pub fn run(args: &Args) -> anyhow::Result<u8> {
    manifests::require_paths(&args.files)?;
    let loaded = manifests::load(&args.files, &args.namespace)?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let workloads = workloads(&loaded.snapshot, args.prometheus.as_deref());
    if workloads.is_empty() {
        if let Some(name) = &args.prometheus {
            anyhow::bail!("no Prometheus or PrometheusAgent {name} in the input");
        }
        eprintln!("no Prometheus or PrometheusAgent in the input: nothing to render");
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
                outputs.push((workload, output.config));
            }
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    let text = |config: &promop_core::yaml::Node| match args.output {
        Format::Yaml => promop_core::yaml::to_string(config),
        Format::Json => format!("{:#}\n", config.to_json()),
    };
    match &args.out_dir {
        Some(dir) => {
            for (workload, config) in &outputs {
                let folder = dir.join(workload.namespace()).join(workload.name());
                std::fs::create_dir_all(&folder)
                    .with_context(|| format!("creating {}", folder.display()))?;
                let file = folder.join(match args.output {
                    Format::Yaml => "prometheus.yaml",
                    Format::Json => "prometheus.json",
                });
                std::fs::write(&file, text(config))
                    .with_context(|| format!("writing {}", file.display()))?;
            }
        }
        None => {
            let several = outputs.len() > 1;
            for (workload, config) in &outputs {
                if several {
                    println!(
                        "---\n# {} {}/{}",
                        workload.kind(),
                        workload.namespace(),
                        workload.name()
                    );
                }
                print!("{}", text(config));
            }
        }
    }
    Ok(u8::from(failed))
}

fn workloads<'a>(snapshot: &'a Snapshot, only: Option<&str>) -> Vec<Workload<'a>> {
    let servers = snapshot.prometheuses.iter().map(Workload::Prometheus);
    let agents = snapshot.prometheus_agents.iter().map(Workload::Agent);
    let mut all: Vec<Workload<'a>> = servers.chain(agents).collect();
    all.sort_by_key(|w| (w.kind(), w.namespace().to_owned(), w.name().to_owned()));
    all.retain(|w| only.is_none_or(|o| o == format!("{}/{}", w.namespace(), w.name())));
    all
}
