//! Pushover receiver.
use promop_api::v1alpha1::alertmanager_config::PushoverConfig;

use super::{Ctx, duration, http, required, text};
use crate::yaml::Mapping;

pub fn convert(c: &PushoverConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("title", text(&c.title))
        .insert("message", text(&c.message))
        .insert("url_title", text(&c.url_title))
        .insert("priority", text(&c.priority))
        .insert_opt("html", c.html)
        .insert_opt("monospace", c.monospace)
        .insert("url", text(&c.url))
        .insert(
            "ttl",
            c.ttl.as_ref().map(|d| d.0.clone()).unwrap_or_default(),
        )
        .insert("device", text(&c.device));
    for (field, sel, what) in [
        ("user_key", &c.user_key, "userKey"),
        ("token", &c.token, "token"),
    ] {
        let sel = sel
            .as_ref()
            .ok_or_else(|| format!("mandatory field {what} is empty"))?;
        let value = required(ctx, sel, if what == "token" { "token" } else { "user key" })?;
        if value.is_empty() {
            return Err(format!("mandatory field {what:?} is empty"));
        }
        out.insert(field, value);
    }
    let parsed = |v: &Option<String>, what: &str| {
        duration(v.as_deref()).map_err(|e| format!("parse resolve {what}: {e}"))
    };
    out.insert_opt("retry", parsed(&c.retry, "retry")?)
        .insert_opt("expire", parsed(&c.expire, "expire")?)
        .insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}
