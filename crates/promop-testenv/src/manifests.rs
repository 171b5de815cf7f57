//! Server-side apply of arbitrary multi-document YAML (any kind), through
//! discovery and the dynamic API.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::FIELD_MANAGER;
use crate::crds::{apply_crds, wait_crd_established};

/// How long a kind may stay unknown to discovery (e.g. a CRD just applied).
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// Parses multi-document YAML into JSON values, dropping empty documents.
pub fn parse_yaml_documents(text: &str) -> Result<Vec<Value>> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).context("parsing YAML")?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Server-side applies (field manager `promop-testenv`, force) every
/// document of `yaml`: Namespaces first (also those only referenced by
/// `metadata.namespace`), then CRDs (waiting until Established), then the
/// rest in document order. Namespaced objects without a namespace go to
/// `default`. Returns the applied objects as the server answered them.
pub async fn apply_manifests(client: &Client, yaml: &str) -> Result<Vec<DynamicObject>> {
    let docs = parse_yaml_documents(yaml)?;
    let mut namespaces = Vec::new();
    let mut crds = Vec::new();
    let mut rest = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let (api_version, kind) =
            type_of(&doc).with_context(|| format!("document {i} is not a Kubernetes object"))?;
        match (api_version.as_str(), kind.as_str()) {
            ("v1", "Namespace") => namespaces.push(doc),
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
                crds.push(serde_json::from_value::<CustomResourceDefinition>(doc)?)
            }
            _ => rest.push(doc),
        }
    }

    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let mut applied = Vec::new();

    // Namespaces: explicit ones, then any referenced but not declared.
    let mut ns_names: BTreeSet<String> = rest
        .iter()
        .filter_map(|d| d.pointer("/metadata/namespace")?.as_str().map(String::from))
        .collect();
    let ns_api: Api<Namespace> = Api::all(client.clone());
    let ns_ar = ApiResource::erase::<Namespace>(&());
    for doc in &namespaces {
        let name = name_of(doc)?;
        ns_names.remove(&name);
        applied.push(apply_one(client, &ns_ar, None, &name, doc, &pp).await?);
    }
    for name in ns_names {
        if ns_api.get_opt(&name).await?.is_none() {
            let doc = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
            applied.push(apply_one(client, &ns_ar, None, &name, &doc, &pp).await?);
        }
    }

    if !crds.is_empty() {
        for name in apply_crds(client, &crds).await? {
            wait_crd_established(client, &name, Duration::from_secs(60)).await?;
        }
    }

    let mut discovery = run_discovery(client).await?;
    for doc in &rest {
        let (api_version, kind) = type_of(doc)?;
        let gvk = gvk_of(&api_version, &kind);
        let start = Instant::now();
        let (ar, caps) = loop {
            if let Some(found) = discovery.resolve_gvk(&gvk) {
                break found;
            }
            if start.elapsed() > DISCOVERY_TIMEOUT {
                bail!("the apiserver does not serve {api_version} {kind}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            discovery = run_discovery(client).await?;
        };
        let name = name_of(doc)?;
        let ns = match caps.scope {
            Scope::Namespaced => Some(
                doc.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    .to_owned(),
            ),
            Scope::Cluster => None,
        };
        applied.push(apply_one(client, &ar, ns.as_deref(), &name, doc, &pp).await?);
    }
    Ok(applied)
}

async fn run_discovery(client: &Client) -> Result<Discovery> {
    match Discovery::new(client.clone()).run_aggregated().await {
        Ok(d) => Ok(d),
        Err(_) => Ok(Discovery::new(client.clone()).run().await?),
    }
}

async fn apply_one(
    client: &Client,
    ar: &ApiResource,
    ns: Option<&str>,
    name: &str,
    doc: &Value,
    pp: &PatchParams,
) -> Result<DynamicObject> {
    let api: Api<DynamicObject> = match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    };
    api.patch(name, pp, &Patch::Apply(doc))
        .await
        .with_context(|| {
            format!(
                "applying {} {}{name}",
                ar.kind,
                ns.map(|n| format!("{n}/")).unwrap_or_default()
            )
        })
}

fn type_of(doc: &Value) -> Result<(String, String)> {
    let get = |k: &str| doc.get(k).and_then(Value::as_str).map(String::from);
    match (get("apiVersion"), get("kind")) {
        (Some(v), Some(k)) => Ok((v, k)),
        _ => bail!("missing apiVersion or kind"),
    }
}

fn name_of(doc: &Value) -> Result<String> {
    doc.pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(String::from)
        .context("object without metadata.name")
}

fn gvk_of(api_version: &str, kind: &str) -> GroupVersionKind {
    match api_version.split_once('/') {
        Some((group, version)) => GroupVersionKind::gvk(group, version, kind),
        None => GroupVersionKind::gvk("", api_version, kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_value_token_is_the_string_equals() {
        let docs = parse_yaml_documents("a:\n- =\n- '!='\n---\n---\nb: 1\n").unwrap();
        assert_eq!(docs, vec![json!({"a": ["=", "!="]}), json!({"b": 1})]);
    }

    #[test]
    fn core_and_group_kinds() {
        assert_eq!(gvk_of("v1", "Service").group, "");
        let g = gvk_of("monitoring.coreos.com/v1", "Prometheus");
        assert_eq!(
            (g.group.as_str(), g.version.as_str()),
            ("monitoring.coreos.com", "v1")
        );
    }
}
