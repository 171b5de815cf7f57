//! The test bed plays the kubelet for one pod of a Prometheus or an
//! Alertmanager StatefulSet: [`run_statefulset_pod`] reads the StatefulSet
//! from the apiserver and runs its `prometheus` container with the
//! installed binary of the image's major version (`prometheus-v2` /
//! `prometheus-v3`), [`run_alertmanager_pod`] its `alertmanager` container
//! (`alertmanager` / `alertmanager-v0.28`, see [`alertmanager`]), with the
//! container's args, as the pod would see things:
//!
//! * every volumeMount materialized at its mountPath (see [`volumes`] and
//!   [`rootfs`]: Secret/ConfigMap/projected volumes from the API objects,
//!   emptyDir and claims as scratch directories, `subPath` honoured);
//! * the service-account files in `/var/run/secrets/kubernetes.io/
//!   serviceaccount` (the admin token, the apiserver's CA, the namespace)
//!   and `KUBERNETES_SERVICE_HOST/PORT` naming the local apiserver, so that
//!   in-cluster service discovery finds it;
//! * the container's env (literal values, fieldRefs `metadata.name`,
//!   `metadata.namespace`, `spec.nodeName`, `status.podIP`), also used to
//!   expand `$(NAME)` in args;
//! * the config-reloader's job done by the kubelet (see [`reloader`]):
//!   once before the start, and on [`RunningPod::reload`], which also
//!   rewrites the Secret and ConfigMap volumes and POSTs `/-/reload`.
//!
//! Not a kubelet: probes, resources, security contexts, the other
//! containers and init containers are ignored; `--web.listen-address` is
//! replaced by a free loopback port; the pod IP is 127.0.0.1.

mod alertmanager;
pub mod e2e;
mod reloader;
mod rootfs;
mod volumes;

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use kube::{Api, Client};
use serde_json::Value;

use crate::apiserver::TestEnv;
use crate::http;
use crate::process::{ManagedProcess, ScratchDir, free_port, retry_on_port_clash};
use crate::prometheus::{PrometheusApi, PrometheusVersion};
pub use alertmanager::{AlertmanagerApi, RunningAlertmanagerPod, run_alertmanager_pod};
use reloader::{ConfigReloader, expand};
use rootfs::Mount;
use volumes::{PodVolume, relative};

/// How long the StatefulSet and the objects its volumes need may take to
/// appear (the operator writes them concurrently).
const OBJECTS_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the started container may take to answer `/-/ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The name a kubelet gives the service-account volume it adds.
const SERVICE_ACCOUNT_VOLUME: &str = "kube-api-access";
const RELOADER: &str = "config-reloader";
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const LISTEN_ADDRESS: &str = "--web.listen-address";

/// What differs between the workloads whose main container the kubelet
/// runs; implemented by the HTTP API type of the running process.
trait Workload: Sized {
    /// The container's name in the pod template.
    const CONTAINER: &'static str;
    /// Flags whose values the test bed imposes, besides
    /// `--web.listen-address`.
    const FLAGS: &'static [(&'static str, &'static str)] = &[];

    /// The installed binary for the container image's tag.
    fn binary(image_tag: &str) -> Result<PathBuf>;

    /// Host directories the binary expects at fixed paths in the pod.
    fn asset_mounts(_image_tag: &str) -> Result<Vec<Mount>> {
        Ok(Vec::new())
    }

    /// The API of the process listening at `url`.
    fn api(url: String) -> Self;
}

impl Workload for PrometheusApi {
    const CONTAINER: &'static str = "prometheus";

    fn binary(image_tag: &str) -> Result<PathBuf> {
        crate::paths::binary(PrometheusVersion::of_spec(Some(image_tag)).binary())
    }

    fn api(url: String) -> Self {
        Self::new(url)
    }
}

/// The main container of pod `<statefulset>-<ordinal>`, running; killed on
/// drop. Its HTTP API helpers come from `A` (through `Deref`):
/// [`PrometheusApi`] for [`run_statefulset_pod`], [`AlertmanagerApi`] for
/// [`run_alertmanager_pod`].
pub struct RunningPod<A = PrometheusApi> {
    process: ManagedProcess,
    api: A,
    url: String,
    client: Client,
    namespace: String,
    pod_name: String,
    volumes: Vec<PodVolume>,
    reloader: Option<ConfigReloader>,
    // Last: removed after the process is gone.
    dir: ScratchDir,
}

/// Waits for StatefulSet `namespace/statefulset` and the objects its pod
/// mounts, materializes the pod's volumes and runs its `prometheus`
/// container until `/-/ready` answers.
pub async fn run_statefulset_pod(
    client: &Client,
    env: &TestEnv,
    namespace: &str,
    statefulset: &str,
    ordinal: u32,
) -> Result<RunningPod> {
    start_pod(client, env, namespace, statefulset, ordinal).await
}

/// [`run_statefulset_pod`] for the main container of workload `W`.
async fn start_pod<W: Workload>(
    client: &Client,
    env: &TestEnv,
    namespace: &str,
    statefulset: &str,
    ordinal: u32,
) -> Result<RunningPod<W>> {
    let sts = wait_statefulset(client, namespace, statefulset).await?;
    let pod_name = format!("{statefulset}-{ordinal}");
    let spec = sts
        .spec
        .template
        .spec
        .as_ref()
        .with_context(|| format!("StatefulSet {namespace}/{statefulset} has no pod spec"))?;
    let main = container(spec, W::CONTAINER)
        .with_context(|| format!("StatefulSet {namespace}/{statefulset}"))?;
    if main.command.is_some() {
        bail!(
            "container {}: a command is not supported (the binary is the image's entrypoint)",
            W::CONTAINER
        );
    }
    let tag = main.image.as_deref().map(image_tag).unwrap_or_default();
    let binary = W::binary(tag)?;
    let pod = PodInfo {
        name: pod_name.clone(),
        namespace: namespace.to_owned(),
    };

    let dir = ScratchDir::new("promop-pod-")?;
    let volumes_dir = dir.path().join("volumes");
    let mut volumes = pod_volumes(&sts, spec, env, &volumes_dir)?;
    // Before the mounts: a subPath names a file only once it is written.
    materialize_all(client, namespace, &mut volumes).await?;
    let mut mounts = container_mounts(main, &volumes, &pod)?;
    if let Some(sa) = volumes.iter().find(|v| v.name == SERVICE_ACCOUNT_VOLUME)
        && !mounts
            .iter()
            .any(|m| m.target == Path::new(SERVICE_ACCOUNT_DIR))
    {
        mounts.push(Mount {
            target: SERVICE_ACCOUNT_DIR.into(),
            source: sa.dir.clone(),
            read_only: true,
        });
    }
    mounts.extend(W::asset_mounts(tag)?);

    let mut base_env = base_env(env, &pod_name)?;
    let reloader = match container(spec, RELOADER) {
        Ok(c) => Some(config_reloader(c, &volumes, &pod, &base_env)?),
        Err(_) => None,
    };
    if let Some(r) = &reloader {
        r.run()?;
    }
    base_env.extend(container_env(main, &pod, &base_env)?);

    let root = dir.path().join("root");
    let script = rootfs::prepare(&root, &mounts)?;
    let script_path = dir.path().join("pod.sh");
    std::fs::write(&script_path, script)?;
    let args: Vec<String> = main
        .args
        .iter()
        .flatten()
        .map(|a| expand(a, |n| base_env.get(n).cloned()))
        .collect();
    let workdir = main.working_dir.clone().unwrap_or_else(|| "/".into());

    let log = dir.path().join(format!("{}.log", W::CONTAINER));
    let (process, url) = retry_on_port_clash(|| async {
        let port = free_port()?;
        let address = format!("127.0.0.1:{port}");
        let mut flags = vec![(LISTEN_ADDRESS, address.as_str())];
        flags.extend_from_slice(W::FLAGS);
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private", "--", "sh"])
            .arg(&script_path)
            .arg(&workdir)
            .arg(&binary)
            .args(with_flags(&args, &flags))
            .env_clear()
            .envs(&base_env);
        let mut process = ManagedProcess::spawn(&pod_name, cmd, &log)?;
        let url = format!("http://{address}");
        let ready = format!("{url}/-/ready");
        process
            .wait_ready(READY_TIMEOUT, || async {
                http::get_ok(&ready).await.map(drop)
            })
            .await?;
        Ok((process, url))
    })
    .await?;
    Ok(RunningPod {
        process,
        api: W::api(url.clone()),
        url,
        client: client.clone(),
        namespace: namespace.to_owned(),
        pod_name,
        volumes,
        reloader,
        dir,
    })
}

impl<A> RunningPod<A> {
    /// `<statefulset>-<ordinal>`
    pub fn pod_name(&self) -> &str {
        &self.pod_name
    }

    /// `http://127.0.0.1:<port>`, where the container listens.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The loopback port the container listens on (its
    /// `--web.listen-address`), e.g. for an EndpointSlice pointing at it.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .unwrap_or_default()
    }

    /// The kubelet's scratch space: `volumes/<name>/`, the pod's `root/`,
    /// `pod.sh` (the mount script) and `<container>.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The host directory of the pod's volume `name`.
    pub fn volume_dir(&self, name: &str) -> Option<&Path> {
        self.volumes
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.dir.as_path())
    }

    pub fn logs(&self) -> String {
        self.process.logs()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// Fails (with the log's tail) if the container's process has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.process.check_running()
    }

    /// What a kubelet and the config-reloader do after the objects changed,
    /// in one deterministic step: rewrites the Secret and ConfigMap volumes
    /// from the API, regenerates the substituted configuration and POSTs
    /// `/-/reload` (which returns once the process applied it).
    pub async fn reload(&mut self) -> Result<()> {
        materialize_all(&self.client, &self.namespace, &mut self.volumes).await?;
        if let Some(r) = &self.reloader {
            r.run()?;
        }
        http::post_empty(&format!("{}/-/reload", self.url))
            .await
            .with_context(|| self.log_tail(20))
    }
}

impl RunningPod<PrometheusApi> {
    /// Polls `query_vector(promql)` until `accept` returns true, or fails
    /// after `timeout` with the last result, the targets and the log's tail.
    pub async fn wait_for_query(
        &mut self,
        promql: &str,
        timeout: Duration,
        accept: impl FnMut(&[(Value, f64)]) -> bool,
    ) -> Result<Vec<(Value, f64)>> {
        self.api
            .wait_for_query(&mut self.process, promql, timeout, accept)
            .await
    }
}

impl<A> Deref for RunningPod<A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.api
    }
}

struct PodInfo {
    name: String,
    namespace: String,
}

/// The StatefulSet once an operator has written it (the config Secret and the
/// StatefulSet are applied one after the other, so one may be seen first).
pub async fn wait_statefulset(client: &Client, namespace: &str, name: &str) -> Result<StatefulSet> {
    let api: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
    let what = format!("no StatefulSet {namespace}/{name}");
    crate::poll::until(&what, OBJECTS_TIMEOUT, || async {
        Ok(api.get_opt(name).await?)
    })
    .await
}

/// Materializes every volume, retrying while objects are missing (a kubelet
/// keeps the pod in ContainerCreating meanwhile).
async fn materialize_all(
    client: &Client,
    namespace: &str,
    volumes: &mut [PodVolume],
) -> Result<()> {
    let start = Instant::now();
    loop {
        let mut failed = None;
        for v in volumes.iter_mut() {
            if let Err(e) = v.materialize(client, namespace).await {
                failed = Some(e);
                break;
            }
        }
        match failed {
            None => return Ok(()),
            Some(e) if start.elapsed() > OBJECTS_TIMEOUT => {
                return Err(e.context(format!("volumes not ready after {OBJECTS_TIMEOUT:?}")));
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The pod's volumes (directories under `dir`): those of the pod spec, the
/// StatefulSet's claims, and the service-account volume a kubelet adds.
fn pod_volumes(
    sts: &StatefulSet,
    spec: &PodSpec,
    env: &TestEnv,
    dir: &Path,
) -> Result<Vec<PodVolume>> {
    let mut volumes = Vec::new();
    for v in spec.volumes.iter().flatten() {
        volumes.push(PodVolume::from_spec(
            v,
            dir.join(&v.name),
            env.admin_token(),
        )?);
    }
    let claims = sts.spec.volume_claim_templates.iter().flatten();
    for claim in claims.filter_map(|c| c.metadata.name.as_deref()) {
        if !volumes.iter().any(|v| v.name == claim) {
            volumes.push(PodVolume::claim(claim, dir.join(claim)));
        }
    }
    if spec.automount_service_account_token != Some(false) {
        let ca = std::fs::read(env.ca_cert_path())?;
        let namespace = sts.metadata.namespace.as_deref().unwrap_or_default();
        let files: [(&str, &[u8]); 3] = [
            ("token", env.admin_token().as_bytes()),
            ("ca.crt", &ca),
            ("namespace", namespace.as_bytes()),
        ];
        let sa = SERVICE_ACCOUNT_VOLUME;
        volumes.push(PodVolume::files(sa, dir.join(sa), &files));
    }
    Ok(volumes)
}

/// What every container's environment starts with: the in-cluster
/// apiserver address (the local one) and the hostname.
fn base_env(env: &TestEnv, pod_name: &str) -> Result<BTreeMap<String, String>> {
    let (host, port) = env
        .server_url()
        .trim_start_matches("https://")
        .rsplit_once(':')
        .context("apiserver URL without a port")?;
    Ok(BTreeMap::from([
        ("PATH".to_owned(), PATH.to_owned()),
        ("HOSTNAME".to_owned(), pod_name.to_owned()),
        ("KUBERNETES_SERVICE_HOST".to_owned(), host.to_owned()),
        ("KUBERNETES_SERVICE_PORT".to_owned(), port.to_owned()),
        ("KUBERNETES_SERVICE_PORT_HTTPS".to_owned(), port.to_owned()),
    ]))
}

fn container<'a>(spec: &'a PodSpec, name: &str) -> Result<&'a Container> {
    spec.containers
        .iter()
        .find(|c| c.name == name)
        .with_context(|| {
            let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
            format!("no container {name:?} (containers: {names:?})")
        })
}

/// `v3.5.0` of `quay.io/prometheus/prometheus:v3.5.0[@sha256:...]`.
fn image_tag(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map_or("", |(_, tag)| tag)
}

/// The container's env in order; values may refer to earlier ones (and to
/// `base`) as `$(NAME)`.
fn container_env(
    c: &Container,
    pod: &PodInfo,
    base: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    for var in c.env.iter().flatten() {
        let value = if let Some(field) = var.value_from.as_ref().and_then(|v| v.field_ref.as_ref())
        {
            match field.field_path.as_str() {
                "metadata.name" => pod.name.clone(),
                "metadata.namespace" => pod.namespace.clone(),
                "spec.nodeName" => "localhost".to_owned(),
                "status.podIP" | "status.hostIP" => "127.0.0.1".to_owned(),
                other => bail!(
                    "container {}: env {}: unsupported fieldRef {other}",
                    c.name,
                    var.name
                ),
            }
        } else if var.value_from.is_some() {
            bail!(
                "container {}: env {}: only literal values and fieldRefs are supported",
                c.name,
                var.name
            );
        } else {
            let raw = var.value.as_deref().unwrap_or_default();
            expand(raw, |n| env.get(n).or_else(|| base.get(n)).cloned())
        };
        env.insert(var.name.clone(), value);
    }
    Ok(env)
}

/// The container's volumeMounts, sources resolved to the volumes' host
/// directories (and `subPath` / `subPathExpr` inside them).
fn container_mounts(c: &Container, volumes: &[PodVolume], pod: &PodInfo) -> Result<Vec<Mount>> {
    let env = container_env(c, pod, &BTreeMap::new())?;
    c.volume_mounts
        .iter()
        .flatten()
        .map(|m| {
            let volume = volumes
                .iter()
                .find(|v| v.name == m.name)
                .with_context(|| format!("volumeMount {}: no volume {:?}", m.mount_path, m.name))?;
            let sub_path = match (&m.sub_path, &m.sub_path_expr) {
                (Some(p), _) if !p.is_empty() => Some(p.clone()),
                (_, Some(e)) if !e.is_empty() => Some(expand(e, |n| env.get(n).cloned())),
                _ => None,
            };
            let source = match sub_path {
                Some(p) => {
                    let source = volume.dir.join(relative(&p)?);
                    // A kubelet creates a missing subPath as a directory.
                    if !source.exists() {
                        std::fs::create_dir_all(&source)?;
                    }
                    source
                }
                None => volume.dir.clone(),
            };
            Ok(Mount {
                target: PathBuf::from(&m.mount_path),
                source,
                read_only: m.read_only.unwrap_or(false),
            })
        })
        .collect()
}

/// The sidecar's `--config-file` and `--config-envsubst-file` as host paths
/// (through its own volumeMounts) and its environment.
fn config_reloader(
    c: &Container,
    volumes: &[PodVolume],
    pod: &PodInfo,
    base: &BTreeMap<String, String>,
) -> Result<ConfigReloader> {
    let flag = |name: &str| {
        let prefix = format!("--{name}=");
        c.args
            .iter()
            .flatten()
            .find_map(|a| a.strip_prefix(&prefix))
            .with_context(|| format!("container {}: no {prefix}", c.name))
    };
    let mounts = container_mounts(c, volumes, pod)?;
    let host = |pod_path: &str| -> Result<PathBuf> {
        let pod_path = Path::new(pod_path);
        mounts
            .iter()
            .filter(|m| pod_path.starts_with(&m.target))
            .max_by_key(|m| m.target.components().count())
            .map(|m| {
                m.source
                    .join(pod_path.strip_prefix(&m.target).unwrap_or(pod_path))
            })
            .with_context(|| {
                format!(
                    "container {}: {} is on no volume",
                    c.name,
                    pod_path.display()
                )
            })
    };
    let mut env = base.clone();
    env.extend(container_env(c, pod, base)?);
    Ok(ConfigReloader::new(
        host(flag("config-file")?)?,
        host(flag("config-envsubst-file")?)?,
        env,
    ))
}

/// `args` with every occurrence of each flag of `flags` (`--f=v` or
/// `--f v`) dropped and `--f=<value>` appended.
fn with_flags(args: &[String], flags: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len() + flags.len());
    let mut skip_value = false;
    for a in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let name = a.split_once('=').map_or(a.as_str(), |(name, _)| name);
        if flags.iter().any(|(flag, _)| *flag == name) {
            skip_value = name == a;
        } else {
            out.push(a.clone());
        }
    }
    out.extend(flags.iter().map(|(flag, value)| format!("{flag}={value}")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("quay.io/prometheus/prometheus:v3.5.0"), "v3.5.0");
        assert_eq!(
            image_tag("localhost:5000/prometheus:v2.53.1@sha256:ab"),
            "v2.53.1"
        );
        assert_eq!(image_tag("localhost:5000/prometheus"), "");
    }

    #[test]
    fn imposed_flags_replace_the_containers() {
        let args: Vec<String> = [
            "--a",
            "--web.listen-address=:9090",
            "--web.listen-address",
            ":1",
            "--cluster.listen-address=[$(POD_IP)]:9094",
            "--web.listen-addresses=kept",
            "--b",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            with_flags(
                &args,
                &[
                    (LISTEN_ADDRESS, "127.0.0.1:7"),
                    ("--cluster.listen-address", "")
                ]
            ),
            [
                "--a",
                "--web.listen-addresses=kept",
                "--b",
                "--web.listen-address=127.0.0.1:7",
                "--cluster.listen-address="
            ]
        );
    }
}
