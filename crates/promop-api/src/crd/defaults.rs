//! Structural pruning and defaulting, as the API server does them with a
//! CRD's schema: explicit nulls and fields the schema does not know are
//! dropped, then every absent property whose schema has a `default` gets it,
//! from the outside in. Objects read from files (`promop render`) go through
//! this so that they equal what the operator reads from the cluster.
use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use serde_json::{Map, Value};

/// The schemas of each served kind, by `apiVersion`. A kind's are generated
/// when an object of it is first met: generating all ten CRDs would cost
/// more than reading thousands of objects of two kinds.
static SCHEMAS: LazyLock<HashMap<&str, OnceLock<HashMap<String, Value>>>> = LazyLock::new(|| {
    super::KINDS
        .iter()
        .map(|&kind| (kind, OnceLock::new()))
        .collect()
});

/// The schema of the object's `apiVersion` and `kind`, if promop serves it.
fn schema_of(object: &Value) -> Option<&'static Value> {
    let field = |name: &str| object.get(name).and_then(Value::as_str);
    let (kind, api_version) = (field("kind")?, field("apiVersion")?);
    let (kind, schemas) = SCHEMAS.get_key_value(kind)?;
    schemas.get_or_init(|| versions(kind)).get(api_version)
}

/// The schema of each version of a kind's CRD, by `apiVersion`.
fn versions(kind: &str) -> HashMap<String, Value> {
    let Some(crd) = super::of_kind(kind) else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for version in &crd.spec.versions {
        let Some(schema) = version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
        else {
            continue;
        };
        let api_version = format!("{}/{}", crd.spec.group, version.name);
        out.insert(
            api_version,
            serde_json::to_value(schema).unwrap_or_default(),
        );
    }
    out
}

/// Prunes and defaults the object with the schema of its CRD (found by
/// `apiVersion` and `kind`). Returns the paths of the pruned fields, or
/// `None` when the kind is not ours.
pub fn apply_defaults(object: &mut Value) -> Option<Vec<String>> {
    let schema = schema_of(object)?;
    let mut pruned = Vec::new();
    if let (Value::Object(map), Some(Value::Object(properties))) =
        (object, schema.get("properties"))
    {
        // The root's apiVersion, kind and metadata are the API server's own.
        for (name, child) in map.iter_mut() {
            if let Some(property) = properties.get(name).filter(|_| name != "metadata") {
                structural(child, property, name, &mut pruned);
            }
        }
        prune_unknown(map, properties, "", &mut pruned);
    }
    Some(pruned)
}

/// What the API server would refuse in the object (`field.path: why`),
/// checked against the schema of its CRD; `None` when the kind is not ours.
/// Run after [`apply_defaults`], as the API server validates defaulted objects.
pub fn validate(object: &Value) -> Option<Vec<String>> {
    let schema = schema_of(object)?;
    let mut out = Vec::new();
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let (Some(value), false) = (object.get(name), super::is_root_field_name(name)) {
            super::validate::violations(value, property, name, &mut out);
        }
    }
    Some(out)
}

fn structural(value: &mut Value, schema: &Value, path: &str, pruned: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            let preserve = schema
                .get("x-kubernetes-preserve-unknown-fields")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if let Some(Value::Object(properties)) = schema.get("properties") {
                for (name, property) in properties {
                    if let (false, Some(default)) =
                        (map.contains_key(name), property.get("default"))
                    {
                        map.insert(name.clone(), default.clone());
                    }
                }
                for (name, child) in map.iter_mut() {
                    if let Some(property) = properties.get(name) {
                        structural(child, property, &format!("{path}.{name}"), pruned);
                    }
                }
                if !preserve {
                    prune_unknown(map, properties, path, pruned);
                }
            } else if let Some(items) = schema.get("additionalProperties").filter(|s| s.is_object())
            {
                for (name, child) in map.iter_mut() {
                    structural(child, items, &format!("{path}.{name}"), pruned);
                }
            } else if !preserve && schema.get("additionalProperties") != Some(&Value::Bool(true)) {
                prune_unknown(map, &Map::new(), path, pruned);
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    structural(item, item_schema, &format!("{path}[{i}]"), pruned);
                }
            }
        }
        _ => {}
    }
}

fn prune_unknown(
    map: &mut Map<String, Value>,
    known: &Map<String, Value>,
    path: &str,
    pruned: &mut Vec<String>,
) {
    map.retain(|name, _| {
        let keep = known.contains_key(name) || path.is_empty() && super::is_root_field_name(name);
        if !keep {
            let sep = if path.is_empty() { "" } else { "." };
            pruned.push(format!("{path}{sep}{name}"));
        }
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn relabel_action_and_probe_path_get_their_defaults() {
        let mut probe = json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Probe",
            "metadata": {"name": "p"},
            "spec": {
                "prober": {"url": "blackbox:9115"},
                "metricRelabelings": [{"targetLabel": "x", "replacement": "y"}],
                "module": null
            }
        });
        assert_eq!(apply_defaults(&mut probe), Some(vec![]));
        assert_eq!(probe["spec"]["prober"]["path"], "/probe");
        assert_eq!(probe["spec"]["metricRelabelings"][0]["action"], "replace");
        assert!(probe["spec"].get("module").is_none(), "nulls are pruned");
    }

    #[test]
    fn explicit_values_are_kept_and_unknown_kinds_untouched() {
        let mut monitor = json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "spec": {"selector": {}, "endpoints": [{"relabelings": [{"action": "keep"}]}]}
        });
        assert!(apply_defaults(&mut monitor).is_some());
        assert_eq!(
            monitor["spec"]["endpoints"][0]["relabelings"][0]["action"],
            "keep"
        );
        let mut other = json!({"apiVersion": "v1", "kind": "Secret"});
        assert_eq!(apply_defaults(&mut other), None);
        assert_eq!(other, json!({"apiVersion": "v1", "kind": "Secret"}));
    }

    #[test]
    fn unknown_fields_are_pruned_and_reported() {
        let mut monitor = json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": "m", "labels": {"a": "b"}},
            "spec": {"selector": {}, "endpoints": [{"port": "web", "prot": "x"}], "bogus": 1},
            "extra": true
        });
        let pruned = apply_defaults(&mut monitor).unwrap_or_default();
        assert_eq!(
            pruned,
            vec!["spec.endpoints[0].prot", "spec.bogus", "extra"]
        );
        assert_eq!(
            monitor["metadata"]["labels"]["a"], "b",
            "root metadata is kept"
        );
        assert_eq!(monitor["spec"]["endpoints"][0], json!({"port": "web"}));
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;
    use serde_json::json;

    fn monitor(spec: Value) -> Value {
        let mut object = json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": "m", "namespace": "ns"},
            "spec": spec
        });
        apply_defaults(&mut object);
        object
    }

    #[test]
    fn a_valid_object_has_no_violation() {
        let object =
            monitor(json!({"selector": {}, "endpoints": [{"port": "web", "interval": "30s"}]}));
        assert_eq!(validate(&object), Some(vec![]));
    }

    #[test]
    fn pattern_type_enum_bounds_and_required_are_checked() {
        let object = monitor(json!({
            "selector": {},
            "endpoints": [{"port": "web", "interval": "soon", "scheme": "ftp",
                           "relabelings": [{"action": "explode"}]}],
            "sampleLimit": -1,
            "targetLabels": "app"
        }));
        let found = validate(&object).unwrap_or_default();
        let has = |prefix: &str| found.iter().any(|v| v.starts_with(prefix));
        assert!(
            has("spec.endpoints[0].interval: \"soon\" does not match"),
            "{found:?}"
        );
        assert!(
            has("spec.endpoints[0].scheme: unsupported value \"ftp\""),
            "{found:?}"
        );
        assert!(
            has("spec.endpoints[0].relabelings[0].action: unsupported value"),
            "{found:?}"
        );
        assert!(
            has("spec.sampleLimit: must be greater than or equal to 0"),
            "{found:?}"
        );
        assert!(has("spec.targetLabels: must be of type array"), "{found:?}");
        let missing = monitor(json!({"endpoints": []}));
        assert_eq!(
            validate(&missing),
            Some(vec!["spec.selector: required value".to_owned()])
        );
    }

    #[test]
    fn keys_of_map_lists_must_be_unique() {
        let mut probe = json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Probe",
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"params": [{"name": "module", "values": ["a"]}, {"name": "module", "values": ["b"]}]}
        });
        apply_defaults(&mut probe);
        let found = validate(&probe).unwrap_or_default();
        assert_eq!(
            found,
            vec!["spec.params: duplicate entry \"module\"".to_owned()]
        );
    }
}
