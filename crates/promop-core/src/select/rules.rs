//! PrometheusRule selection (`ruleSelector`, `ruleNamespaceSelector`).
//!
//! A selected PrometheusRule is checked the way the reference checks it
//! before writing its rule file (namespace label enforcement, then
//! Prometheus' rule-file checks, PromQL included); an invalid one is
//! rejected with the reason, see [`crate::prometheus::rules`].
use promop_api::v1::{Prometheus, PrometheusRule};

use super::namespaces::WatchedNamespaces;
use super::reasons::RejectedObject;
use super::{KindSelection, SelectorFields, Workload};
use crate::prometheus::memo::Memo;
use crate::prometheus::rules::{RuleContext, rule_file};
use crate::snapshot::Snapshot;

pub(super) fn select_rules<'a>(
    workload: &Workload<'a>,
    prometheus: &'a Prometheus,
    snapshot: &'a Snapshot,
    watched: &WatchedNamespaces,
    memo: Option<&Memo>,
) -> Result<KindSelection<'a, PrometheusRule>, RejectedObject> {
    // An invalid version fails the whole selection before rules are reached.
    let ctx = RuleContext::for_prometheus(prometheus).ok();
    let context = ctx.as_ref().map(RuleContext::hash).unwrap_or_default();
    let fields = SelectorFields {
        field: "ruleSelector",
        selector: prometheus.spec.rule_selector.as_ref(),
        namespace_field: "ruleNamespaceSelector",
        namespace_selector: prometheus.spec.rule_namespace_selector.as_ref(),
    };
    workload.select(
        snapshot,
        watched,
        &snapshot.prometheus_rules,
        fields,
        |rule| match (&ctx, memo) {
            (Some(ctx), Some(memo)) => memo
                .rule_file(&rule.metadata, context, || rule_file(rule, ctx))
                .map(drop),
            (Some(ctx), None) => rule_file(rule, ctx).map(drop),
            (None, _) => Ok(()),
        },
    )
}
