//! HTTP service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::URL_PATTERN;
use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::Duration;

/// Discovers targets from a JSON list served over HTTP.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpSdConfig {
    /// URL the target list is fetched from.
    #[schemars(regex(pattern = URL_PATTERN))]
    pub url: String,
    /// How often the list is fetched again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
