//! Web server settings (`--web.config.file`) of the workload kinds.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretOrConfigMap;

/// Content of the web configuration file; flattened into the `web` specs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebConfigFileFields {
    /// TLS settings of the HTTPS server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<WebTlsConfig>,
    /// HTTP settings of the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<WebHttpConfig>,
}

/// HTTP settings of a web server.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebHttpConfig {
    /// Enable HTTP/2 (only with TLS); changing it rolls the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http2: Option<bool>,
    /// Headers added to HTTP responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<WebHttpHeaders>,
}

/// Security headers added to HTTP responses (unset when empty).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebHttpHeaders {
    /// `Content-Security-Policy` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_security_policy: Option<String>,
    /// `X-Frame-Options` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["", "Deny", "SameOrigin"]))]
    pub x_frame_options: Option<String>,
    /// `X-Content-Type-Options` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["", "NoSniff"]))]
    pub x_content_type_options: Option<String>,
    /// `X-XSS-Protection` header.
    #[serde(
        default,
        rename = "xXSSProtection",
        skip_serializing_if = "Option::is_none"
    )]
    pub x_xss_protection: Option<String>,
    /// `Strict-Transport-Security` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_transport_security: Option<String>,
}

/// TLS settings of a web server.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebTlsConfig {
    /// Server certificate from a Secret or ConfigMap; excludes `certFile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<SecretOrConfigMap>,
    /// Path of the server certificate; excludes `cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// Secret key holding the server private key; excludes `keyFile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_secret: Option<SecretKeySelector>,
    /// Path of the server private key; excludes `keySecret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// CA used to verify client certificates; excludes `clientCAFile`.
    #[serde(default, rename = "client_ca", skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<SecretOrConfigMap>,
    /// Path of the CA used to verify client certificates; excludes `client_ca`.
    #[serde(
        default,
        rename = "clientCAFile",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_ca_file: Option<String>,
    /// Policy for client certificates (Go `tls.ClientAuthType` names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth_type: Option<String>,
    /// Lowest TLS version accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    /// Highest TLS version accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_version: Option<String>,
    /// Cipher suites accepted up to TLS 1.2 (Go names); Go's defaults when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suites: Option<Vec<String>>,
    /// Prefer the server's cipher suite order over the client's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefer_server_cipher_suites: Option<bool>,
    /// Elliptic curves for ECDHE, in order of preference (Go names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve_preferences: Option<Vec<String>>,
}
