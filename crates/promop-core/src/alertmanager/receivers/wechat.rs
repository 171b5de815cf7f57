//! WeChat receiver.
use promop_api::v1alpha1::alertmanager_config::WeChatConfig;

use super::{Ctx, http, required, text};
use crate::yaml::Mapping;

pub fn convert(c: &WeChatConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("corp_id", text(&c.corp_id))
        .insert("agent_id", text(&c.agent_id))
        .insert("to_user", text(&c.to_user))
        .insert("to_party", text(&c.to_party))
        .insert("to_tag", text(&c.to_tag))
        .insert("message", text(&c.message))
        .insert("message_type", text(&c.message_type))
        .insert("api_url", text(&c.api_url));
    if let Some(sel) = &c.api_secret {
        out.insert("api_secret", required(ctx, sel, "API secret")?);
    }
    out.insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}
