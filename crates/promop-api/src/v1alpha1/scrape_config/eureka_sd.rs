//! Eureka service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::URL_PATTERN;
use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::Duration;

/// Discovers one target per application instance registered in Eureka.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EurekaSdConfig {
    /// URL of the Eureka server.
    #[schemars(regex(pattern = URL_PATTERN))]
    pub server: String,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
    /// How often instances are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
}
