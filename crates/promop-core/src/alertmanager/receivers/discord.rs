//! Discord receiver.
use promop_api::v1alpha1::alertmanager_config::DiscordConfig;

use super::{Ctx, Integration, Sanitize, http};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::version::{Feature, Version};
use crate::alertmanager::{sanitize, validate};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

impl Integration for DiscordConfig {
    const FIELD: &'static str = "discordConfigs";
    const TYPE: &'static str = "DiscordConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        validate::http_config(self.http_config.as_ref())
    }

    fn available(v: &Version) -> Result<(), RejectionKind> {
        validate::requires(v, Feature::Discord, "discordConfigs")
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        validate::http_version(self.http_config.as_ref(), v)?;
        validate::http_secrets(self.http_config.as_ref(), s)?;
        let u = s
            .get(&self.api_url)
            .map_err(|e| e.context("failed to retrieve API URL"))?;
        validate::secret_url(u.trim()).map_err(|e| e.context("failed to validate API URL"))
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let url = ctx.secrets.get(&self.api_url)?.trim().to_owned();
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert_opt("title", self.title.as_deref())
            .insert_opt("message", self.message.as_deref())
            .insert_opt("content", self.content.as_deref())
            .insert_opt("username", self.username.as_deref())
            .insert_opt("avatar_url", self.avatar_url.as_deref())
            .insert("webhook_url", url)
            .insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for DiscordConfig {
    const KEY: &'static str = "discord_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        sanitize::requires(v, Feature::Discord, "discord")?;
        sanitize::gate(c, v, "webhook_url_file", Feature::DiscordWebhookUrlFile);
        let set = |key| !sanitize::text(c, key).is_empty();
        match (set("webhook_url"), set("webhook_url_file")) {
            (false, false) => return Err("no webhook_url or webhook_url_file provided".into()),
            (true, true) => {
                return Err(
                    "both webhook_url and webhook_url_file cannot be set at the same time".into(),
                );
            }
            _ => {}
        }
        for key in ["content", "username", "avatar_url"] {
            sanitize::gate(c, v, key, Feature::DiscordContent);
        }
        sanitize::http_of(c, v)
    }
}
