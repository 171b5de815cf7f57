//! Our generated CRDs against the reference's (Prometheus Operator v0.94.1):
//! every difference that matters to users (names, scope, versions,
//! subresources, printer columns, and in the schemas every keyword but
//! descriptions) is printed with its JSON path.
#![allow(non_snake_case)]

mod support;

use serde_json::{Map, Value};

fn diff_kind(kind: &str) -> Vec<String> {
    let ours = promop_api::crd::all()
        .into_iter()
        .map(|crd| serde_json::to_value(crd).expect("CRD serializes"))
        .find(|crd| crd["spec"]["names"]["kind"] == kind)
        .unwrap_or_else(|| panic!("promop has no CRD for {kind}"));
    let upstream = support::upstream_crd(kind);
    let mut diffs = Vec::new();
    for key in ["group", "scope"] {
        compare_value(&ours["spec"][key], &upstream["spec"][key], key, &mut diffs);
    }
    let names = [
        "kind",
        "listKind",
        "plural",
        "singular",
        "shortNames",
        "categories",
    ];
    for key in names {
        let path = format!("names.{key}");
        let (a, b) = (&ours["spec"]["names"][key], &upstream["spec"]["names"][key]);
        compare_value(a, b, &path, &mut diffs);
    }
    let empty = Vec::new();
    let upstream_versions = upstream["spec"]["versions"].as_array().unwrap_or(&empty);
    let our_versions = ours["spec"]["versions"].as_array().unwrap_or(&empty);
    for theirs in upstream_versions {
        let name = theirs["name"].as_str().unwrap_or_default();
        let Some(mine) = our_versions.iter().find(|v| v["name"] == name) else {
            diffs.push(format!("version {name}: missing"));
            continue;
        };
        for key in [
            "served",
            "storage",
            "subresources",
            "additionalPrinterColumns",
        ] {
            let path = format!("{name}.{key}");
            compare_value(&mine[key], &theirs[key], &path, &mut diffs);
        }
        let (a, b) = (
            &mine["schema"]["openAPIV3Schema"],
            &theirs["schema"]["openAPIV3Schema"],
        );
        compare_schema(a, b, name, &mut diffs);
    }
    if our_versions.len() != upstream_versions.len() {
        diffs.push(format!(
            "versions: ours {} upstream {}",
            our_versions.len(),
            upstream_versions.len()
        ));
    }
    diffs
}

fn compare_value(ours: &Value, upstream: &Value, path: &str, diffs: &mut Vec<String>) {
    if normalize(ours) != normalize(upstream) {
        diffs.push(format!("{path}: ours {ours} / upstream {upstream}"));
    }
}

/// Drops descriptions and sorts what has no meaningful order.
fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "description")
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("required" | "enum" | "x-kubernetes-validations", Value::Array(a)) => {
                            let mut a: Vec<Value> = a.iter().map(normalize).collect();
                            a.sort_by_key(|v| v.to_string());
                            Value::Array(a)
                        }
                        _ => normalize(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        // 0 and 0.0 are the same bound.
        Value::Number(n) => n.as_f64().map_or(value.clone(), |f| serde_json::json!(f)),
        other => other.clone(),
    }
}

fn compare_schema(ours: &Value, upstream: &Value, path: &str, diffs: &mut Vec<String>) {
    let empty = Map::new();
    let a = ours.as_object().unwrap_or(&empty);
    let b = upstream.as_object().unwrap_or(&empty);
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        match key.as_str() {
            "description" => {}
            "properties" => compare_properties(x, y, path, diffs),
            "items" => compare_schema(
                x.unwrap_or(&Value::Null),
                y.unwrap_or(&Value::Null),
                &format!("{path}[]"),
                diffs,
            ),
            "additionalProperties" if x.is_some_and(Value::is_object) => compare_schema(
                x.unwrap_or(&Value::Null),
                y.unwrap_or(&Value::Null),
                &format!("{path}{{}}"),
                diffs,
            ),
            _ => {
                // Compared inside a map so that `normalize` sorts unordered lists.
                let wrap = |v: Option<&Value>| {
                    Value::Object(v.map(|v| (key.clone(), v.clone())).into_iter().collect())
                };
                if normalize(&wrap(x)) != normalize(&wrap(y)) {
                    let show = |v: Option<&Value>| v.map_or("-".to_owned(), Value::to_string);
                    diffs.push(format!(
                        "{path}: {key}: ours {} / upstream {}",
                        show(x),
                        show(y)
                    ));
                }
            }
        }
    }
}

fn compare_properties(
    ours: Option<&Value>,
    upstream: Option<&Value>,
    path: &str,
    diffs: &mut Vec<String>,
) {
    let empty = Map::new();
    let a = ours.and_then(Value::as_object).unwrap_or(&empty);
    let b = upstream.and_then(Value::as_object).unwrap_or(&empty);
    for (name, theirs) in b {
        match a.get(name) {
            Some(mine) => compare_schema(mine, theirs, &format!("{path}.{name}"), diffs),
            None => diffs.push(format!("{path}.{name}: missing in ours")),
        }
    }
    for name in a.keys().filter(|n| !b.contains_key(*n)) {
        diffs.push(format!("{path}.{name}: not in upstream"));
    }
}

fn assert_same(kind: &str) {
    let diffs = diff_kind(kind);
    for d in &diffs {
        println!("{kind} {d}");
    }
    assert!(
        diffs.is_empty(),
        "{kind}: {} differences from the upstream CRD (printed above)",
        diffs.len()
    );
}

macro_rules! kinds {
    ($($kind:ident),*) => { $( #[test] fn $kind() { assert_same(stringify!($kind)); } )* };
}

kinds!(
    Alertmanager,
    AlertmanagerConfig,
    PodMonitor,
    Probe,
    Prometheus,
    PrometheusAgent,
    PrometheusRule,
    ScrapeConfig,
    ServiceMonitor,
    ThanosRuler
);
