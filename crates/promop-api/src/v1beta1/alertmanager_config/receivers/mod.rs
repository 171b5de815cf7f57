//! Notification integrations. Those that only differ from v1alpha1 by their
//! Secret key selector are the v1alpha1 types instantiated with
//! [`SecretKeySelector`]; the others have a module here.
use super::SecretKeySelector;
use crate::v1alpha1::alertmanager_config as v1alpha1;

mod email;
mod opsgenie;
mod pushover;
mod rocketchat;

pub use email::EmailConfig;
pub use opsgenie::OpsGenieConfig;
pub use pushover::PushoverConfig;
pub use rocketchat::RocketChatConfig;
pub use v1alpha1::{
    EmailThreadingConfig, OpsGenieConfigResponder, OpsGenieResponderType, PagerDutyImageConfig,
    PagerDutyLinkConfig, RocketChatActionConfig, RocketChatFieldConfig, SlackAction,
    SlackConfirmationField, SlackField, TelegramParseMode, ThreadByDate,
};

/// Notifications to a Discord webhook.
pub type DiscordConfig = v1alpha1::DiscordConfig<SecretKeySelector>;
/// Notifications to a Microsoft Teams incoming webhook (Alertmanager >= 0.26).
pub type MsTeamsConfig = v1alpha1::MsTeamsConfig<SecretKeySelector>;
/// Notifications to a Microsoft Teams webhook accepting adaptive cards
/// (Alertmanager >= 0.28).
pub type MsTeamsV2Config = v1alpha1::MsTeamsV2Config<SecretKeySelector>;
/// Notifications to PagerDuty.
pub type PagerDutyConfig = v1alpha1::PagerDutyConfig<SecretKeySelector>;
/// Notifications to Slack.
pub type SlackConfig = v1alpha1::SlackConfig<SecretKeySelector>;
/// Notifications published to AWS SNS.
pub type SnsConfig = v1alpha1::SnsConfig<SecretKeySelector>;
/// Notifications sent by a Telegram bot.
pub type TelegramConfig = v1alpha1::TelegramConfig<SecretKeySelector>;
/// Notifications to VictorOps.
pub type VictorOpsConfig = v1alpha1::VictorOpsConfig<SecretKeySelector>;
/// Notifications to a Cisco Webex room.
pub type WebexConfig = v1alpha1::WebexConfig<SecretKeySelector>;
/// Notifications posted to an Alertmanager webhook receiver.
pub type WebhookConfig = v1alpha1::WebhookConfig<SecretKeySelector>;
/// Notifications sent through the WeChat Work API.
pub type WeChatConfig = v1alpha1::WeChatConfig<SecretKeySelector>;
