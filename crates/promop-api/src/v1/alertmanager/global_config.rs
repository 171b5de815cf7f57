//! `spec.alertmanagerConfiguration`: the global part of the Alertmanager
//! configuration when it is generated from an AlertmanagerConfig object.
use k8s_openapi::api::core::v1::SecretKeySelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Duration, HttpConfigWithProxy, SafeTlsConfig, SecretOrConfigMap, Url};

/// Selects the AlertmanagerConfig object from which the main Alertmanager
/// configuration is built, instead of a configuration Secret.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerConfiguration {
    /// Name of the AlertmanagerConfig object, in the Alertmanager's namespace.
    /// No `namespace` matcher is enforced on its routes and inhibition rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// Global parameters of the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<AlertmanagerGlobalConfig>,
    /// Custom notification templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<Vec<SecretOrConfigMap>>,
}

/// Parameters valid in every other context of the Alertmanager configuration.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerGlobalConfig {
    /// Global SMTP settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<GlobalSmtpConfig>,
    /// Time after which an alert without an end time is declared resolved if
    /// it was not updated. Alerts sent by Prometheus always carry an end time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_timeout: Option<Duration>,
    /// Default HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfigWithProxy>,
    /// Default Slack API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_api_url: Option<SecretKeySelector>,
    /// Default OpsGenie API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_genie_api_url: Option<SecretKeySelector>,
    /// Default OpsGenie API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_genie_api_key: Option<SecretKeySelector>,
    /// Default PagerDuty URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagerduty_url: Option<Url>,
    /// Default Telegram settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram: Option<GlobalTelegramConfig>,
    /// Default Jira settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira: Option<GlobalJiraConfig>,
    /// Default VictorOps settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victorops: Option<GlobalVictorOpsConfig>,
    /// Default Rocket.Chat settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rocket_chat: Option<GlobalRocketChatConfig>,
    /// Default Webex settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webex: Option<GlobalWebexConfig>,
    /// Default WeChat settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat: Option<GlobalWeChatConfig>,
    /// Default Mattermost settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mattermost: Option<GlobalMattermostConfig>,
}

/// Global SMTP settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GlobalSmtpConfig {
    /// Default `From` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Default SMTP relay host used to send emails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart_host: Option<HostPort>,
    /// Default host name announced to the SMTP server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello: Option<String>,
    /// User name for CRAM-MD5, LOGIN and PLAIN authentication. When empty,
    /// Alertmanager does not authenticate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_username: Option<String>,
    /// Password for LOGIN and PLAIN authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_password: Option<SecretKeySelector>,
    /// Identity for PLAIN authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_identity: Option<String>,
    /// Secret for CRAM-MD5 authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_secret: Option<SecretKeySelector>,
    /// Whether TLS is required by default (Go never sends to remote SMTP
    /// servers in clear text).
    #[serde(
        default,
        rename = "requireTLS",
        skip_serializing_if = "Option::is_none"
    )]
    pub require_tls: Option<bool>,
    /// Default TLS settings of the SMTP receivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
    /// `true` always uses implicit TLS, `false` never does (STARTTLS when
    /// needed); unset picks implicit TLS on port 465 only. Needs Alertmanager
    /// v0.31.0 or later.
    #[serde(
        default,
        rename = "forceImplicitTLS",
        skip_serializing_if = "Option::is_none"
    )]
    pub force_implicit_tls: Option<bool>,
}

/// A network address made of a host and a port.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct HostPort {
    /// DNS name or IP address.
    #[schemars(length(min = 1))]
    pub host: String,
    /// Port number or name.
    #[schemars(length(min = 1))]
    pub port: String,
}

/// Global Telegram settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GlobalTelegramConfig {
    /// Default Telegram API URL (Alertmanager v0.24.0 or later).
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
}

/// Global Jira settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GlobalJiraConfig {
    /// Default Jira API URL (Alertmanager v0.28.0 or later).
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
}

/// Global Rocket.Chat settings (Alertmanager v0.28.0 or later).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GlobalRocketChatConfig {
    /// Default Rocket.Chat API URL.
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    /// Default Rocket.Chat token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretKeySelector>,
    /// Default Rocket.Chat token ID.
    #[serde(default, rename = "tokenID", skip_serializing_if = "Option::is_none")]
    pub token_id: Option<SecretKeySelector>,
}

/// Global Webex settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GlobalWebexConfig {
    /// Default Webex API URL (Alertmanager v0.25.0 or later).
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
}

/// Global WeChat settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GlobalWeChatConfig {
    /// Default WeChat API URL (Alertmanager's own default is
    /// `https://qyapi.weixin.qq.com/cgi-bin/`).
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    /// Default WeChat API secret.
    #[serde(default, rename = "apiSecret", skip_serializing_if = "Option::is_none")]
    pub api_secret: Option<SecretKeySelector>,
    /// Default WeChat corporate ID.
    #[serde(default, rename = "apiCorpID", skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub api_corp_id: Option<String>,
}

/// Global VictorOps settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GlobalVictorOpsConfig {
    /// Default VictorOps API URL.
    #[serde(default, rename = "apiURL", skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    /// Default VictorOps API key.
    #[serde(default, rename = "apiKey", skip_serializing_if = "Option::is_none")]
    pub api_key: Option<SecretKeySelector>,
}

/// Global Mattermost settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GlobalMattermostConfig {
    /// Default Mattermost webhook URL (Alertmanager v0.32.0 or later).
    #[serde(
        default,
        rename = "webhookURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub webhook_url: Option<SecretKeySelector>,
}
