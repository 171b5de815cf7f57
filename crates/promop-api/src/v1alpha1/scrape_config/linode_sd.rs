//! Linode service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http_client::HttpClientConfig;
use crate::common::Duration;
use crate::common::{OAuth2, SafeAuthorization};

/// Discovers Linode instances through the Linode API v4.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinodeSdConfig {
    /// Region to restrict discovery to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub region: Option<String>,
    /// Port of the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// Separator used to join the instance tags into the tag label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub tag_separator: Option<String>,
    /// How often instances are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// `Authorization` header for the Linode API; exclusive with `oauth2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<SafeAuthorization>,
    /// OAuth 2.0 client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
