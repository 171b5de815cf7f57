//! The checks Prometheus' rule loader (`rulefmt.Parse`) makes, which the
//! reference runs on every PrometheusRule before writing its file: an
//! object failing one is rejected, the others are kept.
use std::collections::BTreeSet;

use promop_api::v1::prometheus_rule::{Rule, RuleGroup};

use super::rule_file::{expr_text, to_yaml};
use super::{RuleContext, RuleFeature, promql, template};
use crate::select::reasons::{Rejection, RejectionKind};
use crate::select::validate::duration::parse_duration;
use crate::select::validate::is_valid_label_name;

/// `int(float64(corev1.MaxSecretSize) * 0.5)`: the most data one rule
/// ConfigMap holds, and so the largest rule file.
pub const MAX_FILE_SIZE: usize = 512 * 1024;

/// Checks the adjusted groups of one PrometheusRule, with the names the
/// workload's version accepts.
pub fn validate(groups: &[RuleGroup], ctx: &RuleContext) -> Result<(), Rejection> {
    check(groups, ctx.features, ctx.supports(RuleFeature::Utf8Names))
}

/// [`validate`] with the PromQL `features` and the name validation scheme
/// given (`utf8` or legacy names): what the admission webhook checks.
pub fn check(
    groups: &[RuleGroup],
    features: promql::Features,
    utf8: bool,
) -> Result<(), Rejection> {
    // The reference checks the size of what it validates: the file without
    // `partial_response_strategy`.
    let checked: Vec<RuleGroup> = groups
        .iter()
        .map(|g| RuleGroup {
            partial_response_strategy: None,
            ..g.clone()
        })
        .collect();
    let size = to_yaml(&checked).len();
    if size > MAX_FILE_SIZE {
        return Err(Rejection::new(
            "spec",
            format!(
                "the length of rendered Prometheus Rule is {size} bytes which is above the maximum limit of {MAX_FILE_SIZE} bytes"
            ),
        ));
    }
    let mut names = BTreeSet::new();
    for (g, group) in checked.iter().enumerate() {
        let path = format!("spec.groups[{g}]");
        let fail =
            |field: &str, message: String| Err(Rejection::new(format!("{path}{field}"), message));
        if group.name.is_empty() {
            return fail(".name", "Groupname must not be empty".into());
        }
        if !names.insert(group.name.as_str()) {
            return fail(
                ".name",
                format!("groupname: {:?} is repeated in the same file", group.name),
            );
        }
        for (field, value) in [
            ("interval", &group.interval),
            ("query_offset", &group.query_offset),
        ] {
            if let Some(d) = value {
                duration(d, &format!("{path}.{field}"))?;
            }
        }
        for name in group.labels.iter().flatten().map(|(k, _)| k) {
            if !label_name_ok(name, utf8) {
                return fail(".labels", format!("invalid label name: {name}"));
            }
        }
        for (r, rule) in group.rules.iter().flatten().enumerate() {
            check_rule(rule, features, utf8).map_err(|(field, kind)| {
                let name = rule
                    .alert
                    .as_deref()
                    .filter(|a| !a.is_empty())
                    .or(rule.record.as_deref())
                    .unwrap_or_default();
                let context = format!("group {:?}, rule {}, {name:?}", group.name, r + 1);
                Rejection::new(format!("{path}.rules[{r}]{field}"), kind.context(&context))
            })?;
        }
    }
    Ok(())
}

fn duration(value: &str, path: &str) -> Result<u128, Rejection> {
    parse_duration(value).map_err(|message| Rejection::new(path, message))
}

/// The field (relative to the rule) and the problem.
type RuleError = (&'static str, RejectionKind);

fn fail(field: &'static str, message: String) -> Result<(), RuleError> {
    Err((field, message.into()))
}

fn check_rule(rule: &Rule, features: promql::Features, utf8: bool) -> Result<(), RuleError> {
    let record = rule.record.as_deref().unwrap_or_default();
    let alert = rule.alert.as_deref().unwrap_or_default();
    match (record.is_empty(), alert.is_empty()) {
        (false, false) => return fail("", "only one of 'record' and 'alert' must be set".into()),
        (true, true) => return fail("", "one of 'record' or 'alert' must be set".into()),
        _ => {}
    }
    let for_ms = match &rule.r#for {
        Some(d) => parse_duration(d).map_err(|e| (".for", e))?,
        None => 0,
    };
    let keep_firing_ms = match &rule.keep_firing_for {
        Some(d) => parse_duration(d).map_err(|e| (".keep_firing_for", e))?,
        None => 0,
    };
    let expr = expr_text(&rule.expr);
    if expr.is_empty() {
        return fail(".expr", "field 'expr' must be set in rule".into());
    }
    promql::parse(&expr, features)
        .map_err(|e| (".expr", e.context("could not parse expression")))?;
    if !record.is_empty() {
        if rule.annotations.as_ref().is_some_and(|a| !a.is_empty()) {
            return fail(
                ".annotations",
                "invalid field 'annotations' in recording rule".into(),
            );
        }
        if for_ms != 0 {
            return fail(".for", "invalid field 'for' in recording rule".into());
        }
        if keep_firing_ms != 0 {
            return fail(
                ".keep_firing_for",
                "invalid field 'keep_firing_for' in recording rule".into(),
            );
        }
        if !metric_name_ok(record, utf8) {
            return fail(".record", format!("invalid recording rule name: {record}"));
        }
        if record.contains(['{', '}']) {
            return fail(
                ".record",
                format!(
                    "braces present in the recording rule name; should it be in expr?: {record}"
                ),
            );
        }
    }
    for name in rule.labels.iter().flatten().map(|(k, _)| k) {
        if !label_name_ok(name, utf8) {
            return fail(".labels", format!("invalid label name: {name}"));
        }
    }
    for name in rule.annotations.iter().flatten().map(|(k, _)| k) {
        if !is_valid_label_name(name, utf8) {
            return fail(".annotations", format!("invalid annotation name: {name}"));
        }
    }
    if !alert.is_empty() {
        for (kind, field, map) in [
            ("label", ".labels", &rule.labels),
            ("annotation", ".annotations", &rule.annotations),
        ] {
            for (key, text) in map.iter().flatten() {
                // Go's wording has no space after the template's name.
                template::check(text).map_err(|e| {
                    let message = format!("{kind} {key:?}: template: __alert_{alert}:{e}");
                    (field, message.into())
                })?;
            }
        }
    }
    Ok(())
}

/// A label name of the validation scheme, and never `__name__`.
fn label_name_ok(name: &str, utf8: bool) -> bool {
    name != "__name__" && is_valid_label_name(name, utf8)
}

/// Recording rule names: `[a-zA-Z_:][a-zA-Z0-9_:]*` before UTF-8 names.
fn metric_name_ok(name: &str, utf8: bool) -> bool {
    if utf8 {
        return !name.is_empty();
    }
    !name.is_empty()
        && name.char_indices().all(|(i, c)| {
            c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
        })
}
