//! Prometheus (v1): a Prometheus server deployment managed by the operator.
//!
//! [`CommonPrometheusFields`] is shared with PrometheusAgent (v1alpha1), as is
//! [`PrometheusStatus`]; [`RemoteWriteSpec`] is also used by ThanosRuler.
mod alerting;
mod apiserver;
mod common_fields;
mod otlp;
mod query;
mod remote_read;
mod remote_write;
mod scrape_class;
mod sharding;
mod status;
mod thanos;
mod topology;
mod tracing;
mod tsdb;
mod web;

use k8s_openapi::api::core::v1::SecretKeySelector;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use alerting::{
    AlertingSpec, AlertmanagerApiVersion, AlertmanagerEndpoints, Rules, RulesAlert,
};
pub use apiserver::ApiServerConfig;
pub use common_fields::{
    ArbitraryFsAccessThroughSmsConfig, CommonPrometheusFields, ReloadStrategyType, RuntimeConfig,
    SHARDS_FOR_TOPOLOGY_MESSAGE, SHARDS_FOR_TOPOLOGY_RULE,
};
pub use otlp::{OtlpConfig, TranslationStrategyOption};
pub use query::QuerySpec;
pub use remote_read::RemoteReadSpec;
pub use remote_write::{MetadataConfig, QueueConfig, RemoteWriteMessageVersion, RemoteWriteSpec};
pub use scrape_class::ScrapeClass;
pub use sharding::{
    RetainConfig, ShardRetentionPolicy, ShardingStrategy, ShardingStrategyMode,
    TopologyShardingStrategy, WhenScaledRetentionType,
};
pub use status::{PrometheusStatus, ShardStatus};
pub use thanos::ThanosSpec;
pub use topology::{AdditionalLabelSelectors, TopologySpreadConstraint};
pub use tracing::TracingConfig;
pub use tsdb::{ChunkEncodingFloats, ChunkEncodingSpec, Exemplars, TsdbSpec};
pub use web::PrometheusWebSpec;

use crate::common::{ByteSize, Duration};
use crate::v1::workload::PrometheusRuleExcludeConfig;

/// Desired state of a Prometheus deployment: one StatefulSet per shard, with
/// the scrape and rule configuration built from the selected monitoring
/// objects.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "Prometheus",
    plural = "prometheuses",
    singular = "prometheus",
    shortname = "prom",
    category = "prometheus-operator",
    namespaced,
    status = "PrometheusStatus",
    scale(
        spec_replicas_path = ".spec.shards",
        status_replicas_path = ".status.shards",
        label_selector_path = ".status.selector"
    ),
    printcolumn = r#"{"name":"Version","type":"string","description":"The version of Prometheus","jsonPath":".spec.version"}"#,
    printcolumn = r#"{"name":"Desired","type":"integer","description":"The number of desired replicas","jsonPath":".spec.replicas"}"#,
    printcolumn = r#"{"name":"Ready","type":"integer","description":"The number of ready replicas","jsonPath":".status.availableReplicas"}"#,
    printcolumn = r#"{"name":"Reconciled","type":"string","jsonPath":".status.conditions[?(@.type == 'Reconciled')].status"}"#,
    printcolumn = r#"{"name":"Available","type":"string","jsonPath":".status.conditions[?(@.type == 'Available')].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Paused","type":"boolean","description":"Whether the resource reconciliation is paused or not","jsonPath":".status.paused","priority":1}"#
)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusSpec {
    #[serde(flatten)]
    pub common: CommonPrometheusFields,

    /// Deprecated: use `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
    /// Deprecated: use `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Deprecated: use `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,

    /// How long data is kept (24h when none of this, `retentionSize` and
    /// `retentionPercentage` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Duration>,
    /// Maximum size of the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_size: Option<ByteSize>,
    /// Maximum percentage (0 to 100; 0 disables it) of the data volume's
    /// capacity used by the data (Prometheus >= v3.11.0, ignored before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_percentage: Option<Quantity>,
    /// What happens to shards removed by a scale-down (feature gated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_retention_policy: Option<ShardRetentionPolicy>,
    /// Disables local block compaction. When unset and the Thanos sidecar
    /// uploads blocks, the operator picks a safe default by version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_compaction: Option<bool>,

    /// Settings of the rule engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Rules>,
    /// Deprecated: PrometheusRules exempt from namespace label enforcement;
    /// use `excludedFromEnforcement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_rules_excluded_from_enforce: Option<Vec<PrometheusRuleExcludeConfig>>,
    /// PrometheusRules to evaluate; empty selects all, null none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_selector: Option<LabelSelector>,
    /// Namespaces searched for PrometheusRules; empty selects all, null only
    /// the object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_namespace_selector: Option<LabelSelector>,

    /// Settings of the query engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<QuerySpec>,
    /// Alertmanagers to send alerts to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerting: Option<AlertingSpec>,
    /// Secret key with extra alert relabel configurations appended as-is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_alert_relabel_configs: Option<SecretKeySelector>,
    /// Secret key with extra Alertmanager configurations appended as-is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_alert_manager_configs: Option<SecretKeySelector>,
    /// Remote-read endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_read: Option<Vec<RemoteReadSpec>>,
    /// Thanos sidecar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanos: Option<ThanosSpec>,
    /// File where PromQL queries are logged (a bare file name goes to
    /// `/var/log/prometheus`; another directory must be a writable volume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_log_file: Option<String>,
    /// Deprecated, no effect since Prometheus 2.39: enables overlapping blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_overlapping_blocks: Option<bool>,
    /// Runtime-reloadable exemplar settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemplars: Option<Exemplars>,
    /// Interval between rule evaluations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "30s"))]
    pub evaluation_interval: Option<Duration>,
    /// Shifts the evaluation timestamp of rules into the past.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_query_offset: Option<Duration>,
    /// Enables the TSDB admin API (mutating endpoints; protect it).
    #[serde(
        default,
        rename = "enableAdminAPI",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_admin_api: Option<bool>,
}
