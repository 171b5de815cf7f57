//! Microsoft Teams (message cards).
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::HttpConfig;

/// Notifications to a Microsoft Teams incoming webhook (Alertmanager >= 0.26).
/// `S` is the Secret key selector of the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MsTeamsConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the webhook URL.
    pub webhook_url: SecretKeySelector,
    /// Template of the message title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Template of the summary shown in previews (Alertmanager >= 0.27).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Template of the message body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
}
