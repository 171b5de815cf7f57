//! PuppetDB service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::URL_PATTERN;
use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::Duration;

/// Discovers targets from PuppetDB resources.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PuppetDbSdConfig {
    /// URL of the PuppetDB root query endpoint.
    #[schemars(regex(pattern = URL_PATTERN))]
    pub url: String,
    /// PQL query selecting resources.
    #[schemars(length(min = 1))]
    pub query: String,
    /// Expose the resource parameters as meta labels (they become visible in
    /// the Prometheus UI and API: beware of secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_parameters: Option<bool>,
    /// How often resources are queried again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Port of the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
