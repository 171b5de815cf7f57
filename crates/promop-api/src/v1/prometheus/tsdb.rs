//! Runtime-reloadable settings of the time series database.
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Duration;

/// Runtime-reloadable TSDB settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TsdbSpec {
    /// How far behind the newest sample out-of-order samples are still
    /// ingested (experimental).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_order_time_window: Option<Duration>,
    /// Ratio (0 to 1) of stale series in memory that triggers their
    /// compaction; 0 disables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_series_compaction_threshold: Option<Quantity>,
    /// Encodings of the chunk types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_encoding: Option<ChunkEncodingSpec>,
}

/// Encoding of float chunks.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ChunkEncodingFloats {
    Xor,
    Xor2,
}

/// Encodings of the chunk types.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChunkEncodingSpec {
    /// Encoding of float chunks (`Xor2` enables its feature flag; `Xor`
    /// conflicts with `st-storage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floats: Option<ChunkEncodingFloats>,
}

/// Runtime-reloadable exemplar settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Exemplars {
    /// Maximum number of exemplars kept in memory (0 or less disables the
    /// storage); needs the `exemplar-storage` feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<i64>,
}
