//! Receivers of AlertmanagerConfigs: one module per integration holding all
//! of it — the checks of the CRD's fields (semantic, then version gates and
//! references), their conversion to Alertmanager's fields (Secret values
//! inline), and the sanitizing of Alertmanager's fields for a version (which
//! also serves a user's base configuration). This module dispatches to them
//! in the reference's orders, which decide the problem reported first.
//!
//! To add a receiver: its CRD type in `promop-api`, a module here
//! implementing [`Integration`] and [`Sanitize`], one line in each
//! dispatching function below, and its gates in `version/alertmanager.rs`.
mod discord;
mod email;
mod incidentio;
mod jira;
mod mattermost;
mod msteams;
mod opsgenie;
mod pagerduty;
mod pushover;
mod rocketchat;
mod slack;
mod sns;
mod telegram;
mod victorops;
mod webex;
mod webhook;
mod wechat;

use std::collections::BTreeMap;

use promop_api::v1alpha1::alertmanager_config::{
    DiscordConfig, EmailConfig, KeyValue, MsTeamsConfig, MsTeamsV2Config, OpsGenieConfig,
    PagerDutyConfig, PushoverConfig, Receiver, RocketChatConfig, SlackConfig, SnsConfig,
    TelegramConfig, VictorOpsConfig, WeChatConfig, WebexConfig, WebhookConfig,
};

use super::route::namespaced;
use super::sanitize::maps_mut;
use super::secrets::Secrets;
use super::version::Version;
use crate::select::reasons::RejectionKind;
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

/// An integration of an AlertmanagerConfig receiver: one CRD `*Config`.
trait Integration: Sanitize + Sized {
    /// The CRD field of the list (`slackConfigs`), as semantic checks name it.
    const FIELD: &'static str;
    /// The reference's Go type (`SlackConfig`), as conversion errors name it.
    const TYPE: &'static str;

    /// Checks that do not depend on the version.
    fn validate(&self) -> Result<(), RejectionKind>;

    /// The version gate of the integration itself, checked once for a
    /// non-empty list.
    fn available(_version: &Version) -> Result<(), RejectionKind> {
        Ok(())
    }

    /// Version gates of the fields and the Secrets they reference.
    fn check(&self, secrets: &Secrets<'_>, version: &Version) -> Result<(), RejectionKind>;

    /// Alertmanager's fields, Secret values inline.
    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind>;
}

/// An integration as Alertmanager's configuration holds it, from an
/// AlertmanagerConfig or from a user's base configuration.
trait Sanitize {
    /// Alertmanager's key of the list (`slack_configs`).
    const KEY: &'static str;

    /// Drops the fields the version lacks and refuses what it would refuse.
    fn sanitize(config: &mut Mapping, version: &Version) -> Result<(), RejectionKind>;
}

/// The semantic checks of a receiver's integrations.
pub fn validate(r: &Receiver) -> Result<(), RejectionKind> {
    validate_each(&r.opsgenie_configs)?;
    validate_each(&r.pagerduty_configs)?;
    validate_each(&r.discord_configs)?;
    validate_each(&r.rocketchat_configs)?;
    validate_each(&r.slack_configs)?;
    validate_each(&r.webhook_configs)?;
    validate_each(&r.wechat_configs)?;
    validate_each(&r.email_configs)?;
    validate_each(&r.victorops_configs)?;
    validate_each(&r.pushover_configs)?;
    validate_each(&r.sns_configs)?;
    validate_each(&r.telegram_configs)?;
    validate_each(&r.webex_configs)?;
    validate_each(&r.msteams_configs)?;
    validate_each(&r.msteamsv2_configs)
}

fn validate_each<I: Integration>(items: &Option<Vec<I>>) -> Result<(), RejectionKind> {
    for (i, item) in items.iter().flatten().enumerate() {
        item.validate()
            .map_err(|e| e.context(&format!("'{}'[{i}]", I::FIELD)))?;
    }
    Ok(())
}

/// The version gates and references of a receiver (`checkReceivers`).
pub fn check(r: &Receiver, secrets: &Secrets<'_>, version: &Version) -> Result<(), RejectionKind> {
    check_each(&r.pagerduty_configs, secrets, version)?;
    check_each(&r.opsgenie_configs, secrets, version)?;
    check_each(&r.discord_configs, secrets, version)?;
    check_each(&r.slack_configs, secrets, version)?;
    check_each(&r.webhook_configs, secrets, version)?;
    check_each(&r.wechat_configs, secrets, version)?;
    check_each(&r.webex_configs, secrets, version)?;
    check_each(&r.email_configs, secrets, version)?;
    check_each(&r.victorops_configs, secrets, version)?;
    check_each(&r.pushover_configs, secrets, version)?;
    check_each(&r.sns_configs, secrets, version)?;
    check_each(&r.telegram_configs, secrets, version)?;
    check_each(&r.msteams_configs, secrets, version)?;
    check_each(&r.msteamsv2_configs, secrets, version)?;
    check_each(&r.rocketchat_configs, secrets, version)
}

fn check_each<I: Integration>(
    items: &Option<Vec<I>>,
    secrets: &Secrets<'_>,
    version: &Version,
) -> Result<(), RejectionKind> {
    let items = items.as_deref().unwrap_or_default();
    if !items.is_empty() {
        I::available(version)?;
    }
    items
        .iter()
        .try_for_each(|item| item.check(secrets, version))
}

/// Converts a receiver; its name gets the object's `namespace/name/` prefix.
pub fn convert(r: &Receiver, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
    let mut out = Mapping::new();
    out.insert("name", namespaced(&r.name, ctx.secrets.namespace, ctx.cr));
    convert_each(&mut out, &r.pagerduty_configs, ctx)?;
    convert_each(&mut out, &r.discord_configs, ctx)?;
    convert_each(&mut out, &r.slack_configs, ctx)?;
    convert_each(&mut out, &r.webhook_configs, ctx)?;
    convert_each(&mut out, &r.opsgenie_configs, ctx)?;
    convert_each(&mut out, &r.wechat_configs, ctx)?;
    convert_each(&mut out, &r.email_configs, ctx)?;
    convert_each(&mut out, &r.victorops_configs, ctx)?;
    convert_each(&mut out, &r.pushover_configs, ctx)?;
    convert_each(&mut out, &r.sns_configs, ctx)?;
    convert_each(&mut out, &r.telegram_configs, ctx)?;
    convert_each(&mut out, &r.msteams_configs, ctx)?;
    convert_each(&mut out, &r.msteamsv2_configs, ctx)?;
    convert_each(&mut out, &r.webex_configs, ctx)?;
    convert_each(&mut out, &r.rocketchat_configs, ctx)?;
    Ok(out)
}

/// Converts every integration of a list, naming the failing one.
fn convert_each<I: Integration>(
    out: &mut Mapping,
    items: &Option<Vec<I>>,
    ctx: &Ctx<'_>,
) -> Result<(), RejectionKind> {
    let mut list = Vec::new();
    for (i, item) in items.iter().flatten().enumerate() {
        let converted = item
            .convert(ctx)
            .map_err(|e| e.context(&format!("{}[{i}]", I::TYPE)))?;
        list.push(Node::Map(converted));
    }
    out.insert(I::KEY, Node::Seq(list));
    Ok(())
}

/// Sanitizes the integrations of a receiver of the merged configuration.
pub fn sanitize(r: &mut Mapping, version: &Version) -> Result<(), RejectionKind> {
    sanitize_each::<EmailConfig>(r, version)?;
    sanitize_each::<OpsGenieConfig>(r, version)?;
    sanitize_each::<PagerDutyConfig>(r, version)?;
    sanitize_each::<PushoverConfig>(r, version)?;
    sanitize_each::<SlackConfig>(r, version)?;
    sanitize_each::<VictorOpsConfig>(r, version)?;
    sanitize_each::<WebhookConfig>(r, version)?;
    sanitize_each::<MsTeamsConfig>(r, version)?;
    sanitize_each::<MsTeamsV2Config>(r, version)?;
    sanitize_each::<WeChatConfig>(r, version)?;
    sanitize_each::<SnsConfig>(r, version)?;
    sanitize_each::<TelegramConfig>(r, version)?;
    sanitize_each::<DiscordConfig>(r, version)?;
    sanitize_each::<WebexConfig>(r, version)?;
    sanitize_each::<jira::Jira>(r, version)?;
    sanitize_each::<RocketChatConfig>(r, version)?;
    sanitize_each::<mattermost::Mattermost>(r, version)?;
    sanitize_each::<incidentio::IncidentIo>(r, version)
}

fn sanitize_each<I: Sanitize>(r: &mut Mapping, version: &Version) -> Result<(), RejectionKind> {
    for config in maps_mut(r, I::KEY) {
        I::sanitize(config, version)?;
    }
    Ok(())
}

/// A required Secret value with the reference's wording.
fn required(
    ctx: &Ctx<'_>,
    selector: &k8s_openapi::api::core::v1::SecretKeySelector,
    what: &str,
) -> Result<String, RejectionKind> {
    ctx.secrets
        .get(selector)
        .map_err(|e| e.context(&format!("failed to get {what}")))
}

/// A duration printed as `model.Duration` does.
fn duration(text: Option<&str>) -> Result<Option<String>, RejectionKind> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => super::duration::canonical(t).map(Some),
    }
}

fn http(
    config: Option<&promop_api::v1alpha1::alertmanager_config::HttpConfig>,
    ctx: &Ctx<'_>,
) -> Result<Node, RejectionKind> {
    super::http_config::convert_opt(config, &ctx.secrets)
}

/// Key-value pairs as the reference's Go map: a later duplicate wins, keys
/// print sorted.
fn go_map(pairs: &Option<Vec<KeyValue>>) -> Mapping {
    let map: BTreeMap<&str, &str> = pairs
        .iter()
        .flatten()
        .map(|p| (p.key.as_str(), p.value.as_str()))
        .collect();
    Mapping::sorted(map)
}

/// An optional CRD string as the reference's Go string (`ptr.Deref(x, "")`).
fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}
