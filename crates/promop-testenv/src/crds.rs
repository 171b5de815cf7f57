//! Installing CustomResourceDefinitions (server-side apply) and waiting for
//! them to be Established.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};

use crate::FIELD_MANAGER;
use crate::manifests::parse_yaml_documents;

const ESTABLISHED_TIMEOUT: Duration = Duration::from_secs(60);

/// Server-side applies (field manager `promop-testenv`, force) every
/// CustomResourceDefinition found in the `*.yaml` / `*.yml` files of `dir`
/// (other kinds are ignored), then waits until each is Established.
/// Returns the CRD names in file order.
pub async fn install_crds(client: &Client, dir: &Path) -> Result<Vec<String>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading CRD directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no *.yaml files in {}", dir.display());
    }
    let mut crds = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)?;
        for doc in parse_yaml_documents(&text).with_context(|| format!("{}", file.display()))? {
            if doc.get("kind").and_then(|k| k.as_str()) != Some("CustomResourceDefinition") {
                continue;
            }
            let crd: CustomResourceDefinition = serde_json::from_value(doc)
                .with_context(|| format!("{}: not a CustomResourceDefinition", file.display()))?;
            crds.push(crd);
        }
    }
    let names = apply_crds(client, &crds).await?;
    for name in &names {
        wait_crd_established(client, name, ESTABLISHED_TIMEOUT).await?;
    }
    Ok(names)
}

/// Server-side applies CRDs one after the other (concurrent applies of the
/// large upstream CRDs were slower), without waiting for them to be
/// Established.
pub(crate) async fn apply_crds(
    client: &Client,
    crds: &[CustomResourceDefinition],
) -> Result<Vec<String>> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let mut names = Vec::new();
    for crd in crds {
        let name = crd
            .metadata
            .name
            .clone()
            .context("CustomResourceDefinition without metadata.name")?;
        api.patch(&name, &pp, &Patch::Apply(crd))
            .await
            .with_context(|| format!("applying CRD {name}"))?;
        names.push(name);
    }
    Ok(names)
}

/// Waits until the CRD's `Established` condition is `True`.
pub async fn wait_crd_established(client: &Client, name: &str, timeout: Duration) -> Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let start = Instant::now();
    loop {
        let crd = api.get(name).await?;
        let established = crd
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c.type_ == "Established" && c.status == "True")
            });
        if established {
            return Ok(());
        }
        if start.elapsed() > timeout {
            bail!(
                "CRD {name} not Established after {timeout:?}: status {:?}",
                crd.status
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
