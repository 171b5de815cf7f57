//! Discord.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, URL_PATTERN};

/// Notifications to a Discord webhook. `S` is the Secret key selector of the
/// API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscordConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the webhook URL (Secret in the object's namespace).
    #[serde(rename = "apiURL")]
    pub api_url: SecretKeySelector,
    /// Template of the message title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Template of the message body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Template of the message content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub content: Option<String>,
    /// User name of the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub username: Option<String>,
    /// Avatar URL of the sender.
    #[serde(default, rename = "avatarURL", skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub avatar_url: Option<String>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
}
