//! Alerting: Alertmanagers to notify, and the rule engine's alert settings.
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    BasicAuth, Duration, ProxyConfig, RelabelConfig, SafeAuthorization, Scheme, Sigv4, TlsConfig,
};

/// Alertmanagers that Prometheus sends alerts to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertingSpec {
    /// Endpoints of the Alertmanagers.
    pub alertmanagers: Vec<AlertmanagerEndpoints>,
}

/// Version of the Alertmanager API (only v2 exists for Prometheus 3).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(transparent)]
pub struct AlertmanagerApiVersion(
    #[schemars(extend("enum" = ["v1", "V1", "v2", "V2"]))] pub String,
);

/// An Endpoints object listing Alertmanager addresses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerEndpoints {
    /// Namespace of the Endpoints object (the Prometheus object's by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
    /// Name of the Endpoints object.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Port of the Alertmanager API.
    pub port: IntOrString,
    /// Scheme of the requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// Path prefix of the requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub path_prefix: Option<String>,
    /// TLS settings towards Alertmanager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    /// Basic authentication (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// Deprecated: file holding a bearer token; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<String>,
    /// Authorization header (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<SafeAuthorization>,
    /// AWS Signature Version 4 signing (exclusive with the other
    /// authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<Sigv4>,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
    /// Alertmanager API version (ignored by Prometheus 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<AlertmanagerApiVersion>,
    /// Timeout of the requests sending alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Enables HTTP/2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_http2: Option<bool>,
    /// Relabelings applied to the discovered Alertmanagers.
    #[serde(
        default,
        rename = "relabelings",
        skip_serializing_if = "Option::is_none"
    )]
    pub relabelings: Option<Vec<RelabelConfig>>,
    /// Relabelings applied to the alerts sent to these Alertmanagers.
    #[serde(
        default,
        rename = "alertRelabelings",
        skip_serializing_if = "Option::is_none"
    )]
    pub alert_relabelings: Option<Vec<RelabelConfig>>,
}

/// Settings of the rule engine.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    /// Alerting settings; changing them restarts the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<RulesAlert>,
}

/// Alerting settings of the rule engine.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RulesAlert {
    /// Longest Prometheus outage after which the `for` state of alerts is
    /// still restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_outage_tolerance: Option<String>,
    /// Minimum time between an alert and its restored `for` state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_grace_period: Option<String>,
    /// Minimum time before resending an alert to Alertmanager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_delay: Option<String>,
}
