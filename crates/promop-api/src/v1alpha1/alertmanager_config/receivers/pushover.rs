//! Pushover.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, PUSHOVER_DURATION_PATTERN};
use crate::common::Duration;

/// Notifications to Pushover. Set `userKey` or `userKeyFile`, and `token` or
/// `tokenFile`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushoverConfig {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the user key of the recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_key: Option<SecretKeySelector>,
    /// File holding the user key of the recipient (Alertmanager >= 0.26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub user_key_file: Option<String>,
    /// Secret key holding the API token of the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretKeySelector>,
    /// File holding the API token of the application (Alertmanager >= 0.26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub token_file: Option<String>,
    /// Title of the notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub title: Option<String>,
    /// Body of the notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub message: Option<String>,
    /// Supplementary URL shown with the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Title of the supplementary URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub url_title: Option<String>,
    /// Time to live of the notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
    /// Device to notify (all the user's devices when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub device: Option<String>,
    /// Sound played by the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub sound: Option<String>,
    /// Priority of the notification (see <https://pushover.net/api#priority>).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub priority: Option<String>,
    /// Interval between retries of emergency (priority 2) notifications, at
    /// least 30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = PUSHOVER_DURATION_PATTERN))]
    pub retry: Option<String>,
    /// How long emergency (priority 2) notifications are retried unless
    /// acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = PUSHOVER_DURATION_PATTERN))]
    pub expire: Option<String>,
    /// The message is HTML; excludes `monospace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<bool>,
    /// Show the message in a monospace font; excludes `html`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monospace: Option<bool>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
}
