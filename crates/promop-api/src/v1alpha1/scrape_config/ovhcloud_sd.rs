//! OVHcloud service discovery.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Duration;

/// OVHcloud product whose servers are discovered.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum OvhService {
    #[default]
    #[serde(rename = "VPS")]
    Vps,
    DedicatedServer,
}

/// Discovers OVHcloud VPS or dedicated servers through the OVHcloud API.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OvhCloudSdConfig {
    /// Application key of the API credentials.
    #[schemars(length(min = 1))]
    pub application_key: String,
    /// Application secret of the API credentials.
    pub application_secret: SecretKeySelector,
    /// Consumer key of the API credentials.
    pub consumer_key: SecretKeySelector,
    /// Product to discover.
    pub service: OvhService,
    /// Custom API endpoint; the region's standard one when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub endpoint: Option<String>,
    /// How often servers are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
}
