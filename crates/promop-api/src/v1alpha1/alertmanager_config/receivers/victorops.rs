//! VictorOps (Splunk On-Call).
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, KeyValue, URL_PATTERN};

/// Notifications to VictorOps. `S` is the Secret key selector of the API
/// version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VictorOpsConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<S>,
    /// VictorOps API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub api_url: Option<String>,
    /// Key mapping the alert to a team.
    #[schemars(length(min = 1))]
    pub routing_key: String,
    /// Behaviour of the alert: `CRITICAL`, `WARNING` or `INFO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub message_type: Option<String>,
    /// Summary of the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub entity_display_name: Option<String>,
    /// Long explanation of the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub state_message: Option<String>,
    /// Monitoring tool the state message comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub monitoring_tool: Option<String>,
    /// Extra fields of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub custom_fields: Option<Vec<KeyValue>>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
}
