//! The Secret and ConfigMap keys an object's spec references (`{name, key}`
//! objects), found by walking the spec as JSON. Serializing a monitor to
//! find them was a third of a reconcile's work at 5,000 monitors, for a
//! result that changes only with the object: it is kept per object version.

use std::sync::{Arc, Mutex};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

/// A `{name, key}` object in a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyReference {
    pub name: String,
    /// Right under a `configMap` field: a ConfigMap's key; else a Secret's.
    pub config_map: bool,
    /// Below no `configMap` field at any depth (the reference loads the
    /// Secrets of such references only, see `LoadedSecrets`).
    pub outside_config_maps: bool,
}

/// The key references of `object`'s `spec` (of `object` itself if it has
/// none), in the order of the JSON fields' names.
pub fn key_references(object: &impl serde::Serialize) -> Vec<KeyReference> {
    fn walk(value: &Value, field: &str, outside: bool, out: &mut Vec<KeyReference>) {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(name)), Some(Value::String(_))) =
                    (map.get("name"), map.get("key"))
                {
                    out.push(KeyReference {
                        name: name.clone(),
                        config_map: field == "configMap",
                        outside_config_maps: outside,
                    });
                }
                for (child, nested) in map {
                    walk(nested, child, outside && child != "configMap", out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, field, outside, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(object) {
        walk(value.get("spec").unwrap_or(&value), "", true, &mut out);
    }
    out
}

/// [`key_references`] of each object version seen, by uid (an object's
/// next version replaces its entry). Shared by the snapshots of one
/// operator; [`ReferenceCache::retain`] forgets deleted objects.
#[derive(Clone, Debug, Default)]
pub struct ReferenceCache(Arc<Mutex<FxHashMap<String, Kept>>>);

/// The resourceVersion walked, and what was found.
type Kept = (String, Arc<[KeyReference]>);

impl ReferenceCache {
    /// The key references of `object` (whose metadata is `meta`): kept, or
    /// found and kept. Objects without uid and resourceVersion (read from
    /// files) are walked every time.
    pub fn of(&self, meta: &ObjectMeta, object: &impl serde::Serialize) -> Arc<[KeyReference]> {
        let (Some(uid), Some(version)) = (&meta.uid, &meta.resource_version) else {
            return key_references(object).into();
        };
        if let Some((kept, references)) = self.lock().get(uid)
            && kept == version
        {
            return references.clone();
        }
        let references: Arc<[KeyReference]> = key_references(object).into();
        let entry = (version.clone(), references.clone());
        self.lock().insert(uid.clone(), entry);
        references
    }

    /// Forgets the objects whose uid is not in `live`.
    pub fn retain(&self, live: &FxHashSet<&str>) {
        self.lock().retain(|uid, _| live.contains(uid.as_str()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<String, Kept>> {
        // Entries are replaced whole: a panic cannot leave one half-written.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_secrets_or_config_maps_by_their_field() {
        let object = json!({"spec": {
            "basicAuth": {"username": {"name": "creds", "key": "user"}},
            "tlsConfig": {"ca": {"configMap": {"name": "ca", "key": "ca.crt"}}},
            "odd": {"configMap": {"nested": {"name": "deep", "key": "k"}}},
            "selector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
        }});
        let found = key_references(&object);
        let summary: Vec<(&str, bool, bool)> = found
            .iter()
            .map(|r| (r.name.as_str(), r.config_map, r.outside_config_maps))
            .collect();
        assert_eq!(
            summary,
            [
                ("creds", false, true),
                ("deep", false, false),
                ("ca", true, false),
            ]
        );
    }

    #[test]
    fn kept_per_version_and_forgotten_when_gone() {
        let cache = ReferenceCache::default();
        let meta = |version: &str| ObjectMeta {
            uid: Some("u1".into()),
            resource_version: Some(version.into()),
            ..ObjectMeta::default()
        };
        let first = json!({"spec": {"a": {"name": "one", "key": "k"}}});
        let second = json!({"spec": {"a": {"name": "two", "key": "k"}}});
        assert_eq!(cache.of(&meta("1"), &first)[0].name, "one");
        // The same version is not walked again (the object given is ignored).
        assert_eq!(cache.of(&meta("1"), &second)[0].name, "one");
        assert_eq!(cache.of(&meta("2"), &second)[0].name, "two");
        cache.retain(&FxHashSet::default());
        assert_eq!(cache.of(&meta("2"), &first)[0].name, "one");
    }
}
