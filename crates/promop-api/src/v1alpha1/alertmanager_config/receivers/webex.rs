//! Cisco Webex.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, URL_PATTERN};

/// Notifications to a Cisco Webex room. The bot token goes in the
/// `Authorization` header of `httpConfig`. `S` is the Secret key selector of
/// the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebexConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Webex API URL, e.g. `https://webexapis.com/v1/messages`.
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub api_url: Option<String>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
    /// Template of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// ID of the room to post to.
    #[serde(rename = "roomID")]
    #[schemars(length(min = 1))]
    pub room_id: String,
}
