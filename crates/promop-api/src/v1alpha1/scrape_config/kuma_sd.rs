//! Kuma service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::URL_PATTERN;
use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::Duration;

/// Discovers targets from the Kuma control plane.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KumaSdConfig {
    /// Address of the control plane's MADS xDS server.
    #[schemars(regex(pattern = URL_PATTERN))]
    pub server: String,
    /// Client ID the control plane uses to compute the monitoring assignment
    /// (Prometheus >= 2.50).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "clientID")]
    #[schemars(length(min = 1))]
    pub client_id: Option<String>,
    /// How often targets are refreshed; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Timeout of a monitoring assignment fetch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_timeout: Option<Duration>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
