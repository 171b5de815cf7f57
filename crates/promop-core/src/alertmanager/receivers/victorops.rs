//! VictorOps receiver.
use promop_api::v1alpha1::alertmanager_config::VictorOpsConfig;

use super::{Ctx, Integration, Sanitize, go_map, http, required, text};
use crate::alertmanager::sanitize::{exclusive, gate, http_of};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{http_config, http_secrets, http_version, opt_url};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

/// Fields Alertmanager sets itself, refused as custom fields.
const RESERVED_FIELDS: [&str; 7] = [
    "routing_key",
    "message_type",
    "state_message",
    "entity_display_name",
    "monitoring_tool",
    "entity_id",
    "entity_state",
];

impl Integration for VictorOpsConfig {
    const FIELD: &'static str = "victoropsConfigs";
    const TYPE: &'static str = "VictorOpsConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        if let Some(key) = reserved_field(self) {
            return Err(
                format!("usage of reserved word {key:?} is not allowed in custom fields").into(),
            );
        }
        if self.routing_key.is_empty() {
            return Err("missing 'routingKey' key".into());
        }
        opt_url(self.api_url.as_deref(), "apiURL")?;
        http_config(self.http_config.as_ref())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        http_version(self.http_config.as_ref(), v)?;
        if let Some(sel) = &self.api_key {
            s.get(sel)?;
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("routing_key", self.routing_key.as_str())
            .insert("message_type", text(&self.message_type))
            .insert("entity_display_name", text(&self.entity_display_name))
            .insert("state_message", text(&self.state_message))
            .insert("monitoring_tool", text(&self.monitoring_tool))
            .insert("api_url", text(&self.api_url));
        if let Some(sel) = &self.api_key {
            out.insert("api_key", required(ctx, sel, "API key")?);
        }
        if let Some(key) = reserved_field(self) {
            return Err(format!(
                "VictorOps config contains custom field {key} which cannot be used as it conflicts with the fixed/static fields"
            )
            .into());
        }
        out.insert("custom_fields", go_map(&self.custom_fields))
            .insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for VictorOpsConfig {
    const KEY: &'static str = "victorops_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        http_of(c, v)?;
        gate(c, v, "api_key_file", Feature::VictorOpsApiKeyFile);
        exclusive(c, "api_key", "api_key_file");
        Ok(())
    }
}

/// The first custom field that Alertmanager sets itself.
fn reserved_field(c: &VictorOpsConfig) -> Option<&str> {
    let mut keys = c.custom_fields.iter().flatten().map(|f| f.key.as_str());
    keys.find(|k| RESERVED_FIELDS.contains(k))
}
