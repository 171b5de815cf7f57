//! Checks the reference makes on an AlertmanagerConfig before using it
//! (semantic validation, then version gates and references to Secrets). A
//! failing object is skipped; the others stay.
use promop_api::v1alpha1::AlertmanagerConfig;
use promop_api::v1alpha1::alertmanager_config::{HttpConfig, Receiver, Route};

use super::receivers::RESERVED_VICTOROPS_FIELDS;
use super::secrets::Secrets;
use super::version::{Feature, Version};
use super::{inhibit_rules, matchers, time_intervals};
use crate::select::validate::{validate_oauth2, validate_proxy, validate_safe_tls};
use crate::version::Gate;

/// `http(s)://host…`, what Alertmanager's URL type accepts.
pub fn url(text: &str) -> Result<(), String> {
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"));
    let scheme = text.split(':').next().unwrap_or_default();
    match rest {
        None => Err(format!(
            "validate url from string failed for {text}: unsupported scheme {scheme:?} for URL"
        )),
        Some(r)
            if r.split(['/', '?', '#'])
                .next()
                .unwrap_or_default()
                .is_empty() =>
        {
            Err(format!(
                "validate url from string failed for {text}: host for URL must not be empty"
            ))
        }
        Some(_) => Ok(()),
    }
}

/// A URL that may be a Go template (then it is not checked further).
pub fn template_url(text: &str) -> Result<(), String> {
    if text.contains("{{") {
        return Ok(());
    }
    url(text)
}

fn opt_url(text: Option<&str>, field: &str) -> Result<(), String> {
    match text.filter(|t| !t.is_empty()) {
        Some(t) => url(t).map_err(|e| format!("invalid '{field}': {e}")),
        None => Ok(()),
    }
}

fn http_config(hc: Option<&HttpConfig>) -> Result<(), String> {
    let Some(hc) = hc else { return Ok(()) };
    let bearer = hc.bearer_token_secret.is_some();
    let err = |m: &str| Err(format!("'httpConfig': {m}"));
    if (hc.basic_auth.is_some() || hc.oauth2.is_some()) && bearer {
        return err(
            "at most one of 'basicAuth', 'oauth2' and 'bearerTokenSecret' must be configured",
        );
    }
    if hc.authorization.is_some() {
        if bearer {
            return err("'authorization' is not compatible with 'bearerTokenSecret'");
        }
        if hc.basic_auth.is_some() || hc.oauth2.is_some() {
            return err(
                "at most one of 'basicAuth', 'oauth2' and 'authorization' must be configured",
            );
        }
    }
    if let Some(oauth2) = &hc.oauth2 {
        if hc.basic_auth.is_some() {
            return err(
                "at most one of 'basicAuth', 'oauth2' and 'authorization' must be configured",
            );
        }
        validate_oauth2(oauth2, "oauth2").map_err(|r| format!("'httpConfig': {}", r.message()))?;
    }
    if let Some(tls) = &hc.tls_config {
        validate_safe_tls(tls, "tlsConfig")
            .map_err(|r| format!("'httpConfig': {}", r.message()))?;
    }
    validate_proxy(&hc.proxy, "").map_err(|r| format!("'httpConfig': {}", r.message()))
}

/// Semantic checks that do not depend on the version.
fn semantic(amc: &AlertmanagerConfig) -> Result<(), String> {
    let mut names = std::collections::BTreeSet::new();
    for r in amc.spec.receivers.iter().flatten() {
        if !names.insert(r.name.as_str()) {
            return Err(format!("{:?} receiver is not unique", r.name));
        }
        receiver(r).map_err(|e| format!("failed to validate receiver {:?}: {e}", r.name))?;
    }
    let mut intervals = std::collections::BTreeSet::new();
    for (i, mti) in amc.spec.mute_time_intervals.iter().flatten().enumerate() {
        time_intervals::validate(mti)
            .map_err(|e| format!("mute time interval[{i}] is invalid: {e}"))?;
        intervals.insert(mti.name.as_str());
    }
    if let Some(route) = &amc.spec.route {
        validate_route(route, &names, &intervals, true)?;
    }
    Ok(())
}

fn each<T>(
    items: &Option<Vec<T>>,
    label: &str,
    f: impl Fn(&T) -> Result<(), String>,
) -> Result<(), String> {
    for (i, item) in items.iter().flatten().enumerate() {
        f(item).map_err(|e| format!("'{label}'[{i}]: {e}"))?;
    }
    Ok(())
}

fn receiver(r: &Receiver) -> Result<(), String> {
    each(&r.opsgenie_configs, "opsgenieConfigs", |c| {
        for resp in c.responders.iter().flatten() {
            let empty = |v: &Option<String>| v.as_deref().unwrap_or_default().is_empty();
            if empty(&resp.id) && empty(&resp.name) && empty(&resp.username) {
                return Err(
                    "responder must have at least an ID, a Name or an Username defined".to_owned(),
                );
            }
        }
        opt_url(c.api_url.as_deref(), "apiURL")?;
        http_config(c.http_config.as_ref())
    })?;
    each(&r.pagerduty_configs, "pagerdutyConfigs", |c| {
        opt_url(c.url.as_deref(), "url")?;
        if let Some(u) = c.client_url.as_deref().filter(|u| !u.is_empty()) {
            template_url(u).map_err(|e| format!("invalid 'clientURL': {e}"))?;
        }
        if c.routing_key.is_none() && c.service_key.is_none() {
            return Err("one of 'routingKey' or 'serviceKey' is required".to_owned());
        }
        http_config(c.http_config.as_ref())
    })?;
    each(&r.discord_configs, "discordConfigs", |c| {
        http_config(c.http_config.as_ref())
    })?;
    each(&r.rocketchat_configs, "rocketchatConfigs", |c| {
        opt_url(c.api_url.as_deref(), "apiURL")?;
        http_config(c.http_config.as_ref())
    })?;
    each(&r.slack_configs, "slackConfigs", |c| {
        http_config(c.http_config.as_ref())
    })?;
    each(&r.webhook_configs, "webhookConfigs", |c| {
        if c.url.is_none() && c.url_secret.is_none() {
            return Err("one of 'url' or 'urlSecret' must be specified".to_owned());
        }
        if let Some(u) = c.url.as_deref().filter(|u| !u.is_empty()) {
            template_url(u).map_err(|e| format!("invalid 'url': {e}"))?;
        }
        http_config(c.http_config.as_ref())
    })?;
    each(&r.wechat_configs, "wechatConfigs", |c| {
        opt_url(c.api_url.as_deref(), "apiURL")?;
        http_config(c.http_config.as_ref())
    })?;
    each(&r.email_configs, "emailConfigs", |c| {
        if c.to.as_deref().unwrap_or_default().is_empty() {
            return Err("missing 'to' address".to_owned());
        }
        if let Some(h) = c.smarthost.as_deref().filter(|h| !h.is_empty()) {
            super::types::split_host_port(h)
                .map_err(|e| format!("invalid 'smarthost' {h:?}: {e}"))?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for h in c.headers.iter().flatten() {
            let lower = h.key.to_lowercase();
            if !seen.insert(lower.clone()) {
                return Err(format!("duplicate header {lower:?}"));
            }
        }
        Ok(())
    })?;
    each(&r.victorops_configs, "victoropsConfigs", |c| {
        for f in c.custom_fields.iter().flatten() {
            if RESERVED_VICTOROPS_FIELDS.contains(&f.key.as_str()) {
                return Err(format!(
                    "usage of reserved word {:?} is not allowed in custom fields",
                    f.key
                ));
            }
        }
        if c.routing_key.is_empty() {
            return Err("missing 'routingKey' key".to_owned());
        }
        opt_url(c.api_url.as_deref(), "apiURL")?;
        http_config(c.http_config.as_ref())
    })?;
    each(&r.pushover_configs, "pushoverConfigs", |c| {
        if c.user_key.is_none() && c.user_key_file.is_none() {
            return Err("one of 'userKey' or 'userKeyFile' must be configured".to_owned());
        }
        if c.token.is_none() && c.token_file.is_none() {
            return Err("one of 'token' or 'tokenFile' must be configured".to_owned());
        }
        if c.html == Some(true) && c.monospace == Some(true) {
            return Err("'html' and 'monospace' options are mutually exclusive".to_owned());
        }
        if let Some(u) = c.url.as_deref().filter(|u| !u.is_empty()) {
            template_url(u).map_err(|e| format!("invalid 'url': {e}"))?;
        }
        http_config(c.http_config.as_ref())
    })?;
    each(&r.sns_configs, "snsConfigs", |c| {
        let empty = |v: &Option<String>| v.as_deref().unwrap_or_default().is_empty();
        // Go's `a != b != c` on booleans: an odd number of them set.
        if (empty(&c.target_arn) != empty(&c.topic_arn)) != empty(&c.phone_number) {
            return Err("must provide one of 'targetARN', 'topicARN', or 'phoneNumber'".to_owned());
        }
        if let Some(u) = c.api_url.as_deref() {
            template_url(u).map_err(|e| format!("invalid 'apiURL': {e}"))?;
        }
        http_config(c.http_config.as_ref())
    })?;
    each(&r.telegram_configs, "telegramConfigs", |c| {
        match (&c.bot_token, &c.bot_token_file) {
            (None, None) => {
                return Err("mandatory field botToken or botTokenfile is empty".to_owned());
            }
            (Some(_), Some(_)) => {
                return Err(
                    "only one of 'botToken' or 'botTokenfile' must be configured".to_owned(),
                );
            }
            _ => {}
        }
        if c.chat_id == 0 {
            return Err("mandatory field 'chatID' is empty".to_owned());
        }
        opt_url(c.api_url.as_deref(), "apiURL")?;
        http_config(c.http_config.as_ref())
    })?;
    each(&r.webex_configs, "webexConfigs", |c| {
        opt_url(c.api_url.as_deref(), "apiURL")?;
        http_config(c.http_config.as_ref())
    })?;
    each(&r.msteams_configs, "msteamsConfigs", |c| {
        http_config(c.http_config.as_ref())
    })?;
    each(&r.msteamsv2_configs, "msteamsv2Configs", |c| {
        http_config(c.http_config.as_ref())
    })?;
    Ok(())
}

fn validate_route(
    r: &Route,
    receivers: &std::collections::BTreeSet<&str>,
    intervals: &std::collections::BTreeSet<&str>,
    top: bool,
) -> Result<(), String> {
    match r.receiver.as_deref().unwrap_or_default() {
        "" if top => return Err("root route must define a receiver".to_owned()),
        "" => {}
        name if !receivers.contains(name) => return Err(format!("receiver {name:?} not found")),
        _ => {}
    }
    let group_by = r.group_by.as_deref().unwrap_or_default();
    let unique: std::collections::BTreeSet<&String> = group_by.iter().collect();
    if unique.len() != group_by.len() {
        return Err(format!(
            "duplicate values not permitted in route 'groupBy': [{}]",
            group_by.join(" ")
        ));
    }
    if group_by.len() > 1 && group_by.iter().any(|g| g == "...") {
        return Err(format!(
            "'...' must be a sole value in route 'groupBy': [{}]",
            group_by.join(" ")
        ));
    }
    for name in r.mute_time_intervals.iter().flatten() {
        if !intervals.contains(name.as_str()) {
            return Err(format!("mute time interval {name:?} not found"));
        }
    }
    for name in r.active_time_intervals.iter().flatten() {
        if !intervals.contains(name.as_str()) {
            return Err(format!("time interval {name:?} not found"));
        }
    }
    for (i, m) in r.matchers.iter().flatten().enumerate() {
        matchers::validate(m).map_err(|e| format!("matcher[{i}]: {e}"))?;
    }
    let children = r.child_routes().map_err(|e| e.to_string())?;
    for (i, child) in children.iter().enumerate() {
        validate_route(child, receivers, intervals, false)
            .map_err(|e| format!("route[{i}]: {e}"))?;
    }
    Ok(())
}

fn http_version(hc: Option<&HttpConfig>, v: &Version) -> Result<(), String> {
    let Some(hc) = hc else { return Ok(()) };
    let unsupported = |what: &str, feature: Feature| {
        format!(
            "'{what}' config set in 'httpConfig' but supported in Alertmanager >= {} only - current {v}",
            feature.minimum()
        )
    };
    if hc.authorization.is_some() && !v.supports(Feature::Authorization) {
        return Err(unsupported("authorization", Feature::Authorization));
    }
    if hc.oauth2.is_some() && !v.supports(Feature::OAuth2) {
        return Err(unsupported("oauth2", Feature::OAuth2));
    }
    let p = &hc.proxy;
    if (p.no_proxy.is_some()
        || p.proxy_from_environment.is_some()
        || p.proxy_connect_header.is_some())
        && !v.supports(Feature::ProxyConfig)
    {
        return Err(unsupported("ProxyConfig", Feature::ProxyConfig));
    }
    Ok(())
}

/// The Secrets an HTTP config references must exist.
fn http_secrets(hc: Option<&HttpConfig>, s: &Secrets<'_>) -> Result<(), String> {
    let Some(hc) = hc else { return Ok(()) };
    if let Some(sel) = &hc.bearer_token_secret {
        s.get(sel)?;
    }
    if let Some(sel) = hc
        .authorization
        .as_ref()
        .and_then(|a| a.credentials.as_ref())
    {
        s.get(sel)?;
    }
    if let Some(b) = &hc.basic_auth {
        for sel in [&b.username, &b.password].into_iter().flatten() {
            s.get(sel)?;
        }
    }
    if let Some(o) = &hc.oauth2 {
        s.get_either(&o.client_id)?;
        s.get(&o.client_secret)?;
    }
    if let Some(tls) = &hc.tls_config {
        tls_secrets(tls, s)?;
    }
    Ok(())
}

/// The CA, certificate and key must exist, and (unlike the reference, which
/// names their files in the configuration but writes no empty asset, so
/// that Alertmanager refuses the whole configuration) not be empty.
fn tls_secrets(tls: &promop_api::common::SafeTlsConfig, s: &Secrets<'_>) -> Result<(), String> {
    let empty = |what: &str| {
        Err(format!(
            "'tlsConfig': {what}: the value is empty: no file would be written for it"
        ))
    };
    for (field, sel) in [("ca", &tls.ca), ("cert", &tls.cert)] {
        let Some(sel) = sel else { continue };
        if s.get_either(sel)?.is_empty() {
            return empty(field);
        }
    }
    if let Some(sel) = &tls.key_secret
        && s.get(sel)?.is_empty()
    {
        return empty("keySecret");
    }
    Ok(())
}

fn requires(v: &Version, feature: Feature, what: &str) -> Result<(), String> {
    v.requires(feature).map_err(|too_old| {
        format!(
            "{what}' is available in Alertmanager >= {} only - current {v}",
            too_old.min_version
        )
    })
}

/// The message of the reference's `checkReceivers` for an integration the
/// version lacks.
pub(super) fn integration(v: &Version, feature: Feature, name: &str) -> Result<(), String> {
    v.requires(feature).map_err(|too_old| {
        format!(
            "invalid syntax in receivers config; {name} integration is only available in Alertmanager >= {}",
            too_old.min_version
        )
    })
}

/// Version gates and references of the receivers (`checkReceivers`).
fn receivers(amc: &AlertmanagerConfig, s: &Secrets<'_>, v: &Version) -> Result<(), String> {
    let present = |n: usize| n > 0;
    for r in amc.spec.receivers.iter().flatten() {
        for c in r.pagerduty_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            for sel in [&c.routing_key, &c.service_key].into_iter().flatten() {
                s.get(sel)?;
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        for c in r.opsgenie_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            if !v.supports(Feature::OpsgenieTeamsResponder)
                && c.responders.iter().flatten().any(|r| {
                    serde_json::to_value(r.type_)
                        .ok()
                        .and_then(|x| x.as_str().map(str::to_owned))
                        .as_deref()
                        == Some("teams")
                })
            {
                return Err(format!(
                    "'teams' set in 'opsgenieResponder' but supported in Alertmanager >= {} only",
                    Feature::OpsgenieTeamsResponder.minimum()
                ));
            }
            if let Some(sel) = &c.api_key {
                s.get(sel)?;
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        if present(r.discord_configs.as_ref().map_or(0, Vec::len)) {
            requires(v, Feature::Discord, "discordConfigs")?;
        }
        for c in r.discord_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            http_secrets(c.http_config.as_ref(), s)?;
            let u = s
                .get(&c.api_url)
                .map_err(|e| format!("failed to retrieve API URL: {e}"))?;
            url(u.trim()).map_err(|e| format!("failed to validate API URL: {e}"))?;
        }
        for c in r.slack_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            let mut api = String::new();
            if let Some(sel) = &c.api_url {
                api = s.get(sel)?;
                url(api.trim()).map_err(|e| format!("failed to validate API URL: {e}"))?;
            }
            if c.message_text.is_some() {
                requires(v, Feature::SlackMessageText, "messageText")?;
            }
            if let Some(update) = c.update_message {
                requires(v, Feature::SlackUpdateMessage, "updateMessage")?;
                if update && !api.is_empty() && api != "https://slack.com/api/chat.postMessage" {
                    return Err("updateMessage' can only be used with bot tokens. API URL must be set to https://slack.com/api/chat.postMessage".to_owned());
                }
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        for c in r.webhook_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            let mut url = c.url.clone().unwrap_or_default();
            if let Some(sel) = &c.url_secret {
                url = s.get(sel)?.trim().to_owned();
                template_url(&url).map_err(|e| format!("failed to validate URL: {e}"))?;
            }
            // The reference accepts a templated URL for any version, but
            // Alertmanager parses it as a plain URL before 0.31 and refuses
            // the whole configuration; promop skips this object instead.
            if url.contains("{{") {
                requires(v, Feature::WebhookTemplatedUrl, "a templated 'url")?;
            }
            if c.payload.is_some() {
                requires(v, Feature::WebhookPayload, "payload")?;
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        for c in r.wechat_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            if let Some(sel) = &c.api_secret {
                s.get(sel)?;
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        if present(r.webex_configs.as_ref().map_or(0, Vec::len)) {
            requires(v, Feature::Webex, "webexConfigs")?;
        }
        for c in r.webex_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            http_secrets(c.http_config.as_ref(), s)?;
        }
        for c in r.email_configs.iter().flatten() {
            for sel in [&c.auth_password, &c.auth_secret].into_iter().flatten() {
                s.get(sel)?;
            }
            if let Some(tls) = &c.tls_config {
                tls_secrets(tls, s)?;
            }
            if c.force_implicit_tls.is_some() {
                requires(v, Feature::SmtpForceImplicitTls, "forceImplicitTLS")?;
            }
            if c.threading.is_some() {
                requires(v, Feature::EmailThreading, "threading")?;
            }
        }
        for c in r.victorops_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            if let Some(sel) = &c.api_key {
                s.get(sel)?;
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        for c in r.pushover_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            for (sel, name) in [(&c.user_key, "userKey"), (&c.token, "token")] {
                let sel = sel
                    .as_ref()
                    .ok_or_else(|| format!("mandatory field {name} is empty"))?;
                if s.get(sel)?.is_empty() {
                    return Err("mandatory field userKey is empty".to_owned());
                }
            }
            if c.html == Some(true) && c.monospace == Some(true) {
                return Err("html and monospace options are mutually exclusive".to_owned());
            }
            for d in [&c.expire, &c.retry]
                .into_iter()
                .flatten()
                .filter(|d| !d.is_empty())
            {
                super::duration::parse(d)?;
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        for c in r.sns_configs.iter().flatten() {
            if c.use_aws_http_client.is_some() {
                requires(
                    v,
                    Feature::SnsAwsHttpClientAndExternalId,
                    "useAWSHTTPClient",
                )?;
            }
            http_version(c.http_config.as_ref(), v)?;
            if let Some(sig) = &c.sigv4 {
                for sel in [&sig.access_key, &sig.secret_key].into_iter().flatten() {
                    s.get(sel)?;
                }
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        if present(r.telegram_configs.as_ref().map_or(0, Vec::len)) {
            requires(v, Feature::Telegram, "telegramConfigs")?;
        }
        for c in r.telegram_configs.iter().flatten() {
            if c.bot_token_file.is_some() {
                requires(v, Feature::TelegramFiles, "botTokenFile")?;
            }
            http_version(c.http_config.as_ref(), v)?;
            if let Some(sel) = &c.bot_token {
                s.get(sel)?;
            }
            http_secrets(c.http_config.as_ref(), s)?;
        }
        if present(r.msteams_configs.as_ref().map_or(0, Vec::len)) {
            integration(v, Feature::Msteams, "msteams")?;
        }
        for c in r.msteams_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            s.get(&c.webhook_url)?;
            http_secrets(c.http_config.as_ref(), s)?;
        }
        if present(r.msteamsv2_configs.as_ref().map_or(0, Vec::len)) {
            integration(v, Feature::MsteamsV2, "msteamsv2")?;
        }
        for c in r.msteamsv2_configs.iter().flatten() {
            if let Some(sel) = &c.webhook_url {
                s.get(sel)?;
            }
            http_version(c.http_config.as_ref(), v)?;
            http_secrets(c.http_config.as_ref(), s)?;
        }
        if present(r.rocketchat_configs.as_ref().map_or(0, Vec::len)) {
            requires(v, Feature::RocketChat, "rocketChatConfigs")?;
        }
        for c in r.rocketchat_configs.iter().flatten() {
            http_version(c.http_config.as_ref(), v)?;
            http_secrets(c.http_config.as_ref(), s)?;
            s.get(&c.token)
                .map_err(|e| format!("failed to retrieve RocketChat token: {e}"))?;
            s.get(&c.token_id)
                .map_err(|e| format!("failed to retrieve RocketChat token ID: {e}"))?;
        }
    }
    Ok(())
}

fn route_version(r: &Route, v: &Version) -> Result<(), String> {
    let ms = r.matchers.as_deref().unwrap_or_default();
    if !v.supports(Feature::MatchersV2) && matchers::any_v2(ms) {
        return Err(format!(
            "invalid syntax in route config for 'matchers' comparison based matching is supported in Alertmanager >= {} only (matchers={}) (receiver={})",
            Feature::MatchersV2.minimum(),
            matchers::go_list(ms),
            r.receiver.as_deref().unwrap_or_default()
        ));
    }
    for child in r.child_routes().map_err(|e| e.to_string())? {
        route_version(&child, v)?;
    }
    Ok(())
}

/// `checkAlertmanagerConfigResource`.
pub fn check(amc: &AlertmanagerConfig, secrets: &Secrets<'_>, v: &Version) -> Result<(), String> {
    semantic(amc)?;
    receivers(amc, secrets, v)?;
    if let Some(route) = &amc.spec.route {
        route_version(route, v)?;
    }
    inhibit_rules::check(
        amc.spec.inhibit_rules.as_deref().unwrap_or_default(),
        amc.metadata.name.as_deref().unwrap_or_default(),
        v,
    )
}
