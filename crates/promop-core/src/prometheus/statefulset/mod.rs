//! The StatefulSets of a Prometheus (`prometheus-<name>[-shard-<n>]`) or of
//! a PrometheusAgent in StatefulSet mode (`prom-agent-<name>[-shard-<n>]`):
//! one per shard, built as the reference builds them so that a takeover
//! changes no pod template. The pod template ([`pod`]) also serves the
//! DaemonSet of an agent in DaemonSet mode ([`daemon_set`]).
mod args;
mod containers;
pub mod daemon_set;
pub mod thanos_sidecar;
mod volumes;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, PodSpec, PodTemplateSpec, TopologySpreadConstraint, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use promop_api::v1::prometheus::{
    AdditionalLabelSelectors, CommonPrometheusFields, ReloadStrategyType, ShardingStrategyMode,
};

use super::version::{Feature, Version};
use super::workload::Workload;
use crate::desired::CONFIG_KEY;
pub use crate::k8s::StatefulSetError;
use crate::k8s::args::{self as cli, flag, switch};
use crate::k8s::container_merge;
use crate::k8s::metadata::{
    self, DEFAULT_CONTAINER_KEY, INPUT_HASH_KEY, INSTANCE_KEY, Labels, MANAGED_BY_KEY,
    MANAGED_BY_VALUE, NAME_KEY, Owner, VERSION_KEY, merged, non_empty, non_empty_vec,
    without_kubectl_annotations,
};
use crate::k8s::numbered::{Numbered, numbered};
use crate::k8s::pod::{self, string_of};
use crate::k8s::probe::{clean_path, url};
use crate::k8s::reloader::{Reload, Reloader, ReloaderConfig, Watched};
use crate::k8s::security_context;
use crate::k8s::web_config::WebConfig;
pub use containers::DEFAULT_BASE_IMAGE;

/// The data directory of Prometheus.
pub const STORAGE_DIR: &str = "/prometheus";
/// Where the web configuration file and its TLS material are mounted.
pub const WEB_CONFIG_DIR: &str = "/etc/prometheus/web_config";
/// Where the rule ConfigMaps are mounted.
pub const RULES_DIR: &str = "/etc/prometheus/rules";
const DEFAULT_RETENTION: &str = "24h";
const DEFAULT_PORT_NAME: &str = "web";
const DEFAULT_TERMINATION_GRACE_SECONDS: i64 = 600;
/// The shard of a pod, a selector label.
pub const SHARD_LABEL: &str = "operator.prometheus.io/shard";
/// The workload's name, a selector label.
pub const NAME_LABEL: &str = "operator.prometheus.io/name";
/// `server` or `agent`.
pub const MODE_LABEL: &str = "operator.prometheus.io/mode";
const TOPOLOGY_ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// The operator-wide settings that change the StatefulSets.
#[derive(Clone, Debug)]
pub struct Settings<'a> {
    pub reloader: &'a ReloaderConfig,
    pub prometheus_base_image: &'a str,
    pub thanos_base_image: &'a str,
    /// The operator's `--labels` and `--annotations`.
    pub labels: &'a Labels,
    pub annotations: &'a Labels,
    /// The operator's `--localhost`.
    pub local_host: &'a str,
    /// Feature gate `PrometheusTopologySharding`.
    pub topology_sharding: bool,
}

/// Everything one StatefulSet is built from.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    pub workload: Workload<'a>,
    pub settings: Settings<'a>,
    pub owner: &'a Owner,
    /// Names of the rule ConfigMaps (servers).
    pub rule_config_maps: &'a [String],
    /// The projected volume of the TLS assets Secrets.
    pub tls_assets_volume: &'a Volume,
    pub input_hash: &'a str,
}

pub(super) fn route_prefix(cpf: &CommonPrometheusFields) -> String {
    cpf.route_prefix
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/".to_owned())
}

pub(super) fn scheme(cpf: &CommonPrometheusFields) -> &'static str {
    match cpf.web.as_ref().and_then(|w| w.config.tls_config.as_ref()) {
        Some(_) => "https",
        None => "http",
    }
}

pub(super) fn pull_policy(cpf: &CommonPrometheusFields) -> Option<String> {
    cpf.image_pull_policy
        .as_ref()
        .map(string_of)
        .filter(|p| !p.is_empty())
}

/// `prometheus-<name>` or `prom-agent-<name>`.
pub fn prefixed_name(workload: Workload<'_>) -> String {
    let prefix = match workload {
        Workload::Prometheus(_) => "prometheus",
        Workload::Agent(_) => "prom-agent",
    };
    format!("{prefix}-{}", workload.name())
}

/// The StatefulSet's name for a shard.
pub fn shard_name(workload: Workload<'_>, shard: i32) -> String {
    match shard {
        0 => prefixed_name(workload),
        n => numbered(&Numbered::of(&prefixed_name(workload)).shards, n as usize),
    }
}

/// The labels that select a workload's pods (all shards).
pub fn selector_labels(workload: Workload<'_>) -> Labels {
    let name = workload.name().to_owned();
    let mut labels = Labels::from([
        (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (INSTANCE_KEY.to_owned(), name.clone()),
        (NAME_LABEL.to_owned(), name.clone()),
    ]);
    match workload {
        Workload::Prometheus(_) => {
            labels.insert(NAME_KEY.to_owned(), "prometheus".to_owned());
            labels.insert("prometheus".to_owned(), name);
        }
        Workload::Agent(_) => {
            labels.insert(NAME_KEY.to_owned(), "prometheus-agent".to_owned());
        }
    }
    labels
}

/// The topology zone of a shard and its position in the zone, when
/// topology sharding is on.
fn topology(cpf: &CommonPrometheusFields, enabled: bool, shard: i32) -> Option<(String, i32)> {
    let strategy = cpf.sharding_strategy.as_ref().filter(|_| enabled)?;
    if strategy.mode != Some(ShardingStrategyMode::Topology) {
        return None;
    }
    let zones = strategy.topology.as_ref()?.values.as_deref()?;
    let count = i32::try_from(zones.len()).ok().filter(|n| *n > 0)?;
    let zone = zones.get(usize::try_from(shard % count).ok()?)?;
    Some((zone.clone(), shard / count))
}

/// What controls the workload's pods: one StatefulSet per shard, or (an
/// agent in DaemonSet mode) one DaemonSet, whose pods have no data volume,
/// no shard label or zone, and a reloader that knows its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    StatefulSet { shard: i32 },
    DaemonSet,
}

impl Shape {
    fn shard(self) -> i32 {
        match self {
            Self::StatefulSet { shard } => shard,
            // The reference gives a DaemonSet's reloader SHARD=0.
            Self::DaemonSet => 0,
        }
    }
}

/// A workload's pod template and the labels that select its pods.
pub(crate) struct Pod {
    pub template: PodTemplateSpec,
    pub selector: Labels,
}

impl Pod {
    pub fn label_selector(&self) -> LabelSelector {
        LabelSelector {
            match_labels: Some(self.selector.clone()),
            ..LabelSelector::default()
        }
    }
}

/// The StatefulSet of one shard.
pub fn build(inputs: &Inputs<'_>, shard: i32) -> Result<StatefulSet, StatefulSetError> {
    let workload = inputs.workload;
    let cpf = workload.common();
    let prefixed = prefixed_name(workload);
    let pod = pod(inputs, Shape::StatefulSet { shard })?;
    let governing = match workload {
        Workload::Prometheus(_) => "prometheus-operated",
        Workload::Agent(_) => "prometheus-agent-operated",
    };
    let replicas = cpf.replicas.unwrap_or(1);
    let spec = StatefulSetSpec {
        service_name: Some(
            cpf.service_name
                .clone()
                .unwrap_or_else(|| governing.to_owned()),
        ),
        replicas: Some(if replicas < 0 { 1 } else { replicas }),
        pod_management_policy: Some(pod::pod_management_policy(
            cpf.pod_management_policy.as_ref(),
        )),
        update_strategy: Some(pod::update_strategy(cpf.update_strategy.as_ref())),
        min_ready_seconds: cpf.min_ready_seconds.filter(|s| *s != 0),
        selector: pod.label_selector(),
        volume_claim_templates: crate::k8s::volumes::claim_template(
            &volumes::default_data_volume(&prefixed),
            cpf.storage.as_ref(),
        )
        .map(|c| vec![c]),
        persistent_volume_claim_retention_policy: cpf
            .persistent_volume_claim_retention_policy
            .clone(),
        template: pod.template,
        ..StatefulSetSpec::default()
    };
    let name = shard_name(workload, shard);
    Ok(StatefulSet {
        metadata: object_metadata(inputs, name, &pod.selector, Some(inputs.input_hash)),
        spec,
        status: None,
    })
}

/// The metadata of a StatefulSet or DaemonSet: the workload's labels and
/// annotations, the mode, the pods' selector, the operator's `--labels` and
/// `--annotations`, the owner; the input hash for StatefulSets.
pub(crate) fn object_metadata(
    inputs: &Inputs<'_>,
    name: String,
    selector: &Labels,
    input_hash: Option<&str>,
) -> ObjectMeta {
    let workload = inputs.workload;
    let settings = &inputs.settings;
    let owner_meta = workload_metadata(workload);
    let mut annotations = owner_meta.annotations.clone().unwrap_or_default();
    metadata::merge(&mut annotations, settings.annotations);
    if let Some(hash) = input_hash {
        annotations.insert(INPUT_HASH_KEY.to_owned(), hash.to_owned());
    }
    let mut labels = merged(
        &metadata::managed_by(),
        owner_meta.labels.as_ref().unwrap_or(&Labels::new()),
    );
    let mode = if workload.server().is_some() {
        "server"
    } else {
        "agent"
    };
    labels.insert(MODE_LABEL.to_owned(), mode.to_owned());
    metadata::merge(&mut labels, selector);
    metadata::merge(&mut labels, settings.labels);
    ObjectMeta {
        name: Some(name),
        namespace: Some(workload.namespace().to_owned()),
        labels: Some(labels),
        annotations: non_empty(without_kubectl_annotations(annotations)),
        owner_references: Some(vec![inputs.owner.controller_ref()]),
        ..ObjectMeta::default()
    }
}

/// The pod template of a StatefulSet's shard or of a DaemonSet.
pub(crate) fn pod(inputs: &Inputs<'_>, shape: Shape) -> Result<Pod, StatefulSetError> {
    let workload = inputs.workload;
    let settings = &inputs.settings;
    let cpf = workload.common();
    let server = workload.server();
    let prefixed = prefixed_name(workload);
    let daemon_set = shape == Shape::DaemonSet;
    let shard = shape.shard();
    let version = Version::from_spec(cpf.version.as_deref())
        .map_err(|e| StatefulSetError::new("spec.version", e.to_string()))?;
    let port_name = cpf
        .port_name
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_PORT_NAME.to_owned());

    let mut flags = args::Flags::new(&version);
    args::common(&mut flags, cpf);
    match server {
        Some(spec) => args::server(&mut flags, spec),
        None => args::agent(&mut flags, cpf),
    }
    let watch_mode = settings.reloader.watches();
    // A DaemonSet's pods keep no data: no data volume to mount.
    let mut vols = volumes::common(
        &prefixed,
        cpf,
        inputs.tls_assets_volume.clone(),
        !daemon_set,
        watch_mode,
    )
    .map_err(|e| StatefulSetError::new("spec.secrets", e.to_string()))?;
    if let Some(spec) = server {
        volumes::server(&mut vols, spec, inputs.rule_config_maps, watch_mode);
    }
    let mut reloader_mounts = volumes::reloader_mounts(watch_mode);
    let mut reloader_web_config = None;
    // From 2.24 the web configuration file is always mounted, so that
    // switching TLS on or off does not redeploy; DaemonSets (which need
    // a newer Prometheus anyway) always mount it, for the reloader too.
    if daemon_set || version.supports(Feature::WebConfigFile) {
        let secret_name = format!("{prefixed}-web-config");
        let web = WebConfig {
            mount_dir: WEB_CONFIG_DIR,
            secret_name: &secret_name,
            fields: cpf.web.as_ref().map(|w| &w.config),
        };
        let (web_volumes, web_mounts) = web
            .volumes()
            .map_err(|e| StatefulSetError::new("spec.web.tlsConfig", e.to_string()))?;
        flags.push(flag("web.config.file", web.file_path()));
        vols.pod.extend(web_volumes);
        vols.prometheus.extend(web_mounts.iter().cloned());
        if daemon_set || cpf.web.is_some() {
            reloader_web_config = Some(web.file_path());
            reloader_mounts.extend(web_mounts);
        }
    }

    let mut extra_containers = Vec::new();
    if let Some(spec) = server {
        let compaction = thanos_sidecar::compaction(spec, &version)?;
        if let Some((sidecar, sidecar_volumes)) = thanos_sidecar::sidecar(
            spec,
            &prefixed,
            settings.thanos_base_image,
            settings.local_host,
            compaction,
        )? {
            extra_containers.push(sidecar);
            vols.pod.extend(sidecar_volumes);
        }
        match compaction {
            thanos_sidecar::Compaction::Disabled => {
                let duration = spec
                    .thanos
                    .as_ref()
                    .and_then(|t| t.block_size.as_ref())
                    .map(|d| d.0.clone())
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| "2h".to_owned());
                flags.push(flag("storage.tsdb.max-block-duration", duration.clone()));
                flags.push(flag("storage.tsdb.min-block-duration", duration));
            }
            thanos_sidecar::Compaction::Delayed => flags.push(flag(
                "storage.tsdb.delay-compact-file.path",
                format!("{STORAGE_DIR}/thanos.shipper.json"),
            )),
            thanos_sidecar::Compaction::Default => {}
        }
        // Out-of-order blocks must not be compacted before they are uploaded.
        let out_of_order = cpf
            .tsdb
            .as_ref()
            .is_some_and(|t| t.out_of_order_time_window.is_some());
        if out_of_order
            && compaction != thanos_sidecar::Compaction::Default
            && version.supports(Feature::NoOverlappingCompactionFlag)
        {
            flags.push(switch("no-storage.tsdb.allow-overlapping-compaction"));
        }
    }
    let watched = reloader_watched(workload, inputs.rule_config_maps);
    let mut watched_dirs = Vec::new();
    for (name, path) in &watched.config_maps {
        reloader_mounts.push(k8s_openapi::api::core::v1::VolumeMount {
            name: name.clone(),
            mount_path: path.clone(),
            ..Default::default()
        });
        // In watch mode the reloader writes these directories itself.
        if !watch_mode {
            watched_dirs.push(path.clone());
        }
    }

    let zone = match shape {
        Shape::StatefulSet { shard } => topology(cpf, settings.topology_sharding, shard),
        Shape::DaemonSet => None,
    };
    let log_level = cpf.log_level.as_ref().map(string_of);
    let log_format = cpf.log_format.as_ref().map(string_of);
    let reloader = |init: bool| {
        let mut r = Reloader::new(settings.reloader, init, settings.local_host);
        r.image_pull_policy = pull_policy(cpf);
        r.log_level = log_level.as_deref();
        r.log_format = log_format.as_deref();
        r.volume_mounts = reloader_mounts.clone();
        r.config_file = Some(format!("{}/{CONFIG_KEY}", volumes::CONFIG_DIR));
        r.config_envsubst_file = Some(format!("{}/prometheus.env.yaml", volumes::CONFIG_OUT_DIR));
        r.watched_dirs = watched_dirs.clone();
        r.watched = Some(watched.clone());
        r.shard = Some(shard);
        r.node_name_env = daemon_set;
        if let Some((zone, inzone)) = &zone {
            r.zone = Some(zone.clone());
            r.inzone_shard = Some(*inzone);
        }
        r
    };
    let init = container_merge::merge(
        vec![reloader(true).container()],
        cpf.init_containers.as_deref().unwrap_or_default(),
    )
    .map_err(|e| StatefulSetError::new("spec.initContainers", e))?;

    let prometheus_args = cli::build(
        &flags.list,
        cpf.additional_args.as_deref().unwrap_or_default(),
    )
    .map_err(|e| StatefulSetError::new("spec.additionalArgs", e.to_string()))?;
    // Newer versions read GOGC from the configuration file.
    let go_gc = server
        .and_then(|s| s.common.runtime.as_ref())
        .and_then(|r| r.go_gc)
        .filter(|_| !version.supports(Feature::Runtime));
    let env = go_gc.map(|gc| {
        vec![EnvVar {
            name: "GOGC".to_owned(),
            value: Some(gc.to_string()),
            ..EnvVar::default()
        }]
    });
    let (startup, readiness, liveness) = containers::probes(cpf, &port_name);
    let prometheus = Container {
        name: "prometheus".to_owned(),
        image: Some(containers::image(
            workload,
            &version,
            settings.prometheus_base_image,
        )?),
        image_pull_policy: pull_policy(cpf),
        ports: containers::ports(cpf, &port_name),
        args: Some(prometheus_args),
        env,
        volume_mounts: non_empty_vec(vols.prometheus),
        startup_probe: Some(startup),
        liveness_probe: Some(liveness),
        readiness_probe: Some(readiness),
        resources: cpf.resources.clone(),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        security_context: Some(security_context()),
        ..Container::default()
    };
    let mut sidecar = reloader(false);
    sidecar.web_config_file = reloader_web_config;
    let prefix = route_prefix(cpf);
    let host = format!("{}:9090", settings.local_host);
    if cpf.reload_strategy == Some(ReloadStrategyType::ProcessSignal) {
        let path = clean_path(&format!("{prefix}/api/v1/status/runtimeinfo"));
        sidecar.reload = Some(Reload::Signal {
            runtime_info_url: url(scheme(cpf), &host, &path),
        });
    } else {
        sidecar.listen_local = cpf.listen_local == Some(true);
        let path = clean_path(&format!("{prefix}/-/reload"));
        sidecar.reload = Some(Reload::Url(url(scheme(cpf), &host, &path)));
    }
    let mut generated = vec![prometheus, sidecar.container()];
    generated.extend(extra_containers);
    let containers =
        container_merge::merge(generated, cpf.containers.as_deref().unwrap_or_default())
            .map_err(|e| StatefulSetError::new("spec.containers", e))?;

    // Selector labels cannot change on an existing StatefulSet: keep them
    // exactly as the reference sets them.
    let mut selector = selector_labels(workload);
    if let Shape::StatefulSet { shard } = shape {
        selector.insert(SHARD_LABEL.to_owned(), shard.to_string());
    }
    let pod_metadata = cpf.pod_metadata.as_ref();
    let mut pod_labels = Labels::from([(VERSION_KEY.to_owned(), version.to_string())]);
    metadata::merge(
        &mut pod_labels,
        pod_metadata
            .and_then(|m| m.labels.as_ref())
            .unwrap_or(&Labels::new()),
    );
    metadata::merge(&mut pod_labels, &selector);
    let mut pod_annotations =
        Labels::from([(DEFAULT_CONTAINER_KEY.to_owned(), "prometheus".to_owned())]);
    metadata::merge(
        &mut pod_annotations,
        pod_metadata
            .and_then(|m| m.annotations.as_ref())
            .unwrap_or(&Labels::new()),
    );
    let final_selector = merged(&selector, settings.labels);
    let final_labels = merged(&pod_labels, settings.labels);

    let mut node_selector = cpf.node_selector.clone();
    if let Some((zone, _)) = &zone {
        node_selector
            .get_or_insert_with(BTreeMap::new)
            .insert(TOPOLOGY_ZONE_LABEL.to_owned(), zone.clone());
    }
    let mut pod = PodSpec {
        share_process_namespace: Some(
            cpf.reload_strategy == Some(ReloadStrategyType::ProcessSignal),
        ),
        containers,
        init_containers: non_empty_vec(init),
        security_context: cpf.security_context.clone(),
        service_account_name: cpf.service_account_name.clone().filter(|s| !s.is_empty()),
        automount_service_account_token: Some(cpf.automount_service_account_token.unwrap_or(true)),
        node_selector,
        scheduler_name: cpf.scheduler_name.clone().filter(|s| !s.is_empty()),
        priority_class_name: cpf.priority_class_name.clone().filter(|s| !s.is_empty()),
        termination_grace_period_seconds: Some(
            cpf.termination_grace_period_seconds
                .unwrap_or(DEFAULT_TERMINATION_GRACE_SECONDS),
        ),
        volumes: None,
        tolerations: cpf.tolerations.clone(),
        affinity: cpf.affinity.clone(),
        topology_spread_constraints: topology_spread(cpf, &final_selector),
        host_aliases: pod::host_aliases(cpf.host_aliases.as_ref()),
        host_network: cpf.host_network.filter(|h| *h),
        enable_service_links: cpf.enable_service_links,
        host_users: cpf.host_users,
        image_pull_secrets: cpf.image_pull_secrets.clone().filter(|s| !s.is_empty()),
        ..PodSpec::default()
    };
    pod::set_dns(
        &mut pod,
        cpf.host_network == Some(true),
        cpf.dns_policy.as_ref(),
        cpf.dns_config.as_ref(),
    );
    // The reference gives a DaemonSet's pods neither the data volume nor
    // the user's `spec.volumes`.
    if !daemon_set {
        vols.pod.extend(crate::k8s::volumes::data_volume(
            &volumes::default_data_volume(&prefixed),
            cpf.storage.as_ref(),
        ));
        vols.pod.extend(cpf.volumes.iter().flatten().cloned());
    }
    pod.volumes = non_empty_vec(vols.pod);
    Ok(Pod {
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(final_labels),
                annotations: Some(pod_annotations),
                ..ObjectMeta::default()
            }),
            spec: Some(pod),
        },
        selector: final_selector,
    })
}

/// What the reloader reads from the API server in watch mode: the config
/// Secret, and each rule ConfigMap into the directory where the reference
/// mounts it.
pub fn reloader_watched(workload: Workload<'_>, rule_config_maps: &[String]) -> Watched {
    Watched {
        namespace: workload.namespace().to_owned(),
        secret: prefixed_name(workload),
        key: CONFIG_KEY.to_owned(),
        config_maps: rule_config_maps
            .iter()
            .map(|name| (name.clone(), format!("{RULES_DIR}/{name}")))
            .collect(),
    }
}

/// The metadata of the workload object.
pub(crate) fn workload_metadata(workload: Workload<'_>) -> &ObjectMeta {
    match workload {
        Workload::Prometheus(p) => &p.metadata,
        Workload::Agent(a) => &a.metadata,
    }
}

/// The user's constraints; those with `additionalLabelSelectors` also
/// select the workload's pods (`OnResource`: all shards, `OnShard`: this one).
fn topology_spread(
    cpf: &CommonPrometheusFields,
    selector: &Labels,
) -> Option<Vec<TopologySpreadConstraint>> {
    let constraints = cpf.topology_spread_constraints.as_ref()?;
    let out = constraints
        .iter()
        .map(|tsc| {
            let mut core = tsc.constraint.clone();
            if let Some(additional) = tsc.additional_label_selectors {
                let labels = core
                    .label_selector
                    .get_or_insert_with(LabelSelector::default)
                    .match_labels
                    .get_or_insert_with(BTreeMap::new);
                for (k, v) in selector {
                    if additional == AdditionalLabelSelectors::OnResource && k == SHARD_LABEL {
                        continue;
                    }
                    labels.insert(k.clone(), v.clone());
                }
            }
            core
        })
        .collect();
    Some(out)
}
