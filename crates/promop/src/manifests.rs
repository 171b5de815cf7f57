//! Reading manifests (files, directories, stdin) into a [`Snapshot`], the
//! way the API server would store them: unknown fields pruned, CRD defaults
//! applied, invalid objects set aside with a reason.
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use promop_api::object::{MonitoringObject, decode_object, is_monitoring_kind};
use promop_core::snapshot::{ObjectKey, Snapshot};
use serde::de::DeserializeOwned;
use serde_json::Value;

const MONITORING_GROUP: &str = "monitoring.coreos.com/";

/// What was read: the snapshot and one line per object that was skipped or
/// changed on the way (`kind ns/name: field.path: why`).
#[derive(Debug, Default)]
pub struct Loaded {
    pub snapshot: Snapshot,
    pub warnings: Vec<String>,
}

/// Input that cannot be used at all (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: document {index}: {message}")]
pub struct UnusableInput {
    pub source_name: String,
    pub index: usize,
    pub message: String,
}

/// Reads every path (`-` is stdin; directories are walked for `*.yaml`,
/// `*.yml` and `*.json`). Objects without a namespace go to `namespace`.
pub fn load(paths: &[PathBuf], namespace: &str) -> anyhow::Result<Loaded> {
    let mut loaded = Loaded::default();
    for path in paths {
        // Files met while walking a directory may be other YAML (a raw
        // Prometheus or Alertmanager config kept next to the manifests):
        // those are skipped with a warning; a file named explicitly must be
        // made of Kubernetes objects.
        let walked = path.is_dir();
        for file in expand(path)? {
            let text = if file == Path::new("-") {
                std::io::read_to_string(std::io::stdin()).context("reading stdin")?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?
            };
            let source_name = file.display().to_string();
            let docs: Vec<Value> =
                serde_saphyr::from_multiple(&text).map_err(|e| UnusableInput {
                    source_name: source_name.clone(),
                    index: 0,
                    message: format!("not valid YAML: {e}"),
                })?;
            for (index, doc) in docs.into_iter().enumerate() {
                let unusable = |message: String| UnusableInput {
                    source_name: source_name.clone(),
                    index,
                    message,
                };
                for object in flatten_lists(doc) {
                    if walked && !is_object(&object) {
                        loaded.warnings.push(format!(
                            "{source_name}: document {index}: not a Kubernetes object, ignored"
                        ));
                        continue;
                    }
                    add(&mut loaded, object, namespace).map_err(unusable)?;
                }
            }
        }
    }
    Ok(loaded)
}

fn expand(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path == Path::new("-") || !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("reading {}", path.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            files.extend(expand(&entry)?);
        } else if entry
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            files.push(entry);
        }
    }
    Ok(files)
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
fn upsert<K: kube::Resource>(
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

/// `promop render`'s input must name at least one path.
pub fn require_paths(paths: &[PathBuf]) -> anyhow::Result<()> {
    if paths.is_empty() {
        bail!("no input: give manifests with -f FILE|DIR (or -f - for stdin)");
    }
    Ok(())
}
