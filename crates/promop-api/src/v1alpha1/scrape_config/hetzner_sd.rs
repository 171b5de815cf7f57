//! Hetzner service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::Duration;

/// Discovers servers of the Hetzner Cloud or Robot APIs (public IPv4 by
/// default).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HetznerSdConfig {
    /// API to discover from: `Hcloud` or `Robot`.
    #[schemars(extend("enum" = ["Hcloud", "Robot"]))]
    pub role: String,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
    /// Port of the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// How often servers are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Label selector applied when listing servers (Prometheus >= 3.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub label_selector: Option<String>,
}
