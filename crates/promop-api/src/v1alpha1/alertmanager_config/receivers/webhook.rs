//! Generic webhook.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::HttpConfig;
use crate::common::Duration;

/// Notifications posted to any endpoint accepting the Alertmanager webhook
/// payload. `S` is the Secret key selector of the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// URL to post to; set this or `urlSecret` (which wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Secret key holding the URL to post to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_secret: Option<S>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
    /// Maximum number of alerts per message; 0 means all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_alerts: Option<i32>,
    /// Maximum duration of a request before it fails and is retried
    /// (Alertmanager >= 0.28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Go template of a custom payload (Alertmanager >= 0.32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub payload: Option<String>,
}
