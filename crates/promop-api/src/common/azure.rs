//! Azure AD authentication (remote write).
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Azure AD authentication; set one of `managedIdentity`, `oauth`, `sdk`, `workloadIdentity`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureAd {
    /// Azure cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["AzureChina", "AzureGovernment", "AzurePublic"]))]
    pub cloud: Option<String>,
    /// User-assigned managed identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_identity: Option<ManagedIdentity>,
    /// OAuth client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<AzureOAuth>,
    /// Azure SDK default credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk: Option<AzureSdk>,
    /// Azure workload identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_identity: Option<AzureWorkloadIdentity>,
    /// Custom OAuth 2.0 scope requested with the tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[\w\s:/.\\-]+$"))]
    pub scope: Option<String>,
}

/// Azure AD application credentials.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureOAuth {
    /// Client ID of the application.
    #[schemars(length(min = 1))]
    pub client_id: String,
    /// Secret key holding the client secret of the application.
    pub client_secret: SecretKeySelector,
    /// Tenant ID of the application.
    #[schemars(length(min = 1), regex(pattern = r"^[0-9a-zA-Z-.]+$"))]
    pub tenant_id: String,
}

/// Azure managed identity.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedIdentity {
    /// Client ID of a user-assigned identity; empty selects the system-assigned identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub client_id: Option<String>,
}

/// Azure SDK authentication settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureSdk {
    /// Tenant ID of the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9a-zA-Z-.]+$"))]
    pub tenant_id: Option<String>,
}

/// Azure workload identity.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureWorkloadIdentity {
    /// Client ID of the application.
    #[schemars(length(min = 1))]
    pub client_id: String,
    /// Tenant ID of the application.
    #[schemars(length(min = 1))]
    pub tenant_id: String,
}
