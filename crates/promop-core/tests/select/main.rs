//! Selection and per-object validation, against small YAML fixtures. The
//! expected outcomes follow the reference (v0.94.1): pkg/prometheus/
//! resource_selector.go, pkg/operator SelectNamespacesFromCache, the
//! relabel validator and the asset store; each case names its rule.
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use promop_api::common::RelabelConfig;
use promop_api::object::{MonitoringObject, decode_object};
use promop_api::v1::Prometheus;
use promop_core::select::ScrapeScope;
use promop_core::select::file_access::MonitorFileAccess;
use promop_core::select::label_selector::{Selector, SelectorError};
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::select::reasons::{Reason, RejectionKind};
use promop_core::select::validate::{parse_version, validate_relabel_config};
use promop_core::select::{KindSelection, Selection, select_for_agent, select_for_prometheus};
use promop_core::snapshot::{ObjectKey, Snapshot};
use serde_json::{Value, json};

mod monitors;
mod namespaces;
mod relabeling;
mod scrape_configs;

/// Reads a multi-document fixture into a snapshot.
fn load(name: &str) -> Snapshot {
    let path = format!(
        "{}/tests/fixtures/select/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut snapshot = Snapshot::default();
    for document in documents {
        let key = |v: &Value| {
            ObjectKey::new(
                v["metadata"]["namespace"].as_str().unwrap_or_default(),
                v["metadata"]["name"].as_str().unwrap_or_default(),
            )
        };
        match document["kind"].as_str() {
            Some("Namespace") => {
                let name = document["metadata"]["name"].as_str().unwrap().to_owned();
                snapshot
                    .namespaces
                    .insert(name, serde_json::from_value(document).unwrap());
            }
            Some("Secret") => {
                let key = key(&document);
                snapshot
                    .secrets
                    .insert(key, Arc::new(serde_json::from_value(document).unwrap()));
            }
            Some("ConfigMap") => {
                let key = key(&document);
                snapshot
                    .config_maps
                    .insert(key, Arc::new(serde_json::from_value(document).unwrap()));
            }
            _ => {
                let decoded = decode_object(document).unwrap_or_else(|e| panic!("{path}: {e}"));
                assert!(
                    decoded.unknown_fields.is_empty(),
                    "{path}: {:?}",
                    decoded.unknown_fields
                );
                match decoded.object {
                    MonitoringObject::Prometheus(o) => snapshot.prometheuses.push(*o),
                    MonitoringObject::PrometheusAgent(o) => snapshot.prometheus_agents.push(*o),
                    MonitoringObject::ServiceMonitor(o) => snapshot.service_monitors.push(*o),
                    MonitoringObject::PodMonitor(o) => snapshot.pod_monitors.push(*o),
                    MonitoringObject::Probe(o) => snapshot.probes.push(*o),
                    MonitoringObject::ScrapeConfig(o) => snapshot.scrape_configs.push(*o),
                    MonitoringObject::PrometheusRule(o) => snapshot.prometheus_rules.push(*o),
                    other => panic!("{path}: unexpected {other:?}"),
                }
            }
        }
    }
    snapshot
}

fn prometheus(snapshot: &Snapshot, name: &str) -> Prometheus {
    snapshot
        .prometheuses
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some(name))
        .cloned()
        .unwrap()
}

fn select<'a>(snapshot: &'a Snapshot, p: &'a Prometheus) -> Selection<'a> {
    select_for_prometheus(snapshot, p, &ScrapeScope::default()).unwrap()
}

/// The rejection message of `key`, failing when it was not rejected.
fn rejection<T>(kind: &KindSelection<'_, T>, object: &str) -> String {
    match kind.reason(&key(object)) {
        Some(Reason::Rejected(r)) => r.to_string(),
        other => panic!("{object}: expected a rejection, got {other:?}"),
    }
}

fn assert_rejected<T>(kind: &KindSelection<'_, T>, key: &str, path: &str, message: &str) {
    let text = rejection(kind, key);
    assert!(
        text.starts_with(&format!("{path}: ")) && text.contains(message),
        "{key}: {text:?} should be at {path:?} and contain {message:?}"
    );
}

/// `namespace/name` as the selection keys objects.
fn key(key: &str) -> ObjectKey {
    let (namespace, name) = key.split_once('/').expect("namespace/name");
    ObjectKey::new(namespace, name)
}
