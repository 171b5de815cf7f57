//! PagerDuty receiver.
use promop_api::v1alpha1::alertmanager_config::PagerDutyConfig;

use super::{Ctx, duration, http, required, text};
use crate::yaml::{Mapping, Node};

pub fn convert(c: &PagerDutyConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("class", text(&c.class))
        .insert("client", text(&c.client))
        .insert("component", text(&c.component))
        .insert("description", text(&c.description))
        .insert("group", text(&c.group))
        .insert("severity", text(&c.severity))
        .insert("url", text(&c.url))
        .insert("client_url", text(&c.client_url));
    if let Some(sel) = &c.routing_key {
        out.insert("routing_key", required(ctx, sel, "routing key")?);
    }
    if let Some(sel) = &c.service_key {
        out.insert("service_key", required(ctx, sel, "service key")?);
    }
    // A Go map: later duplicates win, keys printed sorted.
    let mut details = std::collections::BTreeMap::new();
    for d in c.details.iter().flatten() {
        details.insert(d.key.clone(), d.value.clone());
    }
    out.insert("details", Mapping::sorted(details));
    let links: Vec<Node> = c
        .pager_duty_link_configs
        .iter()
        .flatten()
        .map(|l| {
            let mut m = Mapping::new();
            m.insert("href", text(&l.href)).insert("text", text(&l.alt));
            Node::Map(m)
        })
        .collect();
    let images: Vec<Node> = c
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
        .insert("http_config", http(c.http_config.as_ref(), ctx)?)
        .insert("source", text(&c.source))
        .insert_opt(
            "timeout",
            duration(c.timeout.as_ref().map(|d| d.0.as_str()))?,
        );
    Ok(out)
}
