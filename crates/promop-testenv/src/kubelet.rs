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
//! * the container's env (see [`container`]: literal values, fieldRefs `metadata.name`,
//!   `metadata.namespace`, `spec.nodeName`, `status.podIP`), also used to
//!   expand `$(NAME)` in args;
//! * the config-reloader's job done by the kubelet (see [`reloader`]):
//!   once before the start, and on [`RunningPod::reload`], which also
//!   rewrites the Secret and ConfigMap volumes and POSTs `/-/reload`;
//!   or, for promop's image and when [`PodOptions`] asks, the reloader's
//!   init container and sidecar run as processes (see
//!   [`reloader_container`]), and the volumes synced periodically as a
//!   kubelet does ([`VolumeSync`]).
//!
//! * env `valueFrom` `secretKeyRef` / `configMapKeyRef` (the Thanos
//!   sidecar's `OBJSTORE_CONFIG`) read from the API objects;
//! * the sidecar containers the workload knows (see [`thanos`]): a
//!   Prometheus pod's `thanos-sidecar` runs next to `prometheus` with the
//!   same volumes (the same TSDB directory), its `--prometheus.url` naming
//!   the Prometheus actually running, its gRPC and HTTP addresses on free
//!   loopback ports ([`RunningPod::sidecar_grpc`]);
//! * [`run_thanos_ruler_pod`] runs the `thanos-ruler` container of a
//!   ThanosRuler's StatefulSet (`thanos-ruler-<name>`).
//!
//! Not a kubelet: probes, resources, security contexts, the other
//! containers and init containers (but the reloader's, above) are ignored; the listen addresses
//! (`--web.listen-address`, Thanos' `--http-address` and `--grpc-address`)
//! are replaced by free loopback ports; the pod IP is 127.0.0.1.

mod alertmanager;
mod container;
pub mod e2e;
pub mod reload_e2e;
mod reloader;
mod reloader_container;
mod rootfs;
pub mod thanos;
pub mod thanos_e2e;
mod volumes;

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use kube::{Api, Client};
use serde_json::Value;

use crate::apiserver::TestEnv;
use crate::http;
use crate::process::{ManagedProcess, ScratchDir, free_port, retry_on_port_clash};
use crate::prometheus::{PrometheusApi, PrometheusVersion};
pub use alertmanager::{AlertmanagerApi, RunningAlertmanagerPod, run_alertmanager_pod};
use container::{
    PodInfo, base_env, config_reloader, container, container_env, container_mounts, image_tag,
    resolve_env_refs, with_flags,
};
use reloader::{ConfigReloader, expand};
use reloader_container::{
    LISTEN_FLAG, ReloaderProcess, VolumeSyncTask, service_account_mount, spawn_volume_sync,
    url_flags,
};
pub use reloader_container::{PodOptions, VolumeSync};
use rootfs::Mount;
pub use thanos::{RunningThanosRulerPod, ThanosRulerApi, run_thanos_ruler_pod};
use volumes::PodVolume;

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
    /// The flags set to free loopback addresses (`127.0.0.1:<port>`); the
    /// first is the HTTP address probed with `/-/ready`.
    const ADDRESS_FLAGS: &'static [&'static str] = &[LISTEN_ADDRESS];
    /// Flags whose values the test bed imposes, besides the addresses.
    const FLAGS: &'static [(&'static str, &'static str)] = &[];
    /// The sidecar containers run next to the main one when the pod has
    /// them.
    const SIDECARS: &'static [Sidecar] = &[];

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
    const SIDECARS: &'static [Sidecar] = &[thanos::SIDECAR];

    fn binary(image_tag: &str) -> Result<PathBuf> {
        crate::paths::binary(PrometheusVersion::of_spec(Some(image_tag)).binary())
    }

    fn api(url: String) -> Self {
        Self::new(url)
    }
}

/// A sidecar container the kubelet runs next to a workload's main one.
#[derive(Debug)]
struct Sidecar {
    /// The container's name in the pod template.
    container: &'static str,
    /// The installed binary (whatever the image's tag).
    binary: &'static str,
    /// As [`Workload::ADDRESS_FLAGS`]: the first is probed with `/-/ready`.
    address_flags: &'static [&'static str],
    /// The flag set to the main container's URL (with a trailing `/`).
    main_url_flag: Option<&'static str>,
}

/// A sidecar container, running; killed on drop.
struct RunningSidecar {
    container: &'static str,
    process: ManagedProcess,
    /// `127.0.0.1:<port>` for each of the sidecar's address flags.
    addresses: Vec<(&'static str, String)>,
}

/// The main container of pod `<statefulset>-<ordinal>`, running, and the
/// sidecars the kubelet runs with it; killed on drop. Its HTTP API helpers
/// come from `A` (through `Deref`): [`PrometheusApi`] for
/// [`run_statefulset_pod`], [`AlertmanagerApi`] for
/// [`run_alertmanager_pod`], [`ThanosRulerApi`] for
/// [`run_thanos_ruler_pod`].
pub struct RunningPod<A = PrometheusApi> {
    // First: the sidecars stop before the main container.
    sidecars: Vec<RunningSidecar>,
    process: ManagedProcess,
    api: A,
    url: String,
    /// `127.0.0.1:<port>` for each of the main container's address flags.
    addresses: Vec<(&'static str, String)>,
    client: Client,
    namespace: String,
    pod_name: String,
    volumes: Vec<PodVolume>,
    reloader: Option<ConfigReloader>,
    /// The periodic volume sync ([`PodOptions::volume_sync`]), stopped on
    /// drop.
    _volume_sync: Option<VolumeSyncTask>,
    // Last: removed after the process is gone.
    dir: ScratchDir,
}

/// Waits for StatefulSet `namespace/statefulset` and the objects its pod
/// mounts, materializes the pod's volumes and runs its `prometheus`
/// container until `/-/ready` answers, then its `thanos-sidecar` if it has
/// one (until the sidecar's `/-/ready` answers).
pub async fn run_statefulset_pod(
    client: &Client,
    env: &TestEnv,
    namespace: &str,
    statefulset: &str,
    ordinal: u32,
) -> Result<RunningPod> {
    run_statefulset_pod_with(
        client,
        env,
        namespace,
        statefulset,
        ordinal,
        &PodOptions::default(),
    )
    .await
}

/// [`run_statefulset_pod`], the reloader and the volume sync as `options`
/// say.
pub async fn run_statefulset_pod_with(
    client: &Client,
    env: &TestEnv,
    namespace: &str,
    statefulset: &str,
    ordinal: u32,
    options: &PodOptions,
) -> Result<RunningPod> {
    start_pod(client, env, namespace, statefulset, ordinal, options).await
}

/// What the containers of one pod share: its volumes, identity and
/// environment, and the kubelet's scratch directory.
struct PodSandbox<'a> {
    pod: &'a PodInfo,
    volumes: &'a [PodVolume],
    base_env: &'a BTreeMap<String, String>,
    dir: &'a Path,
}

/// One container to start in a [`PodSandbox`].
struct ContainerRun<'a> {
    container: &'a Container,
    binary: PathBuf,
    extra_mounts: Vec<Mount>,
    /// Set to free loopback addresses; the first is probed with `/-/ready`.
    address_flags: &'a [&'static str],
    /// Imposed values.
    flags: Vec<(&'a str, String)>,
    /// The pod root's directory and the files' prefix in the scratch
    /// directory (`root`, `pod.sh` for the main container).
    root: &'a str,
    script: &'a str,
    /// Answers 200 once the container is ready (`/-/ready`).
    ready_path: &'static str,
}

impl PodSandbox<'_> {
    /// Mounts, environment and args of `run`, started in its own mount
    /// namespace; returns once `run.ready_path` answers on its first address.
    async fn start(
        &self,
        run: ContainerRun<'_>,
    ) -> Result<(ManagedProcess, Vec<(&'static str, String)>)> {
        let prepared = self.prepare(&run)?;
        retry_on_port_clash(|| async {
            let mut addresses = Vec::new();
            for flag in run.address_flags {
                addresses.push((*flag, format!("127.0.0.1:{}", free_port()?)));
            }
            let mut flags: Vec<(&str, &str)> =
                addresses.iter().map(|(f, a)| (*f, a.as_str())).collect();
            flags.extend(run.flags.iter().map(|(f, v)| (*f, v.as_str())));
            let cmd = prepared.command(&run.binary, &flags);
            let mut process = ManagedProcess::spawn(&prepared.name, cmd, &prepared.log)?;
            let ready = format!(
                "http://{}{}",
                addresses.first().map_or("", |(_, a)| a.as_str()),
                run.ready_path
            );
            process
                .wait_ready(READY_TIMEOUT, || async {
                    http::get_ok(&ready).await.map(drop)
                })
                .await?;
            Ok((process, addresses))
        })
        .await
    }

    /// Runs `run` (an init container) until it exits; fails unless it
    /// exits with 0 within [`OBJECTS_TIMEOUT`].
    async fn run_to_completion(&self, run: ContainerRun<'_>) -> Result<()> {
        let prepared = self.prepare(&run)?;
        let flags: Vec<(&str, &str)> = run.flags.iter().map(|(f, v)| (*f, v.as_str())).collect();
        let mut cmd = prepared.command(&run.binary, &flags);
        let log = std::fs::File::create(&prepared.log)?;
        cmd.stdout(log.try_clone()?).stderr(log);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", prepared.name))?;
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                let log = std::fs::read_to_string(&prepared.log).unwrap_or_default();
                ensure!(
                    status.success(),
                    "{} exited with {status}:\n{log}",
                    prepared.name
                );
                return Ok(());
            }
            if start.elapsed() > OBJECTS_TIMEOUT {
                let _ = child.kill();
                let log = std::fs::read_to_string(&prepared.log).unwrap_or_default();
                bail!(
                    "{} still running after {OBJECTS_TIMEOUT:?}:\n{log}",
                    prepared.name
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The container's root (its mounts), environment and expanded args.
    fn prepare(&self, run: &ContainerRun<'_>) -> Result<Prepared> {
        let c = run.container;
        let mut mounts = container_mounts(c, self.volumes, self.pod)?;
        let at_sa_dir = |m: &Mount| m.target == Path::new(SERVICE_ACCOUNT_DIR);
        if let Some(sa) = self
            .volumes
            .iter()
            .find(|v| v.name == SERVICE_ACCOUNT_VOLUME)
            && !mounts.iter().chain(&run.extra_mounts).any(at_sa_dir)
        {
            mounts.push(Mount {
                target: SERVICE_ACCOUNT_DIR.into(),
                source: sa.dir.clone(),
                read_only: true,
            });
        }
        mounts.extend(run.extra_mounts.iter().cloned());
        let mut env = self.base_env.clone();
        env.extend(container_env(c, self.pod, self.base_env)?);

        let root = self.dir.join(run.root);
        let script = rootfs::prepare(&root, &mounts)?;
        let script_path = self.dir.join(run.script);
        std::fs::write(&script_path, script)?;
        // The binary stands for the command's first word (a reloader's
        // command is `/promop config-reloader`).
        let command = c.command.iter().flatten().skip(1);
        let args: Vec<String> = command
            .chain(c.args.iter().flatten())
            .map(|a| expand(a, |n| env.get(n).cloned()))
            .collect();
        Ok(Prepared {
            script_path,
            workdir: c.working_dir.clone().unwrap_or_else(|| "/".into()),
            args,
            env,
            log: self.dir.join(format!("{}.log", c.name)),
            name: format!("{}/{}", self.pod.name, c.name),
        })
    }
}

/// A container ready to start: `unshare` runs its mount script, which
/// execs the binary in the pod's root.
struct Prepared {
    script_path: PathBuf,
    workdir: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    log: PathBuf,
    name: String,
}

impl Prepared {
    /// The command running `binary` with the container's args, `flags`
    /// imposed.
    fn command(&self, binary: &Path, flags: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private", "--", "sh"])
            .arg(&self.script_path)
            .arg(&self.workdir)
            .arg(binary)
            .args(with_flags(&self.args, flags))
            .env_clear()
            .envs(&self.env);
        cmd
    }
}

/// [`run_statefulset_pod`] for the main container of workload `W` (and
/// its sidecars).
async fn start_pod<W: Workload>(
    client: &Client,
    env: &TestEnv,
    namespace: &str,
    statefulset: &str,
    ordinal: u32,
    options: &PodOptions,
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
    let sidecars: Vec<(&Sidecar, &Container)> = W::SIDECARS
        .iter()
        .filter_map(|s| container(spec, s.container).ok().map(|c| (s, c)))
        .collect();
    for c in std::iter::once(main).chain(sidecars.iter().map(|(_, c)| *c)) {
        if c.command.is_some() {
            bail!(
                "container {}: a command is not supported (the binary is the image's entrypoint)",
                c.name
            );
        }
    }
    let tag = main.image.as_deref().map(image_tag).unwrap_or_default();
    let binary = W::binary(tag)?;
    let env_refs = resolve_env_refs(client, namespace, &spec.containers).await?;
    let pod = PodInfo {
        name: pod_name.clone(),
        namespace: namespace.to_owned(),
        env_refs,
    };

    let dir = ScratchDir::new("promop-pod-")?;
    let volumes_dir = dir.path().join("volumes");
    let mut volumes = pod_volumes(&sts, spec, env, &volumes_dir)?;
    // Before the mounts: a subPath names a file only once it is written.
    materialize_all(client, namespace, &mut volumes).await?;

    let base_env = base_env(env, &pod_name)?;
    let reloader_process = ReloaderProcess::of(spec, options)?;
    // The kubelet does the reloader's job unless its containers run.
    let reloader = match (&reloader_process, container(spec, RELOADER)) {
        (None, Ok(c)) => config_reloader(c, &volumes, &pod, &base_env)?,
        _ => None,
    };
    if let Some(r) = &reloader {
        r.run()?;
    }

    let sandbox = PodSandbox {
        pod: &pod,
        volumes: &volumes,
        base_env: &base_env,
        dir: dir.path(),
    };
    let reloader_mounts = match &reloader_process {
        Some(p) if p.promop => {
            let sa_dir = dir.path().join("reloader-service-account");
            vec![service_account_mount(env, spec, namespace, sa_dir).await?]
        }
        _ => Vec::new(),
    };
    if let Some(p) = &reloader_process
        && let Some(init) = p.init
    {
        let listen = format!("127.0.0.1:{}", free_port()?);
        sandbox
            .run_to_completion(ContainerRun {
                container: init,
                binary: p.binary.clone(),
                extra_mounts: reloader_mounts.clone(),
                address_flags: &[],
                flags: vec![(LISTEN_FLAG, listen)],
                root: "root-init-config-reloader",
                script: "init-config-reloader.sh",
                ready_path: "",
            })
            .await?;
    }
    let (process, addresses) = sandbox
        .start(ContainerRun {
            container: main,
            binary,
            extra_mounts: W::asset_mounts(tag)?,
            address_flags: W::ADDRESS_FLAGS,
            flags: W::FLAGS
                .iter()
                .map(|(f, v)| (*f, (*v).to_owned()))
                .collect(),
            root: "root",
            script: "pod.sh",
            ready_path: "/-/ready",
        })
        .await?;
    let url = format!(
        "http://{}",
        addresses.first().map_or("", |(_, a)| a.as_str())
    );
    let mut running_sidecars = Vec::new();
    for (sidecar, c) in sidecars {
        let root = format!("root-{}", c.name);
        let script = format!("{}.sh", c.name);
        let (process, addresses) = sandbox
            .start(ContainerRun {
                container: c,
                binary: crate::paths::binary(sidecar.binary)?,
                extra_mounts: Vec::new(),
                address_flags: sidecar.address_flags,
                flags: sidecar
                    .main_url_flag
                    .map(|f| (f, format!("{url}/")))
                    .into_iter()
                    .collect(),
                root: &root,
                script: &script,
                ready_path: "/-/ready",
            })
            .await?;
        running_sidecars.push(RunningSidecar {
            container: sidecar.container,
            process,
            addresses,
        });
    }
    if let Some(p) = &reloader_process
        && let Some(c) = p.sidecar
    {
        let main_address = addresses.first().map_or("", |(_, a)| a.as_str());
        let (process, addresses) = sandbox
            .start(ContainerRun {
                container: c,
                binary: p.binary.clone(),
                extra_mounts: reloader_mounts,
                address_flags: &[LISTEN_FLAG],
                flags: url_flags(c, main_address),
                root: "root-config-reloader",
                script: "config-reloader.sh",
                ready_path: "/healthz",
            })
            .await?;
        running_sidecars.push(RunningSidecar {
            container: RELOADER,
            process,
            addresses,
        });
    }
    let volume_sync = options
        .volume_sync
        .map(|sync| spawn_volume_sync(client.clone(), namespace.to_owned(), volumes.clone(), sync));
    Ok(RunningPod {
        sidecars: running_sidecars,
        process,
        api: W::api(url.clone()),
        url,
        addresses,
        client: client.clone(),
        namespace: namespace.to_owned(),
        pod_name,
        volumes,
        reloader,
        _volume_sync: volume_sync,
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

    /// `127.0.0.1:<port>`, the value the kubelet gave the main
    /// container's address flag `flag` (e.g. `--grpc-address`).
    pub fn address(&self, flag: &str) -> Option<&str> {
        self.addresses
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, a)| a.as_str())
    }

    /// `127.0.0.1:<port>`, the value the kubelet gave sidecar
    /// `container`'s address flag `flag`, if the sidecar runs.
    pub fn sidecar_address(&self, container: &str, flag: &str) -> Option<&str> {
        self.sidecars
            .iter()
            .find(|s| s.container == container)?
            .addresses
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, a)| a.as_str())
    }

    /// The log of sidecar `container`, if it runs.
    pub fn sidecar_logs(&self, container: &str) -> Option<String> {
        self.sidecars
            .iter()
            .find(|s| s.container == container)
            .map(|s| s.process.logs())
    }

    /// The PID (also its process group's) of sidecar `container`, if it
    /// runs.
    pub fn sidecar_pid(&self, container: &str) -> Option<u32> {
        self.sidecars
            .iter()
            .find(|s| s.container == container)?
            .process
            .pid()
    }

    /// The log file of sidecar `container`, if it runs.
    pub fn sidecar_log_path(&self, container: &str) -> Option<&Path> {
        self.sidecars
            .iter()
            .find(|s| s.container == container)
            .map(|s| s.process.log_path())
    }

    /// The last `lines` of sidecar `container`'s log, if it runs.
    pub fn sidecar_log_tail(&self, container: &str, lines: usize) -> Option<String> {
        self.sidecars
            .iter()
            .find(|s| s.container == container)
            .map(|s| s.process.log_tail(lines))
    }

    /// The kubelet's scratch space: `volumes/<name>/`, the pod's `root/`,
    /// `pod.sh` (the mount script) and `<container>.log` (a sidecar's root
    /// and script are `root-<container>/` and `<container>.sh`).
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

    /// Fails (with the log's tail) if the container's process, or one of
    /// its sidecars', has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.process.check_running()?;
        for s in &mut self.sidecars {
            s.process.check_running()?;
        }
        Ok(())
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
