//! Kubernetes service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::AttachMetadata;

/// Kind of Kubernetes object turned into targets.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum KubernetesRole {
    #[default]
    Pod,
    Endpoints,
    Ingress,
    Service,
    Node,
    EndpointSlice,
}

/// Discovers targets from the Kubernetes API.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesSdConfig {
    /// API server address (host or IP, optional port). When unset, Prometheus
    /// runs in-cluster and uses its service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub api_server: Option<String>,
    /// Kind of object to discover (`EndpointSlice` needs Prometheus >= 2.21).
    pub role: KubernetesRole,
    /// Namespaces to watch; all namespaces when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<NamespaceDiscovery>,
    /// Extra metadata attached to the discovered targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_metadata: Option<AttachMetadata>,
    /// Label and field selectors, at most one per role (Prometheus >= 2.17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["role"]))]
    pub selectors: Option<Vec<K8sSelectorConfig>>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}

/// Which namespaces the Kubernetes discovery watches.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceDiscovery {
    /// Also watch the namespace Prometheus runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_namespace: Option<bool>,
    /// Namespaces to watch; when empty (and `ownNamespace` is not true), all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(length(min = 1)), extend("x-kubernetes-list-type" = "set"))]
    pub names: Option<Vec<String>>,
}

/// Label/field selector restricting the objects of one role.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct K8sSelectorConfig {
    /// Role the selector applies to.
    pub role: KubernetesRole,
    /// Label selector, e.g. `node.kubernetes.io/instance-type=master`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub label: Option<String>,
    /// Field selector, e.g. `metadata.name=foobar`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub field: Option<String>,
}
