//! Slack receiver.
use promop_api::v1alpha1::alertmanager_config::SlackConfig;

use super::{Ctx, duration, http, text};
use crate::yaml::{Mapping, Node};

pub fn convert(c: &SlackConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved);
    if let Some(sel) = &c.api_url {
        out.insert("api_url", ctx.secrets.get(sel)?.trim().to_owned());
    }
    out.insert("channel", text(&c.channel))
        .insert("username", text(&c.username))
        .insert("color", text(&c.color))
        .insert("title", text(&c.title))
        .insert("title_link", text(&c.title_link))
        .insert("pretext", text(&c.pretext))
        .insert("text", text(&c.text))
        .insert("short_fields", c.short_fields.unwrap_or(false))
        .insert("footer", text(&c.footer))
        .insert("fallback", text(&c.fallback))
        .insert("callback_id", text(&c.callback_id))
        .insert("icon_emoji", text(&c.icon_emoji))
        .insert("icon_url", text(&c.icon_url))
        .insert("image_url", text(&c.image_url))
        .insert("thumb_url", text(&c.thumb_url))
        .insert("link_names", c.link_names.unwrap_or(false))
        .insert(
            "mrkdwn_in",
            Node::from(c.mrkdwn_in.clone().unwrap_or_default()),
        )
        .insert("message_text", text(&c.message_text))
        .insert_opt("update_message", c.update_message);
    let actions: Vec<Node> = c
        .actions
        .iter()
        .flatten()
        .map(|a| {
            let mut m = Mapping::new();
            m.insert("type", a.type_.as_str())
                .insert("text", a.text.as_str())
                .insert("url", text(&a.url))
                .insert("style", text(&a.style))
                .insert("name", text(&a.name))
                .insert("value", text(&a.value));
            if let Some(confirm) = &a.confirm {
                let mut cm = Mapping::new();
                cm.insert("text", confirm.text.as_str())
                    .insert("title", text(&confirm.title))
                    .insert("ok_text", text(&confirm.ok_text))
                    .insert("dismiss_text", text(&confirm.dismiss_text));
                m.insert("confirm", cm);
            }
            Node::Map(m)
        })
        .collect();
    out.insert("actions", Node::Seq(actions));
    let fields: Vec<Node> = c
        .fields
        .iter()
        .flatten()
        .map(|f| {
            let mut m = Mapping::new();
            m.insert("title", f.title.as_str())
                .insert("value", f.value.as_str())
                .insert("short", f.short.unwrap_or(false));
            Node::Map(m)
        })
        .collect();
    out.insert("fields", Node::Seq(fields))
        .insert("http_config", http(c.http_config.as_ref(), ctx)?)
        .insert_opt(
            "timeout",
            duration(c.timeout.as_ref().map(|d| d.0.as_str()))?,
        );
    Ok(out)
}
