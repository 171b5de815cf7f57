//! The StatefulSet `alertmanager-<name>` of an Alertmanager, built as the
//! reference builds it so that a takeover changes no pod template: the
//! alertmanager container with its cluster flags, the config-reloader
//! sidecar and init container, the volumes of the configuration, TLS
//! assets, web and cluster TLS configuration, and the user's pod settings.
mod args;
pub mod cluster_tls;
mod containers;
mod volumes;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use promop_api::v1::Alertmanager;
use promop_api::v1::alertmanager::{AlertmanagerSpec, AlertmanagerWebSpec};
use promop_api::v1::workload::WebConfigFileFields;

use super::version::{Feature, Version};
use crate::desired::OperatorOptions;
pub use crate::k8s::StatefulSetError;
use crate::k8s::metadata::{
    self, DEFAULT_CONTAINER_KEY, INPUT_HASH_KEY, INSTANCE_KEY, Labels, MANAGED_BY_KEY,
    MANAGED_BY_VALUE, NAME_KEY, Owner, VERSION_KEY, merged, non_empty, non_empty_vec,
    without_kubectl_annotations,
};
use crate::k8s::reloader::Watched;
use crate::k8s::{container_merge, pod};

/// The reference's default image repository of Alertmanager.
pub const DEFAULT_BASE_IMAGE: &str = "quay.io/prometheus/alertmanager";
/// The governing Service, unless the Alertmanager names its own.
pub const GOVERNING_SERVICE: &str = "alertmanager-operated";
/// Where the web configuration file and its TLS material are mounted.
pub const WEB_CONFIG_DIR: &str = "/etc/alertmanager/web_config";
/// `app.kubernetes.io/name` of the pods.
pub const APP_NAME: &str = "alertmanager";
const DEFAULT_PORT_NAME: &str = "web";
const DEFAULT_TERMINATION_GRACE_SECONDS: i64 = 120;
pub const WEB_PORT: i32 = 9093;
pub const MESH_PORT: i32 = 9094;

/// `alertmanager-<name>`.
pub fn prefixed_name(name: &str) -> String {
    format!("alertmanager-{name}")
}

/// The key of the gzipped configuration in the generated Secret.
pub const CONFIG_KEY: &str = "alertmanager.yaml.gz";

/// `alertmanager-<name>-generated`: the configuration and the templates.
pub fn generated_secret_name(name: &str) -> String {
    format!("{}-generated", prefixed_name(name))
}

/// What the reloader reads from the API server in watch mode: the
/// generated Secret's configuration. The templates (its other keys) stay a
/// volume that Alertmanager reads and the reloader watches.
pub fn reloader_watched(namespace: &str, name: &str) -> Watched {
    Watched {
        namespace: namespace.to_owned(),
        secret: generated_secret_name(name),
        key: CONFIG_KEY.to_owned(),
        config_maps: Vec::new(),
    }
}

/// The labels that select the pods of an Alertmanager.
pub fn selector_labels(name: &str) -> Labels {
    Labels::from([
        (NAME_KEY.to_owned(), APP_NAME.to_owned()),
        (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (INSTANCE_KEY.to_owned(), name.to_owned()),
        ("alertmanager".to_owned(), name.to_owned()),
    ])
}

/// The web port's name (`web` by default).
pub fn port_name(spec: &AlertmanagerSpec) -> &str {
    spec.port_name
        .as_deref()
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_PORT_NAME)
}

/// The web configuration file's fields of `spec.web`.
pub fn web_fields(web: &AlertmanagerWebSpec) -> WebConfigFileFields {
    WebConfigFileFields {
        tls_config: web.tls_config.clone(),
        http_config: web.http_config.clone(),
    }
}

/// What every part of the StatefulSet reads, with the reference's defaults
/// applied once.
pub(crate) struct Context<'a> {
    pub spec: &'a AlertmanagerSpec,
    pub name: &'a str,
    pub namespace: &'a str,
    pub prefixed: String,
    pub version: Version,
    /// `spec.version` as written (the image tag).
    pub version_text: &'a str,
    pub port_name: &'a str,
    /// Unset: 1; negative: 0.
    pub replicas: i32,
    pub route_prefix: String,
    pub listen_local: bool,
    /// A web TLS configuration on a version that serves it (0.22).
    pub https: bool,
    pub options: &'a OperatorOptions,
}

impl<'a> Context<'a> {
    pub fn new(
        am: &'a Alertmanager,
        options: &'a OperatorOptions,
    ) -> Result<Self, StatefulSetError> {
        let spec = &am.spec;
        let name = am.metadata.name.as_deref().unwrap_or_default();
        let version_text = spec
            .version
            .as_deref()
            .filter(|v| !v.is_empty())
            .unwrap_or(super::version::DEFAULT_ALERTMANAGER_VERSION);
        let version = Version::parse(version_text).map_err(|e| {
            StatefulSetError::new(
                "spec.version",
                format!("failed to parse alertmanager version: {e}"),
            )
        })?;
        let https = spec.web.as_ref().is_some_and(|w| w.tls_config.is_some())
            && version.supports(Feature::WebConfigFile);
        Ok(Self {
            spec,
            name,
            namespace: am.metadata.namespace.as_deref().unwrap_or_default(),
            prefixed: prefixed_name(name),
            version,
            version_text,
            port_name: port_name(spec),
            replicas: spec.replicas.unwrap_or(1).max(0),
            route_prefix: spec
                .route_prefix
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "/".to_owned()),
            listen_local: spec.listen_local == Some(true),
            https,
            options,
        })
    }

    /// The governing Service's name.
    pub fn service_name(&self) -> &str {
        self.spec
            .service_name
            .as_deref()
            .unwrap_or(GOVERNING_SERVICE)
    }
}

/// The StatefulSet of `am`, whose TLS assets Secrets are projected by
/// `tls_assets_volume`.
pub fn build(
    am: &Alertmanager,
    options: &OperatorOptions,
    owner: &Owner,
    tls_assets_volume: &Volume,
) -> Result<StatefulSet, StatefulSetError> {
    let ctx = Context::new(am, options)?;
    let spec = ctx.spec;
    let mut flags = args::flags(&ctx);
    let vols = volumes::build(&ctx, tls_assets_volume.clone())?;
    flags.extend(vols.flags.iter().cloned());
    let alertmanager = containers::alertmanager(&ctx, flags, vols.alertmanager.clone())?;
    let generated = vec![alertmanager, containers::reloader(&ctx, &vols, false)];
    let containers =
        container_merge::merge(generated, spec.containers.as_deref().unwrap_or_default())
            .map_err(|e| StatefulSetError::new("spec.containers", e))?;
    let init = container_merge::merge(
        vec![containers::reloader(&ctx, &vols, true)],
        spec.init_containers.as_deref().unwrap_or_default(),
    )
    .map_err(|e| StatefulSetError::new("spec.initContainers", e))?;

    // Selector labels cannot change on an existing StatefulSet: keep them
    // exactly as the reference sets them.
    let selector = selector_labels(ctx.name);
    let pod_metadata = spec.pod_metadata.as_ref();
    let mut pod_labels = Labels::from([(VERSION_KEY.to_owned(), ctx.version.to_string())]);
    let mut pod_annotations = Labels::new();
    if let Some(m) = pod_metadata {
        metadata::merge(&mut pod_labels, m.labels.as_ref().unwrap_or(&Labels::new()));
        metadata::merge(
            &mut pod_annotations,
            m.annotations.as_ref().unwrap_or(&Labels::new()),
        );
    }
    metadata::merge(&mut pod_labels, &selector);
    pod_annotations.insert(DEFAULT_CONTAINER_KEY.to_owned(), APP_NAME.to_owned());
    let final_selector = merged(&selector, &options.labels);
    let final_labels = merged(&pod_labels, &options.labels);

    let mut pod_volumes = vols.pod;
    pod_volumes.extend(crate::k8s::volumes::data_volume(
        &volumes::default_data_volume(ctx.name),
        spec.storage.as_ref(),
    ));
    pod_volumes.extend(spec.volumes.iter().flatten().cloned());
    let mut pod_spec = PodSpec {
        automount_service_account_token: spec.automount_service_account_token,
        node_selector: spec.node_selector.clone(),
        scheduler_name: spec.scheduler_name.clone().filter(|s| !s.is_empty()),
        priority_class_name: spec.priority_class_name.clone().filter(|s| !s.is_empty()),
        termination_grace_period_seconds: Some(
            spec.termination_grace_period_seconds
                .unwrap_or(DEFAULT_TERMINATION_GRACE_SECONDS),
        ),
        init_containers: non_empty_vec(init),
        containers,
        volumes: non_empty_vec(pod_volumes),
        service_account_name: spec.service_account_name.clone().filter(|s| !s.is_empty()),
        security_context: spec.security_context.clone(),
        tolerations: spec.tolerations.clone(),
        affinity: spec.affinity.clone(),
        topology_spread_constraints: spec.topology_spread_constraints.clone(),
        host_aliases: pod::host_aliases(spec.host_aliases.as_ref()),
        enable_service_links: spec.enable_service_links,
        host_users: spec.host_users,
        host_network: spec.host_network.filter(|h| *h),
        image_pull_secrets: spec.image_pull_secrets.clone().filter(|s| !s.is_empty()),
        ..PodSpec::default()
    };
    pod::set_dns(
        &mut pod_spec,
        spec.host_network == Some(true),
        spec.dns_policy.as_ref(),
        spec.dns_config.as_ref(),
    );

    let sts_spec = StatefulSetSpec {
        service_name: Some(ctx.service_name().to_owned()),
        replicas: Some(ctx.replicas),
        min_ready_seconds: spec.min_ready_seconds.filter(|s| *s != 0),
        pod_management_policy: Some(pod::pod_management_policy(
            spec.pod_management_policy.as_ref(),
        )),
        update_strategy: Some(pod::update_strategy(spec.update_strategy.as_ref())),
        selector: LabelSelector {
            match_labels: Some(final_selector.clone()),
            ..LabelSelector::default()
        },
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(final_labels),
                annotations: Some(pod_annotations),
                ..ObjectMeta::default()
            }),
            spec: Some(pod_spec),
        },
        volume_claim_templates: crate::k8s::volumes::claim_template(
            &volumes::default_data_volume(ctx.name),
            spec.storage.as_ref(),
        )
        .map(|c| vec![c]),
        persistent_volume_claim_retention_policy: spec
            .persistent_volume_claim_retention_policy
            .clone(),
        ..StatefulSetSpec::default()
    };

    let mut annotations = am.metadata.annotations.clone().unwrap_or_default();
    metadata::merge(&mut annotations, &options.annotations);
    annotations.insert(INPUT_HASH_KEY.to_owned(), String::new());
    let mut labels = merged(
        &metadata::managed_by(),
        am.metadata.labels.as_ref().unwrap_or(&Labels::new()),
    );
    metadata::merge(&mut labels, &final_selector);
    metadata::merge(&mut labels, &options.labels);
    Ok(StatefulSet {
        metadata: ObjectMeta {
            name: Some(ctx.prefixed.clone()),
            namespace: Some(ctx.namespace.to_owned()),
            labels: Some(labels),
            annotations: non_empty(without_kubectl_annotations(annotations)),
            owner_references: Some(vec![owner.controller_ref()]),
            ..ObjectMeta::default()
        },
        spec: sts_spec,
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alertmanager(spec: &str) -> Alertmanager {
        serde_saphyr::from_str(&format!(
            "apiVersion: monitoring.coreos.com/v1\nkind: Alertmanager\n\
             metadata: {{name: main, namespace: ns, uid: u}}\nspec: {spec}\n"
        ))
        .unwrap()
    }

    fn args(spec: &str) -> Vec<String> {
        let am = alertmanager(spec);
        let owner = Owner {
            api_version: "monitoring.coreos.com/v1".into(),
            kind: "Alertmanager".into(),
            name: "main".into(),
            uid: "u".into(),
        };
        let sset = build(&am, &OperatorOptions::default(), &owner, &Volume::default()).unwrap();
        let pod = sset.spec.template.spec.unwrap();
        pod.containers[0].args.clone().unwrap()
    }

    #[test]
    fn a_single_replica_turns_the_cluster_off_and_more_list_their_peers() {
        let single = args("{version: v0.28.1}");
        assert!(single.contains(&"--cluster.listen-address=".to_owned()));
        assert!(!single.iter().any(|a| a.starts_with("--cluster.peer-name")));
        let three = args("{version: v0.33.1, replicas: 3, serviceName: am}");
        let peers: Vec<_> = three
            .iter()
            .filter(|a| a.starts_with("--cluster.peer="))
            .collect();
        assert_eq!(
            peers,
            [
                "--cluster.peer=alertmanager-main-0.am:9094",
                "--cluster.peer=alertmanager-main-1.am:9094",
                "--cluster.peer=alertmanager-main-2.am:9094",
            ]
        );
        assert!(three.contains(&"--cluster.listen-address=[$(POD_IP)]:9094".to_owned()));
        assert!(three.contains(&"--cluster.peer-name=$(POD_NAME)".to_owned()));
        assert_eq!(
            three.last().unwrap(),
            "--web.config.file=/etc/alertmanager/web_config/web-config.yaml"
        );
    }

    #[test]
    fn old_versions_lack_the_web_and_cluster_tls_files() {
        let old = args("{version: v0.21.0, minReadySeconds: 5}");
        assert!(
            !old.iter()
                .any(|a| a.contains("web.config.file") || a.contains("cluster.label"))
        );
        assert!(!old.iter().any(|a| a.contains("dispatch.start-delay")));
        let new = args(
            "{version: v0.33.1, minReadySeconds: 5, additionalArgs: [{name: no-dispatch.start-delay}]}",
        );
        assert!(!new.iter().any(|a| a.starts_with("--dispatch.start-delay")));
    }

    #[test]
    fn the_peer_name_can_be_overridden() {
        let named =
            args("{version: v0.33.1, replicas: 2, clusterPeerName: '$(POD_NAME).$(NAMESPACE)'}");
        assert!(named.contains(&"--cluster.peer-name=$(POD_NAME).$(NAMESPACE)".to_owned()));
        let old = args("{version: v0.29.0, replicas: 2, clusterPeerName: am}");
        assert!(!old.iter().any(|a| a.starts_with("--cluster.peer-name")));
    }

    #[test]
    fn zero_durations_are_not_passed() {
        let zero = args(
            "{version: v0.33.1, replicas: 2, retention: 0s, clusterGossipInterval: '0', \
             clusterPushpullInterval: 0m, clusterPeerTimeout: 30s}",
        );
        assert!(
            zero.contains(&"--data.retention=120h".to_owned()),
            "{zero:?}"
        );
        assert!(zero.contains(&"--cluster.peer-timeout=30s".to_owned()));
        assert!(
            !zero
                .iter()
                .any(|a| a.contains("gossip-interval") || a.contains("pushpull-interval"))
        );
    }
}
