//! `spec.web`: flags and web configuration file of Alertmanager's HTTP server.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::v1::workload::{WebHttpConfig, WebTlsConfig};

/// Settings of Alertmanager's web server.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerWebSpec {
    /// TLS settings of the web server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<WebTlsConfig>,
    /// HTTP settings of the web server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<WebHttpConfig>,
    /// Maximum number of GET requests served concurrently
    /// (`--web.get-concurrency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub get_concurrency: Option<i32>,
    /// Timeout of HTTP requests (`--web.timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub timeout: Option<i32>,
}
