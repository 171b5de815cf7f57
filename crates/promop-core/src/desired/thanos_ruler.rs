//! The Kubernetes objects of one ThanosRuler, in the order the reference
//! writes them: the rule ConfigMaps (built with its rule selection), the
//! remote-write configuration Secret, the TLS assets Secrets, the web
//! configuration Secret, the governing Service and the StatefulSet.
//!
//! Where the reference fails part way (an invalid field found while
//! building the StatefulSet) it has already written the objects before;
//! promop writes nothing for a refused ThanosRuler, as for the other
//! workloads (`conformance/known-object-differences.md`).
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use promop_api::v1::{PrometheusRule, ThanosRuler};
use serde_json::Value;

use super::{OperatorOptions, Secrets, StateError, unwritten_asset, with_input_hash};
use crate::k8s::metadata::Owner;
use crate::k8s::numbered::Numbered;
use crate::k8s::tls_assets;
use crate::k8s::web_config::{self, WebConfig};
use crate::prometheus::rules::{RuleConfigMaps, thanos_ruler_rules};
use crate::select::KindSelection;
use crate::select::namespaces::WatchedNamespaces;
use crate::select::reasons::{RejectedObject, Rejection, RejectionKind};
use crate::snapshot::Snapshot;
use crate::thanos_ruler::remote_write::{self, TLS_ASSETS_DIR};
use crate::thanos_ruler::service::governing_service;
use crate::thanos_ruler::{WEB_CONFIG_DIR, prefixed_name, statefulset, version};

/// The objects of one ThanosRuler but its rule ConfigMaps.
#[derive(Clone, Debug, PartialEq)]
pub struct ThanosRulerObjects {
    /// `thanos-ruler-<name>-config`: `remote-write.yaml`. Owned by the
    /// ThanosRuler without being its controller, as the reference writes it.
    pub config: Secret,
    /// `thanos-ruler-<name>-tls-assets-<n>`.
    pub tls_assets: Vec<Secret>,
    /// `thanos-ruler-<name>-web-config`.
    pub web_config: Secret,
    /// `thanos-ruler-operated`, unless the ThanosRuler names its own.
    pub service: Option<Service>,
    pub stateful_set: StatefulSet,
    /// The prefixes of the numbered objects (rule ConfigMaps, TLS assets),
    /// which the operator prunes.
    pub numbered: Numbered,
}

impl ThanosRulerObjects {
    /// All Secrets, in the order the reference writes them.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        std::iter::once(&self.config)
            .chain(&self.tls_assets)
            .chain(std::iter::once(&self.web_config))
    }
}

/// Everything the operator writes for a ThanosRuler.
pub struct ThanosRulerState<'a> {
    /// The PrometheusRules it selects (the rejected ones among the skipped).
    pub rules: KindSelection<'a, PrometheusRule>,
    pub rule_config_maps: RuleConfigMaps,
    pub objects: ThanosRulerObjects,
}

impl ThanosRulerState<'_> {
    /// The rule ConfigMaps to write.
    pub fn config_maps(&self) -> &[ConfigMap] {
        &self.rule_config_maps.config_maps
    }

    /// The selected PrometheusRules that were rejected.
    pub fn rejected(&self) -> Vec<RejectedObject> {
        self.rule_config_maps.rejected.clone()
    }
}

/// The desired state of a ThanosRuler; its PrometheusRules are selected in
/// `watched`.
pub fn thanos_ruler_state<'a>(
    snapshot: &'a Snapshot,
    ruler: &'a ThanosRuler,
    watched: &WatchedNamespaces,
    options: &OperatorOptions,
) -> Result<ThanosRulerState<'a>, StateError> {
    let (rules, rule_config_maps) = thanos_ruler_rules(snapshot, ruler, watched)?;
    let objects = thanos_ruler_objects(snapshot, ruler, &rule_config_maps.names, options)?;
    Ok(ThanosRulerState {
        rules,
        rule_config_maps,
        objects,
    })
}

/// The objects of `ruler`, which mounts the rule ConfigMaps `rule_files`.
pub fn thanos_ruler_objects(
    snapshot: &Snapshot,
    ruler: &ThanosRuler,
    rule_files: &[String],
    options: &OperatorOptions,
) -> Result<ThanosRulerObjects, RejectedObject> {
    let name = ruler.metadata.name.as_deref().unwrap_or_default();
    let namespace = ruler.metadata.namespace.as_deref().unwrap_or_default();
    let error = |field: &str, kind: RejectionKind| {
        RejectedObject::new("ThanosRuler", namespace, name, Rejection::new(field, kind))
    };
    let prefixed = prefixed_name(name);
    let owner = Owner {
        api_version: "monitoring.coreos.com/v1".to_owned(),
        kind: "ThanosRuler".to_owned(),
        name: name.to_owned(),
        uid: ruler.metadata.uid.clone().unwrap_or_default(),
    };
    let secrets = Secrets {
        namespace,
        owner: &owner,
        options,
    };
    let config_error = |field: &str, kind: RejectionKind| {
        error(
            field,
            kind.context("failed to synchronize ruler config secret"),
        )
    };

    let (_, thanos_version) = version(ruler).map_err(|e| config_error(&e.field, e.kind))?;
    let remote_write = remote_write::contents(snapshot, ruler, &thanos_version)
        .map_err(|e| config_error(&e.field, e.kind))?;
    let mut config = secrets.single(
        &format!("{prefixed}-config"),
        remote_write::FILE,
        remote_write.clone().into_bytes(),
    );
    config.metadata.owner_references = Some(vec![owner.plain_ref()]);

    let files = match serde_saphyr::from_str::<Value>(&remote_write) {
        Ok(doc) => {
            let files = tls_assets::referenced(&doc, TLS_ASSETS_DIR, snapshot);
            if let Some(path) = tls_assets::unwritten(&doc, TLS_ASSETS_DIR, &files).first() {
                return Err(error("spec.remoteWrite", unwritten_asset(path).into()));
            }
            files
        }
        Err(_) => BTreeMap::new(),
    };
    let tls_assets = secrets.tls_assets(&prefixed, files);

    let web_secret_name = format!("{prefixed}-web-config");
    if let Some(tls) = ruler.spec.web.as_ref().and_then(|w| w.tls_config.as_ref()) {
        web_config::validate(tls).map_err(|e| {
            error(
                "spec.web.tlsConfig",
                e.context(
                    "failed to synchronize web config secret: failed to initialize the web config",
                ),
            )
        })?;
    }
    let web = WebConfig {
        mount_dir: WEB_CONFIG_DIR,
        secret_name: &web_secret_name,
        fields: ruler.spec.web.as_ref(),
    };
    let web_config = secrets.web_config(&web);

    let service = ruler.spec.service_name.is_none().then(|| {
        governing_service(
            &ruler.spec,
            namespace,
            &owner,
            &options.labels,
            &options.annotations,
        )
    });
    let stateful_set = statefulset::build(
        ruler,
        rule_files,
        options,
        &owner,
        &tls_assets::volume(&tls_assets),
    )
    .map(with_input_hash)
    .map_err(|e| error(&e.field, e.kind.context("failed to generate statefulset")))?;
    Ok(ThanosRulerObjects {
        config,
        tls_assets,
        web_config,
        service,
        stateful_set,
        numbered: Numbered::of(&prefixed),
    })
}
