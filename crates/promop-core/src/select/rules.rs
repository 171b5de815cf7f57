//! PrometheusRule selection (`ruleSelector`, `ruleNamespaceSelector`).
//!
//! The reference also validates each rule file (PromQL included) and drops,
//! without a reason, rules whose expressions cannot carry the enforced
//! namespace label; here rules get the structural checks of
//! [`check_rule`], PromQL validation being the linter's job.
use std::collections::BTreeSet;

use promop_api::v1::{Prometheus, PrometheusRule};

use super::namespaces::WatchedNamespaces;
use super::reasons::Rejection;
use super::validate::is_valid_label_name;
use super::{KindSelection, SelectError, SelectorFields, Workload};
use crate::snapshot::Snapshot;

pub(super) fn select_rules<'a>(
    workload: &Workload<'a>,
    prometheus: &'a Prometheus,
    snapshot: &'a Snapshot,
    watched: &WatchedNamespaces,
) -> Result<KindSelection<'a, PrometheusRule>, SelectError> {
    let version = super::validate::prometheus_version(workload.common).ok();
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
        |rule| check_rule(rule, version.as_ref()),
    )
}

/// The structure Prometheus' rule-file parser requires: unique non-empty
/// group names, one of `record`/`alert` per rule, a non-empty expression,
/// valid names, and no alert-only fields on recording rules.
pub(super) fn check_rule(
    rule: &PrometheusRule,
    version: Option<&semver::Version>,
) -> Result<(), Rejection> {
    let fallback = semver::Version::new(3, 0, 0);
    let version = version.unwrap_or(&fallback);
    let mut names = BTreeSet::new();
    for (g, group) in rule.spec.groups.iter().flatten().enumerate() {
        let path = format!("spec.groups[{g}]");
        if group.name.is_empty() {
            return Err(Rejection::new(
                format!("{path}.name"),
                "Groupname must not be empty",
            ));
        }
        if !names.insert(group.name.as_str()) {
            return Err(Rejection::new(
                format!("{path}.name"),
                format!("{}: repeated in the same file", group.name),
            ));
        }
        for (r, rule) in group.rules.iter().flatten().enumerate() {
            let path = format!("{path}.rules[{r}]");
            let fail = |field: &str, message: String| {
                Err(Rejection::new(format!("{path}{field}"), message))
            };
            let expr = match &rule.expr {
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
            };
            match (&rule.record, &rule.alert) {
                (Some(_), Some(_)) => {
                    return fail("", "only one of 'record' and 'alert' must be set".into());
                }
                (None, None) => {
                    return fail("", "one of 'record' or 'alert' must be set".into());
                }
                _ => {}
            }
            if expr.trim().is_empty() {
                return fail(".expr", "field 'expr' must be set in rule".into());
            }
            if let Some(record) = &rule.record {
                if record.is_empty() {
                    return fail(".record", "field 'record' must be set in rule".into());
                }
                if rule.annotations.as_ref().is_some_and(|a| !a.is_empty()) {
                    return fail(
                        ".annotations",
                        "invalid field 'annotations' in recording rule".into(),
                    );
                }
                if rule
                    .r#for
                    .as_deref()
                    .is_some_and(|f| !f.is_empty() && f != "0s")
                {
                    return fail(".for", "invalid field 'for' in recording rule".into());
                }
                if rule.keep_firing_for.is_some() {
                    return fail(
                        ".keep_firing_for",
                        "invalid field 'keep_firing_for' in recording rule".into(),
                    );
                }
            }
            for (name, _) in rule.labels.iter().flatten() {
                if !is_valid_label_name(name, version) {
                    return fail(".labels", format!("invalid label name: {name}"));
                }
            }
            for (name, _) in rule.annotations.iter().flatten() {
                if !is_valid_label_name(name, version) {
                    return fail(".annotations", format!("invalid annotation name: {name}"));
                }
            }
        }
    }
    Ok(())
}
