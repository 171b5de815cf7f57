//! The TLS assets of a Prometheus or PrometheusAgent: the files its
//! configuration points to under `/etc/prometheus/certs` and those of its
//! scrape classes (Secrets, shards and volume: `k8s::tls_assets`).
use std::collections::BTreeMap;

use serde_json::Value;

use promop_api::common::SecretOrConfigMap;

use super::Workload;
use super::assets::TLS_ASSETS_DIR;
use crate::k8s::tls_assets::{AssetSource, ConfigTree, TlsAssetKey, referenced, unwritten};
use crate::snapshot::Snapshot;
use crate::yaml::Node;

/// The files of the assets Secrets (file name → content): those the
/// `tls_config` sections of the generated configuration `config` (YAML, in parts)
/// point to, and those of every scrape class of the workload, used or not
/// (what the reference loads into its store).
///
/// Like the reference, a CA is kept when it has content, a certificate and
/// its key only together and both with content. Unlike the reference, the
/// files of the tracing section are written too: the reference names them
/// in the configuration but never writes them, and Prometheus then refuses
/// the whole configuration (`conformance/known-differences.md`).
///
/// Also returns the asset paths the configuration names that none of these
/// files provides ([`unwritten`]; empty once the objects are validated).
pub fn collect(
    config: &[&str],
    config_tree: Option<&[&Node]>,
    workload: Workload<'_>,
    snapshot: &Snapshot,
) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    // Parsing the text back costs more than generating it on large
    // configurations: callers that still hold the tree pass it (in parts).
    match config_tree {
        Some(parts) => assets(parts, workload, snapshot),
        None => {
            let tree = serde_saphyr::from_str::<Value>(&config.concat()).unwrap_or_default();
            assets(&[&tree], workload, snapshot)
        }
    }
}

fn assets<T: ConfigTree>(
    parts: &[&T],
    workload: Workload<'_>,
    snapshot: &Snapshot,
) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let mut files = BTreeMap::new();
    for part in parts {
        files.extend(referenced(*part, TLS_ASSETS_DIR, snapshot));
    }
    files.extend(scrape_class_files(workload, snapshot));
    let mut missing: Vec<String> = parts
        .iter()
        .flat_map(|part| unwritten(*part, TLS_ASSETS_DIR, &files))
        .collect();
    missing.sort();
    missing.dedup();
    (files, missing)
}

/// The files of every scrape class of the workload, used or not.
fn scrape_class_files(workload: Workload<'_>, snapshot: &Snapshot) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let namespace = workload.namespace();
    for class in workload.common().scrape_classes.iter().flatten() {
        let Some(tls) = class.tls_config.as_ref().map(|t| &t.safe) else {
            continue;
        };
        let key = |source: &SecretOrConfigMap| {
            let (kind, name, key) = match (&source.secret, &source.config_map) {
                (Some(s), _) => (AssetSource::Secret, &s.name, &s.key),
                (None, Some(c)) => (AssetSource::ConfigMap, &c.name, &c.key),
                (None, None) => return None,
            };
            let asset = TlsAssetKey::new(kind, namespace, name, key);
            let content = asset.value(snapshot).filter(|v| !v.is_empty())?.to_vec();
            Some((asset.file_name(), content))
        };
        files.extend(tls.ca.as_ref().and_then(key));
        let key_secret = tls.key_secret.as_ref().map(|k| SecretOrConfigMap {
            secret: Some(k.clone()),
            config_map: None,
        });
        if let (Some(cert), Some(k)) = (
            tls.cert.as_ref().and_then(key),
            key_secret.as_ref().and_then(key),
        ) {
            files.extend([cert, k]);
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{Loaded, Strictness};

    #[test]
    fn the_tracing_ca_is_an_asset_too() {
        let mut loaded = Loaded::default();
        let manifests = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n\
                         stringData: {ca: CA, tracing: T}\n";
        loaded
            .add_yaml("t", manifests, "ns", Strictness::ObjectsOnly)
            .unwrap();
        let config = "a:\n  tls_config:\n    ca_file: /etc/prometheus/certs/0_ns_s_ca\n\
                      tracing:\n  tls_config:\n    ca_file: /etc/prometheus/certs/0_ns_s_tracing\n";
        let prometheus = promop_api::v1::Prometheus::new("p", Default::default());
        let workload = Workload::Prometheus(&prometheus);
        let (files, missing) = collect(&[config], None, workload, &loaded.snapshot);
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["0_ns_s_ca", "0_ns_s_tracing"]
        );
        assert!(missing.is_empty());
        // The tree the generator holds gives the same files as the text.
        let section = |file: &str| {
            let mut tls = crate::yaml::Mapping::new();
            tls.insert("ca_file", file);
            let mut section = crate::yaml::Mapping::new();
            section.insert("tls_config", Node::Map(tls));
            Node::Map(section)
        };
        let mut doc = crate::yaml::Mapping::new();
        doc.insert("a", section("/etc/prometheus/certs/0_ns_s_ca"))
            .insert("tracing", section("/etc/prometheus/certs/0_ns_s_tracing"));
        let tree = Node::Map(doc);
        assert_eq!(crate::yaml::to_string(&tree), config);
        assert_eq!(
            collect(&[], Some(&[&tree]), workload, &loaded.snapshot),
            (files, missing)
        );
    }
}
