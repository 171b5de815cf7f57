//! Google Compute Engine service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Duration;

/// Discovers GCE instances of one zone (private IP by default). Credentials
/// come from `GOOGLE_APPLICATION_CREDENTIALS`, pointing to a Secret mounted
/// through the Prometheus `secrets`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GceSdConfig {
    /// Google Cloud project ID.
    #[schemars(length(min = 1))]
    pub project: String,
    /// Zone of the instances (one discovery per zone).
    #[schemars(length(min = 1))]
    pub zone: String,
    /// Instance list filter, in the syntax of the `instances.list` API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub filter: Option<String>,
    /// How often instances are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Port of the targets (for the public IP, set it by relabeling instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// Separator used to join the instance tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub tag_separator: Option<String>,
}
