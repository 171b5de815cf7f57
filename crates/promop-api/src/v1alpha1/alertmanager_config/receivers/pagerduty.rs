//! PagerDuty.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{HttpConfig, KeyValue, URL_PATTERN};
use crate::common::Duration;

/// Notifications to PagerDuty. Set `routingKey` (Events API v2) or
/// `serviceKey`. `S` is the Secret key selector of the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PagerDutyConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Secret key holding the integration key (Events API v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<S>,
    /// Secret key holding the service key ("Prometheus" integration type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_key: Option<S>,
    /// URL requests are sent to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub url: Option<String>,
    /// Client identification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub client: Option<String>,
    /// Link back to the sender of the notification.
    #[serde(default, rename = "clientURL", skip_serializing_if = "Option::is_none")]
    pub client_url: Option<String>,
    /// Description of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub description: Option<String>,
    /// Severity of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub severity: Option<String>,
    /// Class (type) of the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub class: Option<String>,
    /// Cluster or group of sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub group: Option<String>,
    /// Broken part or component of the affected system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub component: Option<String>,
    /// Free-form details of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub details: Option<Vec<KeyValue>>,
    /// Images attached to the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub pager_duty_image_configs: Option<Vec<PagerDutyImageConfig>>,
    /// Links attached to the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub pager_duty_link_configs: Option<Vec<PagerDutyLinkConfig>>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
    /// Unique location of the affected system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub source: Option<String>,
    /// Maximum duration of a request to PagerDuty (Alertmanager >= 0.30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

/// Image attached to a PagerDuty incident.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PagerDutyImageConfig {
    /// Source of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub src: Option<String>,
    /// URL opened when the image is clicked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Alternative text of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub alt: Option<String>,
}

/// Link attached to a PagerDuty incident.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PagerDutyLinkConfig {
    /// URL of the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Text of the link.
    #[serde(default, rename = "alt", skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub alt: Option<String>,
}
