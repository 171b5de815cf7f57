//! `enforcedNamespaceLabel` on PrometheusRules: every rule gets the label
//! set to the rule's namespace, and every selector of its expression a
//! matcher `label="<namespace>"` (replacing any matcher on that label), as
//! the reference does with prom-label-proxy's enforcer.
use promop_api::v1::workload::{
    ObjectReference, ObjectReferenceResource, PrometheusRuleExcludeConfig,
};
use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::{Expr, VectorSelector};

use super::promql;
use crate::select::reasons::RejectionKind;

/// The namespace label to enforce and the rules exempt from it.
#[derive(Clone, Debug, Default)]
pub struct Enforcement {
    /// `enforcedNamespaceLabel`; `None` enforces nothing.
    pub label: Option<String>,
    /// `(namespace, name)` of exempt PrometheusRules; no name: all of the
    /// namespace.
    pub excluded: Vec<(String, Option<String>)>,
}

impl Enforcement {
    /// From `enforcedNamespaceLabel`, `excludedFromEnforcement` (its
    /// PrometheusRule entries) and the deprecated
    /// `prometheusRulesExcludedFromEnforce`.
    pub fn new(
        label: Option<&str>,
        excluded: Option<&[ObjectReference]>,
        deprecated: Option<&[PrometheusRuleExcludeConfig]>,
    ) -> Self {
        let label = label.filter(|l| !l.is_empty()).map(str::to_owned);
        let references = excluded
            .unwrap_or_default()
            .iter()
            .filter(|r| r.resource == ObjectReferenceResource::PrometheusRules)
            .map(|r| (r.namespace.clone(), r.name.clone()));
        let deprecated = deprecated
            .unwrap_or_default()
            .iter()
            .map(|r| (r.rule_namespace.clone(), Some(r.rule_name.clone())));
        Self {
            label,
            // An entry without namespace matches nothing (the reference skips it).
            excluded: references
                .chain(deprecated)
                .filter(|(ns, _)| !ns.is_empty())
                .collect(),
        }
    }

    /// The label to enforce on the PrometheusRule `namespace/name`, unless
    /// it is exempt.
    pub fn label_for(&self, namespace: &str, name: &str) -> Option<&str> {
        let label = self.label.as_deref()?;
        let exempt = self.excluded.iter().any(|(ns, n)| {
            ns == namespace && n.as_deref().is_none_or(|n| n.is_empty() || n == name)
        });
        (!exempt).then_some(label)
    }
}

/// The expression with `label="namespace"` on every selector, printed like
/// the reference prints it.
pub fn enforce_expr(expr: &str, label: &str, namespace: &str) -> Result<String, RejectionKind> {
    // The reference parses with no feature enabled here, whatever the
    // workload enables.
    let mut parsed = promql::parse(expr, promql::Features::default())
        .map_err(|e| e.context("failed to parse promql expression"))?;
    inject(&mut parsed, label, namespace);
    Ok(promql::print(&parsed))
}

/// Walks the nodes prom-label-proxy's enforcer walks: note that it leaves
/// the parameter of an aggregation (`topk(scalar(x), y)`) untouched.
fn inject(expr: &mut Expr, label: &str, namespace: &str) {
    match expr {
        Expr::Aggregate(agg) => inject(&mut agg.expr, label, namespace),
        Expr::Binary(binary) => {
            inject(&mut binary.lhs, label, namespace);
            inject(&mut binary.rhs, label, namespace);
        }
        Expr::Call(call) => {
            for arg in &mut call.args.args {
                inject(arg, label, namespace);
            }
        }
        Expr::Subquery(sub) => inject(&mut sub.expr, label, namespace),
        Expr::Paren(paren) => inject(&mut paren.expr, label, namespace),
        Expr::Unary(unary) => inject(&mut unary.expr, label, namespace),
        Expr::MatrixSelector(ms) => inject_matcher(&mut ms.vs, label, namespace),
        Expr::VectorSelector(vs) => inject_matcher(vs, label, namespace),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// An equality matcher replaces every matcher on the same label.
fn inject_matcher(vs: &mut VectorSelector, label: &str, namespace: &str) {
    vs.matchers.matchers.retain(|m| m.name != label);
    vs.matchers
        .matchers
        .push(Matcher::new(MatchOp::Equal, label, namespace));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enforced(expr: &str) -> String {
        enforce_expr(expr, "namespace", "ns1").unwrap_or_else(|e| format!("error: {e}"))
    }

    // Expected strings: what the reference (namespacelabeler with
    // prom-label-proxy's enforcer, then Prometheus' Go printer) writes for
    // the same expressions, label `namespace`, PrometheusRule namespace `ns1`.
    #[test]
    fn selectors_get_the_matcher_sorted_among_the_others() {
        assert_eq!(enforced("up"), r#"up{namespace="ns1"}"#);
        assert_eq!(
            enforced(r#"up{job="a",instance=~"b.*"}"#),
            r#"up{instance=~"b.*",job="a",namespace="ns1"}"#
        );
        // `{__name__="x"}` keeps its explicit name matcher.
        assert_eq!(
            enforced(r#"{__name__="up"}"#),
            r#"{__name__="up",namespace="ns1"}"#
        );
    }

    #[test]
    fn an_existing_matcher_on_the_label_is_replaced_whatever_its_operator() {
        assert_eq!(
            enforced(r#"up{namespace="other"}"#),
            r#"up{namespace="ns1"}"#
        );
        assert_eq!(
            enforced(r#"up{namespace!~"kube-.*",job="a"}"#),
            r#"up{job="a",namespace="ns1"}"#
        );
    }

    #[test]
    fn aggregations_binary_operators_and_modifiers() {
        assert_eq!(
            enforced("sum by (job) (rate(http_requests_total[5m]))"),
            r#"sum by (job) (rate(http_requests_total{namespace="ns1"}[5m]))"#
        );
        assert_eq!(
            enforced("sum without (instance) (x) / ignoring (code) group_left sum(y)"),
            r#"sum without (instance) (x{namespace="ns1"}) / ignoring (code) group_left () sum(y{namespace="ns1"})"#
        );
        assert_eq!(
            enforced("a * on (pod) group_right (node, zone) b > bool 0"),
            r#"a{namespace="ns1"} * on (pod) group_right (node, zone) b{namespace="ns1"} > bool 0"#
        );
        // Go prints `ignoring ()` when a group modifier follows, even empty.
        assert_eq!(
            enforced("a * ignoring () group_left b"),
            r#"a{namespace="ns1"} * ignoring () group_left () b{namespace="ns1"}"#
        );
        assert_eq!(
            enforced("a and on () b or c unless ignoring (x) d"),
            r#"a{namespace="ns1"} and on () b{namespace="ns1"} or c{namespace="ns1"} unless ignoring (x) d{namespace="ns1"}"#
        );
    }

    #[test]
    fn the_parameter_of_an_aggregation_is_left_alone() {
        assert_eq!(
            enforced("topk(scalar(k), x)"),
            r#"topk(scalar(k), x{namespace="ns1"})"#
        );
        assert_eq!(
            enforced(r#"count_values("v", x)"#),
            r#"count_values("v", x{namespace="ns1"})"#
        );
    }

    #[test]
    fn subqueries_at_and_offset() {
        assert_eq!(
            enforced("max_over_time(rate(x[1m])[1h:5m] offset 1d)"),
            r#"max_over_time(rate(x{namespace="ns1"}[1m])[1h:5m] offset 1d)"#
        );
        assert_eq!(
            enforced("x @ 1700000000 offset -5m"),
            r#"x{namespace="ns1"} @ 1700000000.000 offset -5m"#
        );
        assert_eq!(
            enforced("rate(x[90m] @ end())"),
            r#"rate(x{namespace="ns1"}[1h30m] @ end())"#
        );
        // Go accepts `offset 0s` and prints nothing for it; promql-parser
        // refuses a zero offset (listed in conformance/known-differences.md).
        assert!(enforced("x offset 0s").starts_with("error: "));
    }

    #[test]
    fn functions_with_strings_and_numbers() {
        assert_eq!(
            enforced(r#"label_replace(up{job=~"a|b"}, "dst", "$1", "src", "(.*)")"#),
            r#"label_replace(up{job=~"a|b",namespace="ns1"}, "dst", "$1", "src", "(.*)")"#
        );
        assert_eq!(
            enforced("-x + 1e3 - 0.5"),
            r#"-x{namespace="ns1"} + 1000 - 0.5"#
        );
        assert_eq!(enforced("x > +Inf"), r#"x{namespace="ns1"} > +Inf"#);
        assert_eq!(enforced("vector(1)"), "vector(1)");
    }

    #[test]
    fn invalid_promql_is_an_error() {
        assert!(enforced("sum(x").starts_with("error: failed to parse promql expression"));
    }

    #[test]
    fn exclusions_match_namespace_and_optional_name() {
        let e = Enforcement {
            label: Some("namespace".into()),
            excluded: vec![("a".into(), None), ("b".into(), Some("r".into()))],
        };
        assert_eq!(e.label_for("a", "anything"), None);
        assert_eq!(e.label_for("b", "r"), None);
        assert_eq!(e.label_for("b", "other"), Some("namespace"));
        assert_eq!(e.label_for("c", "r"), Some("namespace"));
    }
}
