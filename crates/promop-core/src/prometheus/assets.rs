//! Secrets and ConfigMaps referenced from a namespace, and the file names of
//! TLS assets mounted under `/etc/prometheus/certs`.
use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::SecretKeySelector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use promop_api::common::SecretOrConfigMap;
use serde_json::Value;

use super::memo::{Lookup, Lookups};
use crate::k8s::tls_assets::{AssetSource, TlsAssetKey};
use crate::snapshot::{KeyRef, ObjectKey, Snapshot};

/// Where the TLS assets Secret is mounted in the Prometheus container.
pub const TLS_ASSETS_DIR: &str = "/etc/prometheus/certs";

/// The Secrets the reference operator reads while validating the selected
/// objects and the workload. Its generator only sees those: a Secret that
/// nothing validated (e.g. the credentials of a scrape class's
/// authorization) reads as missing.
#[derive(Clone, Debug, Default)]
pub struct LoadedSecrets(BTreeSet<ObjectKey>);

impl LoadedSecrets {
    /// Adds every Secret referenced in `value` (a spec as JSON): objects
    /// with `name` and `key` that are not ConfigMap references.
    pub fn add_references(&mut self, namespace: &str, value: &Value) {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(name)), Some(Value::String(_))) =
                    (map.get("name"), map.get("key"))
                {
                    self.0.insert(ObjectKey::new(namespace, name.as_str()));
                }
                for (field, child) in map {
                    if field != "configMap" {
                        self.add_references(namespace, child);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.add_references(namespace, i)),
            _ => {}
        }
    }

    /// Adds the Secrets the spec of a config object references (`object`,
    /// whose metadata is `meta`), as kept in `snapshot`.
    pub fn add_object(
        &mut self,
        snapshot: &Snapshot,
        meta: &ObjectMeta,
        object: &impl serde::Serialize,
    ) {
        let namespace = meta.namespace.as_deref().unwrap_or_default();
        let references = snapshot.references.of(meta, object);
        for reference in references.iter().filter(|r| r.outside_config_maps) {
            self.0
                .insert(ObjectKey::new(namespace, reference.name.as_str()));
        }
    }

    /// Adds the Secrets referenced by a serializable part of a spec.
    pub fn add<T: serde::Serialize>(&mut self, namespace: &str, part: &T) {
        if let Ok(value) = serde_json::to_value(part) {
            self.add_references(namespace, &value);
        }
    }

    pub(crate) fn contains(&self, namespace: &str, name: &str) -> bool {
        self.0.contains(&(namespace, name) as &dyn KeyRef)
    }
}

/// The references of one object, resolved in its namespace.
#[derive(Clone, Copy)]
pub struct Store<'a> {
    pub snapshot: &'a Snapshot,
    pub loaded: &'a LoadedSecrets,
    pub namespace: &'a str,
    /// Where the lookups are noted, when a memo needs to know them.
    lookups: Option<&'a Lookups>,
}

impl<'a> Store<'a> {
    pub fn new(snapshot: &'a Snapshot, loaded: &'a LoadedSecrets, namespace: &'a str) -> Self {
        Self {
            snapshot,
            loaded,
            namespace,
            lookups: None,
        }
    }

    /// A store that notes its lookups in `lookups`.
    pub(crate) fn noting(mut self, lookups: &'a Lookups) -> Self {
        self.lookups = Some(lookups);
        self
    }

    /// The value of a Secret key, if the reference loaded that Secret.
    /// Selection already refused objects whose references are missing; the
    /// reference writes an empty value then.
    pub fn secret(&self, selector: &SecretKeySelector) -> Option<String> {
        self.note(|| Lookup::secret(self.snapshot, self.loaded, self.namespace, &selector.name));
        if !self.loaded.contains(self.namespace, &selector.name) {
            return None;
        }
        self.snapshot
            .secret_value(self.namespace, &selector.name, &selector.key)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// The value of a Secret or ConfigMap key.
    pub fn secret_or_config_map(&self, selector: &SecretOrConfigMap) -> Option<String> {
        if let Some(secret) = &selector.secret {
            return self.secret(secret);
        }
        let map = selector.config_map.as_ref()?;
        self.note(|| Lookup::config_map(self.snapshot, self.namespace, &map.name));
        self.snapshot
            .config_map_value(self.namespace, &map.name, &map.key)
            .map(str::to_owned)
    }

    fn note(&self, lookup: impl FnOnce() -> Lookup) {
        if let Some(lookups) = self.lookups {
            lookups.borrow_mut().push(lookup());
        }
    }

    /// The path of a TLS asset: `<dir>/<0 for Secret|1 for ConfigMap>_<ns>_<name>_<key>`.
    pub fn tls_asset_path(&self, selector: &SecretOrConfigMap) -> Option<String> {
        let (source, name, key) = match (&selector.secret, &selector.config_map) {
            (Some(s), _) => (AssetSource::Secret, &s.name, &s.key),
            (None, Some(c)) => (AssetSource::ConfigMap, &c.name, &c.key),
            (None, None) => return None,
        };
        Some(asset_path(&TlsAssetKey::new(
            source,
            self.namespace,
            name,
            key,
        )))
    }

    /// The path of a TLS asset held by a Secret key.
    pub fn tls_secret_path(&self, selector: &SecretKeySelector) -> String {
        asset_path(&TlsAssetKey::new(
            AssetSource::Secret,
            self.namespace,
            &selector.name,
            &selector.key,
        ))
    }
}

/// The path of a TLS asset in the Prometheus container.
fn asset_path(key: &TlsAssetKey) -> String {
    format!("{TLS_ASSETS_DIR}/{}", key.file_name())
}
