//! Observed state of Prometheus and PrometheusAgent objects.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::v1::workload::WorkloadStatus;

/// Observed state of a Prometheus or PrometheusAgent (read-only).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusStatus {
    #[serde(flatten)]
    pub workload: WorkloadStatus,
    /// One entry per shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["shardID"]))]
    pub shard_statuses: Option<Vec<ShardStatus>>,
    /// Last observed number of shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<i32>,
    /// Label selector of the pods (for the scale subresource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
}

/// Summary of the pods of one shard.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShardStatus {
    /// Identifier of the shard.
    #[serde(rename = "shardID")]
    pub shard_id: String,
    /// Number of pods of the shard.
    pub replicas: i32,
    /// Number of non-terminated pods with the desired spec.
    pub updated_replicas: i32,
    /// Number of pods ready for at least `minReadySeconds`.
    pub available_replicas: i32,
    /// Number of unavailable pods.
    pub unavailable_replicas: i32,
}
