//! HTTP client settings (authentication, TLS, redirects, HTTP/2, proxy), in
//! the combinations the kinds embed with `#[serde(flatten)]`.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{BasicAuth, OAuth2, ProxyConfig, SafeAuthorization, SafeTlsConfig, TlsConfig};

/// HTTP client settings without TLS.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpConfigWithoutTls {
    /// `Authorization` header; excludes `basicAuth`, `oauth2` and `bearerTokenSecret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<SafeAuthorization>,
    /// Basic authentication; excludes `authorization`, `oauth2` and `bearerTokenSecret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// OAuth2 authentication; excludes `authorization`, `basicAuth` and `bearerTokenSecret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// Secret key holding a bearer token (deprecated: use `authorization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_secret: Option<SecretKeySelector>,
    /// Follow HTTP 3xx redirects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Enable HTTP/2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_http2: Option<bool>,
}

/// HTTP client settings with TLS from Secrets and ConfigMaps only.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpConfig {
    #[serde(flatten)]
    pub http: HttpConfigWithoutTls,
    /// TLS settings of the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
}

/// HTTP client settings whose TLS may use container files.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpConfigWithTlsFiles {
    #[serde(flatten)]
    pub http: HttpConfigWithoutTls,
    /// TLS settings of the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
}

/// [`HttpConfig`] plus proxy settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct HttpConfigWithProxy {
    #[serde(flatten)]
    pub http: HttpConfig,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
}

/// [`HttpConfigWithTlsFiles`] plus proxy settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct HttpConfigWithProxyAndTlsFiles {
    #[serde(flatten)]
    pub http: HttpConfigWithTlsFiles,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
}
