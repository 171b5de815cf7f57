//! PrometheusAgent (v1alpha1): Prometheus in agent mode (scrape and remote
//! write only: no rules, no querying, no Thanos sidecar).
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::v1::prometheus::{
    CommonPrometheusFields, PrometheusStatus, SHARDS_FOR_TOPOLOGY_MESSAGE, SHARDS_FOR_TOPOLOGY_RULE,
};

/// How the agent pods are deployed.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum PrometheusAgentMode {
    StatefulSet,
    DaemonSet,
}

/// Desired state of a Prometheus agent deployment.
//
// The CEL rule of `CommonPrometheusFields` is repeated here: schemars keeps
// only the outer struct's `x-kubernetes-validations` when flattening.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1alpha1",
    kind = "PrometheusAgent",
    plural = "prometheusagents",
    singular = "prometheusagent",
    shortname = "promagent",
    category = "prometheus-operator",
    namespaced,
    status = "PrometheusStatus",
    scale(
        spec_replicas_path = ".spec.shards",
        status_replicas_path = ".status.shards",
        label_selector_path = ".status.selector"
    ),
    printcolumn = r#"{"name":"Version","type":"string","description":"The version of Prometheus agent","jsonPath":".spec.version"}"#,
    printcolumn = r#"{"name":"Desired","type":"integer","description":"The number of desired replicas","jsonPath":".spec.replicas"}"#,
    printcolumn = r#"{"name":"Ready","type":"integer","description":"The number of ready replicas","jsonPath":".status.availableReplicas"}"#,
    printcolumn = r#"{"name":"Reconciled","type":"string","jsonPath":".status.conditions[?(@.type == 'Reconciled')].status"}"#,
    printcolumn = r#"{"name":"Available","type":"string","jsonPath":".status.conditions[?(@.type == 'Available')].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Paused","type":"boolean","description":"Whether the resource reconciliation is paused or not","jsonPath":".status.paused","priority":1}"#
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.replicas))", "message": "replicas cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.storage))", "message": "storage cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.shards) && self.shards > 1)", "message": "shards cannot be greater than 1 when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.persistentVolumeClaimRetentionPolicy))", "message": "persistentVolumeClaimRetentionPolicy cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.scrapeConfigSelector))", "message": "scrapeConfigSelector cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.probeSelector))", "message": "probeSelector cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.scrapeConfigNamespaceSelector))", "message": "scrapeConfigNamespaceSelector cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.probeNamespaceSelector))", "message": "probeNamespaceSelector cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.serviceMonitorSelector))", "message": "serviceMonitorSelector cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.serviceMonitorNamespaceSelector))", "message": "serviceMonitorNamespaceSelector cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.additionalScrapeConfigs))", "message": "additionalScrapeConfigs cannot be set when mode is DaemonSet"},
    {"rule": "!(has(self.mode) && self.mode == 'DaemonSet' && has(self.shardingStrategy))", "message": "shardingStrategy cannot be set when mode is DaemonSet"},
    {"rule": SHARDS_FOR_TOPOLOGY_RULE, "message": SHARDS_FOR_TOPOLOGY_MESSAGE},
]))]
pub struct PrometheusAgentSpec {
    /// Deploys the agent as a StatefulSet (default) or a DaemonSet (feature
    /// gated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<PrometheusAgentMode>,

    #[serde(flatten)]
    pub common: CommonPrometheusFields,
}
