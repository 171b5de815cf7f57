//! Offline validation against a CRD's structural schema: what the API server
//! checks before it stores an object (types, enums, patterns, bounds,
//! required fields, unique keys of map- and set-lists). CEL rules
//! (`x-kubernetes-validations`) are not evaluated.
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use regex::Regex;
use serde_json::Value;

/// The violations of `value` against `schema`, as `field.path: why`.
pub(super) fn violations(value: &Value, schema: &Value, path: &str, out: &mut Vec<String>) {
    let mut fail = |why: String| out.push(format!("{path}: {why}"));
    if !type_matches(value, schema) {
        let expected = schema
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("int or string");
        fail(format!("must be of type {expected}"));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        fail(format!(
            "unsupported value {value}: must be one of {}",
            Value::Array(allowed.clone())
        ));
    }
    match value {
        Value::String(s) => {
            if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
                && !matches_pattern(pattern, s)
            {
                fail(format!("{s:?} does not match {pattern:?}"));
            }
            let len = s.chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && len < min
            {
                fail(format!("must be at least {min} characters long"));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && len > max
            {
                fail(format!("may not be longer than {max} characters"));
            }
        }
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or_default();
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                && n < min
            {
                fail(format!("must be greater than or equal to {min}"));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                && n > max
            {
                fail(format!("must be less than or equal to {max}"));
            }
        }
        Value::Array(items) => {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                fail(format!("must have at least {min} items"));
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && (items.len() as u64) > max
            {
                fail(format!("must have at most {max} items"));
            }
            if let Some(duplicate) = duplicate_item(items, schema) {
                fail(format!("duplicate entry {duplicate}"));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    violations(item, item_schema, &format!("{path}[{i}]"), out);
                }
            }
        }
        Value::Object(map) => {
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = required.as_str()
                    && !map.contains_key(name)
                {
                    out.push(format!("{path}.{name}: required value"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|s| s.is_object());
            for (name, child) in map {
                let child_schema = properties.and_then(|p| p.get(name)).or(additional);
                if let Some(child_schema) = child_schema {
                    violations(child, child_schema, &format!("{path}.{name}"), out);
                }
            }
        }
        _ => {}
    }
}

fn type_matches(value: &Value, schema: &Value) -> bool {
    if schema
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        == Some(true)
    {
        return value.is_string() || value.is_i64() || value.is_u64();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        _ => true,
    }
}

/// The first repeated key of a `map` list, or repeated value of a `set` list.
fn duplicate_item(items: &[Value], schema: &Value) -> Option<String> {
    let list_type = schema
        .get("x-kubernetes-list-type")
        .and_then(Value::as_str)?;
    let mut seen = HashSet::new();
    for item in items {
        let key = match list_type {
            "map" => {
                let keys = schema.get("x-kubernetes-list-map-keys")?.as_array()?;
                let values: Vec<String> = keys
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|k| item.get(k).map_or("<unset>".into(), Value::to_string))
                    .collect();
                values.join(",")
            }
            "set" => item.to_string(),
            _ => return None,
        };
        if !seen.insert(key.clone()) {
            return Some(key);
        }
    }
    None
}

thread_local! {
    static PATTERNS: RefCell<HashMap<String, Option<Regex>>> = RefCell::new(HashMap::new());
}

/// Unanchored match, as Go's `regexp.MatchString`; a pattern our engine
/// cannot compile accepts everything rather than refusing valid objects.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    PATTERNS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let regex = cache
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).ok());
        regex.as_ref().is_none_or(|r| r.is_match(text))
    })
}
