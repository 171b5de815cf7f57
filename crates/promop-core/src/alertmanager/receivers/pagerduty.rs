//! PagerDuty receiver.
use promop_api::v1alpha1::alertmanager_config::PagerDutyConfig;

use super::{Ctx, Integration, Sanitize, duration, go_map, http, required, text};
use crate::alertmanager::sanitize::{exclusive, gate, http_of};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{
    http_config, http_secrets, http_version, opt_url, template_url,
};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

impl Integration for PagerDutyConfig {
    const FIELD: &'static str = "pagerdutyConfigs";
    const TYPE: &'static str = "PagerDutyConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        opt_url(self.url.as_deref(), "url")?;
        if let Some(u) = self.client_url.as_deref().filter(|u| !u.is_empty()) {
            template_url(u).map_err(|e| e.context("invalid 'clientURL'"))?;
        }
        if self.routing_key.is_none() && self.service_key.is_none() {
            return Err("one of 'routingKey' or 'serviceKey' is required".into());
        }
        http_config(self.http_config.as_ref())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        http_version(self.http_config.as_ref(), v)?;
        for sel in [&self.routing_key, &self.service_key].into_iter().flatten() {
            s.get(sel)?;
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("class", text(&self.class))
            .insert("client", text(&self.client))
            .insert("component", text(&self.component))
            .insert("description", text(&self.description))
            .insert("group", text(&self.group))
            .insert("severity", text(&self.severity))
            .insert("url", text(&self.url))
            .insert("client_url", text(&self.client_url));
        if let Some(sel) = &self.routing_key {
            out.insert("routing_key", required(ctx, sel, "routing key")?);
        }
        if let Some(sel) = &self.service_key {
            out.insert("service_key", required(ctx, sel, "service key")?);
        }
        out.insert("details", go_map(&self.details));
        let links: Vec<Node> = self
            .pager_duty_link_configs
            .iter()
            .flatten()
            .map(|l| {
                let mut m = Mapping::new();
                m.insert("href", text(&l.href)).insert("text", text(&l.alt));
                Node::Map(m)
            })
            .collect();
        let images: Vec<Node> = self
            .pager_duty_image_configs
            .iter()
            .flatten()
            .map(|i| {
                let mut m = Mapping::new();
                m.insert("src", text(&i.src))
                    .insert("alt", text(&i.alt))
                    .insert("href", text(&i.href));
                Node::Map(m)
            })
            .collect();
        out.insert("links", Node::Seq(links))
            .insert("images", Node::Seq(images))
            .insert("http_config", http(self.http_config.as_ref(), ctx)?)
            .insert("source", text(&self.source))
            .insert_opt(
                "timeout",
                duration(self.timeout.as_ref().map(|d| d.0.as_str()))?,
            );
        Ok(out)
    }
}

impl Sanitize for PagerDutyConfig {
    const KEY: &'static str = "pagerduty_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        for key in ["source", "routing_key_file", "service_key_file"] {
            gate(c, v, key, Feature::PagerDutySourceAndKeyFiles);
        }
        exclusive(c, "service_key", "service_key_file");
        exclusive(c, "routing_key", "routing_key_file");
        gate(c, v, "timeout", Feature::PagerDutyTimeout);
        http_of(c, v)
    }
}
