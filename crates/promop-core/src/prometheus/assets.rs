//! Secrets and ConfigMaps referenced from a namespace, and the file names of
//! TLS assets mounted under `/etc/prometheus/certs`.
use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::SecretKeySelector;
use promop_api::common::SecretOrConfigMap;
use serde_json::Value;

use crate::snapshot::Snapshot;

/// Where the TLS assets Secret is mounted in the Prometheus container.
pub const TLS_ASSETS_DIR: &str = "/etc/prometheus/certs";

/// The Secrets the reference operator reads while validating the selected
/// objects and the workload. Its generator only sees those: a Secret that
/// nothing validated (e.g. the credentials of a scrape class's
/// authorization) reads as missing.
#[derive(Clone, Debug, Default)]
pub struct LoadedSecrets(BTreeSet<(String, String)>);

impl LoadedSecrets {
    /// Adds every Secret referenced in `value` (a spec as JSON): objects
    /// with `name` and `key` that are not ConfigMap references.
    pub fn add_references(&mut self, namespace: &str, value: &Value) {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(name)), Some(Value::String(_))) =
                    (map.get("name"), map.get("key"))
                {
                    self.0.insert((namespace.to_owned(), name.clone()));
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

    /// Adds the Secrets referenced by a serializable part of a spec.
    pub fn add<T: serde::Serialize>(&mut self, namespace: &str, part: &T) {
        if let Ok(value) = serde_json::to_value(part) {
            self.add_references(namespace, &value);
        }
    }

    fn contains(&self, namespace: &str, name: &str) -> bool {
        self.0.contains(&(namespace.to_owned(), name.to_owned()))
    }
}

/// The references of one object, resolved in its namespace.
#[derive(Clone, Copy)]
pub struct Store<'a> {
    pub snapshot: &'a Snapshot,
    pub loaded: &'a LoadedSecrets,
    pub namespace: &'a str,
}

impl<'a> Store<'a> {
    pub fn new(snapshot: &'a Snapshot, loaded: &'a LoadedSecrets, namespace: &'a str) -> Self {
        Self {
            snapshot,
            loaded,
            namespace,
        }
    }

    /// The value of a Secret key, if the reference loaded that Secret.
    /// Selection already refused objects whose references are missing; the
    /// reference writes an empty value then.
    pub fn secret(&self, selector: &SecretKeySelector) -> Option<String> {
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
        self.snapshot
            .config_map_value(self.namespace, &map.name, &map.key)
            .map(str::to_owned)
    }

    /// The path of a TLS asset: `<dir>/<0 for Secret|1 for ConfigMap>_<ns>_<name>_<key>`.
    pub fn tls_asset_path(&self, selector: &SecretOrConfigMap) -> Option<String> {
        let (source, name, key) = match (&selector.secret, &selector.config_map) {
            (Some(s), _) => (AssetSource::Secret, &s.name, &s.key),
            (None, Some(c)) => (AssetSource::ConfigMap, &c.name, &c.key),
            (None, None) => return None,
        };
        Some(TlsAssetKey::new(source, self.namespace, name, key).path())
    }

    /// The path of a TLS asset held by a Secret key.
    pub fn tls_secret_path(&self, selector: &SecretKeySelector) -> String {
        TlsAssetKey::new(
            AssetSource::Secret,
            self.namespace,
            &selector.name,
            &selector.key,
        )
        .path()
    }
}

/// Where a TLS asset comes from (its number starts the file name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AssetSource {
    Secret = 0,
    ConfigMap = 1,
}

/// One file of the TLS assets Secret: a key of a Secret or ConfigMap.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TlsAssetKey {
    pub source: AssetSource,
    pub namespace: String,
    pub name: String,
    pub key: String,
}

impl TlsAssetKey {
    pub fn new(source: AssetSource, namespace: &str, name: &str, key: &str) -> Self {
        Self {
            source,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            key: key.to_owned(),
        }
    }

    /// `<0|1>_<ns>_<name>_<key>`, the key in the assets Secret.
    pub fn file_name(&self) -> String {
        format!(
            "{}_{}_{}_{}",
            self.source as u8, self.namespace, self.name, self.key
        )
    }

    /// The path of the file in the container.
    pub fn path(&self) -> String {
        format!("{TLS_ASSETS_DIR}/{}", self.file_name())
    }

    /// The asset a path of the generated configuration points to. Names and
    /// namespaces cannot hold `_` (DNS names), so the split is unambiguous.
    pub fn from_path(path: &str) -> Option<Self> {
        let file = path.strip_prefix(TLS_ASSETS_DIR)?.strip_prefix('/')?;
        let mut parts = file.splitn(4, '_');
        let source = match parts.next()? {
            "0" => AssetSource::Secret,
            "1" => AssetSource::ConfigMap,
            _ => return None,
        };
        let (namespace, name, key) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Self::new(source, namespace, name, key))
    }

    /// The asset's content in the snapshot.
    pub fn value<'s>(&self, snapshot: &'s Snapshot) -> Option<&'s [u8]> {
        match self.source {
            AssetSource::Secret => snapshot.secret_value(&self.namespace, &self.name, &self.key),
            AssetSource::ConfigMap => snapshot
                .config_map_value(&self.namespace, &self.name, &self.key)
                .map(str::as_bytes),
        }
    }
}
