//! Telegram receiver.
use promop_api::v1alpha1::alertmanager_config::TelegramConfig;

use super::{Ctx, http, required};
use crate::yaml::{Mapping, Node};

pub fn convert(c: &TelegramConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    let parse_mode = c
        .parse_mode
        .and_then(|m| serde_json::to_value(m).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("chat_id", Node::Int(c.chat_id))
        .insert("message", c.message.clone().unwrap_or_default())
        .insert(
            "disable_notifications",
            c.disable_notifications.unwrap_or(false),
        )
        .insert("parse_mode", parse_mode)
        .insert(
            "bot_token_file",
            c.bot_token_file.clone().unwrap_or_default(),
        )
        .insert("api_url", c.api_url.clone().unwrap_or_default())
        .insert("http_config", http(c.http_config.as_ref(), ctx)?)
        .insert(
            "message_thread_id",
            Node::Int(c.message_thread_id.unwrap_or(0)),
        );
    if let Some(sel) = &c.bot_token {
        let token = required(ctx, sel, "bot token")?;
        if token.is_empty() {
            return Err("mandatory field \"botToken\" is empty".to_owned());
        }
        out.insert("bot_token", token);
    }
    Ok(out)
}
