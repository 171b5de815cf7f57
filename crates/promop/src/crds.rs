//! `promop crds`: the CRDs generated from promop-api's types.
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

#[derive(clap::Args)]
pub struct Args {
    /// Write one file per CRD (`monitoring.coreos.com_<plural>.yaml`) into
    /// this directory instead of printing them all to stdout.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let crds = promop_api::crd::all();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for crd in &crds {
                let path = dir.join(file_name(crd));
                std::fs::write(&path, to_yaml(crd)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            for crd in &crds {
                write!(out, "---\n{}", to_yaml(crd)?)?;
            }
        }
    }
    Ok(())
}

fn file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
}

fn to_yaml(crd: &CustomResourceDefinition) -> anyhow::Result<String> {
    serde_saphyr::to_string(crd).context("serializing a CRD as YAML")
}
