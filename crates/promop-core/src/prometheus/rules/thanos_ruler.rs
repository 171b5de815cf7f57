//! A Thanos Ruler's PrometheusRules: selected by its `ruleSelector` and
//! `ruleNamespaceSelector` like a Prometheus' are, checked with Thanos'
//! versions (it keeps `partial_response_strategy`), written to
//! `thanos-ruler-<name>-rulefiles-<n>` labelled `thanos-ruler-name`. Unlike
//! a Prometheus, no placeholder names are added.
use std::sync::LazyLock;

use promop_api::v1::prometheus::CommonPrometheusFields;
use promop_api::v1::{PrometheusRule, ThanosRuler};

use super::config_maps::{RuleConfigMaps, Target, build, sort_rejected};
use super::{RuleContext, rule_file};
use crate::k8s::metadata::Owner;
use crate::select::namespaces::WatchedNamespaces;
use crate::select::reasons::{RejectedObject, Rejection};
use crate::select::{KindSelection, SelectorFields, Workload};
use crate::snapshot::Snapshot;

/// Selection only needs a workload's kind, namespace and name; a Thanos
/// Ruler has none of the Prometheus fields.
static NO_PROMETHEUS_FIELDS: LazyLock<CommonPrometheusFields> = LazyLock::new(Default::default);

/// The PrometheusRules a Thanos Ruler selects, the invalid ones rejected.
pub fn select_rules<'a>(
    snapshot: &'a Snapshot,
    ruler: &'a ThanosRuler,
    watched: &WatchedNamespaces,
) -> Result<KindSelection<'a, PrometheusRule>, RejectedObject> {
    let ctx = context(ruler)?;
    let workload = Workload {
        kind: "ThanosRuler",
        namespace: ruler.metadata.namespace.as_deref().unwrap_or_default(),
        name: ruler.metadata.name.as_deref().unwrap_or_default(),
        common: &NO_PROMETHEUS_FIELDS,
        dereference: false,
    };
    let fields = SelectorFields {
        field: "ruleSelector",
        selector: ruler.spec.rule_selector.as_ref(),
        namespace_field: "ruleNamespaceSelector",
        namespace_selector: ruler.spec.rule_namespace_selector.as_ref(),
    };
    workload.select(
        snapshot,
        watched,
        &snapshot.prometheus_rules,
        fields,
        |rule| rule_file(rule, &ctx).map(drop),
    )
}

/// The rule ConfigMaps of a Thanos Ruler.
pub fn thanos_ruler_config_maps(
    snapshot: &Snapshot,
    ruler: &ThanosRuler,
    watched: &WatchedNamespaces,
) -> Result<RuleConfigMaps, RejectedObject> {
    thanos_ruler_rules(snapshot, ruler, watched).map(|(_, maps)| maps)
}

/// The PrometheusRules a Thanos Ruler selects and its rule ConfigMaps, whose
/// names are in the order the ruler mounts them (sorted as text, so that
/// `-10` comes before `-2`, as in the reference).
pub fn thanos_ruler_rules<'a>(
    snapshot: &'a Snapshot,
    ruler: &'a ThanosRuler,
    watched: &WatchedNamespaces,
) -> Result<(KindSelection<'a, PrometheusRule>, RuleConfigMaps), RejectedObject> {
    let ctx = context(ruler)?;
    let rules = select_rules(snapshot, ruler, watched)?;
    let name = ruler.metadata.name.as_deref().unwrap_or_default();
    let mut out = build(
        rules.selected.iter().map(|s| s.object),
        &ctx,
        None,
        &Target {
            prefix: format!("thanos-ruler-{name}"),
            namespace: ruler.metadata.namespace.as_deref().unwrap_or_default(),
            name_label: ("thanos-ruler-name", name),
            owner: Owner {
                api_version: "monitoring.coreos.com/v1".into(),
                kind: "ThanosRuler".into(),
                name: name.to_owned(),
                uid: ruler.metadata.uid.clone().unwrap_or_default(),
            },
        },
    );
    out.names.sort();
    out.rejected.extend(rules.rejected("PrometheusRule"));
    sort_rejected(&mut out.rejected);
    Ok((rules, out))
}

fn context(ruler: &ThanosRuler) -> Result<RuleContext, RejectedObject> {
    RuleContext::for_thanos_ruler(ruler).map_err(|message| {
        let meta = &ruler.metadata;
        RejectedObject::new(
            "ThanosRuler",
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default(),
            Rejection::new("spec.version", message),
        )
    })
}
