//! Slack.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::HttpConfig;
use crate::common::Duration;

/// Notifications to Slack, as a message with one attachment. `S` is the
/// Secret key selector of the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the webhook URL.
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    pub api_url: Option<S>,
    /// Channel or user to notify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub channel: Option<String>,
    /// User name of the bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub username: Option<String>,
    /// Color of the attachment border: a hex code like `#ff0000` or a color name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub color: Option<String>,
    /// Title of the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub title: Option<String>,
    /// URL the title links to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_link: Option<String>,
    /// Text shown above the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub pretext: Option<String>,
    /// Main text of the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub text: Option<String>,
    /// Fields of the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("x-kubernetes-list-type" = "atomic"))]
    pub fields: Option<Vec<SlackField>>,
    /// Show the fields side by side when possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_fields: Option<bool>,
    /// Small text at the bottom of the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub footer: Option<String>,
    /// Plain-text summary for clients that cannot show attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub fallback: Option<String>,
    /// Identifier of the message for interactive components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub callback_id: Option<String>,
    /// Emoji used as the bot's avatar, e.g. `:ghost:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub icon_emoji: Option<String>,
    /// URL of an image used as the bot's avatar.
    #[serde(default, rename = "iconURL", skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// URL of an image shown in the attachment.
    #[serde(default, rename = "imageURL", skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// URL of an image shown as a thumbnail on the right of the attachment.
    #[serde(default, rename = "thumbURL", skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
    /// Turn channel names and user names into links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_names: Option<bool>,
    /// Parts parsed as Slack markdown: `pretext`, `text`, `fields`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(length(min = 1)), extend("x-kubernetes-list-type" = "atomic"))]
    pub mrkdwn_in: Option<Vec<String>>,
    /// Actions of the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("x-kubernetes-list-type" = "atomic"))]
    pub actions: Option<Vec<SlackAction>>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
    /// Maximum duration of a request before it fails and is retried
    /// (Alertmanager >= 0.30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Top-level text of the message (Alertmanager >= 0.31).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub message_text: Option<String>,
    /// Update the existing message when the alerts change instead of posting
    /// a new one; not possible with webhook URLs (Alertmanager >= 0.32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_message: Option<bool>,
}

/// Interactive element (button, menu) of a Slack attachment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackAction {
    /// Kind of element, e.g. `button` or `select`.
    #[serde(rename = "type")]
    #[schemars(length(min = 1))]
    pub type_: String,
    /// Label of the element.
    #[schemars(length(min = 1))]
    pub text: String,
    /// URL opened by a button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Appearance: `default`, `primary` or `danger`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub style: Option<String>,
    /// Identifier of the action, sent back when it is triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// Payload sent back when the action is triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub value: Option<String>,
    /// Confirmation asked before the action runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<SlackConfirmationField>,
}

/// Confirmation dialog of a Slack action.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackConfirmationField {
    /// Question asked.
    #[schemars(length(min = 1))]
    pub text: String,
    /// Title of the dialog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub title: Option<String>,
    /// Label of the confirmation button (Slack's default: `Okay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub ok_text: Option<String>,
    /// Label of the cancel button (Slack's default: `Cancel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub dismiss_text: Option<String>,
}

/// Field (title and value) of a Slack attachment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackField {
    /// Title of the field.
    #[schemars(length(min = 1))]
    pub title: String,
    /// Value of the field (plain text or Slack markdown).
    #[schemars(length(min = 1))]
    pub value: String,
    /// The field is short enough to be shown next to other short fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<bool>,
}
