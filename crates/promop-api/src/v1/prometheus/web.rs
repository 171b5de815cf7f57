//! Web server of Prometheus.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::v1::workload::WebConfigFileFields;

/// Settings of the Prometheus web server.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusWebSpec {
    #[serde(flatten)]
    pub config: WebConfigFileFields,
    /// Title of the web pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_title: Option<String>,
    /// Maximum number of simultaneous connections (0 refuses all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_connections: Option<i32>,
}
