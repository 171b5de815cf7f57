//! Microsoft Teams receivers (message cards and the v2 adaptive cards).
use promop_api::v1alpha1::alertmanager_config::{MsTeamsConfig, MsTeamsV2Config};

use super::{Ctx, Integration, Sanitize, http};
use crate::alertmanager::sanitize::{self, gate, has, http_of};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{self, http_secrets, http_version, integration};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

impl Integration for MsTeamsConfig {
    const FIELD: &'static str = "msteamsConfigs";
    const TYPE: &'static str = "MSTeamsConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        validate::http_config(self.http_config.as_ref())
    }

    fn available(v: &Version) -> Result<(), RejectionKind> {
        integration(v, Feature::Msteams, "msteams")
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        http_version(self.http_config.as_ref(), v)?;
        s.get(&self.webhook_url)?;
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert_opt("title", self.title.as_deref())
            .insert_opt("text", self.text.as_deref())
            .insert_opt("summary", self.summary.as_deref())
            .insert("webhook_url", ctx.secrets.get(&self.webhook_url)?)
            .insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for MsTeamsConfig {
    const KEY: &'static str = "msteams_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        integration(v, Feature::Msteams, "msteams")?;
        if sanitize::text(c, "webhook_url").is_empty() {
            return Err("mandatory field \"webhook_url\" is empty".into());
        }
        gate(c, v, "summary", Feature::MsteamsSummary);
        http_of(c, v)
    }
}

impl Integration for MsTeamsV2Config {
    const FIELD: &'static str = "msteamsv2Configs";
    const TYPE: &'static str = "MSTeamsConfigV2";

    fn validate(&self) -> Result<(), RejectionKind> {
        validate::http_config(self.http_config.as_ref())
    }

    fn available(v: &Version) -> Result<(), RejectionKind> {
        integration(v, Feature::MsteamsV2, "msteamsv2")
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        if let Some(sel) = &self.webhook_url {
            s.get(sel)?;
        }
        http_version(self.http_config.as_ref(), v)?;
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert_opt("title", self.title.as_deref())
            .insert_opt("text", self.text.as_deref());
        if let Some(sel) = &self.webhook_url {
            out.insert("webhook_url", ctx.secrets.get(sel)?);
        }
        out.insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for MsTeamsV2Config {
    const KEY: &'static str = "msteamsv2_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        sanitize::requires(v, Feature::MsteamsV2, "msteams v2")?;
        match (has(c, "webhook_url"), has(c, "webhook_url_file")) {
            (false, false) => return Err("no webhook_url or webhook_url_file provided".into()),
            (true, true) => {
                return Err(
                    "both webhook_url and webhook_url_file cannot be set at the same time".into(),
                );
            }
            _ => {}
        }
        http_of(c, v)
    }
}
