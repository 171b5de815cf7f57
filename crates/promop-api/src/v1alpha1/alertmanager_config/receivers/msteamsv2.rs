//! Microsoft Teams (adaptive cards, for Teams flows).
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::HttpConfig;

/// Notifications to a Microsoft Teams webhook accepting adaptive cards
/// (Alertmanager >= 0.28). `S` is the Secret key selector of the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MsTeamsV2Config<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the webhook URL.
    #[serde(
        default,
        rename = "webhookURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub webhook_url: Option<SecretKeySelector>,
    /// Template of the card title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub title: Option<String>,
    /// Template of the card body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub text: Option<String>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
}
