//! Field groups that many service discoveries share, flattened into them
//! (their upstream schemas are identical wherever they appear; `HttpClientAuth`
//! also holds the scrape-level credentials of `ScrapeConfigSpec`).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{BasicAuth, OAuth2, ProxyConfig, SafeAuthorization, SafeTlsConfig};

/// HTTP client settings used to talk to a discovery API: proxy, TLS,
/// redirects and HTTP/2.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpClientConfig {
    /// Proxy used to reach the discovery API.
    #[serde(flatten)]
    pub proxy: ProxyConfig,
    /// TLS settings for the connection to the discovery API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
    /// Whether HTTP 3xx redirects are followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Whether HTTP/2 may be used.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "enableHTTP2"
    )]
    pub enable_http2: Option<bool>,
}

/// Credentials of the HTTP requests; at most one kind should be set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpClientAuth {
    /// Basic authentication (username and password from Secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// `Authorization` header built from a Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<SafeAuthorization>,
    /// OAuth 2.0 client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
}
