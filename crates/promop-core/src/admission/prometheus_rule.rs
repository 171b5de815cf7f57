//! PrometheusRule admission: the validation checks the rule file the
//! operator would write (PromQL, durations, names, templates, size); the
//! mutation turns label and annotation values that are not strings into
//! strings (the CRD types them as strings, YAML writers often leave
//! `severity: 1` or `critical: true` unquoted) and marks the object
//! validated, as the reference does.
use promop_api::v1::PrometheusRule;
use serde_json::{Value, json};

use super::{Denial, NameValidationScheme, Options};
use crate::prometheus::rules::enforce::Enforcement;
use crate::prometheus::rules::{RuleContext, RuleFormat, rule_file, validate};
use crate::select::validate::parse_version;
use crate::version::DEFAULT_PROMETHEUS_VERSION;

/// The annotation the mutation adds (the reference's name).
pub const VALIDATED_ANNOTATION: &str = "prometheus-operator-validated";

/// Allowed, or why not.
pub fn validate_prometheus_rule(object: &Value, options: &Options) -> Result<(), Denial> {
    let rule: PrometheusRule = serde_json::from_value(object.clone())
        .map_err(|e| Denial::new("Cannot unmarshal rules from spec", "", e.to_string()))?;
    // The newest Prometheus: no field is dropped as too new, nothing is
    // enforced; only the webhook's own options decide.
    let version = parse_version(DEFAULT_PROMETHEUS_VERSION)
        .map_err(|e| Denial::new("Rules are not valid", "", e.to_string()))?;
    let ctx = RuleContext {
        format: RuleFormat::Prometheus,
        version: version.semver().clone(),
        enforcement: Enforcement::default(),
        features: options.promql,
    };
    let groups = rule_file::adjusted_groups(&rule, &ctx)
        .map_err(|r| Denial::new("Rules are not valid", r.path, r.kind.to_string()))?;
    let utf8 = options.name_validation == NameValidationScheme::Utf8;
    validate::check(&groups, options.promql, utf8)
        .map_err(|r| Denial::new("Rules are not valid", r.path, r.kind.to_string()))
}

/// The JSON Patch operations of the mutation: each label or annotation of
/// a rule whose value is a number, boolean, list or map replaced by its
/// text (Go's `%v` spelling, as the reference writes it), then the
/// [`VALIDATED_ANNOTATION`]. A spec whose groups or rules are not lists is
/// refused.
pub fn mutate_prometheus_rule(object: &Value) -> Result<Vec<Value>, Denial> {
    let unreadable = |what: &str| {
        Denial::new(
            "Cannot unmarshal rules from spec",
            what,
            "expected a list".to_owned(),
        )
    };
    let mut patch = Vec::new();
    let groups = &object["spec"]["groups"];
    for (g, group) in list(groups)
        .ok_or_else(|| unreadable("spec.groups"))?
        .iter()
        .enumerate()
    {
        let rules =
            list(&group["rules"]).ok_or_else(|| unreadable(&format!("spec.groups[{g}].rules")))?;
        for (r, rule) in rules.iter().enumerate() {
            for field in ["annotations", "labels"] {
                let Some(map) = rule[field].as_object() else {
                    continue;
                };
                for (key, value) in map {
                    if value.is_string() || value.is_null() {
                        continue;
                    }
                    patch.push(json!({
                        "op": "replace",
                        "path": format!("/spec/groups/{g}/rules/{r}/{field}/{}", pointer_token(key)),
                        "value": go_text(value),
                    }));
                }
            }
        }
    }
    let has_annotations = object["metadata"]["annotations"]
        .as_object()
        .is_some_and(|a| !a.is_empty());
    patch.push(if has_annotations {
        json!({"op": "add", "path": format!("/metadata/annotations/{VALIDATED_ANNOTATION}"), "value": "true"})
    } else {
        json!({"op": "add", "path": "/metadata/annotations", "value": {VALIDATED_ANNOTATION: "true"}})
    });
    Ok(patch)
}

/// A list, or nothing (null or absent: an empty list).
fn list(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Null => Some(&[]),
        Value::Array(items) => Some(items),
        _ => None,
    }
}

/// A key as a JSON Pointer token (RFC 6901: `~` and `/` escaped). The
/// reference leaves them as they are, so that its patch of a key like
/// `example.com/team` points elsewhere.
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Go's `fmt` `%v` of a decoded JSON value: numbers as `%g` (`1e+06`),
/// lists as `[a b]`, maps as `map[k:v]` with sorted keys, strings bare.
fn go_text(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.as_f64().map(crate::yaml::go_float).unwrap_or_default(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_text).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| *k);
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_text(v)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(spec: Value) -> Value {
        json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "r", "namespace": "ns"},
            "spec": spec,
        })
    }

    #[test]
    fn a_bad_expression_is_denied_naming_group_rule_and_field() {
        let object = rule(json!({"groups": [{"name": "g", "rules": [
            {"alert": "Ok", "expr": "up == 0"},
            {"alert": "Broken", "expr": "sum(up"},
        ]}]}));
        let denial = validate_prometheus_rule(&object, &Options::default()).unwrap_err();
        assert_eq!(denial.causes[0].field, "spec.groups[0].rules[1].expr");
        assert!(
            denial.message.starts_with(
                "Rules are not valid: spec.groups[0].rules[1].expr: group \"g\", rule 2, \"Broken\": could not parse expression"
            ),
            "{}",
            denial.message
        );
    }

    #[test]
    fn the_name_validation_scheme_decides_utf8_names() {
        let object = rule(json!({"groups": [{"name": "g", "rules": [
            {"record": "http.requests:rate5m", "expr": "1"},
        ]}]}));
        assert!(validate_prometheus_rule(&object, &Options::default()).is_err());
        let utf8 = Options {
            name_validation: NameValidationScheme::Utf8,
            ..Options::default()
        };
        assert_eq!(validate_prometheus_rule(&object, &utf8), Ok(()));
    }

    #[test]
    fn the_promql_options_enable_experimental_functions() {
        let object = rule(json!({"groups": [{"name": "g", "rules": [
            {"record": "r", "expr": "sort_by_label(up, \"job\")"},
        ]}]}));
        assert!(validate_prometheus_rule(&object, &Options::default()).is_err());
        let mut options = Options::default();
        options.promql.experimental_functions = true;
        assert_eq!(validate_prometheus_rule(&object, &options), Ok(()));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_denied() {
        let object = rule(json!({"groups": [{"name": "g", "rules": [
            {"alert": "A", "expr": "1", "labels": {"severity": 1}},
        ]}]}));
        let denial = validate_prometheus_rule(&object, &Options::default()).unwrap_err();
        assert!(
            denial
                .message
                .starts_with("Cannot unmarshal rules from spec"),
            "{}",
            denial.message
        );
    }

    #[test]
    fn mutation_stringifies_values_like_go_and_marks_the_object() {
        let mut object = rule(json!({"groups": [{"name": "g", "rules": [
            {"alert": "A", "expr": "1", "labels": {"severity": "ok", "n": 1000000, "b": true, "a/b": 1.5},
             "annotations": {"m": {"y": 2, "x": "s"}, "l": [1, "two"]}},
        ]}]}));
        let patch = mutate_prometheus_rule(&object).unwrap();
        let ops: Vec<(String, Value)> = patch
            .iter()
            .map(|op| (op["path"].as_str().unwrap().to_owned(), op["value"].clone()))
            .collect();
        let base = "/spec/groups/0/rules/0";
        assert_eq!(
            ops,
            vec![
                (format!("{base}/annotations/l"), json!("[1 two]")),
                (format!("{base}/annotations/m"), json!("map[x:s y:2]")),
                (format!("{base}/labels/a~1b"), json!("1.5")),
                (format!("{base}/labels/b"), json!("true")),
                (format!("{base}/labels/n"), json!("1e+06")),
                (
                    "/metadata/annotations".to_owned(),
                    json!({VALIDATED_ANNOTATION: "true"})
                ),
            ]
        );
        object["metadata"]["annotations"] = json!({"x": "y"});
        let patch = mutate_prometheus_rule(&object).unwrap();
        assert_eq!(
            patch.last().unwrap()["path"],
            format!("/metadata/annotations/{VALIDATED_ANNOTATION}")
        );
    }
}
