//! OpsGenie receiver.
use promop_api::v1alpha1::alertmanager_config::OpsGenieConfig;

use super::{Ctx, http, required, text};
use crate::yaml::{Mapping, Node};

pub fn convert(c: &OpsGenieConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("message", text(&c.message))
        .insert("description", text(&c.description))
        .insert("source", text(&c.source))
        .insert("tags", text(&c.tags))
        .insert("note", text(&c.note))
        .insert("priority", text(&c.priority))
        .insert("actions", text(&c.actions))
        .insert("entity", text(&c.entity))
        .insert_opt("update_alerts", c.update_alerts)
        .insert("api_url", text(&c.api_url));
    if let Some(sel) = &c.api_key {
        out.insert("api_key", required(ctx, sel, "API key")?);
    }
    let mut details = std::collections::BTreeMap::new();
    for d in c.details.iter().flatten() {
        details.insert(d.key.clone(), d.value.clone());
    }
    out.insert("details", Mapping::sorted(details));
    let responders: Vec<Node> = c
        .responders
        .iter()
        .flatten()
        .map(|r| {
            let kind = serde_json::to_value(r.type_)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let mut m = Mapping::new();
            m.insert("id", text(&r.id))
                .insert("name", text(&r.name))
                .insert("username", text(&r.username))
                .insert("type", kind);
            Node::Map(m)
        })
        .collect();
    out.insert("responders", Node::Seq(responders))
        .insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}
