//! Receivers: named sets of notification integrations.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    DiscordConfig, EmailConfig, MsTeamsConfig, MsTeamsV2Config, OpsGenieConfig, PagerDutyConfig,
    PushoverConfig, RocketChatConfig, SlackConfig, SnsConfig, TelegramConfig, VictorOpsConfig,
    WeChatConfig, WebexConfig, WebhookConfig,
};

/// Named set of notification integrations.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Receiver {
    /// Name of the receiver, unique in the object.
    #[schemars(length(min = 1))]
    pub name: String,
    /// OpsGenie integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub opsgenie_configs: Option<Vec<OpsGenieConfig>>,
    /// PagerDuty integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub pagerduty_configs: Option<Vec<PagerDutyConfig>>,
    /// Discord integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub discord_configs: Option<Vec<DiscordConfig>>,
    /// Slack integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub slack_configs: Option<Vec<SlackConfig>>,
    /// Generic webhook integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub webhook_configs: Option<Vec<WebhookConfig>>,
    /// WeChat integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub wechat_configs: Option<Vec<WeChatConfig>>,
    /// Email integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub email_configs: Option<Vec<EmailConfig>>,
    /// VictorOps integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub victorops_configs: Option<Vec<VictorOpsConfig>>,
    /// Pushover integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub pushover_configs: Option<Vec<PushoverConfig>>,
    /// AWS SNS integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub sns_configs: Option<Vec<SnsConfig>>,
    /// Telegram integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub telegram_configs: Option<Vec<TelegramConfig>>,
    /// Cisco Webex integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub webex_configs: Option<Vec<WebexConfig>>,
    /// Microsoft Teams integrations (Alertmanager >= 0.26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub msteams_configs: Option<Vec<MsTeamsConfig>>,
    /// Microsoft Teams integrations with adaptive cards (Alertmanager >= 0.28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub msteamsv2_configs: Option<Vec<MsTeamsV2Config>>,
    /// Rocket.Chat integrations (Alertmanager >= 0.28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub rocketchat_configs: Option<Vec<RocketChatConfig>>,
}

/// Key/value pair.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyValue {
    /// Key.
    #[schemars(length(min = 1))]
    pub key: String,
    /// Value.
    pub value: String,
}
