//! `CommonPrometheusFields`: the settings shared by Prometheus and
//! PrometheusAgent (flattened into both specs).
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy;
use k8s_openapi::api::core::v1::{
    Affinity, Container, LocalObjectReference, PodSecurityContext, ResourceRequirements,
    SecretKeySelector, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::apiserver::ApiServerConfig;
use super::otlp::OtlpConfig;
use super::remote_write::{RemoteWriteMessageVersion, RemoteWriteSpec};
use super::scrape_class::ScrapeClass;
use super::sharding::ShardingStrategy;
use super::topology::TopologySpreadConstraint;
use super::tracing::TracingConfig;
use super::tsdb::TsdbSpec;
use super::web::PrometheusWebSpec;
use crate::common::{
    ByteSize, Duration, NameEscapingScheme, NameValidationScheme, ScrapeProtocol,
    ServiceDiscoveryRole,
};
use crate::v1::workload::{
    Argument, DnsPolicy, EmbeddedObjectMetadata, HostAlias, ImagePullPolicy, LogFormat, LogLevel,
    ObjectReference, PodDnsConfig, PodManagementPolicyType, StatefulSetUpdateStrategy, StorageSpec,
};

/// CEL rule of [`CommonPrometheusFields`]: topology sharding needs at least
/// one shard per topology value.
pub const SHARDS_FOR_TOPOLOGY_RULE: &str = "!has(self.shardingStrategy) || !has(self.shardingStrategy.mode) || self.shardingStrategy.mode != 'Topology' || !has(self.shardingStrategy.topology) || !has(self.shardingStrategy.topology.values) || self.shardingStrategy.topology.values.size() == 0 || (has(self.shards) ? self.shards : 1) >= self.shardingStrategy.topology.values.size()";
/// Message of [`SHARDS_FOR_TOPOLOGY_RULE`].
pub const SHARDS_FOR_TOPOLOGY_MESSAGE: &str = "shards must be greater than or equal to the number of topology values when sharding strategy mode is Topology";

/// How Prometheus reloads its configuration.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ReloadStrategyType {
    #[serde(rename = "HTTP")]
    Http,
    ProcessSignal,
}

/// Go runtime settings of the Prometheus process.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeConfig {
    /// Go garbage collection target percentage (GOGC); lower values trade CPU
    /// for memory.
    #[serde(default, rename = "goGC", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1))]
    pub go_gc: Option<i32>,
}

/// Whether ServiceMonitors may make Prometheus read arbitrary files of its
/// container (e.g. `bearerTokenFile`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArbitraryFsAccessThroughSmsConfig {
    /// Forbids monitors to reference files of the container (safer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<bool>,
}

/// Settings shared by the Prometheus server and agent.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": SHARDS_FOR_TOPOLOGY_RULE,
    "message": SHARDS_FOR_TOPOLOGY_MESSAGE,
}]))]
pub struct CommonPrometheusFields {
    /// Labels and annotations added to the pods. The operator's own labels
    /// (`prometheus`, `app.kubernetes.io/*`, `operator.prometheus.io/*`) and
    /// the default-container annotation cannot be overridden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_metadata: Option<EmbeddedObjectMetadata>,

    /// ServiceMonitors to use; empty selects all, null none. When all four
    /// monitor selectors are null the configuration is unmanaged (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_monitor_selector: Option<LabelSelector>,
    /// Namespaces searched for ServiceMonitors; empty selects all, null only
    /// the object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_monitor_namespace_selector: Option<LabelSelector>,
    /// PodMonitors to use; empty selects all, null none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_monitor_selector: Option<LabelSelector>,
    /// Namespaces searched for PodMonitors; empty selects all, null only the
    /// object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_monitor_namespace_selector: Option<LabelSelector>,
    /// Probes to use; empty selects all, null none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_selector: Option<LabelSelector>,
    /// Namespaces searched for Probes; empty selects all, null only the
    /// object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_namespace_selector: Option<LabelSelector>,
    /// ScrapeConfigs to use; empty selects all, null none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_config_selector: Option<LabelSelector>,
    /// Namespaces searched for ScrapeConfigs; empty selects all, null only the
    /// object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_config_namespace_selector: Option<LabelSelector>,

    /// Prometheus version; the operator's default version when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Stops reconciliation of the managed objects (deletion still happens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// Prometheus image; wins over `baseImage`, `tag` and `sha`. Set
    /// `version` too so that the operator knows what it configures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pull policy of the `prometheus`, `init-config-reloader` and
    /// `config-reloader` containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// Secrets used to pull the images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,

    /// Number of replicas of each shard (1 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Number of shards the targets are spread over (hash of `__address__`,
    /// or of `__tmp_hash` when set by relabeling). Scaling does not move data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 1))]
    pub shards: Option<i32>,
    /// How targets are distributed over shards (`Address` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding_strategy: Option<ShardingStrategy>,

    /// Name of the external label holding the replica name
    /// (`prometheus_replica` by default, none when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_external_label_name: Option<String>,
    /// Name of the external label holding the Prometheus object's name
    /// (`prometheus` by default, none when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_external_label_name: Option<String>,

    /// Log level of Prometheus and the config reloader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LogLevel>,
    /// Log format of Prometheus and the config reloader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,

    /// Default interval between scrapes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "30s"))]
    pub scrape_interval: Option<Duration>,
    /// Default scrape timeout; must not exceed the scrape interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<Duration>,
    /// Scrape protocols offered to targets, most preferred first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,

    /// Labels added to series and alerts sent to external systems; the
    /// replica and instance labels win over these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_labels: Option<BTreeMap<String, String>>,

    /// Accepts remote-write requests (not meant for bulk ingestion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_remote_write_receiver: Option<bool>,
    /// Accepts OTLP metrics (implied when `otlp` is set).
    #[serde(
        default,
        rename = "enableOTLPReceiver",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_otlp_receiver: Option<bool>,
    /// Remote-write message versions accepted by the receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("x-kubernetes-list-type" = "set"))]
    pub remote_write_receiver_message_versions: Option<Vec<RemoteWriteMessageVersion>>,

    /// Prometheus feature flags to enable (unsupported territory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(length(min = 1)), extend("x-kubernetes-list-type" = "set"))]
    pub enable_features: Option<Vec<String>>,

    /// URL under which Prometheus is reachable from outside (e.g. behind an
    /// Ingress); used to build links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// Route prefix of the HTTP handlers, when a proxy rewrites paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_prefix: Option<String>,

    /// Storage of the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
    /// Extra volumes of the pods, appended to the generated ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume>>,
    /// Extra volume mounts of the `prometheus` container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// Whether the StatefulSet's PVCs are deleted when it is deleted or
    /// scaled down (kept by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim_retention_policy:
        Option<StatefulSetPersistentVolumeClaimRetentionPolicy>,

    /// Web server settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<PrometheusWebSpec>,
    /// Resource requests and limits of the `prometheus` container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Node selector of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// Scheduler of the pods (the default scheduler when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub scheduler_name: Option<String>,
    /// ServiceAccount of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Whether the service account token is mounted (yes when unset;
    /// Kubernetes discovery needs it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    /// Secrets of the namespace mounted under `/etc/prometheus/secrets/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub secrets: Option<Vec<String>>,
    /// ConfigMaps of the namespace mounted under
    /// `/etc/prometheus/configmaps/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_maps: Option<Vec<String>>,
    /// Affinity of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Tolerations of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    /// Topology spread constraints of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,

    /// Remote-write endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_write: Option<Vec<RemoteWriteSpec>>,
    /// Settings of the OTLP receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otlp: Option<OtlpConfig>,

    /// Pod-level security context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    /// DNS policy of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_policy: Option<DnsPolicy>,
    /// DNS settings of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<PodDnsConfig>,
    /// Listen on the loopback address instead of the pod IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_local: Option<bool>,
    /// Pod management policy of the StatefulSet (`Parallel` by default).
    /// Changing it recreates the StatefulSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_management_policy: Option<PodManagementPolicyType>,
    /// Update strategy of the StatefulSet (RollingUpdate by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<StatefulSetUpdateStrategy>,
    /// Whether services are injected as environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_service_links: Option<bool>,

    /// Extra containers, or strategic-merge patches of the generated ones
    /// (`prometheus`, `config-reloader`, `thanos-sidecar`) when names match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Vec<Container>>,
    /// Extra init containers, or patches of `init-config-reloader`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Vec<Container>>,

    /// Secret key with extra scrape configurations appended as-is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_scrape_configs: Option<SecretKeySelector>,
    /// How to reach the Kubernetes API server; in-cluster when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apiserver_config: Option<ApiServerConfig>,

    /// PriorityClass of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Name of the web port of the pods and governing service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "web"))]
    pub port_name: Option<String>,

    /// Forbids monitors to reference files of the container.
    #[serde(
        default,
        rename = "arbitraryFSAccessThroughSMs",
        skip_serializing_if = "Option::is_none"
    )]
    pub arbitrary_fs_access_through_sms: Option<ArbitraryFsAccessThroughSmsConfig>,
    /// Forces `honorLabels: false` for all monitors and ScrapeConfigs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_honor_labels: Option<bool>,
    /// Ignores target timestamps for all monitors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_honor_timestamps: Option<bool>,
    /// Ignores the namespace selectors of monitors and Probes: they only
    /// discover targets in their own namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_namespace_selectors: Option<bool>,
    /// Name of a label, set to the object's namespace, added to scraped
    /// series, rule results and rule selectors (except for
    /// `excludedFromEnforcement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforced_namespace_label: Option<String>,
    /// Upper bound on the sample limit of every scrape object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub enforced_sample_limit: Option<i64>,
    /// Upper bound on the target limit of every scrape object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub enforced_target_limit: Option<i64>,
    /// Upper bound on the label limit of every scrape object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub enforced_label_limit: Option<i64>,
    /// Upper bound on the label name length limit of every scrape object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub enforced_label_name_length_limit: Option<i64>,
    /// Upper bound on the label value length limit of every scrape object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub enforced_label_value_length_limit: Option<i64>,
    /// Upper bound on the kept dropped targets of every scrape object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub enforced_keep_dropped_targets: Option<i64>,
    /// Upper bound on the body size limit of every scrape object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforced_body_size_limit: Option<ByteSize>,

    /// Validation scheme of metric and label names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_validation_scheme: Option<NameValidationScheme>,
    /// Escaping scheme requested when scraping names outside the legacy
    /// character set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_escaping_scheme: Option<NameEscapingScheme>,
    /// Converts classic histograms into native histograms with custom buckets.
    #[serde(
        default,
        rename = "convertClassicHistogramsToNHCB",
        skip_serializing_if = "Option::is_none"
    )]
    pub convert_classic_histograms_to_nhcb: Option<bool>,
    /// Scrapes native histograms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_native_histograms: Option<bool>,
    /// Also scrapes the classic version of native histograms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_classic_histograms: Option<bool>,

    /// Seconds a new pod must be ready to count as available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_ready_seconds: Option<i32>,
    /// Entries added to the pods' hosts file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["ip"]))]
    pub host_aliases: Option<Vec<HostAlias>>,
    /// Extra flags of the `prometheus` container; conflicts with the
    /// operator's flags fail the reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_args: Option<Vec<Argument>>,
    /// Compresses the write-ahead log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_compression: Option<bool>,
    /// Objects exempt from namespace label enforcement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_from_enforcement: Option<Vec<ObjectReference>>,
    /// Uses the host's network namespace (DNS policy then defaults to
    /// `ClusterFirstWithHostNet`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    /// Appended to `podTargetLabels` of every PodMonitor and ServiceMonitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
    /// Tracing of Prometheus (experimental).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing_config: Option<TracingConfig>,

    /// Default body size limit of scrape objects that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_size_limit: Option<ByteSize>,
    /// Default sample limit of scrape objects that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub sample_limit: Option<i64>,
    /// Default target limit of scrape objects that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub target_limit: Option<i64>,
    /// Default label limit of scrape objects that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_limit: Option<i64>,
    /// Default label name length limit of scrape objects that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_name_length_limit: Option<i64>,
    /// Default label value length limit of scrape objects that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_value_length_limit: Option<i64>,
    /// Default number of dropped targets kept in memory (0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub keep_dropped_targets: Option<i64>,

    /// How the configuration is reloaded (`/-/reload` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reload_strategy: Option<ReloadStrategyType>,
    /// Seconds the startup probe waits for the WAL replay (900 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60))]
    pub maximum_startup_duration_seconds: Option<i32>,
    /// Scrape classes offered to scrape objects (experimental).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub scrape_classes: Option<Vec<ScrapeClass>>,
    /// Discovery role for ServiceMonitors and Alertmanager endpoints
    /// (`Endpoints` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_discovery_role: Option<ServiceDiscoveryRole>,
    /// Runtime-reloadable TSDB settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsdb: Option<TsdbSpec>,
    /// File where scrape failures are logged (a bare file name goes to
    /// `/var/log/prometheus`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub scrape_failure_log_file: Option<String>,
    /// Existing governing Service of the StatefulSets; the operator manages
    /// its own headless Service when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub service_name: Option<String>,
    /// Go runtime settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeConfig>,
    /// Grace period of the pods in seconds (600 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub termination_grace_period_seconds: Option<i64>,
    /// Runs the pods in the host's user namespace (false: user namespaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_users: Option<bool>,
}

impl CommonPrometheusFields {
    /// Total number of pods expected: replicas times shards.
    pub fn expected_replicas(&self) -> i32 {
        self.replicas.unwrap_or(1) * self.shards.unwrap_or(1)
    }
}
