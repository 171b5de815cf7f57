//! Every Kubernetes object the operator writes for a workload, as the
//! reference writes them: built from the snapshot, the workload and its
//! generated configuration, with the operator's command-line options.
mod alertmanager;
mod gzip;
pub mod manifests;
mod prometheus;
mod state;
mod thanos_ruler;

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Secret;
use xxhash_rust::xxh64::xxh64;

pub use self::alertmanager::{AlertmanagerObjects, alertmanager_objects};
pub use self::gzip::{gzip, gzip_parts, kept_gzips_differ};
pub use self::prometheus::{CONFIG_KEY, PrometheusObjects, prometheus_objects};
pub use self::state::{
    AlertmanagerState, PrometheusState, StateError, add_service, alertmanager_state,
    prometheus_state, prometheus_state_with,
};
pub use self::thanos_ruler::{
    ThanosRulerObjects, ThanosRulerState, thanos_ruler_objects, thanos_ruler_state,
};
use crate::k8s::metadata::{INPUT_HASH_KEY, Labels, Owner, controlled};
use crate::k8s::numbered::Numbered;
use crate::k8s::reloader::ReloaderConfig;
use crate::k8s::tls_assets;
use crate::k8s::web_config::{self, WebConfig};
use crate::prometheus::Capabilities;

/// What the operator's command-line flags change in the written objects,
/// with the reference's defaults.
#[derive(Clone, Debug)]
pub struct OperatorOptions {
    /// `--prometheus-config-reloader`, `--config-reloader-{cpu,memory}-{request,limit}`,
    /// `--enable-config-reloader-probes`.
    pub reloader: ReloaderConfig,
    /// `--prometheus-default-base-image`.
    pub prometheus_base_image: String,
    /// `--alertmanager-default-base-image`.
    pub alertmanager_base_image: String,
    /// `--thanos-default-base-image`.
    pub thanos_base_image: String,
    /// `--labels`: added to every object (and to the pods' selector).
    pub labels: Labels,
    /// `--annotations`: added to every object.
    pub annotations: Labels,
    /// `--localhost`: how containers of a pod reach each other.
    pub local_host: String,
    /// `--cluster-domain`: when set, Alertmanager peers are fully qualified.
    pub cluster_domain: String,
    /// Feature gate `PrometheusTopologySharding` (on by default).
    pub topology_sharding: bool,
    /// Feature gate `PrometheusShardRetentionPolicy` (on by default): off,
    /// `spec.shardRetentionPolicy` is ignored.
    pub shard_retention_policy: bool,
    /// A Prometheus without resource selectors leaves its configuration to
    /// the user (off with `--disable-unmanaged-prometheus-configuration`).
    pub unmanaged_configuration: bool,
    /// Feature gate `PrometheusAgentDaemonSet` (off by default): off, an
    /// agent in DaemonSet mode is refused.
    pub agent_daemon_set: bool,
}

impl Default for OperatorOptions {
    fn default() -> Self {
        Self {
            reloader: ReloaderConfig::default(),
            prometheus_base_image: crate::prometheus::statefulset::DEFAULT_BASE_IMAGE.to_owned(),
            alertmanager_base_image: crate::alertmanager::statefulset::DEFAULT_BASE_IMAGE
                .to_owned(),
            thanos_base_image: crate::prometheus::statefulset::thanos_sidecar::DEFAULT_BASE_IMAGE
                .to_owned(),
            labels: Labels::new(),
            annotations: Labels::new(),
            local_host: "localhost".to_owned(),
            cluster_domain: String::new(),
            topology_sharding: true,
            shard_retention_policy: true,
            unmanaged_configuration: true,
            agent_daemon_set: false,
        }
    }
}

impl OperatorOptions {
    /// What the feature gates let the generated configuration use (the
    /// cluster's capabilities stay the defaults).
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            topology_sharding: self.topology_sharding,
            shard_retention_policy: self.shard_retention_policy,
            ..Capabilities::default()
        }
    }
}

/// Builds the Secrets a workload controls, with the operator's labels and
/// annotations.
struct Secrets<'a> {
    namespace: &'a str,
    owner: &'a Owner,
    options: &'a OperatorOptions,
}

impl Secrets<'_> {
    fn secret(&self, name: &str, data: BTreeMap<String, ByteString>) -> Secret {
        Secret {
            metadata: controlled(
                name,
                self.namespace,
                self.owner,
                &self.options.labels,
                &self.options.annotations,
            ),
            data: (!data.is_empty()).then_some(data),
            ..Secret::default()
        }
    }

    /// A Secret of one key.
    fn single(&self, name: &str, key: &str, content: Vec<u8>) -> Secret {
        self.secret(
            name,
            BTreeMap::from([(key.to_owned(), ByteString(content))]),
        )
    }

    /// `<prefixed>-tls-assets-<n>`: the files split over as many Secrets
    /// as their size needs.
    fn tls_assets(&self, prefixed: &str, files: BTreeMap<String, Vec<u8>>) -> Vec<Secret> {
        let base = Numbered::of(prefixed).tls_assets;
        tls_assets::shard(files)
            .into_iter()
            .enumerate()
            .map(|(i, data)| self.secret(&tls_assets::secret_name(&base, i), data))
            .collect()
    }

    /// The Secret holding the web configuration file.
    fn web_config(&self, web: &WebConfig<'_>) -> Secret {
        self.single(
            web.secret_name,
            web_config::SECRET_KEY,
            web.contents().into_bytes(),
        )
    }
}

/// Why a configuration naming a TLS asset that no Secret or ConfigMap
/// provides (missing, or empty) is not written: the program would refuse
/// it. Validation refuses the objects that need such an asset first; this
/// is the guard behind it.
fn unwritten_asset(path: &str) -> String {
    format!(
        "names {path}, a TLS asset whose Secret or ConfigMap key is missing or empty: \
         the file would not be written"
    )
}

/// Records a hash of everything the StatefulSet is built from (its own
/// content) in the input-hash annotation: it changes exactly when the
/// StatefulSet does. The reference hashes Go structures with another
/// function, so the values differ (the annotation is on the StatefulSet,
/// not on the pod template: a takeover rolls no pod).
fn with_input_hash(mut sset: StatefulSet) -> StatefulSet {
    let hash = serde_json::to_vec(&sset).map_or(0, |json| xxh64(&json, 0));
    sset.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(INPUT_HASH_KEY.to_owned(), hash.to_string());
    sset
}
