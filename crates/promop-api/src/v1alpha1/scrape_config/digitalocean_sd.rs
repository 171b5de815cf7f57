//! DigitalOcean service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http_client::HttpClientConfig;
use crate::common::Duration;
use crate::common::{OAuth2, SafeAuthorization};

/// Discovers DigitalOcean droplets (public IPv4 by default).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DigitalOceanSdConfig {
    /// `Authorization` header for the DigitalOcean API; exclusive with `oauth2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<SafeAuthorization>,
    /// OAuth 2.0 client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
    /// Port of the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// How often droplets are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
}
