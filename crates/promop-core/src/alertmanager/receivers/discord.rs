//! Discord receiver.
use promop_api::v1alpha1::alertmanager_config::DiscordConfig;

use super::{Ctx, http};
use crate::yaml::Mapping;

pub fn convert(c: &DiscordConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let url = ctx.secrets.get(&c.api_url)?.trim().to_owned();
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert_opt("title", c.title.as_deref())
        .insert_opt("message", c.message.as_deref())
        .insert_opt("content", c.content.as_deref())
        .insert_opt("username", c.username.as_deref())
        .insert_opt("avatar_url", c.avatar_url.as_deref())
        .insert("webhook_url", url)
        .insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}
