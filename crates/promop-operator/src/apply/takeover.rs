//! Taking over what the reference operator wrote. It writes with Update
//! under the field manager `PrometheusOperator` (its client's user agent),
//! replacing whole data maps and pod templates. After promop's first apply
//! both managers own those fields, so a field only promop stops wanting (the
//! file of a deleted rule, a removed sidecar) would stay as the reference's.
//! Before such an apply, the reference's ownership of the fields it would
//! have replaced is moved to promop's apply entry; the apply then removes
//! them. Labels and annotations stay shared: the reference keeps foreign
//! ones too.
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, ManagedFieldsEntry, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Map, Value, json};

use super::{FIELD_MANAGER, Written, fields_within};
use crate::error::Error;

/// The reference operator's field manager.
pub const REFERENCE_MANAGER: &str = "PrometheusOperator";

/// Where the reference's writes replace what was there: the keys of a data
/// map, the items of a pod template's keyed lists.
const REPLACED: &[&[&str]] = &[
    &["f:data"],
    &["f:binaryData"],
    &["f:spec", "f:template", "f:spec", "f:containers"],
    &["f:spec", "f:template", "f:spec", "f:initContainers"],
    &["f:spec", "f:template", "f:spec", "f:volumes"],
];

fn is_reference(entry: &ManagedFieldsEntry) -> bool {
    entry.manager.as_deref() == Some(REFERENCE_MANAGER)
        && entry.subresource.as_deref().unwrap_or_default().is_empty()
}

fn is_ours(entry: &ManagedFieldsEntry) -> bool {
    entry.manager.as_deref() == Some(FIELD_MANAGER)
        && entry.operation.as_deref() == Some("Apply")
        && entry.subresource.as_deref().unwrap_or_default().is_empty()
}

/// The fields the reference owns where it would replace them, when some are
/// no longer desired (then they must be adopted before applying).
pub fn stale_fields(managed: &[ManagedFieldsEntry], desired: &Value) -> Option<Value> {
    let mut owned = Value::Object(Map::new());
    for entry in managed.iter().filter(|e| is_reference(e)) {
        let Some(FieldsV1(fields)) = &entry.fields_v1 else {
            continue;
        };
        for path in REPLACED {
            if let Some(items) = at(fields, path) {
                let items: Map<String, Value> = items
                    .iter()
                    .filter(|(k, _)| *k != ".")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                merge(&mut owned, &nest(path, Value::Object(items)));
            }
        }
    }
    let empty = owned.as_object().is_none_or(Map::is_empty);
    (!empty && !fields_within(&owned, desired)).then_some(owned)
}

/// Moves `fields` from the reference's entries to promop's apply entry, in
/// one write conditioned on the object's resourceVersion.
pub async fn adopt<K: Written>(api: &Api<K>, name: &str, fields: Value) -> Result<(), Error> {
    let live = api.get(name).await?;
    let meta = kube::Resource::meta(&live);
    let mut entries = meta.managed_fields.clone().unwrap_or_default();
    for entry in entries.iter_mut().filter(|e| is_reference(e)) {
        if let Some(FieldsV1(theirs)) = &mut entry.fields_v1 {
            subtract(theirs, &fields);
        }
    }
    match entries.iter_mut().find(|e| is_ours(e)) {
        Some(ours) => {
            let mut merged = ours.fields_v1.take().map_or(json!({}), |f| f.0);
            merge(&mut merged, &fields);
            ours.fields_v1 = Some(FieldsV1(merged));
        }
        None => entries.push(ManagedFieldsEntry {
            manager: Some(FIELD_MANAGER.to_owned()),
            operation: Some("Apply".to_owned()),
            api_version: Some(<K as k8s_openapi::Resource>::API_VERSION.to_owned()),
            fields_type: Some("FieldsV1".to_owned()),
            fields_v1: Some(FieldsV1(fields)),
            time: Some(Time(Timestamp::now())),
            ..ManagedFieldsEntry::default()
        }),
    }
    let patch = json!({"metadata": {
        "resourceVersion": meta.resource_version,
        "managedFields": entries,
    }});
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    tracing::info!(
        kind = <K as k8s_openapi::Resource>::KIND,
        name,
        "took over fields the reference operator wrote"
    );
    Ok(())
}

fn at<'a>(fields: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    path.iter()
        .try_fold(fields, |node, key| node.get(*key))?
        .as_object()
}

fn nest(path: &[&str], leaf: Value) -> Value {
    path.iter()
        .rev()
        .fold(leaf, |inner, key| json!({ *key: inner }))
}

/// Union of two field sets.
fn merge(into: &mut Value, from: &Value) {
    let (Value::Object(into), Value::Object(from)) = (into, from) else {
        return;
    };
    for (key, value) in from {
        merge(into.entry(key.clone()).or_insert_with(|| json!({})), value);
    }
}

/// Removes the leaves of `fields` (and the subtrees under them) from
/// `from`, then the maps left empty.
fn subtract(from: &mut Value, fields: &Value) {
    let (Value::Object(from), Value::Object(fields)) = (from, fields) else {
        return;
    };
    for (key, sub) in fields {
        let leaf = sub.as_object().is_none_or(Map::is_empty);
        if leaf {
            from.remove(key);
        } else if let Some(node) = from.get_mut(key) {
            subtract(node, sub);
            if node.as_object().is_some_and(|m| m.keys().all(|k| k == ".")) {
                from.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(manager: &str, operation: &str, fields: Value) -> ManagedFieldsEntry {
        ManagedFieldsEntry {
            manager: Some(manager.into()),
            operation: Some(operation.into()),
            fields_v1: Some(FieldsV1(fields)),
            ..ManagedFieldsEntry::default()
        }
    }

    #[test]
    fn a_data_key_only_the_reference_wrote_is_stale_once_not_desired() {
        let managed = [entry(
            REFERENCE_MANAGER,
            "Update",
            json!({"f:data": {".": {}, "f:a.yaml": {}, "f:b.yaml": {}},
                   "f:metadata": {"f:labels": {"f:team": {}}}, "f:type": {}}),
        )];
        let both = json!({"data": {"a.yaml": "", "b.yaml": ""}, "metadata": {}});
        assert_eq!(stale_fields(&managed, &both), None);
        let only_a = json!({"data": {"a.yaml": ""}});
        assert_eq!(
            stale_fields(&managed, &only_a),
            Some(json!({"f:data": {"f:a.yaml": {}, "f:b.yaml": {}}}))
        );
        // promop's own entries are judged elsewhere.
        let ours = [entry(
            FIELD_MANAGER,
            "Apply",
            json!({"f:data": {"f:b.yaml": {}}}),
        )];
        assert_eq!(stale_fields(&ours, &only_a), None);
    }

    #[test]
    fn a_removed_container_is_stale_but_defaulted_fields_are_not() {
        let managed = [entry(
            REFERENCE_MANAGER,
            "Update",
            json!({"f:spec": {"f:revisionHistoryLimit": {}, "f:template": {"f:spec": {
                "f:dnsPolicy": {},
                "f:containers": {
                    "k:{\"name\":\"prometheus\"}": {".": {}, "f:name": {}},
                    "k:{\"name\":\"thanos-sidecar\"}": {".": {}, "f:name": {}}}}}}}),
        )];
        let with_sidecar = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "prometheus"}, {"name": "thanos-sidecar"}]}}}});
        assert_eq!(stale_fields(&managed, &with_sidecar), None);
        let without =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "prometheus"}]}}}});
        assert!(stale_fields(&managed, &without).is_some());
    }

    #[test]
    fn adopted_fields_leave_the_reference_entry() {
        let mut theirs = json!({"f:data": {".": {}, "f:a": {}, "f:b": {}}, "f:type": {}});
        subtract(&mut theirs, &json!({"f:data": {"f:a": {}, "f:b": {}}}));
        assert_eq!(theirs, json!({"f:type": {}}));
        let mut ours = json!({"f:data": {"f:a": {}}});
        merge(&mut ours, &json!({"f:data": {"f:b": {}}, "f:x": {}}));
        assert_eq!(ours, json!({"f:data": {"f:a": {}, "f:b": {}}, "f:x": {}}));
    }
}
