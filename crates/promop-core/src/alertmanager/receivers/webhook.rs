//! Webhook receiver.
use promop_api::v1alpha1::alertmanager_config::WebhookConfig;

use super::{Ctx, Integration, Sanitize, duration, http};
use crate::alertmanager::sanitize::{exclusive, gate, http_of};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{
    http_config, http_secrets, http_version, requires, secret_template_url, template_url,
};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

impl Integration for WebhookConfig {
    const FIELD: &'static str = "webhookConfigs";
    const TYPE: &'static str = "WebhookConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        if self.url.is_none() && self.url_secret.is_none() {
            return Err("one of 'url' or 'urlSecret' must be specified".into());
        }
        if let Some(u) = self.url.as_deref().filter(|u| !u.is_empty()) {
            template_url(u).map_err(|e| e.context("invalid 'url'"))?;
        }
        http_config(self.http_config.as_ref())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        http_version(self.http_config.as_ref(), v)?;
        let mut url = self.url.clone().unwrap_or_default();
        if let Some(sel) = &self.url_secret {
            url = s.get(sel)?.trim().to_owned();
            secret_template_url(&url).map_err(|e| e.context("failed to validate URL"))?;
        }
        // The reference accepts a templated URL for any version, but
        // Alertmanager parses it as a plain URL before 0.31 and refuses
        // the whole configuration; promop skips this object instead.
        if url.contains("{{") {
            requires(v, Feature::WebhookTemplatedUrl, "a templated 'url")?;
        }
        if self.payload.is_some() {
            requires(v, Feature::WebhookPayload, "payload")?;
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let url = match (&self.url_secret, &self.url) {
            (Some(sel), _) => Some(ctx.secrets.get(sel)?),
            (None, Some(url)) => Some(url.clone()),
            (None, None) => None,
        };
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert_opt("url", url)
            .insert("http_config", http(self.http_config.as_ref(), ctx)?)
            .insert(
                "max_alerts",
                Node::Int(self.max_alerts.unwrap_or(0).max(0).into()),
            )
            .insert_opt(
                "timeout",
                duration(self.timeout.as_ref().map(|d| d.0.as_str()))?,
            )
            .insert_opt("payload", self.payload.as_deref());
        Ok(out)
    }
}

impl Sanitize for WebhookConfig {
    const KEY: &'static str = "webhook_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        http_of(c, v)?;
        gate(c, v, "url_file", Feature::WebhookUrlFile);
        exclusive(c, "url", "url_file");
        gate(c, v, "timeout", Feature::WebhookTimeout);
        gate(c, v, "payload", Feature::WebhookPayload);
        Ok(())
    }
}
