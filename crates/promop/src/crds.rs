//! `promop crds`: the CRDs generated from promop-api's types.
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

#[derive(clap::Args)]
pub struct Args {
    /// Output format: a YAML stream, or a JSON `List` (one object per file
    /// with --out-dir).
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    output: Format,
    /// Write one file per CRD (`monitoring.coreos.com_<plural>.yaml`, or
    /// `.json`) into this directory instead of printing them all to stdout.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Yaml,
    Json,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }

    /// One CRD as a document of its own.
    fn one(self, crd: &CustomResourceDefinition) -> anyhow::Result<String> {
        match self {
            Format::Yaml => serde_saphyr::to_string(crd).context("serializing a CRD as YAML"),
            Format::Json => Ok(serde_json::to_string_pretty(crd)? + "\n"),
        }
    }

    /// Every CRD in one stream.
    fn all(self, crds: &[CustomResourceDefinition]) -> anyhow::Result<String> {
        match self {
            Format::Yaml => crds
                .iter()
                .map(|crd| Ok(format!("---\n{}", self.one(crd)?)))
                .collect(),
            Format::Json => {
                let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": crds});
                Ok(serde_json::to_string_pretty(&list)? + "\n")
            }
        }
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let crds = promop_api::crd::all();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for crd in &crds {
                let path = dir.join(file_name(crd, args.output.extension()));
                std::fs::write(&path, args.output.one(crd)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(args.output.all(&crds)?.as_bytes())
                .and_then(|()| out.flush())
                .context("writing the CRDs")?;
        }
    }
    Ok(())
}

fn file_name(crd: &CustomResourceDefinition, extension: &str) -> String {
    format!("{}_{}.{extension}", crd.spec.group, crd.spec.names.plural)
}
