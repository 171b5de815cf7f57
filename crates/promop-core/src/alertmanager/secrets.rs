//! Values of Secrets and ConfigMaps referenced by an AlertmanagerConfig,
//! read from its namespace. The reference writes them inline in the
//! configuration (TLS files excepted, see [`tls_asset_path`]).
use k8s_openapi::api::core::v1::SecretKeySelector;
use promop_api::common::SecretOrConfigMap;

use crate::select::reasons::{RefKind, Reference, RejectionKind};
use crate::snapshot::Snapshot;

/// Where the TLS assets Secret is mounted in the Alertmanager container.
pub const TLS_ASSETS_DIR: &str = "/etc/alertmanager/certs";
/// Where the templates of `spec.alertmanagerConfiguration` are mounted.
pub const TEMPLATES_DIR: &str = "/etc/alertmanager/templates";

#[derive(Clone, Copy)]
pub struct Secrets<'a> {
    pub snapshot: &'a Snapshot,
    pub namespace: &'a str,
}

impl Secrets<'_> {
    /// The value of a Secret key; a missing Secret or key is
    /// [`RejectionKind::Missing`] (in the object's own namespace).
    pub fn get(&self, selector: &SecretKeySelector) -> Result<String, RejectionKind> {
        let (name, key) = (&selector.name, &selector.key);
        let exists = self.snapshot.secret(self.namespace, name).is_some();
        let value = self.snapshot.secret_value(self.namespace, name, key);
        let value = found(Reference::secret(name, Some(key)), exists, value)?;
        Ok(String::from_utf8_lossy(value).into_owned())
    }

    /// The value of a Secret or ConfigMap key.
    pub fn get_either(&self, selector: &SecretOrConfigMap) -> Result<String, RejectionKind> {
        if let Some(secret) = &selector.secret {
            return self.get(secret);
        }
        let Some(map) = &selector.config_map else {
            return Err("neither secret nor configmap set".into());
        };
        let (name, key) = (&map.name, &map.key);
        let exists = self.snapshot.config_map(self.namespace, name).is_some();
        let value = self.snapshot.config_map_value(self.namespace, name, key);
        found(Reference::config_map(name, Some(key)), exists, value).map(str::to_owned)
    }

    /// The mounted path of a TLS asset (`<dir>/<0|1>_<ns>_<name>_<key>`).
    pub fn tls_asset_path(&self, selector: &SecretOrConfigMap) -> Option<String> {
        let (source, name, key) = match (&selector.secret, &selector.config_map) {
            (Some(s), _) => (0, &s.name, &s.key),
            (None, Some(c)) => (1, &c.name, &c.key),
            (None, None) => return None,
        };
        Some(format!(
            "{TLS_ASSETS_DIR}/{source}_{}_{name}_{key}",
            self.namespace
        ))
    }

    /// The mounted path of a TLS key held by a Secret.
    pub fn tls_secret_path(&self, selector: &SecretKeySelector) -> String {
        format!(
            "{TLS_ASSETS_DIR}/0_{}_{}_{}",
            self.namespace, selector.name, selector.key
        )
    }
}

/// The value of a referenced key, or which of the object and its key is
/// missing, in the reference's words.
fn found<T>(reference: Reference, exists: bool, value: Option<T>) -> Result<T, RejectionKind> {
    let name = &reference.name;
    let plural = match reference.kind {
        RefKind::Secret => "secrets",
        RefKind::ConfigMap => "configmaps",
    };
    if !exists {
        let message = format!(
            "unable to get {}: {plural} {name:?} not found",
            reference.describe()
        );
        let object = Reference {
            key: None,
            ..reference
        };
        return Err(RejectionKind::missing(object, message));
    }
    value.ok_or_else(|| {
        let key = reference.key.as_deref().unwrap_or_default();
        let message = format!("key {key:?} in {} not found", reference.describe());
        RejectionKind::missing(reference, message)
    })
}
