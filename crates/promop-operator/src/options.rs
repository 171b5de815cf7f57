//! The operator's runtime options: what `promop run` parses from its flags
//! and the controllers read. Flag names, value syntax and defaults are the
//! reference's (Prometheus Operator v0.94.1, `cmd/operator/main.go`,
//! `pkg/operator/config.go`, `pkg/server`) so that its Deployment arguments
//! work unchanged; leader election follows client-go's component flags.
//!
//! Values are checked while parsing (selectors, quantities, `key=value`
//! pairs, durations), so a bad flag stops `promop run` at once, with exit
//! code 2 and a message naming the flag, as the reference's `flag` package does.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use clap::{ArgAction, Parser, ValueEnum};
use promop_core::desired::OperatorOptions;
use promop_core::k8s::reloader::{PROMOP_IMAGE, ReloaderConfig, ReloaderMode};
use promop_core::select::ScrapeScope;
use promop_core::select::file_access::MonitorFileAccess;
use promop_core::select::label_selector::Selector;
use promop_core::select::namespaces::WatchedNamespaces;
use regex::Regex;

use crate::refused::FEATURE_GATES;
pub use crate::refused::ReferenceOnly;

/// The config-reloader image of the reference's release.
pub const DEFAULT_CONFIG_RELOADER_IMAGE: &str =
    "quay.io/prometheus-operator/prometheus-config-reloader:v0.94.1";

/// The Secrets not watched by default: Helm's release Secrets.
pub const DEFAULT_SECRET_FIELD_SELECTOR: &str = "type!=helm.sh/release.v1";

#[derive(Clone, Debug, clap::Args)]
pub struct Options {
    #[command(flatten)]
    pub namespaces: Namespaces,
    #[command(flatten)]
    pub selectors: Selectors,
    #[command(flatten)]
    pub tenancy: Tenancy,
    #[command(flatten)]
    pub objects: WrittenObjects,
    #[command(flatten)]
    pub reloader: ConfigReloader,
    #[command(flatten)]
    pub kubelet: Kubelet,
    #[command(flatten)]
    pub web: Web,
    #[command(flatten)]
    pub webhook: Webhook,
    #[command(flatten)]
    pub leader_election: LeaderElection,
    #[command(flatten)]
    pub reference_only: ReferenceOnly,
}

/// Which namespaces the operator watches and writes to. An empty list means
/// "not set"; the per-kind lists fall back to `--namespaces`. With an allow
/// list, each kind is watched per namespace (Roles in those namespaces
/// suffice: see `stores::scope`); a deny list keeps cluster-wide watches.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Namespaces")]
pub struct Namespaces {
    /// Namespaces to scope the interaction of the operator and the apiserver
    /// (allow list). Comma-separated, repeatable. Mutually exclusive with
    /// --deny-namespaces. Each is watched on its own (no cluster-wide list),
    /// so Roles in these namespaces are all the RBAC needed; Namespace
    /// labels are then read with a GET per namespace every 15s unless
    /// Namespaces may be listed.
    #[arg(long = "namespaces", value_name = "NS,...", value_delimiter = ',', action = ArgAction::Append, conflicts_with = "deny")]
    pub allow: Vec<String>,
    /// Namespaces not to scope the interaction of the operator (deny list).
    /// Mutually exclusive with --namespaces. Watches stay cluster-wide.
    #[arg(long = "deny-namespaces", value_name = "NS,...", value_delimiter = ',', action = ArgAction::Append)]
    pub deny: Vec<String>,
    /// Namespaces where Prometheus and PrometheusAgent resources and their
    /// Secrets, ConfigMaps and StatefulSets are watched/created; takes
    /// precedence over --namespaces/--deny-namespaces for those resources.
    #[arg(long = "prometheus-instance-namespaces", value_name = "NS,...", value_delimiter = ',', action = ArgAction::Append)]
    pub prometheus_instances: Vec<String>,
    /// Namespaces where Alertmanager resources and their StatefulSets are
    /// watched/created; takes precedence over --namespaces/--deny-namespaces.
    #[arg(long = "alertmanager-instance-namespaces", value_name = "NS,...", value_delimiter = ',', action = ArgAction::Append)]
    pub alertmanager_instances: Vec<String>,
    /// Namespaces where AlertmanagerConfig resources are watched; takes
    /// precedence over --namespaces/--deny-namespaces.
    #[arg(long = "alertmanager-config-namespaces", value_name = "NS,...", value_delimiter = ',', action = ArgAction::Append)]
    pub alertmanager_configs: Vec<String>,
    /// Namespaces where ThanosRuler resources (and their StatefulSets and
    /// rule ConfigMaps) are watched (default: --namespaces, less
    /// --deny-namespaces).
    #[arg(long = "thanos-ruler-instance-namespaces", value_name = "NS,...", value_delimiter = ',', action = ArgAction::Append)]
    pub thanos_ruler_instances: Vec<String>,
    /// Watch ConfigMaps and Secrets in the namespaces of both workload and
    /// configuration resources (default: workload namespaces for Prometheus
    /// and PrometheusAgent, configuration namespaces for Alertmanager).
    /// promop behaves as with `true` either way: it watches Secret and
    /// ConfigMap metadata in every namespace it watches anything in (and
    /// reads a referenced Secret's data by GET), so `false` watches more
    /// than the reference's `false` but never misses a change.
    #[arg(long = "watch-referenced-objects-in-all-namespaces", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = ArgAction::Set)]
    pub watch_referenced_objects_in_all_namespaces: bool,
}

impl Namespaces {
    /// Where config resources (monitors, rules, …) are watched.
    pub fn watched(&self) -> WatchedNamespaces {
        WatchedNamespaces {
            allow: self.allow.iter().cloned().collect(),
            deny: self.deny.iter().cloned().collect(),
        }
    }

    /// Where Prometheus and PrometheusAgent resources are watched.
    pub fn prometheus_instances(&self) -> WatchedNamespaces {
        self.instances(&self.prometheus_instances)
    }

    /// Where Alertmanager resources are watched.
    pub fn alertmanager_instances(&self) -> WatchedNamespaces {
        self.instances(&self.alertmanager_instances)
    }

    /// Where ThanosRuler resources are watched.
    pub fn thanos_ruler_instances(&self) -> WatchedNamespaces {
        self.instances(&self.thanos_ruler_instances)
    }

    /// Where AlertmanagerConfig resources are watched.
    pub fn alertmanager_configs(&self) -> WatchedNamespaces {
        self.instances(&self.alertmanager_configs)
    }

    /// A per-kind allow list replaces both general lists when it is set.
    fn instances(&self, specific: &[String]) -> WatchedNamespaces {
        if specific.is_empty() {
            self.watched()
        } else {
            WatchedNamespaces::only(specific.iter().cloned())
        }
    }
}

/// What objects in tenants' namespaces may make Prometheus do (promop's
/// own flags, stricter than the reference by default).
#[derive(Clone, Copy, Debug, clap::Args)]
#[command(next_help_heading = "Tenancy")]
pub struct Tenancy {
    /// Which ServiceMonitors may make Prometheus read files of its own
    /// container (bearerTokenFile, tlsConfig caFile/certFile/keyFile), such
    /// as its service-account token, sent to the endpoints they name:
    /// `own-namespace` (monitors in the namespace of the Prometheus, where
    /// kube-prometheus' kubelet and API server monitors live), `all` (the
    /// reference's behaviour) or `none`. A monitor denied is rejected with
    /// an Event naming the field. `spec.arbitraryFSAccessThroughSMs.deny`
    /// still denies every monitor of that Prometheus.
    #[arg(
        long = "monitor-file-access",
        value_name = "all|own-namespace|none",
        default_value = "own-namespace",
        value_parser = str::parse::<MonitorFileAccess>
    )]
    pub monitor_file_access: MonitorFileAccess,
}

impl Tenancy {
    /// What a Prometheus selects with these flags, in `namespaces`.
    pub fn scrape_scope(&self, namespaces: WatchedNamespaces) -> ScrapeScope {
        ScrapeScope {
            namespaces,
            monitor_file_access: self.monitor_file_access,
        }
    }
}

/// Filters of the watched objects.
#[derive(Clone, Debug, Default, clap::Args)]
#[command(next_help_heading = "Watched objects")]
pub struct Selectors {
    /// Reconcile only the Prometheus, PrometheusAgent, Alertmanager and
    /// ThanosRuler objects whose `operator.prometheus.io/controller-id`
    /// annotation has this value (empty: objects without the annotation or
    /// with an empty value).
    #[arg(long = "controller-id", value_name = "ID", default_value = "")]
    pub controller_id: String,
    /// Label selector to filter Prometheus and PrometheusAgent resources.
    #[arg(long = "prometheus-instance-selector", value_name = "SELECTOR", value_parser = label_selector)]
    pub prometheus_instance_labels: Option<String>,
    /// Label selector to filter Alertmanager resources.
    #[arg(long = "alertmanager-instance-selector", value_name = "SELECTOR", value_parser = label_selector)]
    pub alertmanager_instance_labels: Option<String>,
    /// Label selector of the ThanosRuler resources to reconcile.
    #[arg(long = "thanos-ruler-instance-selector", value_name = "SELECTOR", value_parser = label_selector)]
    pub thanos_ruler_instance_labels: Option<String>,
    /// Field selector to filter the Secrets to watch. The default leaves
    /// out Helm's release Secrets (a whole chart and its values each,
    /// possibly with credentials); `--secret-field-selector=` watches every
    /// Secret, as the reference does by default. A Secret left out cannot
    /// be referenced by a monitoring object.
    #[arg(
        long = "secret-field-selector",
        value_name = "SELECTOR",
        value_parser = field_selector,
        default_value = DEFAULT_SECRET_FIELD_SELECTOR
    )]
    pub secret_fields: Option<String>,
    /// Label selector to filter the Secrets to watch.
    #[arg(long = "secret-label-selector", value_name = "SELECTOR", value_parser = label_selector)]
    pub secret_labels: Option<String>,
    /// Field selector to filter the ConfigMaps to watch.
    #[arg(long = "configmap-field-selector", value_name = "SELECTOR", value_parser = field_selector)]
    pub configmap_fields: Option<String>,
    /// Label selector to filter the ConfigMaps to watch.
    #[arg(long = "configmap-label-selector", value_name = "SELECTOR", value_parser = label_selector)]
    pub configmap_labels: Option<String>,
}

/// What the operator writes into the objects it generates.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Generated objects")]
pub struct WrittenObjects {
    /// Labels added to all resources created by the operator
    /// (`key=value,...`, repeatable).
    #[arg(long = "labels", value_name = "KEY=VALUE,...", value_delimiter = ',', action = ArgAction::Append, value_parser = key_value)]
    pub labels: Vec<(String, String)>,
    /// Annotations added to all resources created by the operator
    /// (`key=value,...`, repeatable).
    #[arg(long = "annotations", value_name = "KEY=VALUE,...", value_delimiter = ',', action = ArgAction::Append, value_parser = key_value)]
    pub annotations: Vec<(String, String)>,
    /// The domain of the cluster, used to generate service FQDNs (empty: DNS
    /// search domain expansion).
    #[arg(long = "cluster-domain", value_name = "DOMAIN", default_value = "")]
    pub cluster_domain: String,
    /// Host used to communicate between local services on a pod.
    #[arg(long = "localhost", value_name = "HOST", default_value = "localhost")]
    pub localhost: String,
    /// Prometheus default base image (without tag).
    #[arg(
        long = "prometheus-default-base-image",
        value_name = "IMAGE",
        default_value = "quay.io/prometheus/prometheus"
    )]
    pub prometheus_base_image: String,
    /// Alertmanager default base image (without tag).
    #[arg(
        long = "alertmanager-default-base-image",
        value_name = "IMAGE",
        default_value = "quay.io/prometheus/alertmanager"
    )]
    pub alertmanager_base_image: String,
    /// Thanos default base image (without tag).
    #[arg(
        long = "thanos-default-base-image",
        value_name = "IMAGE",
        default_value = "quay.io/thanos/thanos"
    )]
    pub thanos_base_image: String,
    /// Policy when a StatefulSet rollout is stuck: only `none` (the
    /// reference's default) is implemented; `evict` and `delete` are refused.
    #[arg(
        long = "repair-policy-for-statefulsets",
        value_name = "POLICY",
        value_enum,
        default_value = "none"
    )]
    pub repair_policy: RepairPolicy,
    /// Disable the unmanaged configuration of a Prometheus whose resource
    /// selectors are all unset.
    #[arg(long = "disable-unmanaged-prometheus-configuration", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = ArgAction::Set)]
    pub disable_unmanaged_prometheus_configuration: bool,
    /// Feature gates (`Name=true|false,...`): PrometheusTopologySharding
    /// (default true: zone-aware sharding in the StatefulSets and the
    /// configuration), PrometheusShardRetentionPolicy (true: honour
    /// spec.shardRetentionPolicy; false: delete the StatefulSets of removed
    /// shards), PrometheusAgentDaemonSet (default false: a PrometheusAgent
    /// with mode DaemonSet fails to reconcile; true: it runs as a DaemonSet),
    /// StatusForConfigurationResources (default false: true writes
    /// `status.bindings` of the ServiceMonitors, PodMonitors, Probes,
    /// ScrapeConfigs and PrometheusRules a Prometheus selects, Accepted or
    /// not and why, and adds the finalizer
    /// `monitoring.coreos.com/status-cleanup` to Prometheus and
    /// PrometheusAgent objects) and RemoteWriteCustomResourceDefinition (no
    /// effect, as in the reference).
    #[arg(long = "feature-gates", value_name = "NAME=BOOL,...", value_delimiter = ',', action = ArgAction::Append, value_parser = feature_gate)]
    pub feature_gates: Vec<(String, bool)>,
}

impl WrittenObjects {
    /// `--labels` as a map; a key given twice keeps its last value.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.labels.iter().cloned().collect()
    }

    /// `--annotations` as a map; a key given twice keeps its last value.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        self.annotations.iter().cloned().collect()
    }

    /// Whether a feature gate is on (the reference's defaults unless set).
    pub fn feature_enabled(&self, name: &str) -> bool {
        self.feature_gates
            .iter()
            .rev()
            .find(|(gate, _)| gate == name)
            .map(|(_, on)| *on)
            .unwrap_or_else(|| {
                FEATURE_GATES
                    .iter()
                    .any(|gate| gate.name == name && gate.default)
            })
    }
}

impl Options {
    /// The options of `promop run ARGS` (tests, and tools that start the
    /// controllers with the reference's flags).
    pub fn from_args(args: &[&str]) -> Result<Self, clap::Error> {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            options: Options,
        }
        let args = std::iter::once("promop").chain(args.iter().copied());
        <Flags as clap::Parser>::try_parse_from(args).map(|f| f.options)
    }

    /// What every Prometheus and PrometheusAgent selects from.
    pub fn scrape_scope(&self) -> ScrapeScope {
        self.tenancy.scrape_scope(self.namespaces.watched())
    }

    /// What the flags of `promop run` change in the written objects.
    pub fn operator_options(&self) -> OperatorOptions {
        self.objects.operator_options(&self.reloader)
    }
}

impl WrittenObjects {
    /// What these flags and the config reloader's change in the written
    /// objects (`promop render --objects` takes the same flags).
    pub fn operator_options(&self, reloader: &ConfigReloader) -> OperatorOptions {
        // The reference's "0" means "no request/limit".
        let quantity = |q: &str| (q != "0").then(|| q.to_owned());
        OperatorOptions {
            reloader: ReloaderConfig {
                image: reloader.image.clone(),
                cpu_request: quantity(&reloader.cpu_request),
                cpu_limit: quantity(&reloader.cpu_limit),
                memory_request: quantity(&reloader.memory_request),
                memory_limit: quantity(&reloader.memory_limit),
                enable_probes: reloader.enable_probes,
                mode: reloader.mode(),
            },
            prometheus_base_image: self.prometheus_base_image.clone(),
            alertmanager_base_image: self.alertmanager_base_image.clone(),
            thanos_base_image: self.thanos_base_image.clone(),
            labels: self.labels(),
            annotations: self.annotations(),
            local_host: self.localhost.clone(),
            cluster_domain: self.cluster_domain.clone(),
            topology_sharding: self.feature_enabled("PrometheusTopologySharding"),
            shard_retention_policy: self.feature_enabled("PrometheusShardRetentionPolicy"),
            unmanaged_configuration: !self.disable_unmanaged_prometheus_configuration,
            agent_daemon_set: self.feature_enabled("PrometheusAgentDaemonSet"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RepairPolicy {
    None,
    Evict,
    Delete,
}

/// The config-reloader sidecar. A resource of "0" is not set at all.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Config reloader")]
pub struct ConfigReloader {
    /// Prometheus config reloader image.
    #[arg(long = "prometheus-config-reloader", value_name = "IMAGE", default_value = DEFAULT_CONFIG_RELOADER_IMAGE)]
    pub image: String,
    /// Config reloader CPU request ("0": none).
    #[arg(long = "config-reloader-cpu-request", value_name = "QUANTITY", default_value = "10m", value_parser = quantity)]
    pub cpu_request: String,
    /// Config reloader CPU limit ("0": none).
    #[arg(long = "config-reloader-cpu-limit", value_name = "QUANTITY", default_value = "10m", value_parser = quantity)]
    pub cpu_limit: String,
    /// Config reloader memory request ("0": none).
    #[arg(long = "config-reloader-memory-request", value_name = "QUANTITY", default_value = "50Mi", value_parser = quantity)]
    pub memory_request: String,
    /// Config reloader memory limit ("0": none).
    #[arg(long = "config-reloader-memory-limit", value_name = "QUANTITY", default_value = "50Mi", value_parser = quantity)]
    pub memory_limit: String,
    /// Enable liveness, readiness and startup probes on the config-reloader.
    #[arg(long = "enable-config-reloader-probes", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = ArgAction::Set)]
    pub enable_probes: bool,
    /// Which reloader the pods run: `reference` (the reference's image and
    /// objects: a takeover rolls no pod; configuration changes wait for the
    /// kubelet's volume sync, about a minute) or `promop-watch` (`promop
    /// config-reloader` of --config-reloader-image reads the config Secret
    /// and rule ConfigMaps from the API server and reloads within seconds;
    /// each Prometheus, PrometheusAgent and Alertmanager gets a Role
    /// `<prefix>-<name>-config-reloader` allowing its ServiceAccount to read
    /// those objects by name, so promop needs to write Roles and RoleBindings).
    #[arg(
        long = "config-reloader",
        value_name = "MODE",
        value_enum,
        default_value = "reference"
    )]
    pub mode: ReloaderModeFlag,
    /// The image with the promop binary, run as the reloader in
    /// `--config-reloader=promop-watch` mode.
    #[arg(long = "config-reloader-image", value_name = "IMAGE", default_value = PROMOP_IMAGE)]
    pub promop_image: String,
}

/// `--config-reloader`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReloaderModeFlag {
    Reference,
    PromopWatch,
}

impl ConfigReloader {
    /// Whether the pods' reloader reads from the API server.
    pub fn watches(&self) -> bool {
        self.mode == ReloaderModeFlag::PromopWatch
    }

    /// The reloader the pods run, as the core builds it.
    pub fn mode(&self) -> ReloaderMode {
        match self.mode {
            ReloaderModeFlag::Reference => ReloaderMode::Reference,
            ReloaderModeFlag::PromopWatch => ReloaderMode::PromopWatch {
                image: self.promop_image.clone(),
            },
        }
    }
}

/// The kubelet endpoints controller (off unless --kubelet-service is set).
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Kubelet endpoints")]
pub struct Kubelet {
    /// Service/Endpoints object to write kubelets into, as `namespace/name`
    /// (unset: the kubelet controller is off).
    #[arg(long = "kubelet-service", value_name = "NAMESPACE/NAME", value_parser = namespaced_name)]
    pub service: Option<(String, String)>,
    /// Label selector to filter nodes.
    #[arg(long = "kubelet-selector", value_name = "SELECTOR", value_parser = label_selector)]
    pub selector: Option<String>,
    /// Node address used for kubelets.
    #[arg(
        long = "kubelet-node-address-priority",
        value_name = "PRIORITY",
        value_enum,
        default_value = "internal"
    )]
    pub node_address_priority: NodeAddressPriority,
    /// Create Endpoints objects for kubelet targets.
    #[arg(long = "kubelet-endpoints", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", action = ArgAction::Set)]
    pub endpoints: bool,
    /// Create EndpointSlice objects for kubelet targets.
    #[arg(long = "kubelet-endpointslice", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = ArgAction::Set)]
    pub endpoint_slice: bool,
    /// How often the kubelet Endpoints/EndpointSlice objects are reconciled.
    #[arg(long = "kubelet-sync-period", value_name = "DURATION", default_value = "3m", value_parser = go_duration)]
    pub sync_period: Duration,
    /// Include the HTTP metrics port (10255) in the kubelet Service.
    #[arg(long = "kubelet-http-metrics", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", action = ArgAction::Set)]
    pub http_metrics: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NodeAddressPriority {
    Internal,
    External,
}

impl NodeAddressPriority {
    /// The flag's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::External => "external",
        }
    }
}

/// The HTTP server of /metrics, /healthz and /readyz.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Web server")]
pub struct Web {
    /// Address on which to expose metrics and health probes (`:8080` is
    /// every interface).
    #[arg(long = "web.listen-address", value_name = "[HOST]:PORT", default_value = ":8080", value_parser = listen_address)]
    pub listen_address: SocketAddr,
    /// Enable TLS for the web server (needs --web.cert-file and --web.key-file).
    #[arg(long = "web.enable-tls", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = ArgAction::Set)]
    pub enable_tls: bool,
    /// Certificate file (PEM) of the web server.
    #[arg(
        long = "web.cert-file",
        value_name = "FILE",
        default_value = "/etc/tls/private/tls.crt"
    )]
    pub cert_file: PathBuf,
    /// Private key file (PEM) matching --web.cert-file.
    #[arg(
        long = "web.key-file",
        value_name = "FILE",
        default_value = "/etc/tls/private/tls.key"
    )]
    pub key_file: PathBuf,
    /// Client CA certificate file: when it exists, clients must present a
    /// certificate it signed.
    #[arg(
        long = "web.client-ca-file",
        value_name = "FILE",
        default_value = "/etc/tls/private/tls-ca.crt"
    )]
    pub client_ca_file: PathBuf,
    /// How often, at most, the certificate files are checked for changes:
    /// a rotated certificate is served without a restart. The reference's
    /// default is 1m.
    #[arg(long = "web.tls-reload-interval", value_name = "DURATION", default_value = "1s", value_parser = go_duration)]
    pub tls_reload_interval: Duration,
    /// Minimum TLS version.
    #[arg(
        long = "web.tls-min-version",
        value_name = "VERSION",
        value_enum,
        default_value = "VersionTLS13"
    )]
    pub tls_min_version: TlsVersion,
    /// Refused when true: the web server speaks HTTP/1.1 only, the
    /// reference's default (`false`).
    #[arg(long = "web.enable-http2", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = ArgAction::Set)]
    pub enable_http2: bool,
}

/// The webhook server: a listener of its own for what the API server calls
/// (the AlertmanagerConfig conversion, the admission reviews), always
/// over TLS, so that the metrics listener can stay plain HTTP. Off by
/// default: TLS needs certificate files a bare `promop run` does not have.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Webhook server")]
pub struct Webhook {
    /// Address of the webhook listener (`:8443` is every interface, the
    /// chart's choice). It serves `/convert`, the admission reviews
    /// (`/admission-prometheusrules/validate|mutate`,
    /// `/admission-alertmanagerconfigs/validate`) and `/healthz` over TLS
    /// only, and not `/metrics`. Needs --webhook.cert-file and --webhook.key-file.
    /// Unset: no webhook listener (the webhooks stay served on
    /// --web.listen-address as well, either way).
    #[arg(id = "webhook_listen_address", long = "webhook.listen-address", value_name = "[HOST]:PORT", value_parser = listen_address, requires_all = ["webhook_cert_file", "webhook_key_file"])]
    pub listen_address: Option<SocketAddr>,
    /// Certificate file (PEM, the chain) of the webhook listener; re-read
    /// when it changes, so a rotated certificate needs no restart.
    #[arg(
        id = "webhook_cert_file",
        long = "webhook.cert-file",
        value_name = "FILE",
        requires = "webhook_listen_address"
    )]
    pub cert_file: Option<PathBuf>,
    /// Private key file (PEM) matching --webhook.cert-file.
    #[arg(
        id = "webhook_key_file",
        long = "webhook.key-file",
        value_name = "FILE",
        requires = "webhook_listen_address"
    )]
    pub key_file: Option<PathBuf>,
    /// Minimum TLS version of the webhook listener.
    #[arg(
        id = "webhook_tls_min_version",
        long = "webhook.tls-min-version",
        value_name = "VERSION",
        value_enum,
        default_value = "VersionTLS13"
    )]
    pub tls_min_version: TlsVersion,
    /// PromQL parser options of the PrometheusRule admission webhook,
    /// comma-separated: experimental-functions, binop-fill-modifiers,
    /// duration-expression-parsing, extended-range-selectors (the last two
    /// are accepted and have no effect: promop's parser has neither).
    #[arg(long = "promql-options", value_name = "OPTIONS", default_value = "", hide_default_value = true, value_parser = crate::admission::parse_promql_options)]
    pub promql_options: promop_core::prometheus::rules::promql::Features,
    /// Metric and label names the PrometheusRule admission webhook accepts:
    /// `legacy` ([a-zA-Z_:][a-zA-Z0-9_:]*) or `utf8`.
    #[arg(long = "name-validation-scheme", value_name = "SCHEME", default_value = "legacy", value_parser = crate::admission::parse_name_validation_scheme)]
    pub name_validation_scheme: promop_core::admission::NameValidationScheme,
}

impl Webhook {
    /// What the admission webhooks check with.
    pub fn admission(&self) -> promop_core::admission::Options {
        promop_core::admission::Options {
            name_validation: self.name_validation_scheme,
            promql: self.promql_options,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TlsVersion {
    #[value(name = "VersionTLS12")]
    Tls12,
    #[value(name = "VersionTLS13")]
    Tls13,
}

/// Leader election on a `coordination.k8s.io/v1` Lease; the durations are
/// client-go's defaults.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Leader election")]
pub struct LeaderElection {
    /// Run the controllers only while holding the Lease, so that several
    /// replicas can run with one active.
    #[arg(long = "leader-elect", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = ArgAction::Set)]
    pub enabled: bool,
    /// Namespace of the Lease (default: the pod's namespace, else `default`).
    #[arg(long = "leader-election-namespace", value_name = "NS")]
    pub namespace: Option<String>,
    /// Name of the Lease.
    #[arg(
        long = "leader-election-id",
        value_name = "NAME",
        default_value = "promop"
    )]
    pub id: String,
    /// How long a Lease is valid after its last renewal; other replicas wait
    /// this long before taking over from a leader that stopped renewing.
    #[arg(long = "leader-elect-lease-duration", value_name = "DURATION", default_value = "15s", value_parser = go_duration)]
    pub lease_duration: Duration,
    /// How long the leader keeps retrying a failed renewal before it gives
    /// up leadership (and exits).
    #[arg(long = "leader-elect-renew-deadline", value_name = "DURATION", default_value = "10s", value_parser = go_duration)]
    pub renew_deadline: Duration,
    /// Interval between attempts to acquire or renew the Lease.
    #[arg(long = "leader-elect-retry-period", value_name = "DURATION", default_value = "2s", value_parser = go_duration)]
    pub retry_period: Duration,
}

/// The options of a `promop run` without flags.
impl Default for Options {
    fn default() -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            options: Options,
        }
        Defaults::parse_from(["promop"]).options
    }
}

impl Options {
    /// Checks between flags that clap cannot express.
    pub fn validate(&self) -> Result<(), String> {
        let le = &self.leader_election;
        if le.enabled {
            crate::leader::check_durations([
                ("--leader-elect-lease-duration", le.lease_duration),
                ("--leader-elect-renew-deadline", le.renew_deadline),
                ("--leader-elect-retry-period", le.retry_period),
            ])?;
        }
        crate::refused::check(self)
    }
}

// Value parsers: each accepts what the reference's flag type accepts.

/// Kubernetes label selector syntax (`labels.Parse`), kept as given.
fn label_selector(text: &str) -> Result<String, String> {
    Selector::parse(text)
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

/// Kubernetes field selector syntax (`fields.ParseSelector`): `k=v`, `k==v`,
/// `k!=v`, comma-separated.
fn field_selector(text: &str) -> Result<String, String> {
    static TERM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[^=!,]+(?:==?|!=)[^,]*$").expect("static regex"));
    for term in text.split(',').filter(|t| !t.is_empty()) {
        if !TERM.is_match(term) {
            return Err(format!("invalid field selector term {term:?}"));
        }
    }
    Ok(text.to_owned())
}

/// A Kubernetes resource quantity (`resource.ParseQuantity`), kept as given.
fn quantity(text: &str) -> Result<String, String> {
    static QUANTITY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$",
        )
        .expect("static regex")
    });
    if QUANTITY.is_match(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text:?}"
        ))
    }
}

fn key_value(pair: &str) -> Result<(String, String), String> {
    match pair.split_once('=') {
        Some((key, value)) => Ok((key.to_owned(), value.to_owned())),
        None => Err(format!("invalid key=value pair: {pair:?}")),
    }
}

fn feature_gate(pair: &str) -> Result<(String, bool), String> {
    let (name, value) = key_value(pair)?;
    if !FEATURE_GATES.iter().any(|gate| gate.name == name) {
        let known: Vec<&str> = FEATURE_GATES.iter().map(|gate| gate.name).collect();
        return Err(format!(
            "unknown feature gate {name:?} (known: {})",
            known.join(", ")
        ));
    }
    let on = value
        .parse()
        .map_err(|_| format!("invalid value of {name}: {value:?} (true or false)"))?;
    Ok((name, on))
}

pub fn namespaced_name(text: &str) -> Result<(String, String), String> {
    match text.split_once('/') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok((ns.to_owned(), name.to_owned()))
        }
        _ => Err(format!("expected namespace/name, got {text:?}")),
    }
}

/// Go's `host:port` listen address; an empty host is every interface.
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("missing port in address {text:?}"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("invalid port in address {text:?}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match host {
        "" => std::net::Ipv6Addr::UNSPECIFIED.into(),
        "localhost" => std::net::Ipv4Addr::LOCALHOST.into(),
        _ => host.parse().map_err(|_| {
            format!("invalid IP address in {text:?} (a host name is not supported)")
        })?,
    };
    Ok(SocketAddr::new(ip, port))
}

/// Go's `time.ParseDuration` (`300ms`, `1.5h`, `2h45m`).
pub fn go_duration(text: &str) -> Result<Duration, String> {
    static PART: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"([0-9]*\.?[0-9]+|[0-9]+\.)(ns|us|µs|ms|s|m|h)").expect("static regex")
    });
    let invalid = || format!("invalid duration {text:?}");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut seconds = 0f64;
    let mut end = 0;
    for part in PART.captures_iter(text) {
        let whole = part.get(0).ok_or_else(invalid)?;
        if whole.start() != end {
            return Err(invalid());
        }
        end = whole.end();
        let n: f64 = part[1].parse().map_err(|_| invalid())?;
        let unit = match &part[2] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            _ => 3600.0,
        };
        seconds += n * unit;
    }
    if end == 0 || end != text.len() {
        return Err(invalid());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| invalid())
}

#[cfg(test)]
mod tests;
