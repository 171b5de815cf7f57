//! Remote read of samples.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Authorization, BasicAuth, Duration, OAuth2, ProxyConfig, TlsConfig, Url};

/// An endpoint samples are read back from.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteReadSpec {
    /// URL of the endpoint (HTTP or HTTPS).
    pub url: Url,
    /// Unique name of the read configuration, used in metrics and logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Equality matchers a selector must contain for the endpoint to be
    /// queried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_matchers: Option<BTreeMap<String, String>>,
    /// Timeout of the requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_timeout: Option<Duration>,
    /// HTTP headers of the requests (those set by Prometheus cannot be
    /// overridden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Also reads time ranges the local storage fully covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_recent: Option<bool>,
    /// OAuth2 credentials (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// Basic authentication (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// Deprecated: file holding a bearer token; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<String>,
    /// Authorization header (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Deprecated: bearer token in clear text; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<String>,
    /// TLS settings towards the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
    /// Follows HTTP 3xx redirects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Uses the external labels as selectors of the remote reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_external_labels: Option<bool>,
}
