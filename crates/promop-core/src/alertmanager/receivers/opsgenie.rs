//! OpsGenie receiver.
use promop_api::v1alpha1::alertmanager_config::{OpsGenieConfig, OpsGenieConfigResponder};

use super::{Ctx, Integration, Sanitize, go_map, http, required, text};
use crate::alertmanager::sanitize::{self, exclusive, gate, http_of, maps_mut};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{http_config, http_secrets, http_version, opt_url};
use crate::alertmanager::version::{Feature, Version, needs};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

impl Integration for OpsGenieConfig {
    const FIELD: &'static str = "opsgenieConfigs";
    const TYPE: &'static str = "OpsGenieConfigs";

    fn validate(&self) -> Result<(), RejectionKind> {
        for resp in self.responders.iter().flatten() {
            let empty = |v: &Option<String>| v.as_deref().unwrap_or_default().is_empty();
            if empty(&resp.id) && empty(&resp.name) && empty(&resp.username) {
                return Err(
                    "responder must have at least an ID, a Name or an Username defined".into(),
                );
            }
        }
        opt_url(self.api_url.as_deref(), "apiURL")?;
        http_config(self.http_config.as_ref())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        http_version(self.http_config.as_ref(), v)?;
        if self.responders.iter().flatten().any(|r| kind(r) == "teams") {
            teams_responder(v)?;
        }
        if let Some(sel) = &self.api_key {
            s.get(sel)?;
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("message", text(&self.message))
            .insert("description", text(&self.description))
            .insert("source", text(&self.source))
            .insert("tags", text(&self.tags))
            .insert("note", text(&self.note))
            .insert("priority", text(&self.priority))
            .insert("actions", text(&self.actions))
            .insert("entity", text(&self.entity))
            .insert_opt("update_alerts", self.update_alerts)
            .insert("api_url", text(&self.api_url));
        if let Some(sel) = &self.api_key {
            out.insert("api_key", required(ctx, sel, "API key")?);
        }
        out.insert("details", go_map(&self.details));
        let responders: Vec<Node> = self
            .responders
            .iter()
            .flatten()
            .map(|r| {
                let mut m = Mapping::new();
                m.insert("id", text(&r.id))
                    .insert("name", text(&r.name))
                    .insert("username", text(&r.username))
                    .insert("type", kind(r));
                Node::Map(m)
            })
            .collect();
        out.insert("responders", Node::Seq(responders))
            .insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for OpsGenieConfig {
    const KEY: &'static str = "opsgenie_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        http_of(c, v)?;
        for key in ["actions", "entity", "update_alerts"] {
            gate(c, v, key, Feature::OpsgenieUpdateFields);
        }
        let responders = maps_mut(c, "responders");
        if responders
            .iter()
            .any(|r| sanitize::text(r, "type") == "teams")
        {
            teams_responder(v)?;
        }
        exclusive(c, "api_key", "api_key_file");
        gate(c, v, "api_key_file", Feature::OpsgenieApiKeyFile);
        Ok(())
    }
}

/// The CRD's responder type as Alertmanager spells it (`teams`).
fn kind(responder: &OpsGenieConfigResponder) -> String {
    serde_json::to_value(responder.type_)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Responders of type `teams` need a version that knows them.
fn teams_responder(v: &Version) -> Result<(), RejectionKind> {
    needs(v, Feature::OpsgenieTeamsResponder, |min| {
        format!("'teams' set in 'opsgenieResponder' but supported in Alertmanager >= {min} only")
    })
}
