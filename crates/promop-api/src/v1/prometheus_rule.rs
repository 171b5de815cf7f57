//! PrometheusRule (v1): alerting and recording rules.
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{ConfigResourceStatus, Duration, NonEmptyDuration};

/// Alerting and recording rules loaded by Prometheus and ThanosRuler.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PrometheusRule",
    plural = "prometheusrules",
    singular = "prometheusrule",
    shortname = "promrule",
    category = "prometheus-operator",
    status = "ConfigResourceStatus",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleSpec {
    /// Rule groups, unique by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub groups: Option<Vec<RuleGroup>>,
}

/// Rules evaluated one after the other at the same interval.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct RuleGroup {
    /// Group name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Labels added to (or overriding those of) the results of every rule;
    /// rule labels win. Ignored by ThanosRuler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Evaluation interval of the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Shift of the evaluation timestamp into the past. Not for ThanosRuler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_offset: Option<Duration>,
    /// Alerting and recording rules of the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Rule>>,
    /// ThanosRuler partial response strategy (`abort` or `warn`); ignored by Prometheus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^(?i)(abort|warn)?$"))]
    pub partial_response_strategy: Option<String>,
    /// Limit of the alerts (alerting rule) or series (recording rule) a rule may produce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::common::int::plain_integer")]
    pub limit: Option<i64>,
}

/// An alerting rule (`alert`) or a recording rule (`record`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Rule {
    /// Name of the recorded series (a valid metric name); excludes `alert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Name of the alert (a valid label value); excludes `record`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// PromQL expression.
    pub expr: IntOrString,
    /// How long the expression must hold before the alert fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#for: Option<Duration>,
    /// How long the alert keeps firing once the expression no longer holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_firing_for: Option<NonEmptyDuration>,
    /// Labels added to (or overriding those of) the results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations of the alerts (alerting rules only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}
