//! The Kubernetes objects of one Prometheus or PrometheusAgent, as the
//! reference writes them: the configuration Secret, the TLS assets Secrets,
//! the web configuration Secret, the Thanos sidecar's HTTP client Secret
//! (servers), the governing Service and one StatefulSet per shard — or, for
//! an agent in DaemonSet mode, one DaemonSet and no Service. The rule ConfigMaps are built apart
//! (`prometheus::rules`); only their names come in here.
use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::core::v1::{Secret, Service};

use super::{OperatorOptions, Secrets, gzip_parts, unwritten_asset, with_input_hash};
use crate::k8s::metadata::Owner;
use crate::k8s::numbered::Numbered;
use crate::k8s::reloader_rbac::{ReloaderRbac, reloader_rbac};
use crate::k8s::service::GoverningService;
use crate::k8s::tls_assets;
use crate::k8s::web_config::WebConfig;
use crate::prometheus::service::ports;
use crate::prometheus::statefulset::{
    self, Inputs, Settings, StatefulSetError, WEB_CONFIG_DIR, daemon_set, prefixed_name,
    reloader_watched, thanos_sidecar, workload_metadata,
};
use crate::prometheus::{Workload, tls_assets as prometheus_tls_assets};
use crate::select::reasons::{RejectedObject, Rejection, RejectionKind};
use crate::snapshot::Snapshot;

/// The key of the gzipped configuration in the configuration Secret.
pub const CONFIG_KEY: &str = "prometheus.yaml.gz";
/// Why an agent in DaemonSet mode gets nothing without the feature gate.
const GATE_OFF: &str = "feature gate for Prometheus Agent's DaemonSet mode is not enabled";

/// The objects of one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct PrometheusObjects {
    /// `<prefix>-<name>`: `prometheus.yaml.gz`.
    pub config: Secret,
    /// `<prefix>-<name>-tls-assets-<n>`.
    pub tls_assets: Vec<Secret>,
    /// `<prefix>-<name>-web-config`.
    pub web_config: Secret,
    /// `prometheus-<name>-thanos-prometheus-http-client-file` (servers only,
    /// written even without sidecar).
    pub thanos_http_client: Option<Secret>,
    /// The governing Service, unless the workload names its own (`serviceName`).
    pub service: Option<Service>,
    /// One per shard, in shard order (none in DaemonSet mode).
    pub stateful_sets: Vec<StatefulSet>,
    /// An agent in DaemonSet mode's only workload object.
    pub daemon_set: Option<DaemonSet>,
    /// The prefixes of the numbered objects among these and the rule
    /// ConfigMaps, which the operator prunes.
    pub numbered: Numbered,
    /// In watch mode, what the reloader may read (else none).
    pub reloader_rbac: Option<ReloaderRbac>,
}

impl PrometheusObjects {
    /// All Secrets, in the order the reference writes them.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        std::iter::once(&self.config)
            .chain(&self.tls_assets)
            .chain(std::iter::once(&self.web_config))
            .chain(&self.thanos_http_client)
    }
}

/// The objects of `workload`, whose generated configuration is the
/// concatenation of `config` (none for an unmanaged configuration;
/// `config_tree` is the same as a tree when the caller has it, which spares
/// parsing the text) and whose rules are in the ConfigMaps
/// `rule_config_maps`.
pub fn prometheus_objects(
    snapshot: &Snapshot,
    workload: Workload<'_>,
    config: &[&str],
    config_tree: Option<&[&crate::yaml::Node]>,
    rule_config_maps: &[String],
    options: &OperatorOptions,
) -> Result<PrometheusObjects, RejectedObject> {
    let error = |field: &str, kind: RejectionKind| workload.rejected(Rejection::new(field, kind));
    let daemon_set_mode = workload.is_daemon_set();
    if daemon_set_mode && !options.agent_daemon_set {
        // The reference's words when its feature gate is off.
        return Err(error("spec.mode", GATE_OFF.into()));
    }
    let namespace = workload.namespace();
    let prefixed = prefixed_name(workload);
    let owner = owner(workload);
    let secrets = Secrets {
        namespace,
        owner: &owner,
        options,
    };
    let bytes: Vec<&[u8]> = config.iter().map(|part| part.as_bytes()).collect();
    let config_secret = secrets.single(&prefixed, CONFIG_KEY, gzip_parts(&bytes));
    let (files, unwritten) =
        prometheus_tls_assets::collect(config, config_tree, workload, snapshot);
    if let Some(path) = unwritten.first() {
        return Err(error("configuration", unwritten_asset(path).into()));
    }
    let tls_assets = secrets.tls_assets(&prefixed, files);
    let web_secret_name = format!("{prefixed}-web-config");
    let web = WebConfig {
        mount_dir: WEB_CONFIG_DIR,
        secret_name: &web_secret_name,
        fields: workload.common().web.as_ref().map(|w| &w.config),
    };
    let web_config = secrets.web_config(&web);
    let thanos_http_client = workload.server().map(|_| {
        let (key, content) = thanos_sidecar::http_client_config();
        secrets.single(
            &thanos_sidecar::http_client_secret_name(&prefixed),
            key,
            content.as_bytes().to_vec(),
        )
    });

    let cpf = workload.common();
    let service = (cpf.service_name.is_none() && !daemon_set_mode).then(|| {
        let (name, app_name) = match workload {
            Workload::Prometheus(_) => ("prometheus-operated", "prometheus"),
            Workload::Agent(_) => ("prometheus-agent-operated", "prometheus-agent"),
        };
        let port_name = cpf.port_name.as_deref().filter(|p| !p.is_empty());
        let thanos_grpc = workload.server().is_some_and(|s| s.thanos.is_some());
        GoverningService {
            name,
            namespace,
            operated_label: "operated-prometheus",
            app_name,
            ports: ports(port_name.unwrap_or("web"), thanos_grpc),
            publish_not_ready_addresses: false,
            owner: &owner,
            labels: &options.labels,
            annotations: &options.annotations,
        }
        .build()
    });

    let tls_assets_volume = tls_assets::volume(&tls_assets);
    let inputs = Inputs {
        workload,
        settings: Settings {
            reloader: &options.reloader,
            prometheus_base_image: &options.prometheus_base_image,
            thanos_base_image: &options.thanos_base_image,
            labels: &options.labels,
            annotations: &options.annotations,
            local_host: &options.local_host,
            topology_sharding: options.topology_sharding,
        },
        owner: &owner,
        rule_config_maps: if workload.server().is_some() {
            rule_config_maps
        } else {
            &[]
        },
        tls_assets_volume: &tls_assets_volume,
        input_hash: "",
    };
    let (stateful_sets, daemon_set) = if daemon_set_mode {
        let set = daemon_set::build(&inputs).map_err(|e| error(&e.field, e.kind))?;
        (Vec::new(), Some(set))
    } else {
        let sets = (0..workload.shards())
            .map(|shard| statefulset::build(&inputs, shard).map(with_input_hash))
            .collect::<Result<Vec<_>, StatefulSetError>>()
            .map_err(|e| error(&e.field, e.kind))?;
        (sets, None)
    };

    let reloader_rbac = options.reloader.watches().then(|| {
        reloader_rbac(
            &prefixed,
            &reloader_watched(workload, inputs.rule_config_maps),
            cpf.service_account_name.as_deref(),
            &owner,
            &options.labels,
            &options.annotations,
        )
    });

    Ok(PrometheusObjects {
        config: config_secret,
        tls_assets,
        web_config,
        thanos_http_client,
        service,
        stateful_sets,
        daemon_set,
        numbered: Numbered::of(&prefixed),
        reloader_rbac,
    })
}

/// The workload as owner of what it gets written.
fn owner(workload: Workload<'_>) -> Owner {
    let meta = workload_metadata(workload);
    let api_version = match workload {
        Workload::Prometheus(_) => "monitoring.coreos.com/v1",
        Workload::Agent(_) => "monitoring.coreos.com/v1alpha1",
    };
    Owner {
        api_version: api_version.to_owned(),
        kind: workload.kind().to_owned(),
        name: workload.name().to_owned(),
        uid: meta.uid.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::metadata::INPUT_HASH_KEY;
    use crate::manifests::{Loaded, Strictness};

    fn snapshot(manifests: &str) -> Snapshot {
        let mut loaded = Loaded::default();
        loaded
            .add_yaml("t", manifests, "ns", Strictness::ObjectsOnly)
            .unwrap();
        loaded.snapshot
    }

    #[test]
    fn a_sharded_server_gets_one_stateful_set_per_shard_and_shared_objects_once() {
        let s = snapshot(
            "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n\
             metadata: {name: main, namespace: ns, uid: u1, labels: {team: a}}\n\
             spec: {version: v3.5.0, shards: 2, thanos: {}, serviceMonitorSelector: {}}\n",
        );
        let workload = Workload::Prometheus(&s.prometheuses[0]);
        let objects = prometheus_objects(
            &s,
            workload,
            &["global: {}\n"],
            None,
            &[],
            &OperatorOptions::default(),
        )
        .unwrap();
        let names: Vec<_> = objects
            .secrets()
            .map(|o| o.metadata.name.clone().unwrap())
            .chain(
                objects
                    .stateful_sets
                    .iter()
                    .map(|o| o.metadata.name.clone().unwrap()),
            )
            .collect();
        assert_eq!(
            names,
            [
                "prometheus-main",
                "prometheus-main-tls-assets-0",
                "prometheus-main-web-config",
                "prometheus-main-thanos-prometheus-http-client-file",
                "prometheus-main",
                "prometheus-main-shard-1",
            ]
        );
        let shard1 = &objects.stateful_sets[1];
        let labels = shard1.metadata.labels.as_ref().unwrap();
        assert_eq!(labels["team"], "a");
        assert_eq!(labels["operator.prometheus.io/shard"], "1");
        let owner = &shard1.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!((owner.uid.as_str(), owner.controller), ("u1", Some(true)));
        let ports = objects.service.unwrap().spec.unwrap().ports.unwrap();
        assert_eq!(
            ports.iter().map(|p| p.port).collect::<Vec<_>>(),
            [9090, 10901]
        );
        // The hash differs between shards and follows the content.
        let hash = |i: usize| {
            objects.stateful_sets[i]
                .metadata
                .annotations
                .as_ref()
                .unwrap()[INPUT_HASH_KEY]
                .clone()
        };
        assert_ne!(hash(0), hash(1));
    }

    #[test]
    fn a_configuration_naming_an_unwritten_asset_is_refused() {
        let s = snapshot(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n\
             stringData: {ca: CA, empty: ''}\n---\n\
             apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n\
             metadata: {name: main, namespace: ns}\nspec: {version: v3.5.0}\n",
        );
        let workload = Workload::Prometheus(&s.prometheuses[0]);
        let build = |config: &str| {
            prometheus_objects(&s, workload, &[config], None, &[], &Default::default())
        };
        let written = build("a:\n  ca_file: /etc/prometheus/certs/0_ns_s_ca\n").unwrap();
        assert_eq!(
            written.tls_assets[0].data.as_ref().unwrap()["0_ns_s_ca"].0,
            b"CA"
        );
        for missing in ["0_ns_s_empty", "0_ns_other_ca", "1_ns_s_ca"] {
            let path = format!("/etc/prometheus/certs/{missing}");
            let err = build(&format!("a:\n  ca_file: {path}\n")).unwrap_err();
            assert_eq!(err.rejection.path, "configuration");
            assert!(err.rejection.message().contains(&path), "{err}");
        }
        // A file of the user's own is not an asset.
        assert!(build("a:\n  ca_file: /etc/prometheus/certs/mine.pem\n").is_ok());
    }

    #[test]
    fn an_agent_has_no_thanos_secret_and_its_own_governing_service() {
        let s = snapshot(
            "apiVersion: monitoring.coreos.com/v1alpha1\nkind: PrometheusAgent\n\
             metadata: {name: a, namespace: ns}\nspec: {version: v3.5.0}\n",
        );
        let objects = prometheus_objects(
            &s,
            Workload::Agent(&s.prometheus_agents[0]),
            &[],
            None,
            &["ignored".to_owned()],
            &OperatorOptions::default(),
        )
        .unwrap();
        assert!(objects.thanos_http_client.is_none());
        let service = objects.service.unwrap();
        assert_eq!(
            service.metadata.name.as_deref(),
            Some("prometheus-agent-operated")
        );
        let sset = &objects.stateful_sets[0];
        assert_eq!(sset.metadata.name.as_deref(), Some("prom-agent-a"));
        let volumes = sset
            .spec
            .template
            .spec
            .as_ref()
            .unwrap()
            .volumes
            .as_ref()
            .unwrap();
        assert!(volumes.iter().all(|v| v.name != "ignored"));
        // Empty configuration: empty (not gzipped) data.
        assert_eq!(objects.config.data.unwrap()[CONFIG_KEY].0, Vec::<u8>::new());
    }

    const DAEMON_SET_AGENT: &str = "apiVersion: monitoring.coreos.com/v1alpha1\nkind: PrometheusAgent\n\
         metadata: {name: a, namespace: ns, uid: u1, labels: {team: a}}\n\
         spec: {version: v3.5.0, mode: DaemonSet, podMonitorSelector: {}, volumes: [{name: v, emptyDir: {}}],\n\
         tolerations: [{operator: Exists}], topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone,\n\
         whenUnsatisfiable: DoNotSchedule, additionalLabelSelectors: OnShard}]}\n";

    #[test]
    fn a_daemon_set_agent_gets_a_daemon_set_only_with_the_feature_gate() {
        let s = snapshot(DAEMON_SET_AGENT);
        let workload = Workload::Agent(&s.prometheus_agents[0]);
        let build = |options: &OperatorOptions| {
            prometheus_objects(&s, workload, &["global: {}\n"], None, &[], options)
        };
        let err = build(&OperatorOptions::default()).unwrap_err();
        assert_eq!(err.rejection.path, "spec.mode");
        assert!(err.rejection.message().contains("feature gate"), "{err}");

        let options = OperatorOptions {
            agent_daemon_set: true,
            ..OperatorOptions::default()
        };
        let objects = build(&options).unwrap();
        // No StatefulSet, no governing Service.
        assert!(objects.stateful_sets.is_empty());
        assert!(objects.service.is_none());
        let set = objects.daemon_set.unwrap();
        assert_eq!(set.metadata.name.as_deref(), Some("prom-agent-a"));
        let labels = set.metadata.labels.as_ref().unwrap();
        assert_eq!(labels["team"], "a");
        assert_eq!(labels["operator.prometheus.io/mode"], "agent");
        assert!(!labels.contains_key("operator.prometheus.io/shard"));
        // No input hash on a DaemonSet.
        assert!(set.metadata.annotations.is_none());
        let owner = &set.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!((owner.uid.as_str(), owner.controller), ("u1", Some(true)));
        let selector = set.spec.selector.match_labels.as_ref().unwrap();
        assert_eq!(selector["operator.prometheus.io/name"], "a");
        assert!(!selector.contains_key("operator.prometheus.io/shard"));

        let pod = set.spec.template.spec.as_ref().unwrap();
        // Neither the data volume nor the user's volumes.
        let volumes: Vec<&str> = pod
            .volumes
            .iter()
            .flatten()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(
            volumes,
            ["config", "tls-assets", "config-out", "web-config"]
        );
        let prometheus = &pod.containers[0];
        let mounts: Vec<&str> = prometheus
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| m.mount_path.as_str())
            .collect();
        assert!(!mounts.contains(&"/prometheus"), "{mounts:?}");
        // The reloaders know their node (and shard 0); the sidecar reads the web config.
        let reloaders = [
            &pod.init_containers.as_ref().unwrap()[0],
            &pod.containers[1],
        ];
        for reloader in reloaders {
            let env = reloader.env.as_ref().unwrap();
            let node = env.iter().find(|e| e.name == "NODE_NAME").unwrap();
            let field = node
                .value_from
                .as_ref()
                .unwrap()
                .field_ref
                .as_ref()
                .unwrap();
            assert_eq!(field.field_path, "spec.nodeName");
            assert!(
                env.iter()
                    .any(|e| e.name == "SHARD" && e.value.as_deref() == Some("0"))
            );
        }
        let sidecar_args = pod.containers[1].args.as_ref().unwrap();
        assert!(
            sidecar_args
                .iter()
                .any(|a| a.starts_with("--web-config-file=")),
            "{sidecar_args:?}"
        );
        assert_eq!(pod.tolerations.as_ref().unwrap().len(), 1);
        // Topology spread constraints select the pods without a shard label.
        let tsc = &pod.topology_spread_constraints.as_ref().unwrap()[0];
        let tsc_labels = tsc
            .label_selector
            .as_ref()
            .unwrap()
            .match_labels
            .as_ref()
            .unwrap();
        assert_eq!(tsc_labels, selector);
    }

    #[test]
    fn watch_mode_reads_the_config_and_rules_from_the_api_with_a_role_of_their_names() {
        use crate::k8s::reloader::{PROMOP_IMAGE, ReloaderMode};
        let s = snapshot(
            "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n\
             metadata: {name: main, namespace: ns, uid: u1}\n\
             spec: {version: v3.5.0, serviceAccountName: prometheus, serviceMonitorSelector: {}}\n",
        );
        let rules = ["prometheus-main-rulefiles-0".to_owned()];
        let build = |options: &OperatorOptions| {
            let workload = Workload::Prometheus(&s.prometheuses[0]);
            prometheus_objects(&s, workload, &["global: {}\n"], None, &rules, options).unwrap()
        };
        let mut options = OperatorOptions::default();
        options.reloader.mode = ReloaderMode::PromopWatch {
            image: PROMOP_IMAGE.to_owned(),
        };
        let watching = build(&options);
        let reference = build(&OperatorOptions::default());
        assert!(reference.reloader_rbac.is_none());

        let pod = |o: &PrometheusObjects| o.stateful_sets[0].spec.template.spec.clone().unwrap();
        let (pod, reference_pod) = (pod(&watching), pod(&reference));
        let watch_args = [
            "--watch-secret=ns/prometheus-main",
            "--watch-secret-key=prometheus.yaml.gz",
            "--watch-configmap=ns/prometheus-main-rulefiles-0=/etc/prometheus/rules/prometheus-main-rulefiles-0",
            "--config-envsubst-file=/etc/prometheus/config_out/prometheus.env.yaml",
        ];
        let init = &pod.init_containers.as_ref().unwrap()[0];
        let sidecar = &pod.containers[1];
        for (c, first) in [
            (init, vec!["--watch-interval=0", "--listen-address=:8081"]),
            (
                sidecar,
                vec![
                    "--listen-address=:8080",
                    "--reload-url=http://localhost:9090/-/reload",
                ],
            ),
        ] {
            assert_eq!(c.image.as_deref(), Some(PROMOP_IMAGE));
            assert_eq!(
                c.command,
                Some(vec!["/promop".to_owned(), "config-reloader".to_owned()])
            );
            let want: Vec<&str> = first.into_iter().chain(watch_args).collect();
            assert_eq!(c.args.as_ref().unwrap(), &want, "{}", c.name);
            let mounts: Vec<&str> = c
                .volume_mounts
                .iter()
                .flatten()
                .map(|m| m.name.as_str())
                .collect();
            assert_eq!(mounts, ["config-out", "prometheus-main-rulefiles-0"]);
        }
        // No config Secret volume; the rule ConfigMap's volume an emptyDir.
        let volume = |name: &str| {
            pod.volumes
                .iter()
                .flatten()
                .find(|v| v.name == name)
                .cloned()
        };
        assert!(volume("config").is_none());
        let rules_volume = volume("prometheus-main-rulefiles-0").unwrap();
        assert!(rules_volume.empty_dir.is_some() && rules_volume.config_map.is_none());
        // The prometheus container is the reference's.
        assert_eq!(pod.containers[0], reference_pod.containers[0]);

        let rbac = watching.reloader_rbac.unwrap();
        let rules = rbac.role.rules.unwrap();
        assert_eq!(
            rules[0].resource_names,
            Some(vec!["prometheus-main".to_owned()])
        );
        assert_eq!(
            rules[1].resource_names.as_deref(),
            Some(&["prometheus-main-rulefiles-0".to_owned()][..])
        );
        assert_eq!(rbac.role_binding.subjects.unwrap()[0].name, "prometheus");
        let owner = &rbac.role.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.uid.as_str(), owner.kind.as_str()),
            ("u1", "Prometheus")
        );
    }
}
