//! Scaleway service discovery.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::URL_PATTERN;
use super::http_client::HttpClientConfig;
use crate::common::Duration;

/// Scaleway product whose servers are discovered.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ScalewayRole {
    #[default]
    Instance,
    Baremetal,
}

/// Discovers Scaleway instances or bare-metal servers. Credentials come
/// from Secrets only (no `*_file` variants).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScalewaySdConfig {
    /// Access key of the API credentials.
    #[schemars(length(min = 1))]
    pub access_key: String,
    /// Secret key of the API credentials.
    pub secret_key: SecretKeySelector,
    /// Project the targets belong to.
    #[serde(rename = "projectID")]
    #[schemars(length(min = 1))]
    pub project_id: String,
    /// Product to discover.
    pub role: ScalewayRole,
    /// Port of the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// Base URL of the Scaleway API.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "apiURL")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub api_url: Option<String>,
    /// Availability zone of the targets (e.g. `fr-par-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub zone: Option<String>,
    /// Server name filter (substring match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub name_filter: Option<String>,
    /// Tags a server must all carry to be listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(length(min = 1)))]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub tags_filter: Option<Vec<String>>,
    /// How often servers are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
