//! OpenStack service discovery.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::URL_PATTERN;
use crate::common::{Duration, SafeTlsConfig};

/// Kind of OpenStack entity turned into targets.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum OpenStackRole {
    #[default]
    Instance,
    Hypervisor,
    LoadBalancer,
}

/// Discovers OpenStack Nova instances, hypervisors or load balancers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenStackSdConfig {
    /// Kind of entity to discover (`LoadBalancer` needs Prometheus >= 3.2).
    pub role: OpenStackRole,
    /// OpenStack region.
    #[schemars(length(min = 1))]
    pub region: String,
    /// Endpoint of the Identity API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub identity_endpoint: Option<String>,
    /// User name (Identity v2; with v3, give `userid` or a user name plus a
    /// domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub username: Option<String>,
    /// User ID.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "userid")]
    #[schemars(length(min = 1))]
    pub user_id: Option<String>,
    /// Password for the Identity v2 and v3 APIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretKeySelector>,
    /// Domain name (with a user name on Identity v3; exclusive with
    /// `domainID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub domain_name: Option<String>,
    /// Domain ID.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "domainID")]
    #[schemars(length(min = 1))]
    pub domain_id: Option<String>,
    /// Project name (Identity v2; some providers want it instead of, or with,
    /// the project ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub project_name: Option<String>,
    /// Project ID.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "projectID")]
    #[schemars(length(min = 1))]
    pub project_id: Option<String>,
    /// Name of an application credential to authenticate with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub application_credential_name: Option<String>,
    /// ID of an application credential to authenticate with.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "applicationCredentialId"
    )]
    #[schemars(length(min = 1))]
    pub application_credential_id: Option<String>,
    /// Secret of the application credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_credential_secret: Option<SecretKeySelector>,
    /// List instances of all projects (role Instance; usually admin only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_tenants: Option<bool>,
    /// How often entities are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Port of the targets (for the public IP, set it by relabeling instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// Availability of the endpoint to connect to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Public", "Admin", "Internal"]))]
    pub availability: Option<String>,
    /// TLS settings for the OpenStack API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
}
