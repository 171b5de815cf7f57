//! Everything a generation depends on, read-only.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use promop_api::{v1, v1alpha1};

/// The inputs of one generation: the workload CRs, the config CRs, the
/// namespaces (for their labels) and the Secrets/ConfigMaps referenced.
/// Objects are kept in a stable order (namespace, name).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub namespaces: BTreeMap<String, Namespace>,
    pub secrets: BTreeMap<ObjectKey, Secret>,
    pub config_maps: BTreeMap<ObjectKey, ConfigMap>,
    pub prometheuses: Vec<v1::Prometheus>,
    pub prometheus_agents: Vec<v1alpha1::PrometheusAgent>,
    pub alertmanagers: Vec<v1::Alertmanager>,
    pub thanos_rulers: Vec<v1::ThanosRuler>,
    pub service_monitors: Vec<v1::ServiceMonitor>,
    pub pod_monitors: Vec<v1::PodMonitor>,
    pub probes: Vec<v1::Probe>,
    pub scrape_configs: Vec<v1alpha1::ScrapeConfig>,
    pub prometheus_rules: Vec<v1::PrometheusRule>,
    pub alertmanager_configs: Vec<v1alpha1::AlertmanagerConfig>,
}

/// `namespace/name` of a namespaced object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl Snapshot {
    /// The labels of a namespace (empty when the namespace is unknown).
    pub fn namespace_labels(&self, namespace: &str) -> BTreeMap<String, String> {
        self.namespaces
            .get(namespace)
            .and_then(|ns| ns.metadata.labels.clone())
            .unwrap_or_default()
    }

    /// The bytes of a Secret key, if the Secret and the key exist.
    pub fn secret_value(&self, namespace: &str, name: &str, key: &str) -> Option<&[u8]> {
        let secret = self.secrets.get(&ObjectKey::new(namespace, name))?;
        if let Some(value) = secret.data.as_ref().and_then(|d| d.get(key)) {
            return Some(&value.0);
        }
        secret
            .string_data
            .as_ref()
            .and_then(|d| d.get(key))
            .map(String::as_bytes)
    }

    /// The value of a ConfigMap key, if the ConfigMap and the key exist.
    pub fn config_map_value(&self, namespace: &str, name: &str, key: &str) -> Option<&str> {
        let map = self.config_maps.get(&ObjectKey::new(namespace, name))?;
        map.data.as_ref()?.get(key).map(String::as_str)
    }
}
