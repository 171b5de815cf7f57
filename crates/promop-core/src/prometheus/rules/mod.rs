//! PrometheusRules as rule files, and the ConfigMaps that carry them to the
//! workload (`prometheus-<name>-rulefiles-<n>`, `thanos-ruler-<name>-…`).
//!
//! Per selected PrometheusRule: the namespace label is enforced
//! ([`enforce`]), fields the version lacks are dropped, the file is printed
//! like the reference ([`rule_file`]) and checked like Prometheus' rule
//! loader would ([`validate`]); an invalid PrometheusRule is rejected on its
//! own with a reason. The files are then packed into ConfigMaps
//! ([`config_maps`]).
mod config_maps;
pub mod enforce;
pub mod promql;
pub mod rule_file;
mod template;
pub mod thanos_ruler;
pub mod validate;

use promop_api::v1::{Prometheus, PrometheusRule, ThanosRuler};

pub use config_maps::{MAX_CONFIG_MAP_DATA_SIZE, RuleConfigMaps, config_maps};
pub use enforce::Enforcement;
pub use thanos_ruler::{thanos_ruler_config_maps, thanos_ruler_rules};

use crate::select::reasons::{Rejection, RejectionKind};
use crate::select::validate::parse_version;
use crate::version::{
    self, DEFAULT_PROMETHEUS_VERSION, DEFAULT_THANOS_VERSION, prometheus, thanos,
};

/// Who loads the rule files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleFormat {
    Prometheus,
    /// Thanos Ruler: keeps `partial_response_strategy`, has its own versions.
    Thanos,
}

/// A rule-file setting that older versions lack; its versions are in the
/// Prometheus and Thanos tables ([`crate::version`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuleFeature {
    GroupLimit,
    GroupQueryOffset,
    GroupLabels,
    KeepFiringFor,
    Utf8Names,
}

impl RuleFeature {
    fn prometheus(self) -> prometheus::Feature {
        use prometheus::Feature as P;
        match self {
            Self::GroupLimit => P::RuleGroupLimit,
            Self::GroupQueryOffset => P::RuleGroupQueryOffset,
            Self::GroupLabels => P::RuleGroupLabels,
            Self::KeepFiringFor => P::RuleKeepFiringFor,
            Self::Utf8Names => P::RuleUtf8Names,
        }
    }

    fn thanos(self) -> thanos::Feature {
        use thanos::Feature as T;
        match self {
            Self::GroupLimit => T::RuleGroupLimit,
            Self::GroupQueryOffset => T::RuleGroupQueryOffset,
            Self::GroupLabels => T::RuleGroupLabels,
            Self::KeepFiringFor => T::RuleKeepFiringFor,
            Self::Utf8Names => T::RuleUtf8Names,
        }
    }
}

/// What turning a PrometheusRule into a rule file depends on.
#[derive(Clone, Debug)]
pub struct RuleContext {
    pub format: RuleFormat,
    pub version: semver::Version,
    pub enforcement: Enforcement,
    /// The PromQL features of `enableFeatures`.
    pub features: promql::Features,
}

impl RuleContext {
    /// The context of a Prometheus; the error is the version's.
    pub fn for_prometheus(prometheus: &Prometheus) -> Result<Self, RejectionKind> {
        let common = &prometheus.spec.common;
        let version = common
            .version
            .as_deref()
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_PROMETHEUS_VERSION);
        Ok(Self {
            format: RuleFormat::Prometheus,
            version: parse(version)?,
            enforcement: Enforcement::new(
                common.enforced_namespace_label.as_deref(),
                common.excluded_from_enforcement.as_deref(),
                prometheus
                    .spec
                    .prometheus_rules_excluded_from_enforce
                    .as_deref(),
            ),
            features: {
                let enabled =
                    |name: &str| common.enable_features.iter().flatten().any(|f| f == name);
                promql::Features {
                    experimental_functions: enabled("promql-experimental-functions"),
                    binop_fill_modifiers: enabled("promql-binop-fill-modifiers"),
                }
            },
        })
    }

    /// The context of a Thanos Ruler (its PromQL parser has no feature flags).
    pub fn for_thanos_ruler(ruler: &ThanosRuler) -> Result<Self, RejectionKind> {
        let spec = &ruler.spec;
        let version = spec
            .version
            .as_deref()
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_THANOS_VERSION);
        Ok(Self {
            format: RuleFormat::Thanos,
            version: parse(version)?,
            enforcement: Enforcement::new(
                spec.enforced_namespace_label.as_deref(),
                spec.excluded_from_enforcement.as_deref(),
                spec.prometheus_rules_excluded_from_enforce.as_deref(),
            ),
            features: promql::Features::default(),
        })
    }

    /// A hash of the context, for memos of rule files.
    pub(crate) fn hash(&self) -> u64 {
        xxhash_rust::xxh64::xxh64(format!("{self:?}").as_bytes(), 0)
    }

    /// Whether the Prometheus or Thanos version knows `feature`.
    fn supports(&self, feature: RuleFeature) -> bool {
        match self.format {
            RuleFormat::Prometheus => version::supports(&self.version, feature.prometheus()),
            RuleFormat::Thanos => version::supports(&self.version, feature.thanos()),
        }
    }
}

/// The version of a Prometheus or a Thanos Ruler (the reference's message
/// names Prometheus for both).
fn parse(input: &str) -> Result<semver::Version, RejectionKind> {
    parse_version(input).map(|v| v.semver().clone())
}

/// The rule file of one PrometheusRule, or why it is rejected.
pub fn rule_file(rule: &PrometheusRule, ctx: &RuleContext) -> Result<String, Rejection> {
    let groups = rule_file::adjusted_groups(rule, ctx)?;
    validate::validate(&groups, ctx)?;
    Ok(rule_file::to_yaml(&groups))
}

/// The ConfigMap key of a PrometheusRule's file: `<ns>-<name>-<uid>.yaml`
/// (the UID tells `a-b/c` from `a/b-c`).
pub fn file_name(rule: &PrometheusRule) -> String {
    let meta = &rule.metadata;
    format!(
        "{}-{}-{}.yaml",
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default(),
        meta.uid.as_deref().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn prometheus_rule(spec: serde_json::Value) -> PrometheusRule {
        serde_json::from_value(json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "r", "namespace": "ns1"},
            "spec": spec,
        }))
        .expect("valid PrometheusRule")
    }

    fn ctx(format: RuleFormat, version: &str) -> RuleContext {
        RuleContext {
            format,
            version: parse(version).expect("version"),
            enforcement: Enforcement::default(),
            features: promql::Features::default(),
        }
    }

    fn v3() -> RuleContext {
        ctx(RuleFormat::Prometheus, "v3.5.0")
    }

    fn rejection(rule: &PrometheusRule, ctx: &RuleContext) -> String {
        rule_file(rule, ctx).expect_err("rejected").to_string()
    }

    // Messages and outcomes below are those of the reference's validation
    // (rulefmt.Parse of Prometheus 3.14, run by operator.ValidateRule).
    #[test]
    fn repeated_group_names_are_rejected() {
        let rule = prometheus_rule(json!({"groups": [
            {"name": "same", "rules": [{"record": "a", "expr": "up"}]},
            {"name": "same", "rules": [{"record": "b", "expr": "up"}]},
        ]}));
        assert_eq!(
            rejection(&rule, &v3()),
            r#"spec.groups[1].name: groupname: "same" is repeated in the same file"#
        );
    }

    #[test]
    fn invalid_promql_names_the_rule() {
        let rule = prometheus_rule(json!({"groups": [
            {"name": "g", "rules": [{"alert": "Ok", "expr": "up == 0"}, {"alert": "Bad", "expr": "rate(up)"}]},
        ]}));
        let why = rejection(&rule, &v3());
        assert!(
            why.starts_with(r#"spec.groups[0].rules[1].expr: group "g", rule 2, "Bad": could not parse expression: "#),
            "{why}"
        );
    }

    #[test]
    fn an_empty_query_offset_is_not_a_duration_but_empty_interval_and_for_pass() {
        let rule = prometheus_rule(json!({"groups": [
            {"name": "g", "query_offset": "", "rules": [{"record": "a", "expr": "up"}]},
        ]}));
        assert_eq!(
            rejection(&rule, &v3()),
            "spec.groups[0].query_offset: empty duration string"
        );
        // The reference validates without empty ones but writes them as
        // `interval: ""` and `for: ""`, which Prometheus refuses to load;
        // promop leaves them out. No corpus scenario: the reference's own
        // output would fail the corpus' promtool check.
        let rule = prometheus_rule(json!({"groups": [
            {"name": "g", "interval": "", "rules": [{"alert": "A", "expr": "up", "for": ""}]},
        ]}));
        assert_eq!(
            rule_file(&rule, &v3()).expect("valid"),
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
        );
    }

    #[test]
    fn recording_rules_refuse_alert_fields_but_allow_a_zero_for() {
        let with = |field: serde_json::Value| {
            let mut rule = json!({"record": "a", "expr": "up"});
            if let (Some(r), Some(f)) = (rule.as_object_mut(), field.as_object()) {
                r.extend(f.clone());
            }
            prometheus_rule(json!({"groups": [{"name": "g", "rules": [rule]}]}))
        };
        assert!(
            rejection(&with(json!({"for": "5m"})), &v3())
                .ends_with("invalid field 'for' in recording rule")
        );
        assert!(
            rejection(&with(json!({"keep_firing_for": "5m"})), &v3())
                .ends_with("invalid field 'keep_firing_for' in recording rule")
        );
        assert!(
            rejection(&with(json!({"annotations": {"a": "b"}})), &v3())
                .ends_with("invalid field 'annotations' in recording rule")
        );
        assert!(rule_file(&with(json!({"for": "0s"})), &v3()).is_ok());
    }

    #[test]
    fn names_follow_the_versions_validation_scheme() {
        let rule = prometheus_rule(json!({"groups": [
            {"name": "g", "rules": [{"record": "http.requests", "expr": "up", "labels": {"team.name": "x"}}]},
        ]}));
        assert!(rule_file(&rule, &v3()).is_ok());
        assert!(
            rejection(&rule, &ctx(RuleFormat::Prometheus, "v2.53.0"))
                .ends_with("invalid recording rule name: http.requests")
        );
        // Thanos moved to UTF-8 names in 0.38.
        assert!(rule_file(&rule, &ctx(RuleFormat::Thanos, "v0.38.0")).is_ok());
        assert!(rule_file(&rule, &ctx(RuleFormat::Thanos, "v0.37.0")).is_err());
    }

    #[test]
    fn experimental_functions_need_the_feature() {
        let rule = prometheus_rule(json!({"groups": [
            {"name": "g", "rules": [{"record": "a", "expr": "sort_by_label(up, \"job\")"}]},
        ]}));
        assert!(rejection(&rule, &v3()).ends_with(r#"function "sort_by_label" is not enabled"#));
        let mut enabled = v3();
        enabled.features.experimental_functions = true;
        assert!(rule_file(&rule, &enabled).is_ok());
    }

    #[test]
    fn a_file_over_the_config_map_limit_is_rejected() {
        let rule = prometheus_rule(json!({"groups": [
            {"name": "g", "rules": [{"alert": "A", "expr": "up", "annotations": {"d": "x".repeat(600_000)}}]},
        ]}));
        let why = rejection(&rule, &v3());
        assert!(
            why.starts_with("spec: the length of rendered Prometheus Rule is ")
                && why.ends_with(" bytes which is above the maximum limit of 524288 bytes"),
            "{why}"
        );
    }

    #[test]
    fn fields_are_dropped_by_version_and_format() {
        let rule = prometheus_rule(json!({"groups": [{
            "name": "g",
            "limit": 5,
            "query_offset": "1m",
            "partial_response_strategy": "warn",
            "labels": {"team": "a"},
            "rules": [{"alert": "A", "expr": "up", "keep_firing_for": "5m"}],
        }]}));
        // Prometheus 3: all but the Thanos-only partial_response_strategy.
        assert_eq!(
            rule_file(&rule, &v3()).expect("valid"),
            "groups:\n- labels:\n    team: a\n  limit: 5\n  name: g\n  query_offset: 1m\n  rules:\n  - alert: A\n    expr: up\n    keep_firing_for: 5m\n"
        );
        // Prometheus 2.41: no group labels (3.0), query_offset (2.53) nor
        // keep_firing_for (2.42); limit (2.31) stays.
        assert_eq!(
            rule_file(&rule, &ctx(RuleFormat::Prometheus, "v2.41.0")).expect("valid"),
            "groups:\n- limit: 5\n  name: g\n  rules:\n  - alert: A\n    expr: up\n"
        );
        // Thanos 0.39 keeps everything, partial_response_strategy included.
        assert_eq!(
            rule_file(&rule, &ctx(RuleFormat::Thanos, "v0.39.0")).expect("valid"),
            "groups:\n- labels:\n    team: a\n  limit: 5\n  name: g\n  partial_response_strategy: warn\n  query_offset: 1m\n  rules:\n  - alert: A\n    expr: up\n    keep_firing_for: 5m\n"
        );
    }

    #[test]
    fn enforcement_sets_the_label_and_rewrites_integer_expressions_as_strings() {
        let rule = prometheus_rule(json!({"groups": [
            {"name": "g", "rules": [{"record": "one", "expr": 1}, {"alert": "A", "expr": "up == 0", "labels": {"namespace": "x"}}]},
        ]}));
        let mut ctx = v3();
        ctx.enforcement.label = Some("namespace".into());
        assert_eq!(
            rule_file(&rule, &ctx).expect("valid"),
            "groups:\n- name: g\n  rules:\n  - expr: \"1\"\n    labels:\n      namespace: ns1\n    record: one\n  - alert: A\n    expr: up{namespace=\"ns1\"} == 0\n    labels:\n      namespace: ns1\n"
        );
        ctx.enforcement.excluded = vec![("ns1".into(), Some("r".into()))];
        assert!(
            rule_file(&rule, &ctx)
                .expect("valid")
                .contains("  - expr: 1\n")
        );
    }

    #[test]
    fn a_spec_without_groups_is_an_empty_mapping() {
        assert_eq!(
            rule_file(&prometheus_rule(json!({})), &v3()).expect("valid"),
            "{}\n"
        );
    }
}
