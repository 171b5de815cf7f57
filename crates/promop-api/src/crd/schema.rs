//! Structural OpenAPI v3 schemas for CRDs, generated from the Rust types.
//!
//! schemars gives us the shape of our own types; the embedded Kubernetes types
//! (Container, Volume, LabelSelector, ...) are taken from Kubernetes' own
//! OpenAPI spec (`k8s_schemas.json`, see `scripts/gen-k8s-schemas.py`) so that
//! their defaults, list types and map types are exactly what the API server
//! and the reference CRDs use. Every reference is then inlined, because CRD
//! schemas cannot contain `$ref`.
use std::sync::LazyLock;

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, transform::RemoveRefSiblings};
use serde_json::{Map, Value};

static K8S_SCHEMAS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("k8s_schemas.json"))
        .expect("k8s_schemas.json is generated valid JSON")
});

const REF_PREFIX: &str = "#/components/schemas/";

/// The fully inlined, structural schema of `T`.
pub fn schema_for<T: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::openapi3();
    // A field's own keywords next to a `$ref` (its description) are merged
    // when inlining instead of being wrapped into `allOf`.
    settings.transforms.retain(|t| !t.is::<RemoveRefSiblings>());
    settings.meta_schema = None;
    let mut root = SchemaGenerator::new(settings)
        .into_root_schema_for::<T>()
        .to_value();
    let definitions = root
        .pointer_mut("/components/schemas")
        .map(Value::take)
        .and_then(|v| match v {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .unwrap_or_default();
    if let Value::Object(map) = &mut root {
        map.remove("components");
    }
    let mut out = inline(root, &definitions, 0);
    make_structural(&mut out);
    out
}

fn inline(node: Value, defs: &Map<String, Value>, depth: usize) -> Value {
    assert!(depth < 64, "recursive type in a CRD schema");
    match node {
        Value::Object(mut map) => {
            if let Some(Value::String(reference)) = map.remove("$ref") {
                let name = reference.trim_start_matches(REF_PREFIX);
                let target = K8S_SCHEMAS
                    .get(name)
                    .or_else(|| defs.get(name))
                    .unwrap_or_else(|| panic!("schema {name} is not defined"))
                    .clone();
                let mut resolved = match inline(target, defs, depth + 1) {
                    Value::Object(m) => m,
                    other => return other,
                };
                // The referring field's own keywords (its description) win.
                for (k, v) in map {
                    resolved.insert(k, inline(v, defs, depth));
                }
                return Value::Object(resolved);
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, inline(v, defs, depth)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| inline(v, defs, depth)).collect())
        }
        other => other,
    }
}

/// Removes what a structural CRD schema must not (or need not) contain:
/// `nullable` (the API server would keep explicit nulls instead of pruning
/// them), titles, examples, and the `anyOf: [T, null]` wrapping of optional
/// values.
pub(super) fn make_structural(node: &mut Value) {
    let Value::Object(map) = node else { return };
    for keyword in ["nullable", "title", "$schema", "examples", "example"] {
        map.remove(keyword);
    }
    if let Some(Value::Array(variants)) = map.get("anyOf") {
        let non_null: Vec<Value> = variants
            .iter()
            .filter(|v| !is_null_schema(v))
            .cloned()
            .collect();
        if non_null.len() == 1 && non_null.len() < variants.len() {
            map.remove("anyOf");
            if let Value::Object(inner) = &non_null[0] {
                for (k, v) in inner {
                    map.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    if let Some(Value::Array(types)) = map.get("type") {
        let non_null: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if non_null.len() == 1 {
            map.insert("type".into(), non_null[0].clone());
        }
    }
    for (keyword, value) in map.iter_mut() {
        match (keyword.as_str(), value) {
            // A map of field names to schemas: the names are not keywords.
            ("properties", Value::Object(fields)) => fields.values_mut().for_each(make_structural),
            ("items" | "additionalProperties" | "not", v @ Value::Object(_)) => make_structural(v),
            ("anyOf" | "oneOf" | "allOf", Value::Array(schemas)) => {
                schemas.iter_mut().for_each(make_structural)
            }
            _ => {}
        }
    }
}

/// `{type: null}`, `{const: null}` or `{enum: [null]}`: the null half of an
/// optional value.
fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
        || schema.get("const").is_some_and(Value::is_null)
        || schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.len() == 1 && e[0].is_null())
}
