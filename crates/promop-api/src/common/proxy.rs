//! HTTP proxy settings, meant to be `#[serde(flatten)]`ed into the types that use them.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Proxy used for outgoing HTTP requests.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyConfig {
    /// URL of the proxy server (`http`, `https` or `socks5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^(http|https|socks5)://.+$"))]
    pub proxy_url: Option<String>,
    /// Comma-separated IPs, CIDRs and domains (ports allowed) that bypass the proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_proxy: Option<String>,
    /// Take the proxy from the HTTP_PROXY, HTTPS_PROXY and NO_PROXY environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_from_environment: Option<bool>,
    /// Headers sent to the proxy on CONNECT requests, values read from Secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-map-type" = "atomic"))]
    pub proxy_connect_header: Option<BTreeMap<String, Vec<SecretKeySelector>>>,
}
