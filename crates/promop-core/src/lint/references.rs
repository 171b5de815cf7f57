//! Secrets and ConfigMaps that an object references but the input lacks.
//!
//! Manifests kept in Git rarely carry their Secrets, so a reference to one
//! that is not in the input is a warning, not an error: the reference
//! operator rejects the object only if the Secret is missing from the
//! cluster too. To check the rest of the object, lint then adds a stand-in
//! for it and validates again.
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::select::reasons::{RefKind, Reference};
use crate::snapshot::{ObjectKey, Snapshot};

/// The object a reference names, `namespace` being the referring object's.
fn key_of(reference: &Reference, namespace: &str) -> ObjectKey {
    ObjectKey::new(
        reference.namespace.as_deref().unwrap_or(namespace),
        &reference.name,
    )
}

/// Whether the object itself is in the snapshot (then a missing key is a
/// real error: the input is wrong).
pub fn present_in(reference: &Reference, snapshot: &Snapshot, namespace: &str) -> bool {
    let key = key_of(reference, namespace);
    match reference.kind {
        RefKind::Secret => snapshot.secrets.contains_key(&key),
        RefKind::ConfigMap => snapshot.config_maps.contains_key(&key),
    }
}

/// Adds the object (and key) as a stand-in holding `value`; `false` when it
/// was there already, so validation would not change.
pub fn stub(reference: &Reference, snapshot: &mut Snapshot, namespace: &str, value: &str) -> bool {
    let key = key_of(reference, namespace);
    let meta = ObjectMeta {
        namespace: Some(key.namespace.clone()),
        name: Some(key.name.clone()),
        ..ObjectMeta::default()
    };
    let (created, data) = match reference.kind {
        RefKind::Secret => {
            let created = !snapshot.secrets.contains_key(&key);
            let secret = snapshot.secrets.entry(key).or_insert_with(|| {
                Arc::new(Secret {
                    metadata: meta,
                    ..Secret::default()
                })
            });
            let secret = Arc::make_mut(secret);
            (
                created,
                secret.string_data.get_or_insert_with(BTreeMap::new),
            )
        }
        RefKind::ConfigMap => {
            let created = !snapshot.config_maps.contains_key(&key);
            let map = snapshot.config_maps.entry(key).or_insert_with(|| {
                Arc::new(ConfigMap {
                    metadata: meta,
                    ..ConfigMap::default()
                })
            });
            let map = Arc::make_mut(map);
            (created, map.data.get_or_insert_with(BTreeMap::new))
        }
    };
    let added = reference
        .key
        .as_ref()
        .is_some_and(|k| data.insert(k.clone(), value.to_owned()).is_none());
    created || added
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stand_in_is_added_once() {
        let mut snapshot = Snapshot::default();
        let object = Reference::secret("s", None);
        assert!(!present_in(&object, &snapshot, "ns"));
        assert!(stub(&object, &mut snapshot, "ns", ""));
        assert!(present_in(&object, &snapshot, "ns"));
        assert!(!stub(&object, &mut snapshot, "ns", ""));
        let key = Reference::secret("s", Some("k"));
        assert!(stub(&key, &mut snapshot, "ns", "v"));
        assert!(!stub(&key, &mut snapshot, "ns", "v"));
        assert_eq!(snapshot.secret_value("ns", "s", "k"), Some(&b"v"[..]));
    }

    #[test]
    fn a_reference_to_another_namespace_is_stubbed_there() {
        let mut snapshot = Snapshot::default();
        let map = Reference::config_map("m", Some("k")).in_namespace("platform");
        assert!(stub(&map, &mut snapshot, "team", "v"));
        assert!(present_in(&map, &snapshot, "elsewhere"));
        assert_eq!(snapshot.config_map_value("platform", "m", "k"), Some("v"));
    }
}
