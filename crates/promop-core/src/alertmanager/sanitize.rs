//! Sanitizing the merged configuration for `spec.version`: fields an older
//! Alertmanager lacks are dropped (the reference logs a warning), a few are
//! refused (the whole configuration fails), conflicting pairs keep the
//! inline value. Runs on the shaped tree, where unset fields are absent.
use super::duration;
use super::version::{Feature, Version};
use crate::version::Gate;
use crate::yaml::{Mapping, Node};

type Result = std::result::Result<(), String>;

fn has(m: &Mapping, key: &str) -> bool {
    m.get(key).is_some_and(|v| !matches!(v, Node::Null))
}

fn text<'a>(m: &'a Mapping, key: &str) -> &'a str {
    match m.get(key) {
        Some(Node::Str(s)) => s,
        _ => "",
    }
}

/// Drops `key` when the version lacks `feature`.
fn gate(m: &mut Mapping, v: &Version, key: &str, feature: Feature) {
    if !v.supports(feature) {
        m.remove(key);
    }
}

/// Of two exclusive fields, the first wins.
fn exclusive(m: &mut Mapping, kept: &str, dropped: &str) {
    if has(m, kept) && has(m, dropped) {
        m.remove(dropped);
    }
}

fn maps_mut<'a>(m: &'a mut Mapping, key: &str) -> Vec<&'a mut Mapping> {
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

fn map_mut<'a>(m: &'a mut Mapping, key: &str) -> Option<&'a mut Mapping> {
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
        receiver(r, v)?;
    }
    for (i, rule) in maps_mut(c, "inhibit_rules").into_iter().enumerate() {
        if !v.supports(Feature::MatchersV2)
            && (has(rule, "source_matchers") || has(rule, "target_matchers"))
        {
            return Err(format!(
                "inhibit_rules[{i}]: target_matchers and source_matchers matching is supported in Alertmanager >= {} only",
                Feature::MatchersV2.minimum()
            ));
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
        return Err("at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured (unless slack_api_url matches slack_app_url)".to_owned());
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
    let rank = |key: &str| -> std::result::Result<Option<usize>, String> {
        let value = text(t, key);
        if value.is_empty() {
            return Ok(None);
        }
        TLS_VERSIONS
            .iter()
            .position(|x| *x == value)
            .map(Some)
            .ok_or_else(|| format!("unknown TLS version: {value}"))
    };
    if let (Some(min), Some(max)) = (rank("min_version")?, rank("max_version")?)
        && min > max
    {
        return Err(format!(
            "max TLS version {:?} must be greater than or equal to min TLS version {:?}",
            text(t, "max_version"),
            text(t, "min_version")
        ));
    }
    Ok(())
}

/// The proxy fields shared by `http_config` and `oauth2`.
fn proxy(m: &mut Mapping, v: &Version) -> Result {
    if v.supports(Feature::HttpConfigProxyFields) {
        let url = has(m, "proxy_url");
        let env = has(m, "proxy_from_environment");
        if has(m, "proxy_connect_header") && !env && !url {
            return Err("if 'proxy_connect_header' is configured, 'proxy_url' or 'proxy_from_environment' must also be configured".to_owned());
        }
        if env && url {
            return Err(
                "if 'proxy_from_environment' is configured, 'proxy_url' must not be configured"
                    .to_owned(),
            );
        }
        if env && has(m, "no_proxy") {
            return Err(
                "if 'proxy_from_environment' is configured, 'no_proxy' must not be configured"
                    .to_owned(),
            );
        }
        if !url && has(m, "no_proxy") {
            return Err(
                "if 'no_proxy' is configured, 'proxy_url' must also be configured".to_owned(),
            );
        }
        return Ok(());
    }
    for key in ["proxy_from_environment", "no_proxy", "proxy_connect_header"] {
        m.remove(key);
    }
    Ok(())
}

fn http(h: &mut Mapping, v: &Version) -> Result {
    if has(h, "authorization") && !v.supports(Feature::Authorization) {
        return Err(format!(
            "'authorization' set in 'http_config' but supported in Alertmanager >= {} only",
            Feature::Authorization.minimum()
        ));
    }
    if has(h, "oauth2") && !v.supports(Feature::OAuth2) {
        return Err(format!(
            "'oauth2' set in 'http_config' but supported in Alertmanager >= {} only",
            Feature::OAuth2.minimum()
        ));
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

fn http_of(c: &mut Mapping, v: &Version) -> Result {
    match map_mut(c, "http_config") {
        Some(h) => http(h, v),
        None => Ok(()),
    }
}

fn requires(v: &Version, feature: Feature, what: &str) -> Result {
    v.requires(feature).map_err(|too_old| {
        format!(
            "invalid syntax in receivers config; {what} integration is available in Alertmanager >= {}",
            too_old.min_version
        )
    })
}

fn receiver(r: &mut Mapping, v: &Version) -> Result {
    for c in maps_mut(r, "email_configs") {
        gate(c, v, "auth_password_file", Feature::SmtpAuthPasswordFile);
        exclusive(c, "auth_password", "auth_password_file");
        gate(c, v, "force_implicit_tls", Feature::SmtpForceImplicitTls);
        gate(c, v, "auth_secret_file", Feature::SmtpAuthSecretFile);
        exclusive(c, "auth_secret", "auth_secret_file");
        gate(c, v, "threading", Feature::EmailThreading);
        if let Some(t) = map_mut(c, "threading")
            && !matches!(text(t, "thread_by_date"), "daily" | "none")
        {
            return Err(
                "invalid 'thread_by_date': the value must be empty, 'daily' or 'none'".to_owned(),
            );
        }
    }
    for c in maps_mut(r, "opsgenie_configs") {
        http_of(c, v)?;
        for key in ["actions", "entity", "update_alerts"] {
            gate(c, v, key, Feature::OpsgenieUpdateFields);
        }
        if !v.supports(Feature::OpsgenieTeamsResponder)
            && maps_mut(c, "responders")
                .iter()
                .any(|r| text(r, "type") == "teams")
        {
            return Err(format!(
                "'teams' set in 'opsgenieResponder' but supported in Alertmanager >= {} only",
                Feature::OpsgenieTeamsResponder.minimum()
            ));
        }
        exclusive(c, "api_key", "api_key_file");
        gate(c, v, "api_key_file", Feature::OpsgenieApiKeyFile);
    }
    for c in maps_mut(r, "pagerduty_configs") {
        for key in ["source", "routing_key_file", "service_key_file"] {
            gate(c, v, key, Feature::PagerDutySourceAndKeyFiles);
        }
        exclusive(c, "service_key", "service_key_file");
        exclusive(c, "routing_key", "routing_key_file");
        gate(c, v, "timeout", Feature::PagerDutyTimeout);
        http_of(c, v)?;
    }
    for c in maps_mut(r, "pushover_configs") {
        pushover(c, v)?;
    }
    for c in maps_mut(r, "slack_configs") {
        slack(c, v)?;
    }
    for c in maps_mut(r, "victorops_configs") {
        http_of(c, v)?;
        gate(c, v, "api_key_file", Feature::VictorOpsApiKeyFile);
        exclusive(c, "api_key", "api_key_file");
    }
    for c in maps_mut(r, "webhook_configs") {
        http_of(c, v)?;
        gate(c, v, "url_file", Feature::WebhookUrlFile);
        exclusive(c, "url", "url_file");
        gate(c, v, "timeout", Feature::WebhookTimeout);
        gate(c, v, "payload", Feature::WebhookPayload);
    }
    for c in maps_mut(r, "msteams_configs") {
        super::validate::integration(v, Feature::Msteams, "msteams")?;
        if text(c, "webhook_url").is_empty() {
            return Err("mandatory field \"webhook_url\" is empty".to_owned());
        }
        gate(c, v, "summary", Feature::MsteamsSummary);
        http_of(c, v)?;
    }
    for c in maps_mut(r, "msteamsv2_configs") {
        requires(v, Feature::MsteamsV2, "msteams v2")?;
        match (has(c, "webhook_url"), has(c, "webhook_url_file")) {
            (false, false) => return Err("no webhook_url or webhook_url_file provided".to_owned()),
            (true, true) => {
                return Err(
                    "both webhook_url and webhook_url_file cannot be set at the same time"
                        .to_owned(),
                );
            }
            _ => {}
        }
        http_of(c, v)?;
    }
    for c in maps_mut(r, "wechat_configs") {
        gate(c, v, "api_secret_file", Feature::WeChatApiSecretFile);
        exclusive(c, "api_secret", "api_secret_file");
        http_of(c, v)?;
    }
    for c in maps_mut(r, "sns_configs") {
        if let Some(s) = map_mut(c, "sigv4") {
            if has(s, "external_id") && !has(s, "role_arn") {
                return Err(
                    "'external_id' in sigv4 config requires 'role_arn' to be set".to_owned(),
                );
            }
            gate(s, v, "external_id", Feature::SnsAwsHttpClientAndExternalId);
            if s.is_empty() {
                c.remove("sigv4");
            }
        }
        gate(
            c,
            v,
            "use_aws_http_client",
            Feature::SnsAwsHttpClientAndExternalId,
        );
        http_of(c, v)?;
    }
    for c in maps_mut(r, "telegram_configs") {
        telegram(c, v)?;
    }
    for c in maps_mut(r, "discord_configs") {
        requires(v, Feature::Discord, "discord")?;
        for key in ["content", "username", "avatar_url"] {
            gate(c, v, key, Feature::DiscordContent);
        }
        http_of(c, v)?;
    }
    for c in maps_mut(r, "webex_configs") {
        requires(v, Feature::Webex, "webex")?;
        if text(c, "room_id").is_empty() {
            return Err("mandatory field \"room_id\" is empty".to_owned());
        }
        http_of(c, v)?;
    }
    for c in maps_mut(r, "jira_configs") {
        requires(v, Feature::Jira, "jira")?;
        gate(c, v, "api_type", Feature::JiraApiType);
        http_of(c, v)?;
    }
    for c in maps_mut(r, "rocketchat_configs") {
        requires(v, Feature::RocketChat, "rocketchat")?;
        if has(c, "token") && has(c, "token_file") {
            return Err("at most one of token & token_file must be configured".to_owned());
        }
        if has(c, "token_id") && has(c, "token_id_file") {
            return Err("at most one of token_id & token_id_file must be configured".to_owned());
        }
        http_of(c, v)?;
    }
    for c in maps_mut(r, "mattermost_configs") {
        requires(v, Feature::Mattermost, "mattermost")?;
        exclusive(c, "webhook_url", "webhook_url_file");
        if !v.supports(Feature::MattermostAttachments) {
            for key in [
                "fallback",
                "color",
                "pretext",
                "author_name",
                "author_link",
                "author_icon",
                "title",
                "title_link",
                "thumb_url",
                "footer",
                "footer_icon",
                "image_url",
                "fields",
            ] {
                c.remove(key);
            }
        }
        http_of(c, v)?;
    }
    for c in maps_mut(r, "incidentio_configs") {
        requires(v, Feature::IncidentIo, "incident.io")?;
        http_of(c, v)?;
    }
    Ok(())
}

fn pushover(c: &mut Mapping, v: &Version) -> Result {
    gate(c, v, "user_key_file", Feature::PushoverFiles);
    if !has(c, "user_key") && !has(c, "user_key_file") {
        return Err("missing mandatory field user_key or user_key_file".to_owned());
    }
    exclusive(c, "user_key", "user_key_file");
    gate(c, v, "token_file", Feature::PushoverFiles);
    if !has(c, "token") && !has(c, "token_file") {
        return Err("missing mandatory field token or token_file".to_owned());
    }
    exclusive(c, "token", "token_file");
    gate(c, v, "ttl", Feature::PushoverTtl);
    gate(c, v, "device", Feature::PushoverFiles);
    if !v.supports(Feature::PushoverMonospace)
        && let Some(m) = c.get_mut("monospace")
        && *m == Node::Bool(true)
    {
        *m = Node::Bool(false);
    }
    if c.get("html") == Some(&Node::Bool(true)) && c.get("monospace") == Some(&Node::Bool(true)) {
        return Err("either monospace or html must be configured".to_owned());
    }
    http_of(c, v)
}

fn slack(c: &mut Mapping, v: &Version) -> Result {
    http_of(c, v)?;
    for key in ["timeout", "app_token", "app_token_file", "app_url"] {
        gate(c, v, key, Feature::SlackTimeoutAndAppUrl);
    }
    gate(c, v, "message_text", Feature::SlackMessageText);
    if has(c, "update_message") {
        if !v.supports(Feature::SlackUpdateMessage) {
            c.remove("update_message");
        } else if c.get("update_message") == Some(&Node::Bool(true))
            && has(c, "api_url")
            && text(c, "api_url") != "https://slack.com/api/chat.postMessage"
        {
            return Err("update_message' can only be used with bot tokens. api_url must be set to https://slack.com/api/chat.postMessage".to_owned());
        }
    }
    exclusive(c, "app_token", "app_token_file");
    if (has(c, "app_token") || has(c, "app_token_file"))
        && (has(c, "api_url") || has(c, "api_url_file"))
    {
        return Err(
            "at most one of app_token/app_token_file & api_url/api_url_file must be configured"
                .to_owned(),
        );
    }
    gate(c, v, "api_url_file", Feature::SlackApiUrlFile);
    exclusive(c, "api_url", "api_url_file");
    Ok(())
}

fn telegram(c: &mut Mapping, v: &Version) -> Result {
    requires(v, Feature::Telegram, "telegram")?;
    gate(c, v, "chat_id_file", Feature::TelegramChatIdFile);
    if !has(c, "chat_id") && !has(c, "chat_id_file") {
        return Err("missing mandatory field chat_id or chat_id_file".to_owned());
    }
    exclusive(c, "chat_id", "chat_id_file");
    gate(c, v, "bot_token_file", Feature::TelegramFiles);
    exclusive(c, "bot_token", "bot_token_file");
    if !has(c, "bot_token")
        && !has(c, "bot_token_file")
        && !v.supports(Feature::TelegramGlobalBotToken)
    {
        return Err("missing mandatory field botToken or botTokenFile".to_owned());
    }
    gate(c, v, "message_thread_id", Feature::TelegramFiles);
    http_of(c, v)
}

/// Routes: new-syntax matchers need 0.22, time intervals are dropped on
/// versions without them, zero intervals are left to Alertmanager's
/// defaults.
fn route(r: &mut Mapping, v: &Version) -> Result {
    if !v.supports(Feature::MatchersV2) && has(r, "matchers") {
        return Err(format!(
            "invalid syntax in route config for 'matchers' comparison based matching is supported in Alertmanager >= {} only",
            Feature::MatchersV2.minimum()
        ));
    }
    gate(r, v, "mute_time_intervals", Feature::MuteTimeIntervals);
    gate(r, v, "active_time_intervals", Feature::TimeIntervals);
    if has(r, "group_wait") {
        duration::parse(text(r, "group_wait")).map_err(|e| format!("group_wait: {e}"))?;
    }
    for key in ["group_interval", "repeat_interval"] {
        if has(r, key) {
            let d = duration::parse(text(r, key)).map_err(|e| format!("{key}: {e}"))?;
            if d == 0 {
                r.remove(key);
            }
        }
    }
    for (i, child) in maps_mut(r, "routes").into_iter().enumerate() {
        route(child, v).map_err(|e| format!("route[{i}]: {e}"))?;
    }
    Ok(())
}
