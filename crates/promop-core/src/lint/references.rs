//! Secrets and ConfigMaps that an object references but the input lacks.
//!
//! Manifests kept in Git rarely carry their Secrets, so a reference to one
//! that is not in the input is a warning, not an error: the reference
//! operator rejects the object only if the Secret is missing from the
//! cluster too. To check the rest of the object, lint then adds a stand-in
//! for it and validates again.
use std::collections::BTreeMap;
use std::sync::LazyLock;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use regex::Regex;

use crate::snapshot::{ObjectKey, Snapshot};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefKind {
    Secret,
    ConfigMap,
}

/// A Secret or ConfigMap (or one of its keys) named in a rejection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub kind: RefKind,
    /// Set when the message names it (`secret ns/name not found`).
    pub namespace: Option<String>,
    pub name: String,
    pub key: Option<String>,
}

/// The words of the validators: the Kubernetes client's `secrets "x" not
/// found`, the asset store's `key "k" in secret "x" not found`, and the
/// scrape classes' `secret ns/x not found`.
static OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(secrets|configmaps) "([^"]+)" not found"#).expect("static regex")
});
static KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"key "([^"]*)" in (secret|configmap) "([^"]+)" not found"#).expect("static regex")
});
static QUALIFIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(secret|configmap) ([a-z0-9.-]+)/([a-z0-9.-]+) not found").expect("static regex")
});

fn kind_of(word: &str) -> RefKind {
    if word.starts_with("secret") {
        RefKind::Secret
    } else {
        RefKind::ConfigMap
    }
}

/// The missing Secret or ConfigMap a rejection message is about, if any.
pub fn missing_in(message: &str) -> Option<Missing> {
    if let Some(c) = KEY.captures(message) {
        return Some(Missing {
            kind: kind_of(&c[2]),
            namespace: None,
            name: c[3].to_owned(),
            key: Some(c[1].to_owned()),
        });
    }
    if let Some(c) = OBJECT.captures(message) {
        return Some(Missing {
            kind: kind_of(&c[1]),
            namespace: None,
            name: c[2].to_owned(),
            key: None,
        });
    }
    QUALIFIED.captures(message).map(|c| Missing {
        kind: kind_of(&c[1]),
        namespace: Some(c[2].to_owned()),
        name: c[3].to_owned(),
        key: None,
    })
}

impl Missing {
    pub fn key(&self, namespace: &str) -> ObjectKey {
        ObjectKey::new(self.namespace.as_deref().unwrap_or(namespace), &self.name)
    }

    /// Whether the object itself is in the snapshot (then a missing key is
    /// a real error: the input is wrong).
    pub fn present_in(&self, snapshot: &Snapshot, namespace: &str) -> bool {
        let key = self.key(namespace);
        match self.kind {
            RefKind::Secret => snapshot.secrets.contains_key(&key),
            RefKind::ConfigMap => snapshot.config_maps.contains_key(&key),
        }
    }

    /// `secret "name"` for messages.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            RefKind::Secret => "secret",
            RefKind::ConfigMap => "configmap",
        };
        format!("{kind} {:?}", self.name)
    }

    /// Adds the object (and key) as a stand-in holding `value`; `false`
    /// when it was there already, so validation would not change.
    pub fn stub(&self, snapshot: &mut Snapshot, namespace: &str, value: &str) -> bool {
        let key = self.key(namespace);
        let meta = ObjectMeta {
            namespace: Some(key.namespace.clone()),
            name: Some(key.name.clone()),
            ..ObjectMeta::default()
        };
        let (created, data) = match self.kind {
            RefKind::Secret => {
                let created = !snapshot.secrets.contains_key(&key);
                let secret = snapshot.secrets.entry(key).or_insert_with(|| Secret {
                    metadata: meta,
                    ..Secret::default()
                });
                (
                    created,
                    secret.string_data.get_or_insert_with(BTreeMap::new),
                )
            }
            RefKind::ConfigMap => {
                let created = !snapshot.config_maps.contains_key(&key);
                let map = snapshot
                    .config_maps
                    .entry(key)
                    .or_insert_with(|| ConfigMap {
                        metadata: meta,
                        ..ConfigMap::default()
                    });
                (created, map.data.get_or_insert_with(BTreeMap::new))
            }
        };
        let added = self
            .key
            .as_ref()
            .is_some_and(|k| data.insert(k.clone(), value.to_owned()).is_none());
        created || added
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_the_validators_name_the_missing_object() {
        let m = missing_in(r#"unable to get secret "nope": secrets "nope" not found"#);
        assert_eq!(
            m.map(|m| (m.kind, m.name, m.key)),
            Some((RefKind::Secret, "nope".into(), None))
        );
        let m = missing_in(
            r#"failed to get basic auth username: key "user" in secret "auth" not found"#,
        );
        assert_eq!(
            m.map(|m| (m.kind, m.name, m.key)),
            Some((RefKind::Secret, "auth".into(), Some("user".into())))
        );
        let m = missing_in("secret platform/class-auth not found");
        assert_eq!(
            m.map(|m| (m.namespace, m.name)),
            Some((Some("platform".into()), "class-auth".into()))
        );
        assert_eq!(missing_in(r#"receiver "nope" not found"#), None);
    }

    #[test]
    fn a_stand_in_is_added_once() {
        let mut snapshot = Snapshot::default();
        let object = missing_in(r#"secrets "s" not found"#).expect("parsed");
        assert!(object.stub(&mut snapshot, "ns", ""));
        assert!(!object.stub(&mut snapshot, "ns", ""));
        let key = missing_in(r#"key "k" in secret "s" not found"#).expect("parsed");
        assert!(key.stub(&mut snapshot, "ns", "v"));
        assert!(!key.stub(&mut snapshot, "ns", "v"));
        assert_eq!(snapshot.secret_value("ns", "s", "k"), Some(&b"v"[..]));
    }
}
