//! Rocket.Chat receiver.
use promop_api::v1alpha1::alertmanager_config::RocketChatConfig;

use super::{Ctx, http, required, text};
use crate::yaml::{Mapping, Node};

pub fn convert(c: &RocketChatConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("api_url", text(&c.api_url))
        .insert("token", required(ctx, &c.token, "RocketChat token")?)
        .insert(
            "token_id",
            required(ctx, &c.token_id, "RocketChat token ID")?,
        )
        .insert("channel", text(&c.channel))
        .insert("color", text(&c.color))
        .insert("title", text(&c.title))
        .insert("title_link", text(&c.title_link))
        .insert("text", text(&c.text))
        .insert("short_fields", c.short_fields.unwrap_or(false))
        .insert("emoji", text(&c.emoji))
        .insert("icon_url", text(&c.icon_url))
        .insert("image_url", text(&c.image_url))
        .insert("thumb_url", text(&c.thumb_url))
        .insert("link_names", c.link_names.unwrap_or(false));
    let fields: Vec<Node> = c
        .fields
        .iter()
        .flatten()
        .map(|f| {
            let mut m = Mapping::new();
            m.insert_opt("short", f.short)
                .insert("title", text(&f.title))
                .insert("value", text(&f.value));
            Node::Map(m)
        })
        .collect();
    let actions: Vec<Node> = c
        .actions
        .iter()
        .flatten()
        .map(|a| {
            let mut m = Mapping::new();
            m.insert("text", text(&a.text))
                .insert("url", text(&a.url))
                .insert("msg", text(&a.msg));
            Node::Map(m)
        })
        .collect();
    out.insert("fields", Node::Seq(fields))
        .insert("actions", Node::Seq(actions))
        .insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}
