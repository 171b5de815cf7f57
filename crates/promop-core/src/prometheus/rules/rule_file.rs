//! One PrometheusRule as a rule file: its spec, adjusted to the workload
//! (namespace label enforced, fields the version lacks dropped), printed
//! like the reference prints it (`sigs.k8s.io/yaml`: JSON field names, keys
//! sorted by yaml.v2).
use std::cmp::Ordering;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use promop_api::v1::PrometheusRule;
use promop_api::v1::prometheus_rule::{Rule, RuleGroup};

use super::enforce::enforce_expr;
use super::{RuleContext, RuleFeature, RuleFormat};
use crate::select::reasons::Rejection;
use crate::yaml::{Mapping, Node};

/// The spec as the workload will load it: the namespace label enforced on
/// labels and expressions, then the fields the version lacks removed.
pub fn adjusted_groups(
    rule: &PrometheusRule,
    ctx: &RuleContext,
) -> Result<Vec<RuleGroup>, Rejection> {
    let namespace = rule.metadata.namespace.as_deref().unwrap_or_default();
    let name = rule.metadata.name.as_deref().unwrap_or_default();
    let mut groups = rule.spec.groups.clone().unwrap_or_default();
    if let Some(label) = ctx.enforcement.label_for(namespace, name) {
        for (g, group) in groups.iter_mut().enumerate() {
            for (r, rule) in group.rules.iter_mut().flatten().enumerate() {
                rule.labels
                    .get_or_insert_default()
                    .insert(label.to_owned(), namespace.to_owned());
                let expr =
                    enforce_expr(&expr_text(&rule.expr), label, namespace).map_err(|message| {
                        Rejection::new(format!("spec.groups[{g}].rules[{r}].expr"), message)
                    })?;
                rule.expr = IntOrString::String(expr);
            }
        }
    }
    for group in &mut groups {
        sanitize(group, ctx);
    }
    Ok(groups)
}

/// Drops what the Prometheus (or Thanos) version does not know, as the
/// reference does (with a warning in its log), and empty `interval`/`for`.
///
/// The reference validates without the empty durations but writes them,
/// and Prometheus then refuses the file ("empty duration string"), which
/// stops every rule update; promop writes the file it validated.
fn sanitize(group: &mut RuleGroup, ctx: &RuleContext) {
    group.interval = group.interval.take().filter(|d| !d.is_empty());
    for rule in group.rules.iter_mut().flatten() {
        rule.r#for = rule.r#for.take().filter(|d| !d.is_empty());
    }
    let older = |feature| !ctx.supports(feature);
    if older(RuleFeature::GroupLimit) {
        group.limit = None;
    }
    if older(RuleFeature::GroupQueryOffset) {
        group.query_offset = None;
    }
    if ctx.format == RuleFormat::Prometheus {
        group.partial_response_strategy = None;
    }
    if older(RuleFeature::GroupLabels) {
        group.labels = None;
    }
    if older(RuleFeature::KeepFiringFor) {
        for rule in group.rules.iter_mut().flatten() {
            rule.keep_firing_for = None;
        }
    }
}

/// The text of an expression given as a number or a string.
pub fn expr_text(expr: &IntOrString) -> String {
    match expr {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// The rule file: `groups:` with each group's fields in yaml.v2's order.
/// Empty strings and maps are left out like Go's `omitempty` leaves them.
pub fn to_yaml(groups: &[RuleGroup]) -> String {
    let mut top = Mapping::new();
    if !groups.is_empty() {
        top.insert("groups", groups.iter().map(group_node).collect::<Vec<_>>());
    }
    crate::yaml::to_string(&Node::Map(top))
}

fn group_node(group: &RuleGroup) -> Node {
    let mut m = Mapping::new();
    m.insert_opt("interval", group.interval.as_ref().map(|d| d.0.clone()));
    insert_map(&mut m, "labels", group.labels.as_ref());
    m.insert_opt("limit", group.limit);
    m.insert("name", group.name.as_str());
    m.insert_opt(
        "partial_response_strategy",
        group
            .partial_response_strategy
            .as_deref()
            .filter(|s| !s.is_empty()),
    );
    m.insert_opt(
        "query_offset",
        group.query_offset.as_ref().map(|d| d.0.clone()),
    );
    if let Some(rules) = group.rules.as_ref().filter(|r| !r.is_empty()) {
        m.insert("rules", rules.iter().map(rule_node).collect::<Vec<_>>());
    }
    m.into()
}

fn rule_node(rule: &Rule) -> Node {
    let mut m = Mapping::new();
    m.insert_opt("alert", rule.alert.as_deref().filter(|s| !s.is_empty()));
    insert_map(&mut m, "annotations", rule.annotations.as_ref());
    m.insert(
        "expr",
        match &rule.expr {
            IntOrString::Int(i) => Node::Int((*i).into()),
            IntOrString::String(s) => Node::Str(s.clone()),
        },
    );
    m.insert_opt("for", rule.r#for.as_ref().map(|d| d.0.clone()));
    m.insert_opt(
        "keep_firing_for",
        rule.keep_firing_for.as_ref().map(|d| d.0.clone()),
    );
    insert_map(&mut m, "labels", rule.labels.as_ref());
    m.insert_opt("record", rule.record.as_deref().filter(|s| !s.is_empty()));
    m.into()
}

fn insert_map(m: &mut Mapping, key: &str, map: Option<&BTreeMap<String, String>>) {
    if let Some(map) = map.filter(|map| !map.is_empty()) {
        let mut entries: Vec<(&String, &String)> = map.iter().collect();
        entries.sort_by(|a, b| yaml_v2_key_order(a.0, b.0));
        let mut node = Mapping::new();
        for (k, v) in entries {
            node.insert(k.as_str(), v.as_str());
        }
        m.insert(key, node);
    }
}

/// The order yaml.v2 prints the keys of a Go map in: letters before other
/// characters, runs of digits compared as numbers (`a2` before `a10`).
pub fn yaml_v2_key_order(a: &str, b: &str) -> Ordering {
    let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    for i in 0..ar.len().min(br.len()) {
        let (x, y) = (ar[i], br[i]);
        if x == y {
            continue;
        }
        let (xl, yl) = (x.is_alphabetic(), y.is_alphabetic());
        if xl && yl {
            return x.cmp(&y);
        }
        if xl || yl {
            return if yl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        // Both non-letters: compare the digit runs starting here as numbers;
        // a leading zero after a non-zero digit counts as part of a number.
        let mut an: i128 = 0;
        let mut bn: i128 = 0;
        if x == '0' || y == '0' {
            let nonzero_before = ar[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|&c| c != '0');
            if nonzero_before {
                an = 1;
                bn = 1;
            }
        }
        let run = |s: &[char], mut n: i128| {
            let mut end = i;
            while end < s.len() && s[end].is_ascii_digit() {
                n = n
                    .saturating_mul(10)
                    .saturating_add(i128::from(s[end] as u8 - b'0'));
                end += 1;
            }
            (n, end)
        };
        let ((an, ae), (bn, be)) = (run(&ar, an), run(&br, bn));
        if an != bn {
            return an.cmp(&bn);
        }
        if ae != be {
            return ae.cmp(&be);
        }
        return x.cmp(&y);
    }
    ar.len().cmp(&br.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    // yaml.v2's keyList.Less, on the cases where it departs from byte order.
    #[test]
    fn keys_sort_like_yaml_v2() {
        // Printed by sigs.k8s.io/yaml (the reference's marshaller) for a Go
        // map with these keys.
        let mut keys = vec![
            "a10", "a9", "a_b", "aB", "b", "A", "team", "a", "a01", "a1", "é", "z", "1", "10", "2",
        ];
        keys.sort_by(|a, b| yaml_v2_key_order(a, b));
        let expected = [
            "1", "2", "10", "A", "a", "a_b", "a1", "a01", "a9", "a10", "aB", "b", "team", "z", "é",
        ];
        assert_eq!(keys, expected);
    }
}
