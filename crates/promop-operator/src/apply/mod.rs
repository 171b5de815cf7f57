//! Writes to the API: server-side apply under our field manager, only when
//! the cached object differs from the desired one — it lacks a desired field,
//! or we own a field (per its managedFields) that is no longer desired, which
//! the apply then removes — and removal of the numbered objects (shards, rule
//! ConfigMaps, TLS assets) a workload no longer needs.
use std::fmt::Debug;
use std::io::Read;

use flate2::read::GzDecoder;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::stores::Cache;

mod takeover;
pub use takeover::REFERENCE_MANAGER;

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "promop";

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Unchanged,
    Written,
}

/// A kind of object the operators write.
pub trait Written:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + k8s_openapi::Resource
    + Clone
    + Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
}

impl<K> Written for K where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + k8s_openapi::Resource
        + Clone
        + Debug
        + DeserializeOwned
        + Serialize
        + Send
        + Sync
        + 'static
{
}

/// Applies `desired` unless the cache shows it current ([`is_current`] and
/// [`owns_only_desired`]). Forced: fields another manager (e.g. the
/// reference operator) set on our object become ours.
pub async fn apply<K: Written>(
    client: &Client,
    cache: &Cache<K>,
    desired: &K,
) -> Result<Outcome, Error> {
    apply_unnamed(client, cache, desired)
        .await
        .map_err(|e| e.applying(kind::<K>(), key(desired)))
}

async fn apply_unnamed<K: Written>(
    client: &Client,
    cache: &Cache<K>,
    desired: &K,
) -> Result<Outcome, Error> {
    let (namespace, name) = (desired.namespace().unwrap_or_default(), desired.name_any());
    let cached = cache.get(&ObjectRef::new(&name).within(&namespace));
    let api: Api<K> = Api::namespaced(client.clone(), &namespace);
    if let Some(existing) = cached {
        let desired_json = serde_json::to_value(desired)?;
        let stale = takeover::stale_fields(existing.managed_fields(), &desired_json);
        if let Some(stale) = stale {
            takeover::adopt(&api, &name, stale).await?;
        } else if is_current(&serde_json::to_value(&*existing)?, &desired_json)
            && owns_only_desired(existing.managed_fields(), &desired_json)
        {
            return Ok(Outcome::Unchanged);
        }
    }
    let _in_flight = cache.writing(desired);
    let written = api
        .patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(desired),
        )
        .await?;
    cache.wrote(&written);
    crate::telemetry::written(<K as k8s_openapi::Resource>::KIND);
    Ok(Outcome::Written)
}

/// Creates `desired` if it does not exist and leaves it alone otherwise
/// (the reference's behaviour for an unmanaged configuration, whose Secret
/// the user fills).
pub async fn create_if_absent<K: Written>(
    client: &Client,
    cache: &Cache<K>,
    desired: &K,
) -> Result<Outcome, Error> {
    let (namespace, name) = (desired.namespace().unwrap_or_default(), desired.name_any());
    if cache
        .get(&ObjectRef::new(&name).within(&namespace))
        .is_some()
    {
        return Ok(Outcome::Unchanged);
    }
    let api: Api<K> = Api::namespaced(client.clone(), &namespace);
    let params = kube::api::PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..Default::default()
    };
    let _in_flight = cache.writing(desired);
    match api.create(&params, desired).await {
        Ok(created) => {
            cache.wrote(&created);
            Ok(Outcome::Written)
        }
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(Outcome::Unchanged),
        Err(e) => Err(Error::Kube(e).applying(kind::<K>(), key(desired))),
    }
}

/// Deletes the cached object of kind `K` named like `named` (any kind) if
/// `owner_uid` controls it; says whether it did.
pub async fn delete_controlled<K: Written>(
    client: &Client,
    cache: &Store<K>,
    owner_uid: &str,
    named: &impl ResourceExt,
) -> Result<bool, Error> {
    let (namespace, name) = (named.namespace().unwrap_or_default(), named.name_any());
    let Some(object) = cache.get(&ObjectRef::new(&name).within(&namespace)) else {
        return Ok(false);
    };
    if !controlled_by(object.as_ref(), owner_uid) {
        return Ok(false);
    }
    delete(client, object.as_ref()).await
}

fn controlled_by(object: &impl ResourceExt, owner_uid: &str) -> bool {
    object
        .owner_references()
        .iter()
        .any(|o| o.uid == owner_uid && o.controller == Some(true))
}

/// Deletes `object`; false when it was gone already.
async fn delete<K: Written>(client: &Client, object: &K) -> Result<bool, Error> {
    let api: Api<K> = Api::namespaced(client.clone(), &object.namespace().unwrap_or_default());
    match api
        .delete(&object.name_any(), &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(e) => Err(Error::Kube(e).applying(kind::<K>(), key(object))),
    }
}

/// Deletes the cached objects controlled by `owner_uid` whose name is
/// `<base>-<n>` (`n` a number) and not in `keep`: shards, rule ConfigMaps or
/// TLS asset Secrets beyond what the workload now needs.
pub async fn prune_numbered<K: Written>(
    client: &Client,
    cache: &Store<K>,
    owner_uid: &str,
    base: &str,
    keep: &[String],
) -> Result<usize, Error> {
    let mut deleted = 0;
    for object in cache.state() {
        let name = object.name_any();
        let numbered = name
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if numbered && controlled_by(object.as_ref(), owner_uid) && !keep.contains(&name) {
            deleted += usize::from(delete(client, object.as_ref()).await?);
        }
    }
    Ok(deleted)
}

/// The kind of `K`, as errors name it.
fn kind<K: Written>() -> &'static str {
    <K as k8s_openapi::Resource>::KIND
}

/// `namespace/name` of an object, as errors name it.
fn key<K: Written>(object: &K) -> String {
    format!(
        "{}/{}",
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

/// Whether `existing` holds every field of `desired`: maps by key, lists
/// element by element with the same length, scalars equal. The API server
/// adds defaults, so extra fields in `existing` do not count; Secret values
/// of `*.gz` keys are compared uncompressed, as compressors differ in bytes.
pub fn is_current(existing: &Value, desired: &Value) -> bool {
    let gz_secret = desired["kind"] == "Secret";
    contains(existing, desired, gz_secret.then_some("data"), "")
}

fn contains(existing: &Value, desired: &Value, gz_map: Option<&str>, at: &str) -> bool {
    match (existing, desired) {
        (Value::Object(e), Value::Object(d)) => d.iter().all(|(key, want)| {
            let Some(have) = e.get(key) else {
                return want.is_null();
            };
            if gz_map == Some(at) && key.ends_with(".gz") {
                return same_gunzipped(have, want);
            }
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            contains(have, want, gz_map, &path)
        }),
        (Value::Array(e), Value::Array(d)) => {
            e.len() == d.len()
                && e.iter()
                    .zip(d)
                    .all(|(have, want)| contains(have, want, None, "[]"))
        }
        (have, want) => have == want,
    }
}

/// Whether every field our last apply claimed (the `promop` Apply entry of
/// managedFields) is still desired. A field we own but no longer want — the
/// rule file of a deleted PrometheusRule, a TLS asset, a label — is removed
/// by the API server only when we apply without it.
pub fn owns_only_desired(managed: &[ManagedFieldsEntry], desired: &Value) -> bool {
    managed
        .iter()
        .filter(|entry| {
            entry.manager.as_deref() == Some(FIELD_MANAGER)
                && entry.operation.as_deref() == Some("Apply")
                && entry.subresource.as_deref().unwrap_or_default().is_empty()
        })
        .all(|entry| {
            entry
                .fields_v1
                .as_ref()
                .is_none_or(|fields| fields_within(&fields.0, desired))
        })
}

/// Whether every path of a managedFields set (`f:` fields, `k:` keyed list
/// items, `v:` set values, `i:` indexes; `.` the node itself) exists in
/// `desired`.
pub(crate) fn fields_within(fields: &Value, desired: &Value) -> bool {
    let Value::Object(fields) = fields else {
        return true;
    };
    fields.iter().all(|(path, nested)| {
        if path == "." {
            return true;
        }
        let found = if let Some(field) = path.strip_prefix("f:") {
            desired.get(field).filter(|v| !v.is_null())
        } else if let Some(key) = path.strip_prefix("k:") {
            let Ok(Value::Object(key)) = serde_json::from_str::<Value>(key) else {
                return false;
            };
            // A key field the API server defaults (a port's `protocol`) may
            // be absent from what we send.
            desired.as_array().and_then(|items| {
                items.iter().find(|item| {
                    key.iter()
                        .all(|(k, v)| item.get(k).is_none_or(|have| have == v))
                })
            })
        } else if let Some(value) = path.strip_prefix("v:") {
            let Ok(value) = serde_json::from_str::<Value>(value) else {
                return false;
            };
            desired
                .as_array()
                .and_then(|items| items.iter().find(|item| **item == value))
        } else if let Some(index) = path.strip_prefix("i:") {
            index
                .parse::<usize>()
                .ok()
                .and_then(|i| desired.as_array()?.get(i))
        } else {
            None
        };
        found.is_some_and(|value| fields_within(nested, value))
    })
}

/// The uncompressed bytes of a base64 gzip value (empty stays empty).
/// Whether two gzipped values hold the same content: the same bytes (what
/// promop wrote, compressed alike; the desired value is valid gzip), or the
/// same once gunzipped (another compressor's, as the reference's at a
/// takeover).
fn same_gunzipped(have: &Value, want: &Value) -> bool {
    if have == want {
        return true;
    }
    // Both from promop's compressor: different bytes, different contents
    // (decompressing 37 MB of configuration took a tenth of a second).
    if let (Some(have), Some(want)) = (decoded(have), decoded(want))
        && let Some(differ) = promop_core::desired::kept_gzips_differ(&have, &want)
    {
        return !differ;
    }
    match (gunzipped(have), gunzipped(want)) {
        (Some(have), Some(want)) => have == want,
        _ => false,
    }
}

fn decoded(value: &Value) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str()?)
        .ok()
}

fn gunzipped(value: &Value) -> Option<Vec<u8>> {
    let bytes = decoded(value)?;
    if bytes.is_empty() {
        return Some(bytes);
    }
    let mut out = Vec::new();
    GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_added_by_the_server_do_not_count_as_changes() {
        let desired = json!({"kind": "StatefulSet", "spec": {"replicas": 1,
            "template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}});
        let existing = json!({"kind": "StatefulSet", "spec": {"replicas": 1, "revisionHistoryLimit": 10,
            "template": {"spec": {"containers": [{"name": "a", "image": "x",
                "terminationMessagePath": "/dev/termination-log"}]}}}});
        assert!(is_current(&existing, &desired));
        let mut changed = existing.clone();
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = json!("y");
        assert!(!is_current(&changed, &desired));
        let mut extra = existing.clone();
        extra["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "b"}));
        assert!(!is_current(&extra, &desired));
    }

    fn ours(fields: Value) -> Vec<ManagedFieldsEntry> {
        let entry = |manager: &str, operation: &str, fields: Value| ManagedFieldsEntry {
            manager: Some(manager.into()),
            operation: Some(operation.into()),
            fields_type: Some("FieldsV1".into()),
            fields_v1: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::FieldsV1(
                fields,
            )),
            ..ManagedFieldsEntry::default()
        };
        vec![
            entry(FIELD_MANAGER, "Apply", fields),
            // Other managers' fields are theirs to keep.
            entry("kubectl-edit", "Update", json!({"f:data": {"f:mine": {}}})),
        ]
    }

    #[test]
    fn an_owned_field_no_longer_desired_needs_an_apply() {
        let managed = ours(json!({
            "f:data": {".": {}, "f:a.yaml": {}, "f:b.yaml": {}},
            "f:metadata": {"f:labels": {"f:team": {}},
                "f:ownerReferences": {"k:{\"uid\":\"u1\"}": {}}}
        }));
        let desired = json!({"kind": "ConfigMap",
            "metadata": {"labels": {"team": "x"}, "ownerReferences": [{"uid": "u1", "name": "p"}]},
            "data": {"a.yaml": "", "b.yaml": ""}});
        assert!(owns_only_desired(&managed, &desired));
        let mut without_b = desired.clone();
        without_b["data"].as_object_mut().unwrap().remove("b.yaml");
        assert!(!owns_only_desired(&managed, &without_b));
        let mut without_label = desired.clone();
        without_label["metadata"]["labels"] = json!({});
        assert!(!owns_only_desired(&managed, &without_label));
        let mut other_owner = desired.clone();
        other_owner["metadata"]["ownerReferences"][0]["uid"] = json!("u2");
        assert!(!owns_only_desired(&managed, &other_owner));
    }

    #[test]
    fn list_items_are_found_by_key_value_and_index() {
        let managed = ours(json!({"f:spec": {"f:containers": {
            "k:{\"name\":\"prometheus\"}": {".": {}, "f:args": {}, "f:ports": {
                "k:{\"containerPort\":9090,\"protocol\":\"TCP\"}": {}}}},
            "f:finalizers": {"v:\"x\"": {}}, "f:hosts": {"i:1": {}}}}));
        let desired = json!({"spec": {"containers": [{"name": "prometheus", "args": [],
            "ports": [{"containerPort": 9090, "protocol": "TCP"}]}],
            "finalizers": ["x"], "hosts": ["a", "b"]}});
        assert!(owns_only_desired(&managed, &desired));
        let mut port = desired.clone();
        port["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(9091);
        assert!(!owns_only_desired(&managed, &port));
        let mut set = desired.clone();
        set["spec"]["finalizers"] = json!(["y"]);
        assert!(!owns_only_desired(&managed, &set));
        let mut short = desired.clone();
        short["spec"]["hosts"] = json!(["a"]);
        assert!(!owns_only_desired(&managed, &short));
    }

    #[test]
    fn gzipped_secret_values_compare_uncompressed() {
        use base64::Engine;
        use flate2::Compression;
        use flate2::write::GzEncoder;
        use std::io::Write;
        let gz = |level: u32, text: &str| {
            let mut enc = GzEncoder::new(Vec::new(), Compression::new(level));
            enc.write_all(text.as_bytes()).unwrap();
            base64::engine::general_purpose::STANDARD.encode(enc.finish().unwrap())
        };
        let desired = json!({"kind": "Secret", "data": {"prometheus.yaml.gz": gz(6, "a: 1\n")}});
        let same = json!({"kind": "Secret", "data": {"prometheus.yaml.gz": gz(9, "a: 1\n")}});
        let other = json!({"kind": "Secret", "data": {"prometheus.yaml.gz": gz(6, "a: 2\n")}});
        assert_ne!(desired, same);
        assert!(is_current(&same, &desired));
        assert!(!is_current(&other, &desired));
    }
}
