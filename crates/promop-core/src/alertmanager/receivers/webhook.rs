//! Webhook receiver.
use promop_api::v1alpha1::alertmanager_config::WebhookConfig;

use super::{Ctx, duration, http};
use crate::yaml::{Mapping, Node};

pub fn convert(c: &WebhookConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let url = match (&c.url_secret, &c.url) {
        (Some(sel), _) => Some(ctx.secrets.get(sel)?),
        (None, Some(url)) => Some(url.clone()),
        (None, None) => None,
    };
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert_opt("url", url)
        .insert("http_config", http(c.http_config.as_ref(), ctx)?)
        .insert(
            "max_alerts",
            Node::Int(c.max_alerts.unwrap_or(0).max(0).into()),
        )
        .insert_opt(
            "timeout",
            duration(c.timeout.as_ref().map(|d| d.0.as_str()))?,
        )
        .insert_opt("payload", c.payload.as_deref());
    Ok(out)
}
