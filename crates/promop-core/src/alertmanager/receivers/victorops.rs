//! VictorOps receiver.
use promop_api::v1alpha1::alertmanager_config::VictorOpsConfig;

use super::{Ctx, http, required, text};
use crate::yaml::Mapping;

/// Fields Alertmanager sets itself, refused as custom fields.
pub const RESERVED_FIELDS: [&str; 7] = [
    "routing_key",
    "message_type",
    "state_message",
    "entity_display_name",
    "monitoring_tool",
    "entity_id",
    "entity_state",
];

pub fn convert(c: &VictorOpsConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("routing_key", c.routing_key.as_str())
        .insert("message_type", text(&c.message_type))
        .insert("entity_display_name", text(&c.entity_display_name))
        .insert("state_message", text(&c.state_message))
        .insert("monitoring_tool", text(&c.monitoring_tool))
        .insert("api_url", text(&c.api_url));
    if let Some(sel) = &c.api_key {
        out.insert("api_key", required(ctx, sel, "API key")?);
    }
    let mut fields = std::collections::BTreeMap::new();
    for f in c.custom_fields.iter().flatten() {
        if RESERVED_FIELDS.contains(&f.key.as_str()) {
            return Err(format!(
                "VictorOps config contains custom field {} which cannot be used as it conflicts with the fixed/static fields",
                f.key
            ));
        }
        fields.insert(f.key.clone(), f.value.clone());
    }
    out.insert("custom_fields", Mapping::sorted(fields))
        .insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}
