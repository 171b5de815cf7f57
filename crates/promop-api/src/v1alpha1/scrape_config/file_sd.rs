//! File-based service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Duration;

/// Pattern of a discovery file: a JSON or YAML file name, with at most one
/// `*` wildcard in its last path segment.
pub const SD_FILE_PATTERN: &str = r"^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$";

/// Discovers targets from files in the Prometheus container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileSdConfig {
    /// Files to read targets from (mounted through the Prometheus
    /// `configMaps` or `secrets`); prefer absolute paths.
    #[schemars(length(min = 1), inner(regex(pattern = SD_FILE_PATTERN)))]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub files: Vec<String>,
    /// How often the files are re-read; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
}
