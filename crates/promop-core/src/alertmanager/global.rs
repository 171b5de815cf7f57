//! `spec.alertmanagerConfiguration.global`: the global section of a
//! configuration built from an AlertmanagerConfig.
use promop_api::v1::alertmanager::AlertmanagerGlobalConfig;

use super::http_config::{self, HttpParts};
use super::secrets::Secrets;
use super::version::{Feature, Version, needs};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

/// The reference's version checks of the global section.
pub fn check(
    g: &AlertmanagerGlobalConfig,
    secrets: &Secrets<'_>,
    version: &Version,
) -> Result<(), RejectionKind> {
    let requires = |what: &str, feature: Feature, wording: &str| {
        needs(version, feature, |min| {
            format!("'{what}' {wording} Alertmanager >= {min} - current {version}")
        })
    };
    if g.smtp
        .as_ref()
        .is_some_and(|s| s.force_implicit_tls.is_some())
    {
        requires(
            "forceImplicitTLS",
            Feature::SmtpForceImplicitTls,
            "integration requires",
        )?;
    }
    if g.telegram.is_some() {
        requires("telegram", Feature::Telegram, "integration requires")?;
    }
    if g.jira.is_some() {
        requires("jira", Feature::Jira, "integration requires")?;
    }
    if let Some(key) = g.victorops.as_ref().and_then(|v| v.api_key.as_ref()) {
        secrets.get(key)?;
    }
    if let Some(rc) = &g.rocket_chat {
        requires("rocketChat", Feature::RocketChat, "integration requires")?;
        for sel in [&rc.token, &rc.token_id].into_iter().flatten() {
            secrets.get(sel)?;
        }
    }
    if g.webex.is_some() {
        requires("webex", Feature::Webex, "integration requires")?;
    }
    if let Some(key) = g.wechat.as_ref().and_then(|w| w.api_secret.as_ref()) {
        secrets.get(key)?;
    }
    if let Some(mm) = &g.mattermost {
        requires(
            "mattermost",
            Feature::MattermostGlobal,
            "global parameters require",
        )?;
        if let Some(sel) = &mm.webhook_url {
            secrets
                .get(sel)
                .map_err(|e| e.context("failed to retrieve Mattermost Webhook URL"))?;
        }
    }
    Ok(())
}

/// Converts the global section (Secrets read inline).
pub fn convert(
    g: &AlertmanagerGlobalConfig,
    secrets: &Secrets<'_>,
) -> Result<Mapping, RejectionKind> {
    let mut out = Mapping::new();
    if let Some(smtp) = &g.smtp {
        out.insert_opt("smtp_from", smtp.from.as_deref())
            .insert_opt("smtp_hello", smtp.hello.as_deref())
            .insert_opt("smtp_auth_username", smtp.auth_username.as_deref())
            .insert_opt("smtp_auth_identity", smtp.auth_identity.as_deref())
            .insert_opt("smtp_force_implicit_tls", smtp.force_implicit_tls)
            .insert_opt("smtp_require_tls", smtp.require_tls);
        if let Some(hp) = &smtp.smart_host {
            out.insert(
                "smtp_smarthost",
                super::types::join_host_port(&hp.host, &hp.port),
            );
        }
        if let Some(tls) = &smtp.tls_config {
            out.insert("smtp_tls_config", http_config::tls_config(tls, secrets));
        }
        let invalid = |e: RejectionKind| e.context("invalid global smtpConfig");
        if let Some(sel) = &smtp.auth_password {
            out.insert("smtp_auth_password", secrets.get(sel).map_err(invalid)?);
        }
        if let Some(sel) = &smtp.auth_secret {
            out.insert("smtp_auth_secret", secrets.get(sel).map_err(invalid)?);
        }
    }
    if let Some(h) = &g.http_config {
        let parts = HttpParts {
            authorization: h.http.http.authorization.as_ref(),
            basic_auth: h.http.http.basic_auth.as_ref(),
            oauth2: h.http.http.oauth2.as_ref(),
            bearer_token_secret: h.http.http.bearer_token_secret.as_ref(),
            tls_config: h.http.tls_config.as_ref(),
            proxy: Some(&h.proxy),
            proxy_url: None,
            follow_redirects: h.http.http.follow_redirects,
            enable_http2: h.http.http.enable_http2,
        };
        let http = http_config::convert(&parts, secrets)
            .map_err(|e| e.context("invalid global httpConfig"))?;
        out.insert("http_config", http);
    }
    if let Some(t) = &g.resolve_timeout {
        let canonical =
            super::duration::canonical(&t.0).map_err(|e| e.context("parse resolve timeout"))?;
        out.insert("resolve_timeout", canonical);
    }
    if let Some(sel) = &g.slack_api_url {
        out.insert(
            "slack_api_url",
            secrets
                .get(sel)
                .map_err(|e| e.context("failed to get Slack API URL"))?,
        );
    }
    if let Some(sel) = &g.ops_genie_api_url {
        out.insert(
            "opsgenie_api_url",
            secrets
                .get(sel)
                .map_err(|e| e.context("failed to get OpsGenie API URL"))?,
        );
    }
    if let Some(sel) = &g.ops_genie_api_key {
        out.insert(
            "opsgenie_api_key",
            secrets
                .get(sel)
                .map_err(|e| e.context("failed to get OpsGenie API KEY"))?,
        );
    }
    out.insert_opt(
        "pagerduty_url",
        g.pagerduty_url.as_ref().map(|u| u.0.as_str()),
    )
    .insert_opt(
        "telegram_api_url",
        g.telegram
            .as_ref()
            .and_then(|t| t.api_url.as_ref())
            .map(|u| u.0.as_str()),
    )
    .insert_opt(
        "jira_api_url",
        g.jira
            .as_ref()
            .and_then(|t| t.api_url.as_ref())
            .map(|u| u.0.as_str()),
    );
    if let Some(rc) = &g.rocket_chat {
        out.insert_opt(
            "rocketchat_api_url",
            rc.api_url.as_ref().map(|u| u.0.as_str()),
        );
        if let Some(sel) = &rc.token {
            out.insert("rocketchat_token", secrets.get(sel)?);
        }
        if let Some(sel) = &rc.token_id {
            out.insert("rocketchat_token_id", secrets.get(sel)?);
        }
    }
    out.insert_opt(
        "webex_api_url",
        g.webex
            .as_ref()
            .and_then(|t| t.api_url.as_ref())
            .map(|u| u.0.as_str()),
    );
    if let Some(w) = &g.wechat {
        out.insert_opt("wechat_api_url", w.api_url.as_ref().map(|u| u.0.as_str()));
        if let Some(sel) = &w.api_secret {
            out.insert("wechat_api_secret", secrets.get(sel)?);
        }
        out.insert_opt("wechat_api_corp_id", w.api_corp_id.as_deref());
    }
    if let Some(v) = &g.victorops {
        out.insert_opt(
            "victorops_api_url",
            v.api_url.as_ref().map(|u| u.0.as_str()),
        );
        if let Some(sel) = &v.api_key {
            out.insert("victorops_api_key", secrets.get(sel)?);
        }
    }
    if let Some(sel) = g.mattermost.as_ref().and_then(|m| m.webhook_url.as_ref()) {
        out.insert("mattermost_webhook_url", secrets.get(sel)?);
    }
    Ok(out)
}
