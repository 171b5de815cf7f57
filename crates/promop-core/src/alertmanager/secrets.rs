//! Values of Secrets and ConfigMaps referenced by an AlertmanagerConfig,
//! read from its namespace. The reference writes them inline in the
//! configuration (TLS files excepted, see [`tls_asset_path`]).
use k8s_openapi::api::core::v1::SecretKeySelector;
use promop_api::common::SecretOrConfigMap;

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
    /// The value of a Secret key; a missing Secret or key is an error.
    pub fn get(&self, selector: &SecretKeySelector) -> Result<String, String> {
        let name = &selector.name;
        self.snapshot
            .secret(self.namespace, name)
            .ok_or_else(|| format!("unable to get secret {name:?}: secrets {name:?} not found"))?;
        self.snapshot
            .secret_value(self.namespace, name, &selector.key)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| format!("key {:?} in secret {name:?} not found", selector.key))
    }

    /// The value of a Secret or ConfigMap key.
    pub fn get_either(&self, selector: &SecretOrConfigMap) -> Result<String, String> {
        if let Some(secret) = &selector.secret {
            return self.get(secret);
        }
        let Some(map) = &selector.config_map else {
            return Err("neither secret nor configmap set".to_owned());
        };
        if self
            .snapshot
            .config_map(self.namespace, &map.name)
            .is_none()
        {
            return Err(format!(
                "unable to get configmap {:?}: configmaps {:?} not found",
                map.name, map.name
            ));
        }
        self.snapshot
            .config_map_value(self.namespace, &map.name, &map.key)
            .map(str::to_owned)
            .ok_or_else(|| format!("key {:?} in configmap {:?} not found", map.key, map.name))
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
