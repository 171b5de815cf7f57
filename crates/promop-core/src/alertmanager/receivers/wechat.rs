//! WeChat receiver.
use promop_api::v1alpha1::alertmanager_config::WeChatConfig;

use super::{Ctx, Integration, Sanitize, http, required, text};
use crate::alertmanager::sanitize::{exclusive, gate, http_of};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{http_config, http_secrets, http_version, opt_url};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

impl Integration for WeChatConfig {
    const FIELD: &'static str = "wechatConfigs";
    const TYPE: &'static str = "WeChatConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        opt_url(self.api_url.as_deref(), "apiURL")?;
        http_config(self.http_config.as_ref())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        http_version(self.http_config.as_ref(), v)?;
        if let Some(sel) = &self.api_secret {
            s.get(sel)?;
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("corp_id", text(&self.corp_id))
            .insert("agent_id", text(&self.agent_id))
            .insert("to_user", text(&self.to_user))
            .insert("to_party", text(&self.to_party))
            .insert("to_tag", text(&self.to_tag))
            .insert("message", text(&self.message))
            .insert("message_type", text(&self.message_type))
            .insert("api_url", text(&self.api_url));
        if let Some(sel) = &self.api_secret {
            out.insert("api_secret", required(ctx, sel, "API secret")?);
        }
        out.insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for WeChatConfig {
    const KEY: &'static str = "wechat_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        gate(c, v, "api_secret_file", Feature::WeChatApiSecretFile);
        exclusive(c, "api_secret", "api_secret_file");
        http_of(c, v)
    }
}
