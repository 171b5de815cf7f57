//! Alertmanager (v1): a highly available Alertmanager cluster run as a StatefulSet.
mod cluster_tls;
mod global_config;
mod status;
mod web;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy;
use k8s_openapi::api::core::v1::{
    Affinity, Container, LocalObjectReference, PodSecurityContext, ResourceRequirements,
    Toleration, TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{ByteSize, GoDuration};
use crate::v1::workload::{
    Argument, DnsPolicy, EmbeddedObjectMetadata, HostAlias, ImagePullPolicy, LogFormat, LogLevel,
    PodDnsConfig, PodManagementPolicyType, StatefulSetUpdateStrategy, StorageSpec,
};

pub use cluster_tls::ClusterTlsConfig;
pub use global_config::{
    AlertmanagerConfiguration, AlertmanagerGlobalConfig, GlobalJiraConfig, GlobalMattermostConfig,
    GlobalRocketChatConfig, GlobalSmtpConfig, GlobalTelegramConfig, GlobalVictorOpsConfig,
    GlobalWeChatConfig, GlobalWebexConfig, HostPort,
};
pub use status::AlertmanagerStatus;
pub use web::AlertmanagerWebSpec;

/// Desired state of an Alertmanager cluster.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "Alertmanager",
    plural = "alertmanagers",
    singular = "alertmanager",
    shortname = "am",
    category = "prometheus-operator",
    namespaced,
    status = "AlertmanagerStatus",
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.replicas",
        label_selector_path = ".status.selector"
    ),
    printcolumn = r#"{"name":"Version","type":"string","description":"The version of Alertmanager","jsonPath":".spec.version"}"#,
    printcolumn = r#"{"name":"Replicas","type":"integer","description":"The number of desired replicas","jsonPath":".spec.replicas"}"#,
    printcolumn = r#"{"name":"Ready","type":"integer","description":"The number of ready replicas","jsonPath":".status.availableReplicas"}"#,
    printcolumn = r#"{"name":"Reconciled","type":"string","jsonPath":".status.conditions[?(@.type == 'Reconciled')].status"}"#,
    printcolumn = r#"{"name":"Available","type":"string","jsonPath":".status.conditions[?(@.type == 'Available')].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Paused","type":"boolean","description":"Whether the resource reconciliation is paused or not","jsonPath":".status.paused","priority":1}"#
)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerSpec {
    /// Labels and annotations added to the pods. The `app.kubernetes.io/name`,
    /// `app.kubernetes.io/managed-by`, `app.kubernetes.io/instance`,
    /// `alertmanager` and `app.kubernetes.io/version` labels and the
    /// `kubectl.kubernetes.io/default-container` annotation are reserved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_metadata: Option<EmbeddedObjectMetadata>,
    /// Container image of Alertmanager; takes precedence over `baseImage`,
    /// `tag` and `sha`. Set `version` too so that the operator knows which
    /// Alertmanager version it deploys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pull policy of the `alertmanager`, `init-config-reloader` and
    /// `config-reloader` containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// Alertmanager version to deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Image tag (defaults to `version`, which it overrides).
    /// Deprecated: put the tag in `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Image digest (overrides `version` and `tag`).
    /// Deprecated: put the digest in `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// Image without its tag. Deprecated: use `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
    /// Secrets of the namespace used to pull the images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    /// Secrets of the namespace mounted into the `alertmanager` container at
    /// `/etc/alertmanager/secrets/<name>` (volume `secret-<name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<String>>,
    /// ConfigMaps of the namespace mounted into the `alertmanager` container
    /// at `/etc/alertmanager/configmaps/<name>` (volume `configmap-<name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_maps: Option<Vec<String>>,
    /// Secret of the namespace holding the Alertmanager configuration under
    /// the `alertmanager.yaml` key; other keys are copied along. Defaults to
    /// `alertmanager-<name>`. When it or its key is missing, a minimal
    /// configuration with a single empty receiver is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_secret: Option<String>,
    /// Log level of Alertmanager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LogLevel>,
    /// Log format of Alertmanager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// Desired number of Alertmanager pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// How long Alertmanager keeps its data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "120h"))]
    pub retention: Option<GoDuration>,
    /// Storage of Alertmanager's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
    /// Extra volumes of the pods, appended to those made for `storage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume>>,
    /// Extra volume mounts of the `alertmanager` container, appended to
    /// those made for `storage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// Whether and when the StatefulSet deletes its PVCs (all are kept by
    /// default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim_retention_policy:
        Option<StatefulSetPersistentVolumeClaimRetentionPolicy>,
    /// URL under which Alertmanager is reached from outside, needed to build
    /// correct links when it is not served from the root of a domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// Path prefix of the HTTP handlers, when a proxy rewrites the paths of
    /// `externalUrl` (e.g. `kubectl proxy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_prefix: Option<String>,
    /// When true, the operator stops acting on the managed objects, except to
    /// delete them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// Node labels the pods must match to be scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// Scheduler of the pods (the default scheduler when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub scheduler_name: Option<String>,
    /// Resource requests and limits of the pods.
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
    /// Governing Service of the StatefulSet. It must exist beforehand in the
    /// namespace and select the pods. When unset, the operator manages a
    /// headless Service named `alertmanager-operated`; give each
    /// Alertmanager of a namespace its own Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub service_name: Option<String>,
    /// ServiceAccount that runs the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// When true, the web server (not the cluster gossip) listens on the
    /// loopback interface only.
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
    /// Extra containers of the pods, or strategic-merge patches of the
    /// containers generated by the operator (`alertmanager`,
    /// `config-reloader`), matched by name. Patching is not supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Vec<Container>>,
    /// Init containers of the pods, merged with the generated ones by name
    /// like `containers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Vec<Container>>,
    /// Priority class of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Addresses of peers outside this object that join the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_peers: Option<Vec<String>>,
    /// Address advertised to the cluster; required for public (non RFC 1918)
    /// addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_advertise_address: Option<String>,
    /// Interval between cluster gossip messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_gossip_interval: Option<GoDuration>,
    /// Cluster identifier (defaults to `<namespace>/<name>`). Only useful when
    /// external peers are added through `additionalPeers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_label: Option<String>,
    /// clusterPeerName defines the name that this Alertmanager instance uses to
    /// advertise itself to other cluster peers (the `--cluster.peer-name` flag,
    /// available since Alertmanager v0.30.0).
    ///
    /// If not set, the operator defaults to the pod's name (`$(POD_NAME)`),
    /// which is injected via the Kubernetes downward API. Setting this field
    /// lets you override that default with either a literal value or a string
    /// referencing environment variables that are already available in the
    /// Alertmanager container (for example `$(POD_NAME).$(NAMESPACE)`).
    ///
    /// It requires Alertmanager >= 0.30.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub cluster_peer_name: Option<String>,
    /// Interval between cluster push-pull synchronisations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_pushpull_interval: Option<GoDuration>,
    /// Time to wait for a peer's acknowledgement before considering it lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_peer_timeout: Option<GoDuration>,
    /// Name of the web port of the pods; the governing Service's port points
    /// to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "web"))]
    pub port_name: Option<String>,
    /// Run in cluster mode even with a single replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_enable_cluster_mode: Option<bool>,
    /// AlertmanagerConfig objects merged into the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager_config_selector: Option<LabelSelector>,
    /// Namespaces in which AlertmanagerConfig objects are searched (only the
    /// Alertmanager's namespace when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager_config_namespace_selector: Option<LabelSelector>,
    /// How the routes of AlertmanagerConfig objects are scoped to alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager_config_matcher_strategy: Option<AlertmanagerConfigMatcherStrategy>,
    /// Minimum time a new pod must be ready without crashing to count as
    /// available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_ready_seconds: Option<i32>,
    /// Extra `/etc/hosts` entries of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["ip"]))]
    pub host_aliases: Option<Vec<HostAlias>>,
    /// Run the pods in the host's network namespace. Set `dnsPolicy` to
    /// `ClusterFirstWithHostNet` with it to keep cluster DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    /// Web server settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<AlertmanagerWebSpec>,
    /// Limits of Alertmanager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<AlertmanagerLimitsSpec>,
    /// Mutual TLS between cluster peers.
    #[serde(
        default,
        rename = "clusterTLS",
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_tls: Option<ClusterTlsConfig>,
    /// Build the configuration from an AlertmanagerConfig object rather than
    /// from `configSecret`. Experimental.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager_configuration: Option<AlertmanagerConfiguration>,
    /// Whether the service account token is mounted into the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    /// Alertmanager feature flags (`--enable-feature`). They may break
    /// Alertmanager and the operator does not vet them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_features: Option<Vec<String>>,
    /// Extra command-line arguments of the `alertmanager` container. They
    /// must not clash with the arguments set by the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_args: Option<Vec<Argument>>,
    /// Grace period of the pods, in seconds (the Kubernetes default, 30s,
    /// when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub termination_grace_period_seconds: Option<i64>,
    /// Whether the pods run in the host's user namespace (true) or in a new
    /// one (false). Needs the UserNamespacesSupport feature gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_users: Option<bool>,
}

/// How the routes of AlertmanagerConfig objects are restricted to alerts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct AlertmanagerConfigMatcherStrategy {
    /// `OnNamespace` adds a `namespace` matcher equal to the object's
    /// namespace to its routes and inhibition rules;
    /// `OnNamespaceExceptForAlertmanagerNamespace` does the same except for
    /// objects in the Alertmanager's namespace, whose routes then match alerts
    /// of every namespace; `None` adds no matcher.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "OnNamespace"))]
    pub type_: Option<AlertmanagerConfigMatcherStrategyType>,
}

/// Value of `alertmanagerConfigMatcherStrategy.type`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum AlertmanagerConfigMatcherStrategyType {
    OnNamespace,
    OnNamespaceExceptForAlertmanagerNamespace,
    None,
}

/// Limits of Alertmanager.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerLimitsSpec {
    /// Maximum number of active and pending silences
    /// (`--silences.max-silences`, Alertmanager v0.28.0 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_silences: Option<i32>,
    /// Maximum size of a single silence on disk
    /// (`--silences.max-per-silence-bytes`, Alertmanager v0.28.0 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_silence_bytes: Option<ByteSize>,
}
