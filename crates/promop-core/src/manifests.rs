//! Manifests (multi-document YAML) into a [`Snapshot`], the way the API
//! server would store them: unknown fields pruned, CRD defaults applied,
//! invalid objects set aside with a reason. Pure: the caller reads the text.
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use promop_api::object::{MonitoringObject, decode_object, is_monitoring_kind};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::snapshot::{ObjectKey, Snapshot};

const MONITORING_GROUP: &str = "monitoring.coreos.com/";

/// What was read: the snapshot and one line per object that was skipped or
/// changed on the way (`kind ns/name: field.path: why`).
#[derive(Debug, Default)]
pub struct Loaded {
    pub snapshot: Snapshot,
    pub warnings: Vec<String>,
}

/// Input that cannot be used at all (`promop render` exits with code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: document {index}: {message}")]
pub struct UnusableInput {
    pub source_name: String,
    pub index: usize,
    pub message: String,
}

/// How strict reading is about documents that are not Kubernetes objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Every document must be a Kubernetes object (a file named explicitly).
    ObjectsOnly,
    /// Other YAML is skipped with a warning (a file met while walking a
    /// directory may be a raw Prometheus or Alertmanager config).
    SkipOthers,
}

impl Loaded {
    /// Adds every document of `text` (named `source_name` in messages);
    /// objects without a namespace go to `namespace`.
    pub fn add_yaml(
        &mut self,
        source_name: &str,
        text: &str,
        namespace: &str,
        strictness: Strictness,
    ) -> Result<(), UnusableInput> {
        let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| UnusableInput {
            source_name: source_name.to_owned(),
            index: 0,
            message: format!("not valid YAML: {e}"),
        })?;
        for (index, doc) in docs.into_iter().enumerate() {
            for object in flatten_lists(doc) {
                if strictness == Strictness::SkipOthers && !is_object(&object) {
                    self.warnings.push(format!(
                        "{source_name}: document {index}: not a Kubernetes object, ignored"
                    ));
                    continue;
                }
                add(self, object, namespace).map_err(|message| UnusableInput {
                    source_name: source_name.to_owned(),
                    index,
                    message,
                })?;
            }
        }
        Ok(())
    }
}

fn is_object(doc: &Value) -> bool {
    doc.get("apiVersion").is_some_and(Value::is_string)
        && doc.get("kind").is_some_and(Value::is_string)
}

/// `kind: List` documents hold their objects in `items`; empty documents hold none.
fn flatten_lists(doc: Value) -> Vec<Value> {
    match doc {
        Value::Null => Vec::new(),
        Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => map
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        other => vec![other],
    }
}

fn add(loaded: &mut Loaded, mut object: Value, default_namespace: &str) -> Result<(), String> {
    let Value::Object(map) = &mut object else {
        return Err("not a Kubernetes object (expected a mapping)".into());
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let (Some(api_version), Some(kind)) = (text("apiVersion"), text("kind")) else {
        return Err("missing apiVersion or kind".into());
    };
    let metadata = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    if kind != "Namespace" && metadata.get("namespace").is_none() {
        metadata["namespace"] = Value::from(default_namespace);
    }
    let object_name = metadata
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = format!(
        "{kind} {}/{object_name}",
        metadata["namespace"].as_str().unwrap_or_default(),
    );
    if object_name.is_empty() {
        // The API server refuses objects without a name.
        loaded
            .warnings
            .push(format!("{name}: metadata.name: required; object skipped"));
        return Ok(());
    }
    let snapshot = &mut loaded.snapshot;
    match (api_version.as_str(), kind.as_str()) {
        ("v1", "Namespace") => {
            let ns: Namespace = typed(object, &name)?;
            let key = ns.metadata.name.clone().unwrap_or_default();
            snapshot.namespaces.insert(key, ns);
        }
        ("v1", "Secret") => {
            let secret: Secret = typed(object, &name)?;
            snapshot.secrets.insert(key_of(&secret.metadata), secret);
        }
        ("v1", "ConfigMap") => {
            let config_map: ConfigMap = typed(object, &name)?;
            snapshot
                .config_maps
                .insert(key_of(&config_map.metadata), config_map);
        }
        (v, k) if v.starts_with(MONITORING_GROUP) => {
            if !is_monitoring_kind(v, k) {
                return Err(format!("unknown kind {k} of apiVersion {v}"));
            }
            add_monitoring_object(loaded, object, &name);
        }
        // Other objects (workloads, Services, RBAC, ...) do not change the
        // generated configuration.
        _ => {}
    }
    Ok(())
}

fn typed<T: DeserializeOwned>(object: Value, name: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(object)
        .map_err(|e| format!("{name}: {}: {}", e.path(), e.inner()))
}

fn key_of(metadata: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> ObjectKey {
    ObjectKey::new(
        metadata.namespace.clone().unwrap_or_default(),
        metadata.name.clone().unwrap_or_default(),
    )
}

/// Prunes and defaults like the API server, then decodes; an object that
/// does not decode is skipped with a warning, as the API server would refuse it.
fn add_monitoring_object(loaded: &mut Loaded, mut object: Value, name: &str) {
    let pruned = promop_api::crd::apply_defaults(&mut object).unwrap_or_default();
    for path in pruned {
        loaded.warnings.push(format!(
            "{name}: {path}: unknown field, ignored (the API server prunes it)"
        ));
    }
    let refused = promop_api::crd::validate(&object).unwrap_or_default();
    if !refused.is_empty() {
        // The API server would refuse the object: the operator never sees it.
        for violation in refused {
            loaded
                .warnings
                .push(format!("{name}: {violation}; object skipped"));
        }
        return;
    }
    let decoded = match decode_object(object) {
        Ok(decoded) => decoded,
        Err(e) => {
            loaded.warnings.push(format!("{name}: {e}; object skipped"));
            return;
        }
    };
    let s = &mut loaded.snapshot;
    let w = &mut loaded.warnings;
    match decoded.object {
        MonitoringObject::Prometheus(o) => upsert(&mut s.prometheuses, *o, name, w),
        MonitoringObject::PrometheusAgent(o) => upsert(&mut s.prometheus_agents, *o, name, w),
        MonitoringObject::Alertmanager(o) => upsert(&mut s.alertmanagers, *o, name, w),
        MonitoringObject::ThanosRuler(o) => upsert(&mut s.thanos_rulers, *o, name, w),
        MonitoringObject::ServiceMonitor(o) => upsert(&mut s.service_monitors, *o, name, w),
        MonitoringObject::PodMonitor(o) => upsert(&mut s.pod_monitors, *o, name, w),
        MonitoringObject::Probe(o) => upsert(&mut s.probes, *o, name, w),
        MonitoringObject::ScrapeConfig(o) => upsert(&mut s.scrape_configs, *o, name, w),
        MonitoringObject::PrometheusRule(o) => upsert(&mut s.prometheus_rules, *o, name, w),
        MonitoringObject::AlertmanagerConfigV1alpha1(o) => {
            upsert(&mut s.alertmanager_configs, *o, name, w)
        }
        MonitoringObject::AlertmanagerConfigV1beta1(_) => loaded.warnings.push(format!(
            "{name}: v1beta1 AlertmanagerConfigs are not used yet by promop render"
        )),
    }
}

/// Adds an object, or replaces the one of the same namespace and name that
/// came earlier in the input (what a second `kubectl apply` would do).
fn upsert<K: kube_core::Resource>(
    objects: &mut Vec<K>,
    object: K,
    name: &str,
    warnings: &mut Vec<String>,
) {
    let same = |o: &K| {
        o.meta().namespace == object.meta().namespace && o.meta().name == object.meta().name
    };
    match objects.iter().position(same) {
        Some(i) => {
            warnings.push(format!(
                "{name}: defined more than once; the last definition is used"
            ));
            objects[i] = object;
        }
        None => objects.push(object),
    }
}
