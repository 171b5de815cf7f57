//! Consul service discovery.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::Duration;
use crate::common::Scheme;

/// Discovers targets from the Consul catalog.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsulSdConfig {
    /// Consul server address: host or IP, optionally followed by a port.
    #[schemars(length(min = 1))]
    pub server: String,
    /// URI prefix, when Consul sits behind an API gateway (Prometheus >= 2.45).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub path_prefix: Option<String>,
    /// ACL token; the local agent's token when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_ref: Option<SecretKeySelector>,
    /// Datacenter; the local agent's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub datacenter: Option<String>,
    /// Namespace (Consul Enterprise only; Prometheus >= 2.28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
    /// Admin partition (Consul Enterprise only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub partition: Option<String>,
    /// Scheme used to talk to Consul.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// Services to discover; all services when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(length(min = 1)), extend("x-kubernetes-list-type" = "set"))]
    pub services: Option<Vec<String>>,
    /// Tags a service must all carry to be discovered (prefer `filter` since
    /// Consul 1.14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(length(min = 1)), extend("x-kubernetes-list-type" = "set"))]
    pub tags: Option<Vec<String>>,
    /// Separator used to join the tags into the tag label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub tag_separator: Option<String>,
    /// Node metadata pairs a node must have (prefer `filter` since Consul 1.14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-map-type" = "atomic"))]
    pub node_meta: Option<BTreeMap<String, String>>,
    /// Catalog filter expression (Prometheus >= 3.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub filter: Option<String>,
    /// Health filter expression (Prometheus >= 3.11.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub health_filter: Option<String>,
    /// Allow stale results, which lowers the load on Consul.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_stale: Option<bool>,
    /// How often targets are refreshed; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
