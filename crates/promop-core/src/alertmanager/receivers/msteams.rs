//! Microsoft Teams receivers (message cards and the v2 adaptive cards).
use promop_api::v1alpha1::alertmanager_config::{MsTeamsConfig, MsTeamsV2Config};

use super::{Ctx, http};
use crate::yaml::Mapping;

pub fn convert_v1(c: &MsTeamsConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert_opt("title", c.title.as_deref())
        .insert_opt("text", c.text.as_deref())
        .insert_opt("summary", c.summary.as_deref())
        .insert("webhook_url", ctx.secrets.get(&c.webhook_url)?)
        .insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}

pub fn convert_v2(c: &MsTeamsV2Config, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert_opt("title", c.title.as_deref())
        .insert_opt("text", c.text.as_deref());
    if let Some(sel) = &c.webhook_url {
        out.insert("webhook_url", ctx.secrets.get(sel)?);
    }
    out.insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}
