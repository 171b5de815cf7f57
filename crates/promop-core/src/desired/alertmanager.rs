//! The Kubernetes objects of one Alertmanager, in the order the reference
//! writes them: the generated configuration Secret, the TLS assets Secrets,
//! the web configuration Secret, the cluster TLS configuration Secret, the
//! governing Service and the StatefulSet. The configuration's text comes
//! from `alertmanager::generate`.
use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Secret, Service};
use promop_api::v1::Alertmanager;
use serde_json::Value;

use super::{OperatorOptions, Secrets, gzip, unwritten_asset, with_input_hash};
use crate::alertmanager::base_config;
use crate::alertmanager::secrets::TLS_ASSETS_DIR;
use crate::alertmanager::service::governing_service;
use crate::alertmanager::statefulset::cluster_tls::{self, ClusterTls};
use crate::alertmanager::statefulset::{
    self, WEB_CONFIG_DIR, generated_secret_name, prefixed_name, reloader_watched,
};
use crate::k8s::metadata::Owner;
use crate::k8s::numbered::Numbered;
use crate::k8s::reloader_rbac::{ReloaderRbac, reloader_rbac};
use crate::k8s::tls_assets;
use crate::k8s::web_config::{self, WebConfig};
use crate::select::reasons::{RejectedObject, Rejection, RejectionKind};
use crate::snapshot::Snapshot;

pub use crate::alertmanager::statefulset::CONFIG_KEY;

/// The objects of one Alertmanager.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertmanagerObjects {
    /// `alertmanager-<name>-generated`: `alertmanager.yaml.gz` and the other
    /// keys of the user's configuration Secret.
    pub config: Secret,
    /// `alertmanager-<name>-tls-assets-<n>`.
    pub tls_assets: Vec<Secret>,
    /// `alertmanager-<name>-web-config`.
    pub web_config: Secret,
    /// `alertmanager-<name>-cluster-tls-config` (empty without cluster TLS).
    pub cluster_tls_config: Secret,
    /// `alertmanager-operated`, unless the Alertmanager names its own.
    pub service: Option<Service>,
    pub stateful_set: StatefulSet,
    /// The prefixes of the numbered objects (TLS assets), which the
    /// operator prunes.
    pub numbered: Numbered,
    /// In watch mode, what the reloader may read (else none).
    pub reloader_rbac: Option<ReloaderRbac>,
}

impl AlertmanagerObjects {
    /// All Secrets, in the order the reference writes them.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        std::iter::once(&self.config)
            .chain(&self.tls_assets)
            .chain([&self.web_config, &self.cluster_tls_config])
    }
}

/// The objects of `am`, whose generated configuration is `config`.
pub fn alertmanager_objects(
    snapshot: &Snapshot,
    am: &Alertmanager,
    config: &str,
    options: &OperatorOptions,
) -> Result<AlertmanagerObjects, RejectedObject> {
    let name = am.metadata.name.as_deref().unwrap_or_default();
    let namespace = am.metadata.namespace.as_deref().unwrap_or_default();
    let error = |field: &str, kind: RejectionKind| {
        RejectedObject::new("Alertmanager", namespace, name, Rejection::new(field, kind))
    };
    let prefixed = prefixed_name(name);
    let owner = Owner {
        api_version: "monitoring.coreos.com/v1".to_owned(),
        kind: "Alertmanager".to_owned(),
        name: name.to_owned(),
        uid: am.metadata.uid.clone().unwrap_or_default(),
    };
    let secrets = Secrets {
        namespace,
        owner: &owner,
        options,
    };

    let mut data = user_secret_data(snapshot, am);
    data.insert(CONFIG_KEY.to_owned(), ByteString(gzip(config.as_bytes())));
    let config_secret = secrets.secret(&generated_secret_name(name), data);

    let (files, unwritten) = match serde_saphyr::from_str::<Value>(config) {
        Ok(doc) => {
            let files = tls_assets::referenced(&doc, TLS_ASSETS_DIR, snapshot);
            let unwritten = tls_assets::unwritten(&doc, TLS_ASSETS_DIR, &files);
            (files, unwritten)
        }
        Err(_) => (BTreeMap::new(), Vec::new()),
    };
    if let Some(path) = unwritten.first() {
        return Err(error("configuration", unwritten_asset(path).into()));
    }
    let tls_assets = secrets.tls_assets(&prefixed, files);

    let web_secret_name = format!("{prefixed}-web-config");
    let fields = am.spec.web.as_ref().map(statefulset::web_fields);
    if let Some(tls) = fields.as_ref().and_then(|f| f.tls_config.as_ref()) {
        web_config::validate(tls).map_err(|e| {
            error(
                "spec.web.tlsConfig",
                e.context("failed to initialize web config"),
            )
        })?;
    }
    let web = WebConfig {
        mount_dir: WEB_CONFIG_DIR,
        secret_name: &web_secret_name,
        fields: fields.as_ref(),
    };
    let web_config = secrets.web_config(&web);

    let cluster =
        ClusterTls::new(name, am.spec.cluster_tls.as_ref()).map_err(|e| error(&e.field, e.kind))?;
    let cluster_tls_config = secrets.single(
        cluster.secret_name(),
        cluster_tls::SECRET_KEY,
        cluster.contents().into_bytes(),
    );

    let service = am.spec.service_name.is_none().then(|| {
        governing_service(
            &am.spec,
            namespace,
            &owner,
            &options.labels,
            &options.annotations,
        )
    });
    let stateful_set = statefulset::build(am, options, &owner, &tls_assets::volume(&tls_assets))
        .map(with_input_hash)
        .map_err(|e| error(&e.field, e.kind))?;
    let reloader_rbac = options.reloader.watches().then(|| {
        reloader_rbac(
            &prefixed,
            &reloader_watched(namespace, name),
            am.spec.service_account_name.as_deref(),
            &owner,
            &options.labels,
            &options.annotations,
        )
    });
    Ok(AlertmanagerObjects {
        config: config_secret,
        tls_assets,
        web_config,
        cluster_tls_config,
        service,
        stateful_set,
        numbered: Numbered::of(&prefixed),
        reloader_rbac,
    })
}

/// The keys of the user's configuration Secret but the configuration, which
/// the reference copies into the generated Secret (only when that Secret is
/// the base, not with `alertmanagerConfiguration`).
fn user_secret_data(snapshot: &Snapshot, am: &Alertmanager) -> BTreeMap<String, ByteString> {
    if am.spec.alertmanager_configuration.is_some() {
        return BTreeMap::new();
    }
    let namespace = am.metadata.namespace.as_deref().unwrap_or_default();
    let Some(secret) = snapshot.secret(namespace, &base_config::secret_name(am)) else {
        return BTreeMap::new();
    };
    let mut data = secret.data.clone().unwrap_or_default();
    for (key, value) in secret.string_data.iter().flatten() {
        data.insert(key.clone(), ByteString(value.clone().into_bytes()));
    }
    data.remove(base_config::CONFIG_KEY);
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{Loaded, Strictness};

    #[test]
    fn the_generated_secret_keeps_the_other_keys_of_the_users_secret() {
        let mut loaded = Loaded::default();
        let manifests = "apiVersion: v1\nkind: Secret\nmetadata: {name: alertmanager-main, namespace: ns}\n\
                         stringData: {alertmanager.yaml: 'route: {}', extra.tmpl: x}\n---\n\
                         apiVersion: monitoring.coreos.com/v1\nkind: Alertmanager\n\
                         metadata: {name: main, namespace: ns}\nspec: {version: v0.28.1}\n";
        loaded
            .add_yaml("t", manifests, "ns", Strictness::ObjectsOnly)
            .unwrap();
        let s = &loaded.snapshot;
        let objects =
            alertmanager_objects(s, &s.alertmanagers[0], "route: {}\n", &Default::default())
                .unwrap();
        let data = objects.config.data.unwrap();
        assert_eq!(data.keys().collect::<Vec<_>>(), [CONFIG_KEY, "extra.tmpl"]);
        let names: Vec<_> = objects
            .tls_assets
            .iter()
            .chain([&objects.web_config, &objects.cluster_tls_config])
            .map(|o| o.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "alertmanager-main-tls-assets-0",
                "alertmanager-main-web-config",
                "alertmanager-main-cluster-tls-config"
            ]
        );
        let ports = objects.service.unwrap().spec.unwrap().ports.unwrap();
        assert_eq!(ports.len(), 3);
    }

    #[test]
    fn in_watch_mode_the_reloader_reads_the_configuration_from_the_api() {
        use crate::k8s::reloader::ReloaderMode;
        let mut loaded = Loaded::default();
        let manifests = "apiVersion: monitoring.coreos.com/v1\nkind: Alertmanager\n\
                         metadata: {name: main, namespace: ns}\nspec: {version: v0.28.1}\n";
        loaded
            .add_yaml("t", manifests, "ns", Strictness::ObjectsOnly)
            .unwrap();
        let s = &loaded.snapshot;
        let mut options = OperatorOptions::default();
        options.reloader.mode = ReloaderMode::PromopWatch {
            image: "promop:dev".to_owned(),
        };
        let objects =
            alertmanager_objects(s, &s.alertmanagers[0], "route: {}\n", &options).unwrap();
        let pod = objects.stateful_set.spec.template.spec.unwrap();
        let sidecar = pod
            .containers
            .iter()
            .find(|c| c.name == "config-reloader")
            .unwrap();
        assert_eq!(sidecar.image.as_deref(), Some("promop:dev"));
        let args = sidecar.args.as_ref().unwrap();
        assert!(args.contains(&"--watch-secret=ns/alertmanager-main-generated".to_owned()));
        assert!(args.contains(&"--watch-secret-key=alertmanager.yaml.gz".to_owned()));
        assert!(
            !args.iter().any(|a| a.starts_with("--config-file=")),
            "{args:?}"
        );
        // The templates stay a volume, watched.
        assert!(args.contains(&"--watched-dir=/etc/alertmanager/config".to_owned()));
        let rules = objects.reloader_rbac.unwrap().role.rules.unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(
            rules[0].resource_names,
            Some(vec!["alertmanager-main-generated".to_owned()])
        );
    }
}
