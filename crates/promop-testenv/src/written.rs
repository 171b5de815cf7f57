//! The Kubernetes objects an operator wrote, in a form two operators' outputs
//! can be compared in: what varies between runs or clusters removed, Secret
//! data decoded to text. The conformance generator stores the reference's
//! objects in this form and the differential tests normalize promop's the
//! same way.
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::read::GzDecoder;
use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::ListParams;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The kinds of object the operators write.
pub const WRITTEN_KINDS: [&str; 5] = ["StatefulSet", "DaemonSet", "Service", "Secret", "ConfigMap"];

/// `<Kind>__<namespace>__<name>`, the file stem of a stored object.
pub fn object_id(kind: &str, namespace: &str, name: &str) -> String {
    format!("{kind}__{namespace}__{name}")
}

/// Every StatefulSet, DaemonSet, Service, Secret and ConfigMap in `namespaces` that is
/// not in `inputs` (`<Kind>__<ns>__<name>` of the objects the test itself
/// created), normalized, by [`object_id`].
pub async fn written_objects(
    client: &Client,
    namespaces: &BTreeSet<String>,
    inputs: &BTreeSet<String>,
) -> Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for ns in namespaces {
        collect::<StatefulSet>(client, ns, inputs, &mut out).await?;
        collect::<DaemonSet>(client, ns, inputs, &mut out).await?;
        collect::<Service>(client, ns, inputs, &mut out).await?;
        collect::<Secret>(client, ns, inputs, &mut out).await?;
        collect::<ConfigMap>(client, ns, inputs, &mut out).await?;
    }
    Ok(out)
}

async fn collect<K>(
    client: &Client,
    namespace: &str,
    inputs: &BTreeSet<String>,
    out: &mut BTreeMap<String, Value>,
) -> Result<()>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let kind = K::kind(&K::DynamicType::default()).to_string();
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    for obj in api.list(&ListParams::default()).await? {
        let name = obj.meta().name.clone().unwrap_or_default();
        let id = object_id(&kind, namespace, &name);
        if inputs.contains(&id) {
            continue;
        }
        let mut value = serde_json::to_value(&obj)?;
        if let Value::Object(map) = &mut value {
            map.insert("kind".into(), Value::String(kind.clone()));
            map.entry("apiVersion").or_insert_with(|| {
                Value::String(K::api_version(&K::DynamicType::default()).into())
            });
        }
        out.insert(id.clone(), normalize(value).with_context(|| id.clone())?);
    }
    Ok(())
}

/// Removes what differs between runs of the same inputs (UIDs, resource
/// versions, timestamps, managed fields, status) and decodes Secret data to
/// text (`*.gz` keys gunzipped, UTF-8 as is, anything else `base64:<…>`):
/// gzip bytes differ between compressors for the same content.
pub fn normalize(mut object: Value) -> Result<Value> {
    let kind = object["kind"].as_str().unwrap_or_default().to_owned();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "generation",
            "managedFields",
            "selfLink",
        ] {
            meta.remove(field);
        }
        if let Some(owners) = meta
            .get_mut("ownerReferences")
            .and_then(Value::as_array_mut)
        {
            for owner in owners.iter_mut().filter_map(Value::as_object_mut) {
                owner.insert("uid".into(), Value::String("<uid>".into()));
            }
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    match kind.as_str() {
        "Secret" => {
            let data = object
                .get_mut("data")
                .and_then(Value::as_object_mut)
                .map(std::mem::take);
            if let Some(data) = data {
                let mut decoded = Map::new();
                for (key, value) in data {
                    let bytes = STANDARD
                        .decode(value.as_str().unwrap_or_default())
                        .with_context(|| format!("data.{key}: not base64"))?;
                    decoded.insert(without_uid(&key), Value::String(secret_text(&key, &bytes)?));
                }
                object["data"] = Value::Object(decoded);
            }
        }
        "ConfigMap" => {
            let data = object
                .get_mut("data")
                .and_then(Value::as_object_mut)
                .map(std::mem::take);
            if let Some(data) = data {
                object["data"] = Value::Object(
                    data.into_iter()
                        .map(|(key, value)| (without_uid(&key), value))
                        .collect(),
                );
            }
        }
        _ => {}
    }
    Ok(object)
}

fn secret_text(key: &str, bytes: &[u8]) -> Result<String> {
    if key.ends_with(".gz") && !bytes.is_empty() {
        let mut text = String::new();
        GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .with_context(|| format!("data.{key}: not gzipped text"))?;
        return Ok(text);
    }
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => format!("base64:{}", STANDARD.encode(bytes)),
    })
}

/// A field of the written objects where promop differs from the reference on
/// purpose: a row `| Kind | /json/pointer | reason |` of
/// `conformance/known-object-differences.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownDifference {
    pub kind: String,
    /// JSON pointer (RFC 6901: `~1` for `/` in keys) of the field; its
    /// whole subtree is exempt.
    pub pointer: String,
    pub reason: String,
}

/// The rows of `conformance/known-object-differences.md`.
pub fn known_object_differences() -> Result<Vec<KnownDifference>> {
    let path = crate::corpus::conformance_dir().join("known-object-differences.md");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .strip_suffix('|')?
                .split('|')
                .map(|c| c.trim().trim_matches('`'))
                .collect();
            match cells.as_slice() {
                [kind, pointer, reason] if pointer.starts_with('/') && !reason.is_empty() => {
                    Some(KnownDifference {
                        kind: (*kind).to_owned(),
                        pointer: (*pointer).to_owned(),
                        reason: (*reason).to_owned(),
                    })
                }
                _ => None,
            }
        })
        .collect())
}

/// Where an object promop writes may differ from the reference's: the
/// fields `known-object-differences.md` lists for its kind, and the
/// configuration a Secret carries when `known-differences.md` lists that
/// configuration as different for the scenario.
pub struct Exemptions {
    fields: Vec<KnownDifference>,
    configs: BTreeSet<(String, String)>,
}

impl Exemptions {
    pub fn load() -> Result<Self> {
        Ok(Self {
            fields: known_object_differences()?,
            configs: crate::corpus::known_differences(),
        })
    }

    /// [`differences`] of `object` (an [`object_id`]) in `scenario`, less
    /// its exempt fields.
    pub fn differences(
        &self,
        scenario: &str,
        object: &str,
        expected: &Value,
        actual: &Value,
    ) -> Vec<String> {
        let exempt = self.of(scenario, object);
        let exempt: Vec<&str> = exempt.iter().map(String::as_str).collect();
        differences(expected, actual, &exempt)
    }

    /// The exempt JSON pointers of `object` in `scenario`.
    fn of(&self, scenario: &str, object: &str) -> Vec<String> {
        let kind = object.split("__").next().unwrap_or_default();
        let mut out: Vec<String> = self
            .fields
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.pointer.clone())
            .collect();
        for (_, file) in self.configs.iter().filter(|(id, _)| id == scenario) {
            // `<ns>__<name>.alertmanager.yaml` or `<ns>__<name>.yaml`
            let secret = |stem: &str, prefix: &str, suffix: &str| {
                let (ns, name) = stem.split_once("__")?;
                Some(object_id("Secret", ns, &format!("{prefix}{name}{suffix}")))
            };
            let (secret, key) = match file.strip_suffix(".alertmanager.yaml") {
                Some(stem) => (
                    secret(stem, "alertmanager-", "-generated"),
                    "alertmanager.yaml.gz",
                ),
                None => match file.strip_suffix(".yaml") {
                    Some(stem) => (secret(stem, "prometheus-", ""), "prometheus.yaml.gz"),
                    None => continue,
                },
            };
            if secret.as_deref() == Some(object) {
                out.push(format!("/data/{key}"));
            }
        }
        out
    }
}

/// The JSON pointers where `actual` differs from `expected` (a missing or
/// extra field counts), leaving out the subtrees under `exempt` pointers.
pub fn differences(expected: &Value, actual: &Value, exempt: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    diff_at(expected, actual, String::new(), exempt, &mut out);
    out
}

fn diff_at(expected: &Value, actual: &Value, at: String, exempt: &[&str], out: &mut Vec<String>) {
    if exempt_path(&at, exempt) {
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for key in keys {
                let child = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                // A mapping on one side only that holds exempt fields is
                // compared with an empty one: it may exist only for them.
                let empty = Value::Object(Map::new());
                match (e.get(key), a.get(key)) {
                    (Some(x), Some(y)) => diff_at(x, y, child, exempt, out),
                    (Some(x @ Value::Object(_)), None) if exempt_below(&child, exempt) => {
                        diff_at(x, &empty, child, exempt, out)
                    }
                    (None, Some(y @ Value::Object(_))) if exempt_below(&child, exempt) => {
                        diff_at(&empty, y, child, exempt, out)
                    }
                    (Some(_), None) | (None, Some(_)) if !exempt_path(&child, exempt) => {
                        out.push(child)
                    }
                    _ => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                diff_at(x, y, format!("{at}/{i}"), exempt, out);
            }
        }
        (x, y) if x == y => {}
        _ => out.push(if at.is_empty() { "/".into() } else { at }),
    }
}

/// Whether an exempt pointer lies strictly under `at`.
fn exempt_below(at: &str, exempt: &[&str]) -> bool {
    exempt.iter().any(|e| e.starts_with(&format!("{at}/")))
}

fn exempt_path(at: &str, exempt: &[&str]) -> bool {
    exempt
        .iter()
        .any(|e| at == *e || at.starts_with(&format!("{e}/")))
}

/// A rule file key without the PrometheusRule's UID: the reference names
/// them `<ns>-<name>-<uid>.yaml`, and the UID changes on every run (and does
/// not exist offline), so the stored name is `<ns>-<name>.yaml`.
pub fn without_uid(key: &str) -> String {
    let Some(stem) = key.strip_suffix(".yaml") else {
        return key.to_owned();
    };
    let is_uid = |s: &str| {
        let groups: Vec<&str> = s.split('-').collect();
        groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups
                .iter()
                .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
    };
    match stem.len().checked_sub(37) {
        Some(cut)
            if stem.is_char_boundary(cut)
                && stem[cut..].starts_with('-')
                && is_uid(&stem[cut + 1..]) =>
        {
            format!("{}.yaml", &stem[..cut])
        }
        _ => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rule_file_keys_lose_their_uid_only() {
        assert_eq!(
            without_uid("payments-payment-alerts-f367c521-3de9-40d6-b96d-5b41f34e9a59.yaml"),
            "payments-payment-alerts.yaml"
        );
        assert_eq!(without_uid("monitoring-slo.yaml"), "monitoring-slo.yaml");
        assert_eq!(
            without_uid("a-not-a-uid-at-all-x.yaml"),
            "a-not-a-uid-at-all-x.yaml"
        );
    }

    #[test]
    fn differences_are_json_pointers_and_exempt_subtrees_are_skipped() {
        let expected = json!({"metadata": {"annotations": {"a/b": "1", "h": "x"}},
            "spec": {"list": [1, 2], "gone": true}});
        let actual = json!({"metadata": {"annotations": {"a/b": "2", "h": "y"}},
            "spec": {"list": [1, 3], "new": 1}});
        assert_eq!(
            differences(&expected, &actual, &["/metadata/annotations/h"]),
            vec![
                "/metadata/annotations/a~1b",
                "/spec/gone",
                "/spec/list/1",
                "/spec/new"
            ]
        );
        assert!(differences(&expected, &expected, &[]).is_empty());
        // A mapping present on one side only for an exempt field.
        let without = json!({"kind": "Secret"});
        let with = json!({"kind": "Secret", "data": {"extra": "x"}});
        assert!(differences(&without, &with, &["/data/extra"]).is_empty());
        assert!(differences(&with, &without, &["/data/extra"]).is_empty());
        let more = json!({"kind": "Secret", "data": {"extra": "x", "other": "y"}});
        assert_eq!(
            differences(&without, &more, &["/data/extra"]),
            vec!["/data/other"]
        );
        assert_eq!(differences(&without, &with, &[]), vec!["/data"]);
        assert_eq!(differences(&json!([1]), &json!([1, 2]), &[]), vec!["/"]);
    }

    #[test]
    fn normalize_drops_run_specific_fields_and_decodes_secrets() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"global: {}\n").unwrap();
        let gz = gz.finish().unwrap();
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "prometheus-k8s", "namespace": "m", "uid": "u1",
                "resourceVersion": "7", "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{}],
                "ownerReferences": [{"kind": "Prometheus", "name": "k8s", "uid": "u0"}]},
            "data": {"prometheus.yaml.gz": STANDARD.encode(&gz), "ca.crt": STANDARD.encode("PEM"),
                "bin": STANDARD.encode([0xff, 0xfe])},
        });
        let n = normalize(secret).unwrap();
        assert_eq!(
            n,
            json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "prometheus-k8s", "namespace": "m",
                    "ownerReferences": [{"kind": "Prometheus", "name": "k8s", "uid": "<uid>"}]},
                "data": {"prometheus.yaml.gz": "global: {}\n", "ca.crt": "PEM",
                    "bin": format!("base64:{}", STANDARD.encode([0xff, 0xfe]))},
            })
        );
    }
}
