//! Telegram.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, URL_PATTERN};

/// Formatting syntax of Telegram messages.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum TelegramParseMode {
    MarkdownV2,
    Markdown,
    #[serde(rename = "HTML")]
    Html,
}

/// Notifications sent by a Telegram bot. Set `botToken` or `botTokenFile`.
/// `S` is the Secret key selector of the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TelegramConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Telegram API URL, e.g. `https://api.telegram.org`.
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub api_url: Option<String>,
    /// Secret key holding the bot token; excludes `botTokenFile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<S>,
    /// File holding the bot token; excludes `botToken` (Alertmanager >= 0.26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token_file: Option<String>,
    /// ID of the chat (user, group or channel) to post to.
    #[serde(rename = "chatID")]
    pub chat_id: i64,
    /// ID of the topic of a group (Alertmanager >= 0.26).
    #[serde(
        default,
        rename = "messageThreadID",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_thread_id: Option<i64>,
    /// Template of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Send messages silently (no notification sound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_notifications: Option<bool>,
    /// Formatting syntax of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<TelegramParseMode>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
}
