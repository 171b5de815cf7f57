//! ThanosRuler (v1): Thanos Ruler pods evaluating PrometheusRule objects
//! against Thanos Query (or Prometheus) endpoints.
mod status;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, LocalObjectReference, PodSecurityContext, ResourceRequirements,
    SecretKeySelector, Toleration, TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Duration, GrpcServerTlsConfig};
use crate::v1::prometheus::RemoteWriteSpec;
use crate::v1::workload::{
    Argument, DnsPolicy, EmbeddedObjectMetadata, HostAlias, ImagePullPolicy, LogFormat, LogLevel,
    ObjectReference, PodDnsConfig, PodManagementPolicyType, PrometheusRuleExcludeConfig,
    StatefulSetUpdateStrategy, StorageSpec, WebConfigFileFields,
};

pub use status::ThanosRulerStatus;

/// Settings of the Thanos Ruler web server (its `--http.config` file).
pub type ThanosRulerWebSpec = WebConfigFileFields;

/// Desired state of a set of Thanos Ruler pods.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "ThanosRuler",
    plural = "thanosrulers",
    singular = "thanosruler",
    shortname = "ruler",
    category = "prometheus-operator",
    namespaced,
    status = "ThanosRulerStatus",
    printcolumn = r#"{"name":"Version","type":"string","description":"The version of Thanos Ruler","jsonPath":".spec.version"}"#,
    printcolumn = r#"{"name":"Replicas","type":"integer","description":"The number of desired replicas","jsonPath":".spec.replicas"}"#,
    printcolumn = r#"{"name":"Ready","type":"integer","description":"The number of ready replicas","jsonPath":".status.availableReplicas"}"#,
    printcolumn = r#"{"name":"Reconciled","type":"string","jsonPath":".status.conditions[?(@.type == 'Reconciled')].status"}"#,
    printcolumn = r#"{"name":"Available","type":"string","jsonPath":".status.conditions[?(@.type == 'Available')].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Paused","type":"boolean","description":"Whether the resource reconciliation is paused or not","jsonPath":".status.paused","priority":1}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ThanosRulerSpec {
    /// Thanos version to deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Labels and annotations added to the pods. The `app.kubernetes.io/name`,
    /// `app.kubernetes.io/managed-by`, `app.kubernetes.io/instance`,
    /// `thanos-ruler` labels and the `kubectl.kubernetes.io/default-container`
    /// annotation are reserved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_metadata: Option<EmbeddedObjectMetadata>,
    /// Container image of Thanos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pull policy of the `thanos`, `init-config-reloader` and
    /// `config-reloader` containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// Secrets of the namespace used to pull the images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    /// When true, the operator stops acting on the managed objects, except to
    /// delete them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// Number of Thanos Ruler pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Node labels the pods must match to be scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// Scheduler of the pods (the default scheduler when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub scheduler_name: Option<String>,
    /// Resource requests and limits of the pods (none when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Scheduling constraints of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Tolerations of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    /// Topology spread constraints of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
    /// Pod-level security attributes (the default PodSecurityContext when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    /// DNS policy of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_policy: Option<DnsPolicy>,
    /// DNS settings of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<PodDnsConfig>,
    /// Whether Service information is injected into the pods' environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_service_links: Option<bool>,
    /// Priority class of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Governing Service of the StatefulSet. It must exist beforehand in the
    /// namespace and select the pods. When unset, the operator manages a
    /// headless Service named `thanos-ruler-operated`; give each ThanosRuler
    /// of a namespace its own Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub service_name: Option<String>,
    /// ServiceAccount that runs the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Storage of the ruler's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
    /// Extra volumes of the pods, appended to those made for `storage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume>>,
    /// Extra volume mounts of the ruler container, appended to those made for
    /// `storage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// Secret key holding the Thanos object storage configuration (passed
    /// unchecked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_storage_config: Option<SecretKeySelector>,
    /// Path of the object storage configuration file (passed unchecked);
    /// wins over `objectStorageConfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_storage_config_file: Option<String>,
    /// When true, Thanos Ruler listens on the loopback interface only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_local: Option<bool>,
    /// How pods are created and deleted when scaling. Defaults to `Parallel`,
    /// unlike StatefulSets. Changing it recreates the StatefulSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_management_policy: Option<PodManagementPolicyType>,
    /// How the pods are replaced when the StatefulSet changes (rolling
    /// update by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<StatefulSetUpdateStrategy>,
    /// Thanos Query endpoints queried by the rules (prefer `queryConfig` from
    /// Thanos v0.11.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_endpoints: Option<Vec<String>>,
    /// Secret key holding the query endpoints configuration (Thanos v0.11.0
    /// or later, passed unchecked); wins over `queryEndpoints`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_config: Option<SecretKeySelector>,
    /// Alertmanager URLs the alerts are sent to (prefer
    /// `alertmanagersConfig` from Thanos v0.10.0).
    #[serde(
        default,
        rename = "alertmanagersUrl",
        skip_serializing_if = "Option::is_none"
    )]
    pub alertmanagers_url: Option<Vec<String>>,
    /// Secret key holding the Alertmanagers configuration (Thanos v0.10.0
    /// or later, passed unchecked); wins over `alertmanagersUrl`.
    #[serde(
        default,
        rename = "alertmanagersConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub alertmanagers_config: Option<SecretKeySelector>,
    /// PrometheusRule objects to evaluate: empty selects all, unset none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_selector: Option<LabelSelector>,
    /// Namespaces in which PrometheusRule objects are searched (only the
    /// ThanosRuler's namespace when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_namespace_selector: Option<LabelSelector>,
    /// Label added to every user-defined alert and series, whose value is the
    /// namespace of the originating object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforced_namespace_label: Option<String>,
    /// PrometheusRule objects exempt from `enforcedNamespaceLabel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_from_enforcement: Option<Vec<ObjectReference>>,
    /// Rules exempt from `enforcedNamespaceLabel` (set both fields of each
    /// entry). Deprecated: use `excludedFromEnforcement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_rules_excluded_from_enforce: Option<Vec<PrometheusRuleExcludeConfig>>,
    /// Log level of Thanos Ruler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LogLevel>,
    /// Log format of Thanos Ruler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// Name of the web port of the pods and of the governing Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "web"))]
    pub port_name: Option<String>,
    /// Interval between rule evaluations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "15s"))]
    pub evaluation_interval: Option<Duration>,
    /// Minimum delay before an alert is sent again to Alertmanager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_delay: Option<Duration>,
    /// Longest Prometheus outage tolerated when restoring the `for` state of
    /// alerts (Thanos v0.30.0 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_outage_tolerance: Option<Duration>,
    /// Default query offset of the rule groups (Thanos v0.38.0 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_query_offset: Option<Duration>,
    /// Number of rules evaluated concurrently (Thanos v0.37.0 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub rule_concurrent_eval: Option<i32>,
    /// Minimum time between an alert and its restored `for` state, for alerts
    /// whose `for` exceeds it (Thanos v0.30.0 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_grace_period: Option<Duration>,
    /// How long the data is kept; ignored when `remoteWrite` is set (the
    /// ruler is then stateless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "24h"))]
    pub retention: Option<Duration>,
    /// Extra containers of the pods, or strategic-merge patches of the
    /// containers generated by the operator (`thanos-ruler`,
    /// `config-reloader`), matched by name. Patching is not supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Vec<Container>>,
    /// Init containers of the pods, merged with the generated ones by name
    /// like `containers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Vec<Container>>,
    /// Secret key holding the tracing configuration (experimental, passed
    /// unchecked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing_config: Option<SecretKeySelector>,
    /// Path of the tracing configuration file (experimental, passed
    /// unchecked); wins over `tracingConfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing_config_file: Option<String>,
    /// External labels of the ruler; `thanos_ruler_replica` (the pod name)
    /// is always added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Labels removed from the alerts; `thanos_ruler_replica` always is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_drop_labels: Option<Vec<String>>,
    /// URL under which Thanos Ruler is reached from outside, needed to build
    /// correct links when it is not served from the root of a domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_prefix: Option<String>,
    /// Path prefix of the HTTP handlers, to serve the UI under a sub-path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_prefix: Option<String>,
    /// TLS settings of the gRPC server read by Thanos Query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_server_tls_config: Option<GrpcServerTlsConfig>,
    /// URL put in the `Source` field of the alerts (`--alert.query-url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_query_url: Option<String>,
    /// Minimum time a new pod must be ready without crashing to count as
    /// available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_ready_seconds: Option<i32>,
    /// Secret key holding the alert relabeling configuration, in Prometheus
    /// format (passed unchecked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_relabel_configs: Option<SecretKeySelector>,
    /// Path of the alert relabeling configuration file (passed unchecked);
    /// wins over `alertRelabelConfigs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_relabel_config_file: Option<String>,
    /// Extra `/etc/hosts` entries of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["ip"]))]
    pub host_aliases: Option<Vec<HostAlias>>,
    /// Extra command-line arguments of the ruler container. They must not
    /// clash with the arguments set by the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_args: Option<Vec<Argument>>,
    /// Web server settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<ThanosRulerWebSpec>,
    /// Remote write targets; when set, the ruler runs stateless (Thanos
    /// v0.24.0 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_write: Option<Vec<RemoteWriteSpec>>,
    /// Grace period of the pods, in seconds (120 when unset); 0 kills them
    /// at once and may corrupt data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub termination_grace_period_seconds: Option<i64>,
    /// Thanos Ruler feature flags (Thanos v0.39.0 or later). They may break
    /// the ruler and the operator does not vet them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(length(min = 1)), extend("x-kubernetes-list-type" = "set"))]
    pub enable_features: Option<Vec<String>>,
    /// Whether the pods run in the host's user namespace (true) or in a new
    /// one (false). Needs the UserNamespacesSupport feature gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_users: Option<bool>,
}
