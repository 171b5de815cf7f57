//! AWS SNS.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::HttpConfig;
use crate::common::Sigv4;

/// Notifications published to AWS SNS: to a topic, a phone number or a
/// mobile endpoint (set one of `topicARN`, `phoneNumber`, `targetARN`).
/// `S` is the Secret key selector of the API version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnsConfig<S = SecretKeySelector> {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// SNS API URL, e.g. `https://sns.us-east-2.amazonaws.com`; the SDK's
    /// default when unset.
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// AWS credentials and region used to sign the requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<Sigv4>,
    /// ARN of the topic to publish to.
    #[serde(default, rename = "topicARN", skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub topic_arn: Option<String>,
    /// Subject of the messages delivered to email endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub subject: Option<String>,
    /// Phone number (E.164) of SMS deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub phone_number: Option<String>,
    /// ARN of the mobile platform endpoint.
    #[serde(default, rename = "targetARN", skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub target_arn: Option<String>,
    /// Message content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub message: Option<String>,
    /// Message attributes, usable for filtering and routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, String>>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig<S>>,
    /// Use the AWS SDK's HTTP client instead of Alertmanager's (automatic
    /// when `AWS_CA_BUNDLE` is set; Alertmanager >= 0.33).
    #[serde(
        default,
        rename = "useAWSHTTPClient",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_aws_http_client: Option<bool>,
}
