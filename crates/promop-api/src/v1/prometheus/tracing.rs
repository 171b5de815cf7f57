//! Tracing of the Prometheus server.
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Duration, TlsConfig};

/// Where and how Prometheus exports its traces.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TracingConfig {
    /// Exporter protocol: `HTTP` or `GRPC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["http", "grpc", "HTTP", "GRPC"]))]
    pub client_type: Option<String>,
    /// Collector address, `<host>:<port>`.
    #[schemars(length(min = 1))]
    pub endpoint: String,
    /// Fraction of traces sampled, between 0 and 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_fraction: Option<Quantity>,
    /// Disables TLS towards the collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    /// Headers sent with the export requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Compression of the export requests (`gzip` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["gzip", "Gzip"]))]
    pub compression: Option<String>,
    /// Maximum time an export batch may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// TLS settings towards the collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
}
