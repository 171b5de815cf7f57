//! Nomad service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::URL_PATTERN;
use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::Duration;

/// Discovers targets from the Nomad service API.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NomadSdConfig {
    /// Allow stale reads from the Nomad API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_stale: Option<bool>,
    /// Nomad namespace to query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
    /// How often services are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Nomad region to query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub region: Option<String>,
    /// URL of the Nomad server, e.g. `https://nomad.example.com:4646`.
    #[schemars(regex(pattern = URL_PATTERN))]
    pub server: String,
    /// Separator used to join the service tags into one label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub tag_separator: Option<String>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
