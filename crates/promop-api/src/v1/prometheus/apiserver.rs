//! Access to the Kubernetes API server for service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Authorization, BasicAuth, ProxyConfig, TlsConfig};

/// How Prometheus reaches the Kubernetes API server.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerConfig {
    /// Host name or IP address of the API server, optionally with a port.
    pub host: String,
    /// Basic authentication (exclusive with the other credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// Deprecated: file holding a bearer token; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<String>,
    /// TLS settings towards the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    /// Authorization header (exclusive with the other credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Deprecated: bearer token in clear text; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<String>,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
}
