//! The `prometheus-config-reloader` container: as a sidecar it watches the
//! mounted configuration (and rule files), expands environment variables
//! into the file the server reads and triggers a reload; as an init
//! container it writes that file once before the server starts. With
//! [`ReloaderMode::PromopWatch`] it is `promop config-reloader`, which reads
//! the config Secret and the rule ConfigMaps from the API server
//! ([`Watched`]) instead of the kubelet's volumes.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction, ObjectFieldSelector, Probe,
    ResourceRequirements, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::metadata::{non_empty, non_empty_vec};
use super::probe::exec_get;
use super::security_context;

/// The reference's default image for v0.94.1 (its `--prometheus-config-reloader`).
pub const DEFAULT_IMAGE: &str = "quay.io/prometheus-operator/prometheus-config-reloader:v0.94.1";
/// promop's image (its release), whose binary has the `config-reloader`
/// subcommand.
pub const PROMOP_IMAGE: &str = concat!("ghcr.io/promop/promop:", env!("CARGO_PKG_VERSION"));
/// The binary in promop's image.
const PROMOP_BINARY: &str = "/promop";
const PORT: i32 = 8080;
const INIT_PORT: i32 = 8081;

/// The operator-wide settings of the reloader (command-line flags of the
/// reference: image, CPU and memory requests and limits, probes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReloaderConfig {
    pub image: String,
    /// `None` (the reference's "0") sets no request or limit.
    pub cpu_request: Option<String>,
    pub cpu_limit: Option<String>,
    pub memory_request: Option<String>,
    pub memory_limit: Option<String>,
    pub enable_probes: bool,
    pub mode: ReloaderMode,
}

/// Which reloader the pods run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ReloaderMode {
    /// The reference's, reading the volumes the kubelet syncs (about a
    /// minute after a change): the objects stay the reference's, so a
    /// takeover rolls no pod.
    #[default]
    Reference,
    /// `promop config-reloader` of this image, reading the config Secret
    /// and rule ConfigMaps through single-object watches (a change arrives
    /// in milliseconds), with a Role limited to those names.
    PromopWatch { image: String },
}

impl Default for ReloaderConfig {
    /// The reference's defaults: 10m CPU and 50Mi memory, requested and limited.
    fn default() -> Self {
        Self {
            image: DEFAULT_IMAGE.to_owned(),
            cpu_request: Some("10m".into()),
            cpu_limit: Some("10m".into()),
            memory_request: Some("50Mi".into()),
            memory_limit: Some("50Mi".into()),
            enable_probes: false,
            mode: ReloaderMode::Reference,
        }
    }
}

impl ReloaderConfig {
    /// Whether the reloader reads its inputs from the API server.
    pub fn watches(&self) -> bool {
        matches!(self.mode, ReloaderMode::PromopWatch { .. })
    }

    pub fn resources(&self) -> ResourceRequirements {
        let list = |cpu: &Option<String>, memory: &Option<String>| {
            let entries = [("cpu", cpu), ("memory", memory)]
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_owned(), Quantity(v.clone()?))));
            non_empty(entries.collect::<BTreeMap<_, _>>())
        };
        ResourceRequirements {
            requests: list(&self.cpu_request, &self.memory_request),
            limits: list(&self.cpu_limit, &self.memory_limit),
            ..ResourceRequirements::default()
        }
    }
}

/// How the sidecar makes the server reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reload {
    /// An HTTP POST to this URL.
    Url(String),
    /// A SIGHUP to the server's process; the URL tells when it is up.
    Signal { runtime_info_url: String },
}

/// What `promop config-reloader` reads from the API server (watch mode):
/// the config Secret's key, and each rule ConfigMap mirrored into a
/// directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    pub namespace: String,
    pub secret: String,
    pub key: String,
    /// `(ConfigMap, directory)`.
    pub config_maps: Vec<(String, String)>,
}

impl Watched {
    fn args(&self) -> impl Iterator<Item = String> + '_ {
        let ns = &self.namespace;
        [
            format!("--watch-secret={ns}/{}", self.secret),
            format!("--watch-secret-key={}", self.key),
        ]
        .into_iter()
        .chain(
            self.config_maps
                .iter()
                .map(move |(name, dir)| format!("--watch-configmap={ns}/{name}={dir}")),
        )
    }
}

/// One reloader container.
#[derive(Clone, Debug)]
pub struct Reloader<'a> {
    pub config: &'a ReloaderConfig,
    /// The init container that generates the configuration once and exits.
    pub init: bool,
    pub image_pull_policy: Option<String>,
    /// Listen on `local_host` only (no container port).
    pub listen_local: bool,
    pub local_host: &'a str,
    pub log_level: Option<&'a str>,
    pub log_format: Option<&'a str>,
    pub reload: Option<Reload>,
    pub web_config_file: Option<String>,
    /// Read by the reference's reloader (and in watch mode by none).
    pub config_file: Option<String>,
    pub config_envsubst_file: Option<String>,
    pub watched_dirs: Vec<String>,
    /// Read instead of `config_file` in watch mode.
    pub watched: Option<Watched>,
    pub volume_mounts: Vec<VolumeMount>,
    pub shard: Option<i32>,
    pub zone: Option<String>,
    pub inzone_shard: Option<i32>,
    pub node_name_env: bool,
}

impl<'a> Reloader<'a> {
    /// A reloader with nothing but the operator's settings.
    pub fn new(config: &'a ReloaderConfig, init: bool, local_host: &'a str) -> Self {
        Self {
            config,
            init,
            image_pull_policy: None,
            listen_local: false,
            local_host,
            log_level: None,
            log_format: None,
            reload: None,
            web_config_file: None,
            config_file: None,
            config_envsubst_file: None,
            watched_dirs: Vec::new(),
            watched: None,
            volume_mounts: Vec::new(),
            shard: None,
            zone: None,
            inzone_shard: None,
            node_name_env: false,
        }
    }

    pub fn container(self) -> Container {
        let name = if self.init {
            "init-config-reloader"
        } else {
            "config-reloader"
        };
        let mut args = Vec::new();
        let mut ports = Vec::new();
        if self.init {
            args.push("--watch-interval=0".to_owned());
        }
        if self.listen_local {
            args.push(format!("--listen-address={}:{PORT}", self.local_host));
        } else {
            // Distinct ports keep the API from warning about duplicates.
            let (port, port_name) = if self.init {
                (INIT_PORT, "reloader-init")
            } else {
                (PORT, "reloader-web")
            };
            args.push(format!("--listen-address=:{port}"));
            ports.push(ContainerPort {
                name: Some(port_name.to_owned()),
                container_port: port,
                protocol: Some("TCP".to_owned()),
                ..ContainerPort::default()
            });
        }
        if let Some(file) = self.web_config_file.as_deref().filter(|f| !f.is_empty()) {
            args.push(format!("--web-config-file={file}"));
        }
        match &self.reload {
            Some(Reload::Signal { runtime_info_url }) => {
                args.push("--reload-method=signal".to_owned());
                args.push(format!("--runtimeinfo-url={runtime_info_url}"));
            }
            Some(Reload::Url(url)) => args.push(format!("--reload-url={url}")),
            None => {}
        }
        let watch_mode = match (&self.config.mode, &self.watched) {
            (ReloaderMode::PromopWatch { image }, Some(watched)) => Some((image, watched)),
            _ => None,
        };
        let mut watched = self.watched_dirs.clone();
        if let Some((_, from_api)) = watch_mode {
            args.extend(from_api.args());
        } else if let Some(file) = &self.config_file {
            args.push(format!("--config-file={file}"));
            // Watching the directory makes reloads follow the kubelet's
            // atomic updates of the mounted Secret quickly.
            let dir = file.rsplit_once('/').map_or(".", |(dir, _)| dir).to_owned();
            if !watched.contains(&dir) {
                watched.push(dir);
            }
        }
        if let Some(file) = &self.config_envsubst_file {
            args.push(format!("--config-envsubst-file={file}"));
        }
        args.extend(watched.iter().map(|d| format!("--watched-dir={d}")));
        if let Some(level) = self.log_level.filter(|l| !l.is_empty() && *l != "info") {
            args.push(format!("--log-level={level}"));
        }
        if let Some(format) = self.log_format.filter(|f| !f.is_empty() && *f != "logfmt") {
            args.push(format!("--log-format={format}"));
        }

        let mut env = vec![field_env("POD_NAME", "metadata.name")];
        if self.node_name_env {
            env.push(field_env("NODE_NAME", "spec.nodeName"));
        }
        let values = [
            ("SHARD", self.shard.map(|s| s.to_string())),
            ("TOPOLOGY_ZONE", self.zone.clone().filter(|z| !z.is_empty())),
            ("INZONE_SHARD", self.inzone_shard.map(|s| s.to_string())),
        ];
        env.extend(values.into_iter().filter_map(|(name, value)| {
            Some(EnvVar {
                name: name.to_owned(),
                value: Some(value?),
                ..EnvVar::default()
            })
        }));

        let probe = (!self.init && self.config.enable_probes).then(|| self.probe());
        let resources = self.config.resources();
        let (image, command) = match watch_mode {
            Some((image, _)) => (
                image,
                vec![PROMOP_BINARY.to_owned(), "config-reloader".to_owned()],
            ),
            None => (
                &self.config.image,
                vec!["/bin/prometheus-config-reloader".to_owned()],
            ),
        };
        Container {
            name: name.to_owned(),
            image: Some(image.clone()),
            image_pull_policy: self.image_pull_policy,
            termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
            env: Some(env),
            command: Some(command),
            args: Some(args),
            ports: non_empty_vec(ports),
            volume_mounts: non_empty_vec(self.volume_mounts),
            resources: (resources != ResourceRequirements::default()).then_some(resources),
            security_context: Some(security_context()),
            liveness_probe: probe.clone(),
            readiness_probe: probe.clone(),
            startup_probe: probe,
            ..Container::default()
        }
    }

    fn probe(&self) -> Probe {
        if self.listen_local {
            Probe {
                exec: Some(exec_get(&format!("http://localhost:{PORT}/healthz"))),
                ..Probe::default()
            }
        } else {
            Probe {
                http_get: Some(HTTPGetAction {
                    path: Some("/healthz".to_owned()),
                    port: IntOrString::Int(PORT),
                    ..HTTPGetAction::default()
                }),
                ..Probe::default()
            }
        }
    }
}

/// An environment variable set from a field of the pod (`metadata.name`, …).
pub fn field_env(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.to_owned(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}
