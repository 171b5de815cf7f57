//! WeChat Work.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, URL_PATTERN};

/// Notifications sent through the WeChat Work API. `S` is the Secret key
/// selector of the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeChatConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the API secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_secret: Option<S>,
    /// WeChat API URL.
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub api_url: Option<String>,
    /// Corporation ID.
    #[serde(default, rename = "corpID", skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub corp_id: Option<String>,
    /// ID of the sending application agent.
    #[serde(default, rename = "agentID", skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub agent_id: Option<String>,
    /// Recipient users, separated by `|`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub to_user: Option<String>,
    /// Recipient departments, separated by `|`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub to_party: Option<String>,
    /// Recipient tags, separated by `|`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub to_tag: Option<String>,
    /// API request data (the message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub message: Option<String>,
    /// Type of message, e.g. `text` or `markdown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub message_type: Option<String>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
}
