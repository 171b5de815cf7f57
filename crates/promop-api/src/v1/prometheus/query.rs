//! Query engine settings.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Duration;

/// Command-line settings of the query engine.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuerySpec {
    /// How far back a sample is looked up during expression evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback_delta: Option<String>,
    /// Number of queries run concurrently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_concurrency: Option<i32>,
    /// Maximum number of samples a query may load into memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_samples: Option<i32>,
    /// Maximum duration of a query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}
