//! Static targets.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A fixed list of targets sharing one label set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaticConfig {
    /// Addresses (`host:port`) to scrape.
    #[schemars(length(min = 1), inner(length(min = 1)))]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub targets: Vec<String>,
    /// Labels added to every series scraped from these targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-map-type" = "atomic"))]
    pub labels: Option<BTreeMap<String, String>>,
}
