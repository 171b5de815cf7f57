//! HTTP client settings of the receivers.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{BasicAuth, OAuth2, ProxyConfig, SafeAuthorization, SafeTlsConfig};

/// HTTP client used by a receiver to reach its API. `S` is the Secret key
/// selector of the API version (it only types `bearerTokenSecret`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpConfig<S = SecretKeySelector> {
    /// `Authorization` header; excludes `basicAuth` (Alertmanager >= 0.22).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<SafeAuthorization>,
    /// Basic authentication; wins over `authorization` when both are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// OAuth2 client credentials used to obtain a token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// Secret key holding a bearer token (Secret in the object's namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_secret: Option<S>,
    /// TLS settings of the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
    /// Proxy URL; wins over `proxyUrl` when both are set.
    #[serde(default, rename = "proxyURL", skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
    /// Follow HTTP 3xx redirects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Use HTTP/2 (set to false to disable it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_http2: Option<bool>,
}
