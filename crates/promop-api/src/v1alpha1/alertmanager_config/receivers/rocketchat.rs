//! Rocket.Chat.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, URL_PATTERN};

/// Notifications to Rocket.Chat (Alertmanager >= 0.28).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RocketChatConfig {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Rocket.Chat API URL (`https://open.rocket.chat/` when unset).
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub api_url: Option<String>,
    /// Channel (e.g. `#alerts`) or user to notify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub channel: Option<String>,
    /// Secret key holding the access token of the sender.
    pub token: SecretKeySelector,
    /// Secret key holding the user ID of the token.
    #[serde(rename = "tokenID")]
    pub token_id: SecretKeySelector,
    /// Color of the bar next to the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub color: Option<String>,
    /// Emoji used as avatar; wins over `iconURL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub emoji: Option<String>,
    /// URL of the avatar image.
    #[serde(default, rename = "iconURL", skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// Text of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub text: Option<String>,
    /// Title of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub title: Option<String>,
    /// URL the title links to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub title_link: Option<String>,
    /// Fields of the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("x-kubernetes-list-type" = "atomic"))]
    pub fields: Option<Vec<RocketChatFieldConfig>>,
    /// Show the fields side by side when possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_fields: Option<bool>,
    /// URL of an image shown in the message.
    #[serde(default, rename = "imageURL", skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// URL of a thumbnail shown next to the message.
    #[serde(default, rename = "thumbURL", skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
    /// Turn `@user` and `#channel` mentions into links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_names: Option<bool>,
    /// Buttons of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("x-kubernetes-list-type" = "atomic"))]
    pub actions: Option<Vec<RocketChatActionConfig>>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
}

/// Field (title and value) of a Rocket.Chat message.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RocketChatFieldConfig {
    /// Title of the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub title: Option<String>,
    /// Value of the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub value: Option<String>,
    /// The field may be shown next to other short fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<bool>,
}

/// Button of a Rocket.Chat message.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RocketChatActionConfig {
    /// Label of the button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub text: Option<String>,
    /// URL opened by the button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Message posted to the channel by the button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub msg: Option<String>,
}
