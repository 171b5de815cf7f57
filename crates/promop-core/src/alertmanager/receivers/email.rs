//! Email receiver.
use promop_api::v1alpha1::alertmanager_config::{EmailConfig, ThreadByDate};

use super::{Ctx, required, text};
use crate::alertmanager::http_config::tls_config;
use crate::alertmanager::types::{join_host_port, split_host_port};
use crate::yaml::Mapping;

pub fn convert(c: &EmailConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let smarthost = c.smarthost.as_deref().unwrap_or_default();
    let (global_smarthost, global_from) = ctx.global_smtp;
    if smarthost.is_empty() && !global_smarthost {
        return Err("SMTP smarthost is a mandatory field, it is neither specified at global config nor at receiver level".to_owned());
    }
    if c.from.as_deref().unwrap_or_default().is_empty() && !global_from {
        return Err("SMTP from is a mandatory field, it is neither specified at global config nor at receiver level".to_owned());
    }
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("to", text(&c.to))
        .insert("from", text(&c.from))
        .insert("hello", text(&c.hello))
        .insert("auth_username", text(&c.auth_username))
        .insert("auth_identity", text(&c.auth_identity))
        .insert_opt("html", c.html.as_deref())
        .insert_opt("text", c.text.as_deref())
        .insert_opt("require_tls", c.require_tls)
        .insert_opt("force_implicit_tls", c.force_implicit_tls);
    if !smarthost.is_empty() {
        let (host, port) = split_host_port(smarthost)
            .map_err(|e| format!("invalid SMTP smarthost {smarthost:?}: {e}"))?;
        out.insert("smarthost", join_host_port(&host, &port));
    }
    if let Some(sel) = &c.auth_password {
        out.insert("auth_password", required(ctx, sel, "auth password")?);
    }
    if let Some(sel) = &c.auth_secret {
        out.insert("auth_secret", required(ctx, sel, "auth secret")?);
    }
    let headers: std::collections::BTreeMap<_, _> = c
        .headers
        .iter()
        .flatten()
        .map(|h| (h.key.clone(), h.value.clone()))
        .collect();
    out.insert("headers", Mapping::sorted(headers));
    if let Some(tls) = &c.tls_config {
        out.insert("tls_config", tls_config(tls, &ctx.secrets));
    }
    if let Some(t) = &c.threading {
        let mut m = Mapping::new();
        m.insert("enabled", true).insert(
            "thread_by_date",
            match t.thread_by_date {
                ThreadByDate::Daily => "daily",
                ThreadByDate::None => "none",
            },
        );
        out.insert("threading", m);
    }
    Ok(out)
}
