//! Receivers of AlertmanagerConfigs: one module per integration, each
//! converting the CRD's fields to Alertmanager's (values of Secrets inline).
mod discord;
mod email;
mod msteams;
mod opsgenie;
mod pagerduty;
mod pushover;
mod rocketchat;
mod slack;
mod sns;
mod telegram;
mod victorops;

pub use victorops::RESERVED_FIELDS as RESERVED_VICTOROPS_FIELDS;
mod webex;
mod webhook;
mod wechat;

use promop_api::v1alpha1::alertmanager_config::Receiver;

use super::route::namespaced;
use super::secrets::Secrets;
use super::version::Version;
use crate::yaml::{Mapping, Node};

/// What converting a receiver needs besides the receiver.
pub struct Ctx<'a> {
    pub secrets: Secrets<'a>,
    pub cr: &'a str,
    pub version: &'a Version,
    /// `smtp_smarthost` and `smtp_from` of the global section, which make
    /// the same fields of email receivers optional.
    pub global_smtp: (bool, bool),
}

/// Converts every integration of a list, naming the failing one.
fn each<T>(
    items: &Option<Vec<T>>,
    label: &str,
    ctx: &Ctx<'_>,
    convert: fn(&T, &Ctx<'_>) -> Result<Mapping, String>,
) -> Result<Node, String> {
    let mut out = Vec::new();
    for (i, item) in items.iter().flatten().enumerate() {
        out.push(Node::Map(
            convert(item, ctx).map_err(|e| format!("{label}[{i}]: {e}"))?,
        ));
    }
    Ok(Node::Seq(out))
}

/// Converts a receiver; its name gets the object's `namespace/name/` prefix.
pub fn convert(r: &Receiver, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert("name", namespaced(&r.name, ctx.secrets.namespace, ctx.cr))
        .insert(
            "pagerduty_configs",
            each(
                &r.pagerduty_configs,
                "PagerDutyConfig",
                ctx,
                pagerduty::convert,
            )?,
        )
        .insert(
            "discord_configs",
            each(&r.discord_configs, "DiscordConfig", ctx, discord::convert)?,
        )
        .insert(
            "slack_configs",
            each(&r.slack_configs, "SlackConfig", ctx, slack::convert)?,
        )
        .insert(
            "webhook_configs",
            each(&r.webhook_configs, "WebhookConfig", ctx, webhook::convert)?,
        )
        .insert(
            "opsgenie_configs",
            each(
                &r.opsgenie_configs,
                "OpsGenieConfigs",
                ctx,
                opsgenie::convert,
            )?,
        )
        .insert(
            "wechat_configs",
            each(&r.wechat_configs, "WeChatConfig", ctx, wechat::convert)?,
        )
        .insert(
            "email_configs",
            each(&r.email_configs, "EmailConfig", ctx, email::convert)?,
        )
        .insert(
            "victorops_configs",
            each(
                &r.victorops_configs,
                "VictorOpsConfig",
                ctx,
                victorops::convert,
            )?,
        )
        .insert(
            "pushover_configs",
            each(
                &r.pushover_configs,
                "PushoverConfig",
                ctx,
                pushover::convert,
            )?,
        )
        .insert(
            "sns_configs",
            each(&r.sns_configs, "SNSConfig", ctx, sns::convert)?,
        )
        .insert(
            "telegram_configs",
            each(
                &r.telegram_configs,
                "TelegramConfig",
                ctx,
                telegram::convert,
            )?,
        )
        .insert(
            "msteams_configs",
            each(
                &r.msteams_configs,
                "MSTeamsConfig",
                ctx,
                msteams::convert_v1,
            )?,
        )
        .insert(
            "msteamsv2_configs",
            each(
                &r.msteamsv2_configs,
                "MSTeamsConfigV2",
                ctx,
                msteams::convert_v2,
            )?,
        )
        .insert(
            "webex_configs",
            each(&r.webex_configs, "WebexConfig", ctx, webex::convert)?,
        )
        .insert(
            "rocketchat_configs",
            each(
                &r.rocketchat_configs,
                "RocketChatConfig",
                ctx,
                rocketchat::convert,
            )?,
        );
    Ok(out)
}

/// A required Secret value with the reference's wording.
fn required(
    ctx: &Ctx<'_>,
    selector: &k8s_openapi::api::core::v1::SecretKeySelector,
    what: &str,
) -> Result<String, String> {
    ctx.secrets
        .get(selector)
        .map_err(|e| format!("failed to get {what}: {e}"))
}

/// A duration printed as `model.Duration` does.
fn duration(text: Option<&str>) -> Result<Option<String>, String> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => super::duration::canonical(t).map(Some),
    }
}

fn http(
    config: Option<&promop_api::v1alpha1::alertmanager_config::HttpConfig>,
    ctx: &Ctx<'_>,
) -> Result<Node, String> {
    super::http_config::convert_opt(config, &ctx.secrets)
}

/// An optional CRD string as the reference's Go string (`ptr.Deref(x, "")`).
fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}
