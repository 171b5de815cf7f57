//! No panic on any PrometheusRule: arbitrary rules, generated from our CRD
//! schema with PromQL expressions and alert templates drawn from small
//! grammars (then often mutated: inserted syntax, deleted or repeated
//! spans, truncation, deep nesting), go through the rule generation path
//! of a Prometheus and of a Thanos Ruler (selection, `enforcedNamespaceLabel`,
//! version gates, rule-file checks, ConfigMaps) and through `promop lint`.
//!
//! Errors are fine; panics are not, and neither is output that the
//! workload cannot load: every rule file must parse as YAML back into the
//! PrometheusRule spec type, and every expression in it as PromQL. An
//! expression that parses is also printed (the form the reference writes
//! when it enforces the namespace label) and must parse again.
//!
//! ```text
//! PROMOP_FUZZ_SECONDS=600 cargo test --release -p promop-core --test fuzz_rules -- --nocapture
//! PROMOP_FUZZ_CASES=100000 ...
//! ```
mod fuzz;
// Only this target draws PromQL, so the grammar is not part of `fuzz`.
#[path = "fuzz/promql.rs"]
mod promql_grammar;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use fuzz::mutate::mutated;
use fuzz::{Mode, NAMES, NAMESPACES, any_string, from_schema_with, pick};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::prometheus::rules::enforce::{Enforcement, enforce_expr};
use promop_core::prometheus::rules::{
    RuleConfigMaps, RuleContext, RuleFormat, config_maps, promql, rule_file,
    thanos_ruler_config_maps,
};
use promop_core::select::ScrapeScope;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::version::parse_tolerant;
use promql_grammar::{promql_text, typed_promql};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

const DEFAULT_CASES: u32 = 96;

const VERSIONS: &[&str] = &[
    "v3.5.0", "v3.0.0", "v2.53.0", "v2.45.0", "v2.41.0", "v2.30.0", "",
];
const THANOS_VERSIONS: &[&str] = &[
    "v0.42.2", "v0.39.0", "v0.38.0", "v0.37.0", "v0.33.0", "v0.23.0", "",
];
const ODD_VERSIONS: &[&str] = &["3.1.0", "latest", "v99.0.0", "garbage", "v1"];

/// Names of the label to enforce: the usual one, reserved and UTF-8 ones.
const ENFORCED_LABELS: &[&str] = &["namespace", "ns", "job", "__name__", "a.b", "le", "ünï", ""];
const FEATURES: &[&str] = &[
    "promql-experimental-functions",
    "promql-binop-fill-modifiers",
    "native-histograms",
];

/// Expressions as a rule holds them: grammar output, mutated or nested.
fn expr() -> BoxedStrategy<Value> {
    // Depths up to what fits a rule file (512 KiB), mostly small ones.
    let depth = || prop_oneof![8 => 1usize..64, 2 => 64usize..600, 1 => 600usize..60_000];
    let nesting = (
        promql_text(),
        proptest::sample::select(
            &[
                ("(", ")"),
                ("-", ""),
                ("abs(", ")"),
                ("sum(", ")"),
                ("sum by (job) (", ")"),
                ("topk(1, ", ")"),
                ("rate((", ")[5m:])"),
            ][..],
        ),
        depth(),
    )
        .prop_map(|(e, (open, close), depth)| fuzz::mutate::nested(&e, open, close, depth));
    let chain = (
        pick(&["up", "x{a=\"b\"}", "rate(x[5m])", "1"]),
        pick(&["+", "or", "*", "and", "^", "> bool", "/ on (a)"]),
        depth(),
    )
        .prop_map(|(term, op, n)| vec![term; n].join(&format!(" {op} ")));
    prop_oneof![
        20 => mutated(promql_text()).prop_map(Value::from),
        1 => nesting.prop_map(Value::from),
        1 => chain.prop_map(Value::from),
        1 => any_string().prop_map(Value::from),
        1 => any::<i32>().prop_map(Value::from),
    ]
    .boxed()
}

#[rustfmt::skip]
const TEMPLATE_TEXT: &[&str] = &[
    "plain ", "instance ", "\n", "{ not an action }", "}}", "{", "{{", "%", "$labels", " ",
];
#[rustfmt::skip]
const TEMPLATE_ACTIONS: &[&str] = &[
    "{{ $labels.instance }}", "{{ $value | humanize }}", "{{ printf \"%.2f\" $value }}",
    "{{ .Labels.job }}", "{{/* c */}}", "{{- /* c */ -}}", "{{- $externalURL -}}",
    "{{ $x := 1 }}", "{{ $x }}", "{{ $x = 2 }}", "{{ template \"t\" . }}", "{{ \"}}\" }}",
    "{{ `raw }}` }}", "{{ humanise $value }}", "{{ $lables.x }}", "{{ }}", "{{ end }}",
    "{{ else }}", "{{ break }}", "{{ continue }}", "{{ else if gt $value 1.0 }}", "{{ nil }}",
    "{{ query \"up\" | first | value }}", "{{ 'a' }}", "{{ \"unterminated }}", "{{ (len $labels) }}",
    "{{ index $labels \"a\" }}", "{{ $value | humanizeDuration }}", "{{ 1 | printf \"%d\" }}",
    "{{ $, $y := 1 }}", "{{ $labels.a.b.c }}", "{{ true }}", "{{ .Value }}", "{{ $externalLabels.x }}",
    "{{ reReplaceAll \"(.*)\" \"$1\" $labels.x }}", "{{ \"\\\"\" }}", "{{ '\\'' }}",
];
#[rustfmt::skip]
const VALID_TEMPLATE_TEXT: &[&str] = &["plain ", "instance ", "\n", "{ not an action }", "}}", "%"];
#[rustfmt::skip]
const VALID_TEMPLATE_ACTIONS: &[&str] = &[
    "{{ $labels.instance }}", "{{ $value | humanize }}", "{{ printf \"%.2f\" $value }}",
    "{{ .Labels.job }}", "{{/* c */}}", "{{- /* c */ -}}", "{{- $externalURL -}}",
    "{{ \"}}\" }}", "{{ `raw }}` }}", "{{ query \"up\" | first | value }}", "{{ 'a' }}",
    "{{ (len $labels) }}", "{{ index $labels \"a\" }}", "{{ $value | humanizeDuration }}",
    "{{ $labels.a.b.c }}", "{{ true }}", "{{ .Value }}", "{{ $externalLabels.x }}",
];
#[rustfmt::skip]
const VALID_TEMPLATE_BLOCKS: &[&str] = &[
    "if $value", "if gt $value 1.0", "range $i, $e := query \"up\"", "with $labels.x",
    "with $y := $labels.y",
];
#[rustfmt::skip]
const TEMPLATE_BLOCKS: &[&str] = &[
    "if $value", "if gt $value 1.0", "range $i, $e := query \"up\"", "range .", "with $labels.x",
    "with $y := $labels.y", "define \"t\"", "block \"b\" .", "if", "range",
];

/// Alert label and annotation values: Go templates from a small grammar
/// (valid ones, and unbalanced blocks and unknown names now and then).
fn template_text(clean: bool) -> impl Strategy<Value = String> {
    let (text, actions, blocks) = if clean {
        (
            VALID_TEMPLATE_TEXT,
            VALID_TEMPLATE_ACTIONS,
            VALID_TEMPLATE_BLOCKS,
        )
    } else {
        (TEMPLATE_TEXT, TEMPLATE_ACTIONS, TEMPLATE_BLOCKS)
    };
    let flat = prop_oneof![
        2 => pick(text),
        3 => pick(actions),
    ];
    let piece = flat.prop_recursive(3, 12, 4, move |inner| {
        (
            pick(blocks),
            proptest::collection::vec(inner.clone(), 0..=3),
            proptest::option::weighted(0.3, inner),
            if clean {
                Just(true).boxed()
            } else {
                prop_oneof![8 => Just(true), 1 => Just(false)].boxed()
            },
        )
            .prop_map(|(open, body, otherwise, closed)| {
                let mut out = format!("{{{{ {open} }}}}{}", body.concat());
                if let Some(e) = otherwise {
                    out.push_str("{{ else }}");
                    out.push_str(&e);
                }
                if closed {
                    out.push_str("{{ end }}");
                }
                out
            })
    });
    proptest::collection::vec(piece, 0..=5).prop_map(|p| p.concat())
}

/// Templates, often mutated.
fn template() -> BoxedStrategy<String> {
    prop_oneof![
        8 => mutated(template_text(false).boxed()),
        1 => any_string(),
    ]
    .boxed()
}

/// Keys of rule labels and annotations.
fn label_key() -> BoxedStrategy<String> {
    prop_oneof![
        4 => pick(&["summary", "description", "severity", "team", "namespace", "runbook_url"]),
        1 => pick(&["__name__", "a.b", "", "0bad", "ünï", "__meta", "le"]),
        1 => any_string(),
    ]
    .boxed()
}

/// Valid label keys only.
fn map_of_clean(values: BoxedStrategy<String>) -> BoxedStrategy<Value> {
    let keys = pick(&["summary", "description", "severity", "team", "runbook_url"]);
    proptest::collection::btree_map(keys, values, 0..=3)
        .prop_map(|m| json!(m))
        .boxed()
}

fn map_of(values: BoxedStrategy<String>) -> BoxedStrategy<Value> {
    proptest::collection::btree_map(label_key(), values, 0..=3)
        .prop_map(|m| json!(m))
        .boxed()
}

/// Groups and rules: always some (deep in the schema, they would be rare),
/// most rules either alerting or recording.
fn rule_lists(path: &str, schema: &Value, mode: Mode, clean: bool) -> Option<BoxedStrategy<Value>> {
    let fields = move |p: &str, s: &Value, d: usize, m: Mode| rule_fields(p, s, d, m, clean);
    let items = schema.get("items")?;
    match path {
        "spec.groups" => Some(
            (
                proptest::collection::vec(
                    from_schema_with(items, "spec.groups[]", 1, mode, &fields),
                    1..=3,
                ),
                proptest::bool::weighted(0.85),
            )
                .prop_map(|(mut groups, unique)| {
                    // Names as the API server requires them (not empty,
                    // unique), but now and then as drawn.
                    for (i, group) in groups.iter_mut().enumerate() {
                        if let (true, Value::Object(g)) = (unique, group) {
                            g.insert("name".into(), format!("g{i}").into());
                        }
                    }
                    Value::Array(groups)
                })
                .boxed(),
        ),
        "spec.groups[].rules" => {
            let (kinds, alerts, records): (_, &'static [&'static str], &'static [&'static str]) =
                if clean {
                    (0u8..9, &["Down", "High Latency"], &["job:up:sum", "up"])
                } else {
                    (
                        0u8..10,
                        &["Down", "High Latency", "", "ünï"],
                        &["job:up:sum", "up", "a.b", "", "ünï"],
                    )
                };
            let rule = (
                from_schema_with(items, "spec.groups[].rules[]", 1, mode, &fields),
                kinds,
                pick(alerts),
                pick(records),
            )
                .prop_map(move |(mut rule, kind, alert, record)| {
                    if let Value::Object(map) = &mut rule {
                        let (set, unset, name) = match kind {
                            0..5 => ("alert", "record", alert),
                            5..9 => ("record", "alert", record),
                            _ => return rule,
                        };
                        map.remove(unset);
                        if clean {
                            map.insert(set.into(), name.into());
                        } else {
                            map.entry(set).or_insert(name.into());
                        }
                        if set == "record" && (kind != 8 || clean) {
                            map.remove("annotations");
                            map.remove("for");
                            map.remove("keep_firing_for");
                        }
                    }
                    rule
                });
            Some(
                proptest::collection::vec(rule, 1..=4)
                    .prop_map(Value::Array)
                    .boxed(),
            )
        }
        _ => None,
    }
}

/// The rule fields that the schema only knows as strings; `clean`: only
/// valid expressions and templates, so that whole files get written.
fn rule_fields(
    path: &str,
    schema: &Value,
    _: usize,
    mode: Mode,
    clean: bool,
) -> Option<BoxedStrategy<Value>> {
    let strings = |s: BoxedStrategy<String>| Some(s.prop_map(Value::from).boxed());
    let names_or_any = |names: &'static [&'static str]| {
        strings(prop_oneof![4 => pick(names), 1 => any_string()].boxed())
    };
    match path {
        "spec.groups" | "spec.groups[].rules" => rule_lists(path, schema, mode, clean),
        "spec.groups[].rules[].expr" if clean => {
            Some(typed_promql(true).prop_map(Value::from).boxed())
        }
        "spec.groups[].rules[].annotations" | "spec.groups[].rules[].labels" if clean => {
            Some(map_of_clean(template_text(true).boxed()))
        }
        "spec.groups[].rules[].record" if clean => names_or_any(&["job:up:sum", "up", "a:b"]),
        "spec.groups[].rules[].alert" if clean => names_or_any(&["Down", "High Latency"]),
        "spec.groups[].interval"
        | "spec.groups[].query_offset"
        | "spec.groups[].rules[].for"
        | "spec.groups[].rules[].keep_firing_for"
            if clean =>
        {
            strings(pick(&["30s", "5m", "1h", "1d"]))
        }
        "spec.groups[].name" => names_or_any(&["g0", "g1", "g2", "g0", "", "ünï"]),
        "spec.groups[].rules[].expr" if mode == Mode::Wild => {
            Some(prop_oneof![9 => expr(), 1 => fuzz::garbage()].boxed())
        }
        "spec.groups[].rules[].expr" => Some(expr()),
        "spec.groups[].rules[].record" => {
            names_or_any(&["job:up:sum", "up", "a.b", "", "x{y}", "0bad", "ünï", "a:b"])
        }
        "spec.groups[].rules[].alert" => names_or_any(&["Down", "High Latency", "", "ünï", "a{b}"]),
        "spec.groups[].rules[].annotations" | "spec.groups[].rules[].labels" => {
            Some(map_of(template()))
        }
        "spec.groups[].labels" => Some(map_of(any_string())),
        "spec.groups[].partial_response_strategy" if mode != Mode::Wild => {
            names_or_any(&["abort", "warn", "Abort", "WARN", ""])
        }
        "spec.groups[].interval"
        | "spec.groups[].query_offset"
        | "spec.groups[].rules[].for"
        | "spec.groups[].rules[].keep_firing_for" => Some(fuzz::durations(schema, mode)),
        _ => None,
    }
}

/// Workload fields of the rule path: enforcement and its exemptions,
/// features.
fn workload_fields(path: &str, _: &Value, _: usize, _: Mode) -> Option<BoxedStrategy<Value>> {
    let strings = |s: BoxedStrategy<String>| Some(s.prop_map(Value::from).boxed());
    match path {
        "spec.enforcedNamespaceLabel" => {
            strings(prop_oneof![6 => pick(ENFORCED_LABELS), 1 => any_string()].boxed())
        }
        "spec.excludedFromEnforcement[].name"
        | "spec.prometheusRulesExcludedFromEnforce[].ruleName" => {
            strings(prop_oneof![4 => pick(NAMES), 1 => Just(String::new())].boxed())
        }
        "spec.excludedFromEnforcement[].namespace"
        | "spec.prometheusRulesExcludedFromEnforce[].ruleNamespace" => {
            strings(prop_oneof![4 => pick(NAMESPACES), 1 => Just(String::new())].boxed())
        }
        "spec.enableFeatures" => Some(
            proptest::collection::vec(pick(FEATURES), 0..=3)
                .prop_map(|mut f| {
                    f.sort();
                    f.dedup();
                    json!(f)
                })
                .boxed(),
        ),
        _ => None,
    }
}

const WORKLOAD_FIELDS: &[&str] = &[
    "enforcedNamespaceLabel",
    "excludedFromEnforcement",
    "prometheusRulesExcludedFromEnforce",
    "enableFeatures",
    "evaluationInterval",
    "ruleQueryOffset",
];

/// A Prometheus or Thanos Ruler that selects every PrometheusRule.
fn workload(kind: &'static str, mode: Mode) -> BoxedStrategy<Value> {
    let (plural, versions) = match kind {
        "Prometheus" => ("prometheuses", VERSIONS),
        _ => ("thanosrulers", THANOS_VERSIONS),
    };
    let schema = fuzz::reduced(fuzz::spec_schema(plural), WORKLOAD_FIELDS);
    (
        from_schema_with(&schema, "spec", 1, mode, &workload_fields),
        prop_oneof![6 => pick(versions), 1 => pick(ODD_VERSIONS)],
    )
        .prop_map(move |(mut spec, version)| {
            if let Value::Object(map) = &mut spec {
                map.insert("ruleSelector".into(), json!({}));
                map.insert("ruleNamespaceSelector".into(), json!({}));
                if !version.is_empty() {
                    map.insert("version".into(), version.into());
                }
            }
            fuzz::object(
                "monitoring.coreos.com/v1",
                kind,
                "default",
                "main",
                Value::Null,
                spec,
            )
        })
        .boxed()
}

fn prometheus_rule(mode: Mode, clean: bool) -> BoxedStrategy<Value> {
    let fields = move |p: &str, s: &Value, d: usize, m: Mode| rule_fields(p, s, d, m, clean);
    // Groups and rules are what is under test: (almost) always there.
    let mut schema = fuzz::spec_schema("prometheusrules");
    schema["required"] = json!(["groups"]);
    let group = &mut schema["properties"]["groups"]["items"];
    group["required"] = json!(["name", "rules"]);
    (
        from_schema_with(&schema, "spec", 0, mode, &fields),
        pick(NAMESPACES),
        pick(NAMES),
        fuzz::labels(),
    )
        .prop_map(|(spec, namespace, name, labels)| {
            fuzz::object(
                "monitoring.coreos.com/v1",
                "PrometheusRule",
                &namespace,
                &name,
                labels,
                spec,
            )
        })
        .boxed()
}

#[derive(Debug, Clone)]
struct Case {
    documents: Vec<Value>,
}

fn case() -> BoxedStrategy<Case> {
    prop_oneof![
        3 => case_of(Mode::Typed),
        1 => case_of(Mode::Sparse),
        1 => case_of(Mode::Wild),
    ]
    .boxed()
}

fn case_of(mode: Mode) -> BoxedStrategy<Case> {
    (
        proptest::collection::vec(
            prop_oneof![2 => prometheus_rule(mode, false), 1 => prometheus_rule(mode, true)],
            1..=3,
        ),
        workload("Prometheus", mode),
        proptest::option::weighted(0.3, workload("ThanosRuler", mode)),
    )
        .prop_map(|(rules, prometheus, ruler)| {
            let mut documents = fuzz::namespaces();
            documents.extend(rules);
            documents.push(prometheus);
            documents.extend(ruler);
            Case { documents }
        })
        .boxed()
}

static DECODED: AtomicU64 = AtomicU64::new(0);
static FILES: AtomicU64 = AtomicU64::new(0);
static REJECTED: AtomicU64 = AtomicU64::new(0);
static EXPRS: AtomicU64 = AtomicU64::new(0);
static PARSED: AtomicU64 = AtomicU64::new(0);
static ENFORCED: AtomicU64 = AtomicU64::new(0);

/// Every rule file of the ConfigMaps can be loaded.
fn check_config_maps(
    maps: &RuleConfigMaps,
    features: promql::Features,
) -> Result<(), TestCaseError> {
    REJECTED.fetch_add(maps.rejected.len() as u64, Relaxed);
    for rejected in &maps.rejected {
        let _ = rejected.to_string();
    }
    for cm in &maps.config_maps {
        for file in cm.data.iter().flat_map(|d| d.values()) {
            check_file(file, features)?;
        }
    }
    Ok(())
}

/// A rule file as Prometheus' loader (`rulefmt`) reads it: scalars into
/// Go strings, whatever they look like (`expr: 1e309` is the text `1e309`).
#[derive(serde::Deserialize)]
struct RuleFile {
    #[serde(default)]
    groups: Vec<FileGroup>,
}

#[derive(serde::Deserialize)]
struct FileGroup {
    #[serde(rename = "name")]
    _name: String,
    #[serde(default, rename = "labels")]
    _labels: BTreeMap<String, String>,
    #[serde(default)]
    rules: Vec<FileRule>,
}

#[derive(serde::Deserialize)]
struct FileRule {
    expr: String,
    #[serde(default, rename = "labels")]
    _labels: BTreeMap<String, String>,
    #[serde(default, rename = "annotations")]
    _annotations: BTreeMap<String, String>,
}

/// A rule file parses as YAML and as rules, with expressions that parse.
fn check_file(file: &str, features: promql::Features) -> Result<(), TestCaseError> {
    FILES.fetch_add(1, Relaxed);
    // Numbers out of float range are text to Go's YAML decoders.
    let mut options = serde_saphyr::Options::default();
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    let _: Value = serde_saphyr::from_str_with_options(file, options)
        .map_err(|e| TestCaseError::fail(format!("rule file is not YAML: {e}\n{file}")))?;
    let rules: RuleFile = serde_saphyr::from_str(file).map_err(|e| {
        TestCaseError::fail(format!("rule file does not decode as rules: {e}\n{file}"))
    })?;
    for rule in rules.groups.iter().flat_map(|g| &g.rules) {
        if let Err(e) = promql::parse(&rule.expr, features) {
            return Err(TestCaseError::fail(format!(
                "expression of a written rule file does not parse: {e}\n{}\n{file}",
                rule.expr
            )));
        }
    }
    Ok(())
}

const ALL_FEATURES: promql::Features = promql::Features {
    experimental_functions: true,
    binop_fill_modifiers: true,
};

/// An expression that parses prints as PromQL that parses again, with the
/// namespace label enforced or not.
fn check_expr(expr: &str, namespace: &str) -> Result<(), TestCaseError> {
    EXPRS.fetch_add(1, Relaxed);
    let Ok(parsed) = promql::parse(expr, ALL_FEATURES) else {
        return Ok(());
    };
    PARSED.fetch_add(1, Relaxed);
    // Printing (with matchers added or not) may take an expression over the
    // depth limit: a rule is then rejected like any other too deep one. And
    // promql-parser takes a zero number of seconds as a range (`x[00]`) but
    // refuses the printed `x[0s]`: such a rule is rejected once the label
    // is enforced (validation parses what is written).
    let too_deep = |e: &str| {
        e.starts_with("expression nested too deeply") || e == "duration must be greater than 0"
    };
    let printed = promql::print(&parsed);
    if let Err(e) = promql::parse(&printed, ALL_FEATURES)
        && !too_deep(e.message())
    {
        return Err(TestCaseError::fail(format!(
            "printed expression does not parse: {e}\nexpression: {expr}\nprinted: {printed}"
        )));
    }
    for label in ["namespace", "a.b"] {
        if let Ok(enforced) = enforce_expr(expr, label, namespace) {
            ENFORCED.fetch_add(1, Relaxed);
            if let Err(e) = promql::parse(&enforced, ALL_FEATURES)
                && !too_deep(e.message())
            {
                return Err(TestCaseError::fail(format!(
                    "enforced expression does not parse: {e}\nexpression: {expr}\nenforced: {enforced}"
                )));
            }
        }
    }
    Ok(())
}

/// Contexts beside the workloads' own: every feature and enforcement on a
/// recent Prometheus, an old one, a Thanos Ruler.
fn contexts() -> Vec<RuleContext> {
    let ctx = |format, version: &str, label: Option<&str>, features| RuleContext {
        format,
        version: parse_tolerant(version).expect("version"),
        enforcement: Enforcement {
            label: label.map(str::to_owned),
            excluded: vec![("team-a".into(), Some("m1".into()))],
        },
        features,
    };
    vec![
        ctx(
            RuleFormat::Prometheus,
            "v3.5.0",
            Some("namespace"),
            ALL_FEATURES,
        ),
        ctx(
            RuleFormat::Prometheus,
            "v2.41.0",
            None,
            promql::Features::default(),
        ),
        ctx(
            RuleFormat::Thanos,
            "v0.39.0",
            Some("tenant"),
            promql::Features::default(),
        ),
    ]
}

/// The property: the rule paths never panic, and what they write loads.
fn check(case: &Case, contexts: &[RuleContext]) -> Result<(), TestCaseError> {
    let Some(loaded) = fuzz::load_and_lint(&case.documents) else {
        return Ok(());
    };
    let snapshot = &loaded.snapshot;
    DECODED.fetch_add(snapshot.prometheus_rules.len() as u64, Relaxed);
    let watched = WatchedNamespaces::all();
    for prometheus in &snapshot.prometheuses {
        let workload = Workload::Prometheus(prometheus);
        let Ok(output) = prometheus_config(snapshot, workload, &ScrapeScope::default()) else {
            continue;
        };
        let _ = output.rejected();
        let features = RuleContext::for_prometheus(prometheus)
            .map(|c| c.features)
            .unwrap_or_default();
        if let Ok(maps) = config_maps(snapshot, workload, &output.selection, None) {
            check_config_maps(&maps, features)?;
        }
    }
    for ruler in &snapshot.thanos_rulers {
        if let Ok(maps) = thanos_ruler_config_maps(snapshot, ruler, &watched) {
            check_config_maps(&maps, promql::Features::default())?;
        }
    }
    for rule in &snapshot.prometheus_rules {
        for ctx in contexts {
            if let Ok(file) = rule_file(rule, ctx) {
                check_file(&file, ctx.features)?;
            }
        }
        let namespace = rule.metadata.namespace.as_deref().unwrap_or_default();
        for group in rule.spec.groups.iter().flatten() {
            for r in group.rules.iter().flatten() {
                if let k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(e) =
                    &r.expr
                {
                    check_expr(e, namespace)?;
                }
            }
        }
    }
    Ok(())
}

#[test]
fn rule_paths_never_panic() {
    let t = Instant::now();
    let strategy = case();
    let contexts = contexts();
    eprintln!("fuzz_rules: strategy built in {:.1?}", t.elapsed());
    let total = fuzz::run(
        "fuzz_rules",
        DEFAULT_CASES,
        &strategy,
        |case| check(case, &contexts),
        |case| fuzz::manifest(&case.documents),
    );
    eprintln!(
        "fuzz_rules: {total} cases; {} PrometheusRules decoded, {} rule files written and \
         loaded, {} rejections; {} expressions, {} parsed, {} enforced",
        DECODED.load(Relaxed),
        FILES.load(Relaxed),
        REJECTED.load(Relaxed),
        EXPRS.load(Relaxed),
        PARSED.load(Relaxed),
        ENFORCED.load(Relaxed),
    );
}

/// Found by a long run: numbers out of float range are text in a rule file
/// (as for Go's YAML decoders), not a reason to call it unreadable.
#[test]
fn rule_files_are_read_as_prometheus_reads_them() {
    let file = "groups:\n- name: g0\n  rules:\n  - alert: Down\n    expr: 1e309\n  - record: r\n    expr: 1\n    labels:\n      a: \"true\"\n";
    assert!(check_file(file, ALL_FEATURES).is_ok());
    assert!(
        check_file(
            "groups:\n- name: g0\n  rules:\n  - expr: sum(\n",
            ALL_FEATURES
        )
        .is_err()
    );
}
