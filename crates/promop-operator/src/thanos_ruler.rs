//! The ThanosRuler steps of a reconcile: its PrometheusRules selected and
//! turned into rule ConfigMaps, the objects the reference writes
//! (remote-write configuration, TLS assets and web configuration Secrets,
//! the governing Service, the StatefulSet), rejected PrometheusRules
//! reported, the rules' status bindings written with the gate on.
use std::collections::HashSet;

use k8s_openapi::api::core::v1::ConfigMap;
use promop_api::v1::ThanosRuler;
use promop_core::desired::{ThanosRulerObjects, thanos_ruler_state};
use promop_core::select::reasons::RejectedObject;
use promop_core::snapshot::{ObjectKey, Snapshot};

use crate::bindings::{self, Verdicts};
use crate::controller::Context;
use crate::error::Error;
use crate::objects;
use crate::reconcile::{self, generate, read_dependencies};
use crate::report;
use crate::status::Reconciled;
use crate::stores::Kind;
use crate::workload::{Workload, WorkloadId};

/// What one generation produced, owned (the snapshot is gone).
struct Generated {
    rule_config_maps: Vec<ConfigMap>,
    objects: ThanosRulerObjects,
    rejected: Vec<RejectedObject>,
    used: HashSet<(Kind, ObjectKey)>,
    nothing_selected: bool,
    /// With the status gate on: what to say in the PrometheusRules' status.
    verdicts: Option<Verdicts>,
}

/// Generate, report, apply.
pub(crate) async fn generate_and_apply(
    ruler: &ThanosRuler,
    ctx: &Context,
    id: &WorkloadId,
) -> Result<Reconciled, Error> {
    let binds = ThanosRuler::BINDS && ctx.options.objects.feature_enabled(bindings::GATE);
    // No dereference step of its own: a dry run of the generation names
    // the Secrets it reads (remote-write credentials, TLS assets).
    let dereference = |snapshot: &Snapshot| {
        let _ = generate_once(ruler, ctx, snapshot, false);
        snapshot.reads.keys()
    };
    let generated = generate(ctx, id, dereference, |snapshot| {
        generate_once(ruler, ctx, snapshot, binds)
    })
    .await?;
    let uid = reconcile::reported(ruler, ctx, id, &generated.rejected, generated.used).await?;
    let written = objects::write_thanos_ruler(
        &ctx.client,
        &ctx.stores.owned,
        &uid,
        &generated.rule_config_maps,
        &generated.objects,
    )
    .await?;
    reconcile::written(written);
    reconcile::bind(ruler, ctx, generated.verdicts.as_ref()).await?;
    let (reason, message) = reason(ruler, generated.nothing_selected);
    Ok(Reconciled {
        ok: true,
        reason: reason.into(),
        message: message.into(),
    }
    .degraded_by(&ctx.stores.degraded))
}

const NO_SELECTED_MESSAGE: &str = "No PrometheusRule have been selected.";
const DEPRECATED_MESSAGE: &str = "field \"spec.prometheusRulesExcludedFromEnforce\" is deprecated, field \"spec.excludedFromEnforcement\" should be used instead";

/// The reason and message of a successful reconcile: no rule selected
/// overrides the deprecated field, as in the reference.
fn reason(ruler: &ThanosRuler, nothing_selected: bool) -> (&'static str, &'static str) {
    let deprecated = ruler
        .spec
        .prometheus_rules_excluded_from_enforce
        .as_ref()
        .is_some_and(|excluded| !excluded.is_empty());
    if nothing_selected {
        ("NoSelectedResources", NO_SELECTED_MESSAGE)
    } else if deprecated {
        ("DeprecatedFieldsInUse", DEPRECATED_MESSAGE)
    } else {
        ("", "")
    }
}

fn generate_once(
    ruler: &ThanosRuler,
    ctx: &Context,
    snapshot: &Snapshot,
    binds: bool,
) -> Result<Generated, Error> {
    // PrometheusRules are selected where they are watched (`--namespaces`).
    let watched = ctx.options.namespaces.watched();
    let state = thanos_ruler_state(snapshot, ruler, &watched, &ctx.options.operator_options())?;
    let mut used: HashSet<(Kind, ObjectKey)> = read_dependencies(&snapshot.reads.keys()).collect();
    report::used(Kind::PrometheusRule, &state.rules, &mut used);
    let rejected = state.rejected();
    Ok(Generated {
        verdicts: binds.then(|| bindings::rule_verdicts(&state.rules, &rejected)),
        nothing_selected: state.rules.selected.is_empty(),
        rule_config_maps: state.rule_config_maps.config_maps,
        objects: state.objects,
        rejected,
        used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ruler(spec: serde_json::Value) -> ThanosRuler {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "monitoring.coreos.com/v1", "kind": "ThanosRuler",
            "metadata": {"name": "main", "namespace": "ns"}, "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn no_selected_rule_overrides_the_deprecation() {
        let deprecated = ruler(serde_json::json!({
            "prometheusRulesExcludedFromEnforce": [{"ruleNamespace": "a", "ruleName": "b"}],
        }));
        assert_eq!(reason(&deprecated, false).0, "DeprecatedFieldsInUse");
        assert_eq!(reason(&deprecated, false).1, DEPRECATED_MESSAGE);
        assert_eq!(
            reason(&deprecated, true),
            ("NoSelectedResources", NO_SELECTED_MESSAGE)
        );
        let plain = ruler(serde_json::json!({"prometheusRulesExcludedFromEnforce": []}));
        assert_eq!(reason(&plain, false), ("", ""));
    }
}
