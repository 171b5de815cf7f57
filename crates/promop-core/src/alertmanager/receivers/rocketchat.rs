//! Rocket.Chat receiver.
use promop_api::v1alpha1::alertmanager_config::RocketChatConfig;

use super::{Ctx, Integration, Sanitize, http, required, text};
use crate::alertmanager::sanitize::{self, has};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate;
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

impl Integration for RocketChatConfig {
    const FIELD: &'static str = "rocketchatConfigs";
    const TYPE: &'static str = "RocketChatConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        validate::opt_url(self.api_url.as_deref(), "apiURL")?;
        validate::http_config(self.http_config.as_ref())
    }

    fn available(v: &Version) -> Result<(), RejectionKind> {
        validate::requires(v, Feature::RocketChat, "rocketChatConfigs")
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        validate::http_version(self.http_config.as_ref(), v)?;
        validate::http_secrets(self.http_config.as_ref(), s)?;
        s.get(&self.token)
            .map_err(|e| e.context("failed to retrieve RocketChat token"))?;
        s.get(&self.token_id)
            .map_err(|e| e.context("failed to retrieve RocketChat token ID"))?;
        Ok(())
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("api_url", text(&self.api_url))
            .insert("token", required(ctx, &self.token, "RocketChat token")?)
            .insert(
                "token_id",
                required(ctx, &self.token_id, "RocketChat token ID")?,
            )
            .insert("channel", text(&self.channel))
            .insert("color", text(&self.color))
            .insert("title", text(&self.title))
            .insert("title_link", text(&self.title_link))
            .insert("text", text(&self.text))
            .insert("short_fields", self.short_fields.unwrap_or(false))
            .insert("emoji", text(&self.emoji))
            .insert("icon_url", text(&self.icon_url))
            .insert("image_url", text(&self.image_url))
            .insert("thumb_url", text(&self.thumb_url))
            .insert("link_names", self.link_names.unwrap_or(false));
        let fields: Vec<Node> = self
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
        let actions: Vec<Node> = self
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
            .insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for RocketChatConfig {
    const KEY: &'static str = "rocketchat_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        sanitize::requires(v, Feature::RocketChat, "rocketchat")?;
        if has(c, "token") && has(c, "token_file") {
            return Err("at most one of token & token_file must be configured".into());
        }
        if has(c, "token_id") && has(c, "token_id_file") {
            return Err("at most one of token_id & token_id_file must be configured".into());
        }
        sanitize::http_of(c, v)
    }
}
