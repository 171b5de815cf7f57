//! Telegram receiver.
use promop_api::v1alpha1::alertmanager_config::TelegramConfig;

use super::{Ctx, Integration, Sanitize, http, required};
use crate::alertmanager::sanitize::{self, exclusive, gate, has, http_of};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{self, http_secrets, http_version, opt_url, requires};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

impl Integration for TelegramConfig {
    const FIELD: &'static str = "telegramConfigs";
    const TYPE: &'static str = "TelegramConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        match (&self.bot_token, &self.bot_token_file) {
            (None, None) => {
                return Err("mandatory field botToken or botTokenfile is empty".into());
            }
            (Some(_), Some(_)) => {
                return Err("only one of 'botToken' or 'botTokenfile' must be configured".into());
            }
            _ => {}
        }
        if self.chat_id == 0 {
            return Err("mandatory field 'chatID' is empty".into());
        }
        opt_url(self.api_url.as_deref(), "apiURL")?;
        validate::http_config(self.http_config.as_ref())
    }

    fn available(v: &Version) -> Result<(), RejectionKind> {
        requires(v, Feature::Telegram, "telegramConfigs")
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        if self.bot_token_file.is_some() {
            requires(v, Feature::TelegramFiles, "botTokenFile")?;
        }
        http_version(self.http_config.as_ref(), v)?;
        if let Some(sel) = &self.bot_token {
            s.get(sel)?;
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        let parse_mode = self
            .parse_mode
            .and_then(|m| serde_json::to_value(m).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("chat_id", Node::Int(self.chat_id))
            .insert("message", self.message.clone().unwrap_or_default())
            .insert(
                "disable_notifications",
                self.disable_notifications.unwrap_or(false),
            )
            .insert("parse_mode", parse_mode)
            .insert(
                "bot_token_file",
                self.bot_token_file.clone().unwrap_or_default(),
            )
            .insert("api_url", self.api_url.clone().unwrap_or_default())
            .insert("http_config", http(self.http_config.as_ref(), ctx)?)
            .insert(
                "message_thread_id",
                Node::Int(self.message_thread_id.unwrap_or(0)),
            );
        if let Some(sel) = &self.bot_token {
            let token = required(ctx, sel, "bot token")?;
            if token.is_empty() {
                return Err("mandatory field \"botToken\" is empty".into());
            }
            out.insert("bot_token", token);
        }
        Ok(out)
    }
}

impl Sanitize for TelegramConfig {
    const KEY: &'static str = "telegram_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        sanitize::requires(v, Feature::Telegram, "telegram")?;
        gate(c, v, "chat_id_file", Feature::TelegramChatIdFile);
        if !has(c, "chat_id") && !has(c, "chat_id_file") {
            return Err("missing mandatory field chat_id or chat_id_file".into());
        }
        exclusive(c, "chat_id", "chat_id_file");
        gate(c, v, "bot_token_file", Feature::TelegramFiles);
        exclusive(c, "bot_token", "bot_token_file");
        // A missing token, not the version, is the problem: newer versions
        // only fall back to the global section's token.
        if !has(c, "bot_token")
            && !has(c, "bot_token_file")
            && !v.supports(Feature::TelegramGlobalBotToken)
        {
            return Err("missing mandatory field botToken or botTokenFile".into());
        }
        gate(c, v, "message_thread_id", Feature::TelegramFiles);
        http_of(c, v)
    }
}
