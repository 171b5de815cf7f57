//! Status of configuration resources and conditions of workloads.
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observed status of a configuration resource (ServiceMonitor, PodMonitor,
/// Probe, ScrapeConfig, PrometheusRule, AlertmanagerConfig).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResourceStatus {
    /// Workloads that select this resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "x-kubernetes-list-type" = "map",
        "x-kubernetes-list-map-keys" = ["group", "resource", "name", "namespace"]
    ))]
    pub bindings: Option<Vec<WorkloadBinding>>,
}

/// A workload (Prometheus, PrometheusAgent, ThanosRuler, Alertmanager) that
/// selects a configuration resource.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadBinding {
    /// API group of the workload.
    #[schemars(extend("enum" = ["monitoring.coreos.com"]))]
    pub group: String,
    /// Resource (plural) of the workload.
    #[schemars(extend("enum" = ["prometheuses", "prometheusagents", "thanosrulers", "alertmanagers"]))]
    pub resource: String,
    /// Name of the workload.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Namespace of the workload.
    #[schemars(length(min = 1))]
    pub namespace: String,
    /// State of the resource as seen by this workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Option<Vec<ConfigResourceCondition>>,
}

/// Condition of a configuration resource for one workload (only `Accepted`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResourceCondition {
    /// Condition type.
    #[serde(rename = "type")]
    #[schemars(length(min = 1), extend("enum" = ["Accepted"]))]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[schemars(length(min = 1))]
    pub status: String,
    /// When the status last changed.
    pub last_transition_time: Time,
    /// Machine-readable reason of the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable details of the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Generation of the object the condition was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Condition of a workload (Prometheus, Alertmanager, ThanosRuler, ...).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type (`Available`, `Reconciled`, ...).
    #[serde(rename = "type")]
    #[schemars(length(min = 1))]
    pub type_: String,
    /// `True`, `Degraded`, `False` or `Unknown`.
    #[schemars(length(min = 1))]
    pub status: String,
    /// When the status last changed.
    pub last_transition_time: Time,
    /// Machine-readable reason of the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable details of the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Generation of the object the condition was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
