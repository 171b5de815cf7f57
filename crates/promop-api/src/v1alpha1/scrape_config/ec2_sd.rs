//! AWS EC2 service discovery.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Filter;
use super::http_client::HttpClientConfig;
use crate::common::Duration;

/// Discovers EC2 instances (private IP by default; relabel to use the
/// public one). Needs `ec2:DescribeInstances`; authenticates with AWS keys or
/// a role, hence no basic auth, authorization or OAuth 2.0.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ec2SdConfig {
    /// AWS region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub region: Option<String>,
    /// AWS access key ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<SecretKeySelector>,
    /// AWS secret access key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<SecretKeySelector>,
    /// ARN of a role to assume instead of using keys.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "roleARN")]
    #[schemars(length(min = 1))]
    pub role_arn: Option<String>,
    /// Port of the targets (for the public IP, set it by relabeling instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// How often instances are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// `DescribeInstances` filters (Prometheus >= 2.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub filters: Option<Vec<Filter>>,
    /// Proxy, TLS, redirect and HTTP/2 settings (Prometheus >= 2.41 for
    /// the last three).
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
