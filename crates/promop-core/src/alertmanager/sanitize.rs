//! Sanitizing the merged configuration for `spec.version`: fields an older
//! Alertmanager lacks are dropped (the reference logs a warning), a few are
//! refused (the whole configuration fails), conflicting pairs keep the
//! inline value. Runs on the shaped tree, where unset fields are absent.
//! Each receiver's sanitizing is in its module under `receivers/`; the
//! helpers they share are here.
use super::version::{Feature, Version, needs};
use super::{duration, receivers};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

type Result = std::result::Result<(), RejectionKind>;

/// Whether `key` is set (the shaped tree keeps some unset fields as null).
pub(super) fn has(m: &Mapping, key: &str) -> bool {
    m.get(key).is_some_and(|v| !matches!(v, Node::Null))
}

/// The string value of `key`, "" when unset.
pub(super) fn text<'a>(m: &'a Mapping, key: &str) -> &'a str {
    match m.get(key) {
        Some(Node::Str(s)) => s,
        _ => "",
    }
}

/// Drops `key` when the version lacks `feature`.
pub(super) fn gate(m: &mut Mapping, v: &Version, key: &str, feature: Feature) {
    if !v.supports(feature) {
        m.remove(key);
    }
}

/// Of two exclusive fields, the first wins.
pub(super) fn exclusive(m: &mut Mapping, kept: &str, dropped: &str) {
    if has(m, kept) && has(m, dropped) {
        m.remove(dropped);
    }
}

/// The mappings of the list `key`.
pub(super) fn maps_mut<'a>(m: &'a mut Mapping, key: &str) -> Vec<&'a mut Mapping> {
    match m.get_mut(key) {
        Some(Node::Seq(items)) => items
            .iter_mut()
            .filter_map(|i| match i {
                Node::Map(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The mapping `key`.
pub(super) fn map_mut<'a>(m: &'a mut Mapping, key: &str) -> Option<&'a mut Mapping> {
    match m.get_mut(key) {
        Some(Node::Map(m)) => Some(m),
        _ => None,
    }
}

pub fn config(c: &mut Mapping, v: &Version) -> Result {
    if let Some(g) = map_mut(c, "global") {
        global(g, v)?;
    }
    for r in maps_mut(c, "receivers") {
        receivers::sanitize(r, v)?;
    }
    for (i, rule) in maps_mut(c, "inhibit_rules").into_iter().enumerate() {
        if has(rule, "source_matchers") || has(rule, "target_matchers") {
            needs(v, Feature::MatchersV2, |min| {
                format!(
                    "inhibit_rules[{i}]: target_matchers and source_matchers matching is supported in Alertmanager >= {min} only"
                )
            })?;
        }
    }
    gate(c, v, "mute_time_intervals", Feature::MuteTimeIntervals);
    gate(c, v, "time_intervals", Feature::TimeIntervals);
    if !v.supports(Feature::TimeIntervalLocation) {
        for key in ["mute_time_intervals", "time_intervals"] {
            for ti in maps_mut(c, key) {
                for spec in maps_mut(ti, "time_intervals") {
                    spec.remove("location");
                }
            }
        }
    }
    match map_mut(c, "route") {
        Some(r) => route(r, v),
        None => Ok(()),
    }
}

fn global(g: &mut Mapping, v: &Version) -> Result {
    if let Some(h) = map_mut(g, "http_config") {
        http(h, v)?;
    }
    gate(g, v, "smtp_tls_config", Feature::SmtpTlsConfig);
    exclusive(g, "slack_api_url", "slack_api_url_file");
    gate(g, v, "slack_api_url_file", Feature::SlackApiUrlFile);
    for key in ["slack_app_token", "slack_app_token_file", "slack_app_url"] {
        gate(g, v, key, Feature::SlackAppToken);
    }
    exclusive(g, "slack_app_token", "slack_app_token_file");
    let app = has(g, "slack_app_token") || has(g, "slack_app_token_file");
    if app
        && has(g, "slack_api_url")
        && has(g, "slack_app_url")
        && text(g, "slack_api_url") != text(g, "slack_app_url")
    {
        return Err("at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured (unless slack_api_url matches slack_app_url)".into());
    }
    gate(g, v, "opsgenie_api_key_file", Feature::OpsgenieApiKeyFile);
    gate(
        g,
        v,
        "smtp_auth_password_file",
        Feature::SmtpAuthPasswordFile,
    );
    exclusive(g, "smtp_auth_password", "smtp_auth_password_file");
    gate(g, v, "victorops_api_key_file", Feature::VictorOpsApiKeyFile);
    exclusive(g, "victorops_api_key", "victorops_api_key_file");
    gate(g, v, "wechat_api_secret_file", Feature::WeChatApiSecretFile);
    exclusive(g, "wechat_api_secret", "wechat_api_secret_file");
    gate(g, v, "telegram_bot_token", Feature::GlobalTelegramBotToken);
    gate(
        g,
        v,
        "telegram_bot_token_file",
        Feature::GlobalTelegramBotToken,
    );
    exclusive(g, "telegram_bot_token", "telegram_bot_token_file");
    gate(g, v, "smtp_auth_secret_file", Feature::SmtpAuthSecretFile);
    exclusive(g, "smtp_auth_secret", "smtp_auth_secret_file");
    gate(
        g,
        v,
        "smtp_force_implicit_tls",
        Feature::SmtpForceImplicitTls,
    );
    gate(g, v, "mattermost_webhook_url", Feature::MattermostGlobal);
    gate(
        g,
        v,
        "mattermost_webhook_url_file",
        Feature::MattermostGlobal,
    );
    exclusive(g, "mattermost_webhook_url", "mattermost_webhook_url_file");
    Ok(())
}

const TLS_VERSIONS: [&str; 4] = ["TLS10", "TLS11", "TLS12", "TLS13"];

fn tls(t: &mut Mapping, v: &Version) -> Result {
    gate(t, v, "min_version", Feature::TlsMinMaxVersion);
    gate(t, v, "max_version", Feature::TlsMinMaxVersion);
    let rank = |key: &str| -> std::result::Result<Option<usize>, RejectionKind> {
        let value = text(t, key);
        if value.is_empty() {
            return Ok(None);
        }
        TLS_VERSIONS
            .iter()
            .position(|x| *x == value)
            .map(Some)
            // The value is not quoted: it may come from a Secret.
            .ok_or_else(|| format!("unknown TLS version in '{key}'").into())
    };
    if let (Some(min), Some(max)) = (rank("min_version")?, rank("max_version")?)
        && min > max
    {
        return Err(format!(
            "max TLS version {:?} must be greater than or equal to min TLS version {:?}",
            text(t, "max_version"),
            text(t, "min_version")
        )
        .into());
    }
    Ok(())
}

/// The proxy fields shared by `http_config` and `oauth2`.
fn proxy(m: &mut Mapping, v: &Version) -> Result {
    if v.supports(Feature::HttpConfigProxyFields) {
        let url = has(m, "proxy_url");
        let env = has(m, "proxy_from_environment");
        if has(m, "proxy_connect_header") && !env && !url {
            return Err("if 'proxy_connect_header' is configured, 'proxy_url' or 'proxy_from_environment' must also be configured".into());
        }
        if env && url {
            return Err(
                "if 'proxy_from_environment' is configured, 'proxy_url' must not be configured"
                    .into(),
            );
        }
        if env && has(m, "no_proxy") {
            return Err(
                "if 'proxy_from_environment' is configured, 'no_proxy' must not be configured"
                    .into(),
            );
        }
        if !url && has(m, "no_proxy") {
            return Err("if 'no_proxy' is configured, 'proxy_url' must also be configured".into());
        }
        return Ok(());
    }
    for key in ["proxy_from_environment", "no_proxy", "proxy_connect_header"] {
        m.remove(key);
    }
    Ok(())
}

fn http(h: &mut Mapping, v: &Version) -> Result {
    for (key, feature) in [
        ("authorization", Feature::Authorization),
        ("oauth2", Feature::OAuth2),
    ] {
        if has(h, key) {
            needs(v, feature, |min| {
                format!("'{key}' set in 'http_config' but supported in Alertmanager >= {min} only")
            })?;
        }
    }
    gate(h, v, "follow_redirects", Feature::FollowRedirects);
    gate(h, v, "enable_http2", Feature::EnableHttp2);
    gate(h, v, "http_headers", Feature::HttpHeaders);
    if let Some(t) = map_mut(h, "tls_config") {
        tls(t, v)?;
    }
    proxy(h, v)?;
    if let Some(o) = map_mut(h, "oauth2")
        && !v.supports(Feature::OAuth2Proxy)
    {
        for key in [
            "proxy_url",
            "no_proxy",
            "proxy_from_environment",
            "proxy_connect_header",
        ] {
            o.remove(key);
        }
    }
    Ok(())
}

/// Sanitizes the `http_config` of an integration.
pub(super) fn http_of(c: &mut Mapping, v: &Version) -> Result {
    match map_mut(c, "http_config") {
        Some(h) => http(h, v),
        None => Ok(()),
    }
}

/// The message of Alertmanager's loader for an integration the version
/// lacks.
pub(super) fn requires(v: &Version, feature: Feature, what: &str) -> Result {
    needs(v, feature, |min| {
        format!(
            "invalid syntax in receivers config; {what} integration is available in Alertmanager >= {min}"
        )
    })
}

/// Routes: new-syntax matchers need 0.22, time intervals are dropped on
/// versions without them, zero intervals are left to Alertmanager's
/// defaults.
fn route(r: &mut Mapping, v: &Version) -> Result {
    if has(r, "matchers") {
        needs(v, Feature::MatchersV2, |min| {
            format!(
                "invalid syntax in route config for 'matchers' comparison based matching is supported in Alertmanager >= {min} only"
            )
        })?;
    }
    gate(r, v, "mute_time_intervals", Feature::MuteTimeIntervals);
    gate(r, v, "active_time_intervals", Feature::TimeIntervals);
    if has(r, "group_wait") {
        duration::parse(text(r, "group_wait")).map_err(|e| e.context("group_wait"))?;
    }
    for key in ["group_interval", "repeat_interval"] {
        if has(r, key) {
            let d = duration::parse(text(r, key)).map_err(|e| e.context(key))?;
            if d == 0 {
                r.remove(key);
            }
        }
    }
    for (i, child) in maps_mut(r, "routes").into_iter().enumerate() {
        route(child, v).map_err(|e| e.context(&format!("route[{i}]")))?;
    }
    Ok(())
}
