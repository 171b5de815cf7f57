//! HTTP authentication: basic auth, Authorization header, OAuth2, AWS SigV4.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ProxyConfig, SafeTlsConfig, SecretOrConfigMap, Url};

/// HTTP basic authentication with credentials read from Secrets.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuth {
    /// Secret key holding the user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<SecretKeySelector>,
    /// Secret key holding the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretKeySelector>,
}

/// `Authorization` header whose credentials come from a Secret.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SafeAuthorization {
    /// Authentication scheme, case-insensitive; `Bearer` when unset. `Basic` is refused.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Secret key holding the credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<SecretKeySelector>,
}

/// `Authorization` header whose credentials come from a Secret or a container file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    #[serde(flatten)]
    pub safe: SafeAuthorization,
    /// File holding the credentials; excludes `credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<String>,
}

/// OAuth2 client-credentials flow.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2 {
    /// Secret or ConfigMap key holding the client ID.
    pub client_id: SecretOrConfigMap,
    /// Secret key holding the client secret.
    pub client_secret: SecretKeySelector,
    /// URL the token is requested from.
    pub token_url: Url,
    /// Scopes requested with the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Extra URL parameters of the token request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_params: Option<BTreeMap<String, String>>,
    /// TLS settings for the connection to the token server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
}

/// AWS Signature Version 4 request signing.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!has(self.externalId) || has(self.roleArn)",
    "message": "externalId can only be used when roleArn is specified",
}]))]
pub struct Sigv4 {
    /// AWS region; taken from the default credentials chain when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Secret key holding the access key ID (else `AWS_ACCESS_KEY_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<SecretKeySelector>,
    /// Secret key holding the secret access key (else `AWS_SECRET_ACCESS_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<SecretKeySelector>,
    /// Named AWS profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// ARN of the role to assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// External ID used when assuming `roleArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub external_id: Option<String>,
    /// Use the FIPS endpoint of AWS STS.
    #[serde(
        default,
        rename = "useFIPSSTSEndpoint",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_fips_sts_endpoint: Option<bool>,
}
