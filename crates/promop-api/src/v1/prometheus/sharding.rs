//! Sharding of targets over Prometheus shards, and retention of removed shards.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Duration;

/// How targets are assigned to shards.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ShardingStrategyMode {
    Address,
    Topology,
}

/// How targets are distributed over the shards.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!has(self.topology) || (has(self.mode) && self.mode == 'Topology')",
    "message": "topology can only be defined when mode is set to 'Topology'",
}]))]
pub struct ShardingStrategy {
    /// `Address` (default) hashes the target address; `Topology` gives each
    /// shard one topology zone and only its targets (feature gated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ShardingStrategyMode>,
    /// Settings of the `Topology` mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<TopologyShardingStrategy>,
}

/// Settings of topology-aware sharding.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopologyShardingStrategy {
    /// External label holding the shard's zone (`zone` by default, none when
    /// empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_label_name: Option<String>,
    /// Topology values (e.g. zones) to shard on; there must be at least as
    /// many shards as values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub values: Option<Vec<String>>,
}

/// What happens to the pods of shards removed by a scale-down.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum WhenScaledRetentionType {
    Retain,
    Delete,
}

/// Retention policy of the shards removed by a scale-down.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShardRetentionPolicy {
    /// `Delete` (default) removes the pods; `Retain` keeps them so that their
    /// data can still be queried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_scaled: Option<WhenScaledRetentionType>,
    /// How long retained shards are kept (the data retention by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain: Option<RetainConfig>,
}

/// How long removed shards are kept.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetainConfig {
    /// Time before removed shards are deleted.
    pub retention_period: Duration,
}
