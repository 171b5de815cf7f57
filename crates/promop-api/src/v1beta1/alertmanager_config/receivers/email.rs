//! Email (v1beta1: this version's Secret key selector, `headers` without list type).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{EmailThreadingConfig, KeyValue, SecretKeySelector};
use crate::common::SafeTlsConfig;

/// Notifications sent by email (SMTP).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailConfig {
    /// Also notify when alerts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
    /// Recipient address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub to: Option<String>,
    /// Sender address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub from: Option<String>,
    /// Host name announced to the SMTP server (HELO/EHLO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub hello: Option<String>,
    /// SMTP server, `host:port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub smarthost: Option<String>,
    /// SMTP authentication user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub auth_username: Option<String>,
    /// Secret key holding the SMTP authentication password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_password: Option<SecretKeySelector>,
    /// Secret key holding the CRAM-MD5 secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_secret: Option<SecretKeySelector>,
    /// SMTP authentication identity (PLAIN mechanism).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub auth_identity: Option<String>,
    /// Extra headers, overriding those set by Alertmanager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<KeyValue>>,
    /// HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Plain-text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub text: Option<String>,
    /// Require STARTTLS.
    #[serde(
        default,
        rename = "requireTLS",
        skip_serializing_if = "Option::is_none"
    )]
    pub require_tls: Option<bool>,
    /// TLS settings of the SMTP connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
    /// Connect with implicit TLS (true) or STARTTLS (false); unset picks
    /// implicit TLS on port 465 only (Alertmanager >= 0.31).
    #[serde(
        default,
        rename = "forceImplicitTLS",
        skip_serializing_if = "Option::is_none"
    )]
    pub force_implicit_tls: Option<bool>,
    /// Threading of the emails (Alertmanager >= 0.30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threading: Option<EmailThreadingConfig>,
}
