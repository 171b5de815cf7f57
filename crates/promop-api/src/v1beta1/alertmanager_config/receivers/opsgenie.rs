//! OpsGenie (v1beta1: no `updateAlerts`, lists without list type).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, KeyValue, OpsGenieConfigResponder, SecretKeySelector, URL_PATTERN};

/// Notifications to OpsGenie.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpsGenieConfig {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<SecretKeySelector>,
    /// OpsGenie API URL.
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub api_url: Option<String>,
    /// Alert text (at most 130 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub message: Option<String>,
    /// Description of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub description: Option<String>,
    /// Link back to the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub source: Option<String>,
    /// Comma-separated tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub tags: Option<String>,
    /// Extra note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub note: Option<String>,
    /// Priority, `P1` (highest) to `P5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub priority: Option<String>,
    /// Free-form details of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<KeyValue>>,
    /// Who is notified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responders: Option<Vec<OpsGenieConfigResponder>>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
    /// Domain the alert relates to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub entity: Option<String>,
    /// Comma-separated actions offered on the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub actions: Option<String>,
}
