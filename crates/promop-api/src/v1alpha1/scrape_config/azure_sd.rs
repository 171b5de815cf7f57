//! Azure service discovery.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http_client::{HttpClientAuth, HttpClientConfig};
use crate::common::Duration;

/// How the Azure discovery authenticates.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum AzureAuthenticationMethod {
    #[default]
    OAuth,
    ManagedIdentity,
    #[serde(rename = "SDK")]
    Sdk,
    WorkloadIdentity,
}

/// Discovers Azure virtual machines.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureSdConfig {
    /// Azure environment (cloud) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub environment: Option<String>,
    /// Authentication method; `SDK` reads the environment variables of the
    /// Azure SDK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_method: Option<AzureAuthenticationMethod>,
    /// Subscription ID.
    #[serde(rename = "subscriptionID")]
    #[schemars(length(min = 1))]
    pub subscription_id: String,
    /// Tenant ID (OAuth only).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "tenantID")]
    #[schemars(length(min = 1))]
    pub tenant_id: Option<String>,
    /// Client ID (OAuth only).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "clientID")]
    #[schemars(length(min = 1))]
    pub client_id: Option<String>,
    /// Client secret (OAuth only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretKeySelector>,
    /// Restrict discovery to this resource group (Prometheus >= 2.35).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub resource_group: Option<String>,
    /// How often VMs are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Port of the targets (for the public IP, set it by relabeling instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
