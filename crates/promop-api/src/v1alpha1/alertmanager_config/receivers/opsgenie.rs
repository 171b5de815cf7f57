//! OpsGenie.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, KeyValue, URL_PATTERN};

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
    /// Update the message and description of an existing alert (by default
    /// they only go to its activity log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_alerts: Option<bool>,
    /// Free-form details of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub details: Option<Vec<KeyValue>>,
    /// Who is notified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
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

/// Responder of an OpsGenie incident, designated by one of `id`, `name`,
/// `username`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpsGenieConfigResponder {
    /// OpsGenie ID of the responder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub id: Option<String>,
    /// Name of the responder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// User name of a user responder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub username: Option<String>,
    /// Kind of responder.
    #[serde(rename = "type")]
    pub type_: OpsGenieResponderType,
}

/// Kind of OpsGenie responder.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(extend("minLength" = 1))]
pub enum OpsGenieResponderType {
    Team,
    Teams,
    User,
    Escalation,
    Schedule,
}
