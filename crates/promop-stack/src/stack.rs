//! [`Stack`]: every process of the local stack, started in order, watched,
//! and stopped (by process group) when the value drops.
//!
//! The test bed plays the cluster: [`TestEnv`] is the control plane, the
//! local processes stand for the example's Deployments (their Services and
//! EndpointSlices in deploy/local point at them), and the test bed's
//! kubelet runs the Prometheus and Alertmanager pods of the StatefulSets
//! promop writes. What a kubelet and the config-reloader keep doing after
//! the start is [`Stack::tick`]'s job: re-materialize a pod's Secrets and
//! ConfigMaps and reload it when promop changes them.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use promop_testenv::thanos::{self, SIDECAR_CONTAINER, ThanosQuery};
use promop_testenv::thanos_e2e::REPLICA_LABEL;
use promop_testenv::{
    AlertmanagerVersion, FIELD_MANAGER, ManagedProcess, PrometheusApi, PrometheusVersion,
    RunningAlertmanagerPod, RunningPod, RunningThanosRulerPod, TestEnv, WebhookSink,
    apply_manifests, free_port, installed_release, run_alertmanager_pod, run_statefulset_pod,
    run_thanos_ruler_pod,
};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::http;
use crate::manifests::{self, Values};
use crate::progress::Progress;
use crate::status::{Status, ThanosStatus};

/// Every placeholder of deploy/local (the values `Stack::start` fills).
#[cfg(test)]
pub(crate) const PLACEHOLDERS: &[&str] = &[
    "ORDERS_WEB_PORT",
    "ORDERS_METRICS_PORT",
    "BLACKBOX_PORT",
    "PUSHGATEWAY_PORT",
    "PROMOP_PORT",
    "PROMETHEUS_VERSION",
    "ALERTMANAGER_VERSION",
    "SINK_URL",
    "PROMETHEUS_PORT",
    "ALERTMANAGER_PORT",
    "THANOS_VERSION",
    "THANOS_BUCKET",
    "PROMETHEUS_1_PORT",
    "THANOS_QUERY_ADDRESS",
];
/// Where the Prometheus and the Alertmanager of deploy/local live.
const MONITORING: &str = "monitoring";
/// Their StatefulSets (`<kind>-<name>`), also the prefix of every Secret
/// and ConfigMap their pods mount.
const PROMETHEUS_STS: &str = "prometheus-orders";
const ALERTMANAGER_STS: &str = "alertmanager-orders";
/// With `--thanos`: the ThanosRuler's (deploy/local/thanos).
const RULER_STS: &str = "thanos-ruler-orders";
/// The batch job whose series the stack pushes to the Pushgateway.
const BATCH_JOB: &str = "orders-reconciliation";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the targets may take to be scraped once the pods run.
const TARGETS_TIMEOUT: Duration = Duration::from_secs(120);

/// What to run and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// Logs of the local processes and the sink's `sink.log`.
    pub dir: PathBuf,
    /// The workspace: `deploy/local`, `deploy/examples`.
    pub repo: PathBuf,
    pub promop: PathBuf,
    pub orders_service: PathBuf,
    /// orders-service's `--load` (orders per second).
    pub load: f64,
    /// orders-service's `--failure-ratio`: the demo alert needs failures.
    pub failure_ratio: f64,
    /// Print a line for each notification the alert sink receives.
    pub echo_alerts: bool,
    /// The overlay deploy/local/thanos: 2 Prometheus replicas with Thanos
    /// sidecars shipping to a bucket in `dir`, Thanos Query over them and
    /// a ThanosRuler evaluating through Query.
    pub thanos: bool,
}

/// A local process standing for a Deployment's pod.
struct Local {
    process: ManagedProcess,
    /// `http://127.0.0.1:<port>`
    url: String,
}

/// The Thanos part of the stack (`--thanos`). Fields drop in order: the
/// ruler, Query, then the second Prometheus replica.
struct Thanos {
    ruler: RunningThanosRulerPod,
    query: ThanosQuery,
    prometheus_1: RunningPod,
}

/// The running stack. Fields drop in order: the Thanos part, the pods,
/// promop, the local processes, the sink, and the control plane last.
pub struct Stack {
    thanos: Option<Thanos>,
    prometheus: RunningPod,
    alertmanager: RunningAlertmanagerPod,
    promop: Local,
    orders: Local,
    blackbox: Local,
    pushgateway: Local,
    _recorder: AbortOnDrop,
    _sink: Arc<WebhookSink>,
    /// Per pod, the resourceVersions of the objects it mounts, as last loaded.
    loaded: BTreeMap<&'static str, BTreeMap<String, String>>,
    env: TestEnv,
    status: Status,
}

impl Stack {
    /// Starts everything; returns once every target is up.
    pub async fn start(options: &Options) -> Result<Self> {
        let started = Instant::now();
        let mut progress = Progress::stderr(if options.thanos { 7 } else { 6 });
        prepare_dir(&options.dir)?;
        let prometheus_version = PrometheusVersion::V3.installed_version()?;
        let alertmanager_version = installed_release(AlertmanagerVersion::Latest.binary())?;

        progress.step(
            "etcd + kube-apiserver, orders-service, blackbox exporter, pushgateway, alert sink",
        );
        let (env, (orders, orders_metrics), blackbox, pushgateway) = tokio::try_join!(
            TestEnv::start(),
            start_orders_service(options),
            start_blackbox_exporter(options),
            start_pushgateway(options),
        )?;
        push_batch_job(&pushgateway.url).await?;
        let sink = Arc::new(WebhookSink::start().await?);
        let sink_log = options.dir.join("sink.log");
        let recorder = AbortOnDrop(tokio::spawn(record_notifications(
            sink.clone(),
            sink_log.clone(),
            options.echo_alerts,
        )));
        let client = env.client();

        progress.step("promop's CRDs");
        apply_manifests(&client, &crds()?).await?;

        progress.step("promop run");
        let promop = start_promop(options, &env).await?;

        progress.step("manifests of deploy/local and the example's PrometheusRules");
        let local_dir = options.repo.join("deploy/local");
        let overlay = options.thanos.then(|| local_dir.join("thanos"));
        let overlay = overlay.as_deref();
        let bucket = options.dir.join("thanos-bucket");
        let mut values = Values::from([
            ("ORDERS_WEB_PORT", port_of(&orders.url)),
            ("ORDERS_METRICS_PORT", port_of(&orders_metrics)),
            ("BLACKBOX_PORT", port_of(&blackbox.url)),
            ("PUSHGATEWAY_PORT", port_of(&pushgateway.url)),
            ("PROMOP_PORT", port_of(&promop.url)),
            ("PROMETHEUS_VERSION", prometheus_version),
            ("ALERTMANAGER_VERSION", alertmanager_version),
            ("SINK_URL", sink.url()),
        ]);
        if options.thanos {
            std::fs::create_dir_all(&bucket)
                .with_context(|| format!("creating {}", bucket.display()))?;
            values.insert(
                "THANOS_VERSION",
                format!("v{}", installed_release(thanos::BINARY)?),
            );
            values.insert("THANOS_BUCKET", bucket.display().to_string());
        }
        let applied = apply_manifests(
            &client,
            &manifests::local(&local_dir, overlay, &values, None)?,
        )
        .await
        .context("applying deploy/local")?;
        run_pods_locally(&client, &applied).await?;
        let rules = manifests::example_rules(&options.repo.join("deploy/examples"))?;
        apply_manifests(&client, &rules)
            .await
            .context("applying the PrometheusRules of deploy/examples")?;

        progress.step("Prometheus and Alertmanager pods of the StatefulSets promop wrote");
        let promop_log = || format!("promop's log:\n{}", promop.process.log_tail(30));
        let second_replica = async {
            if options.thanos {
                run_statefulset_pod(&client, &env, MONITORING, PROMETHEUS_STS, 1)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        };
        let (alertmanager, prometheus, prometheus_1) = tokio::try_join!(
            run_alertmanager_pod(&client, &env, MONITORING, ALERTMANAGER_STS, 0),
            run_statefulset_pod(&client, &env, MONITORING, PROMETHEUS_STS, 0),
            second_replica,
        )
        .with_context(promop_log)?;
        values.insert("PROMETHEUS_PORT", prometheus.port().to_string());
        values.insert("ALERTMANAGER_PORT", alertmanager.port().to_string());
        if let Some(p) = &prometheus_1 {
            values.insert("PROMETHEUS_1_PORT", p.port().to_string());
        }
        let after_pods = Some(manifests::AFTER_PODS);
        apply_manifests(
            &client,
            &manifests::local(&local_dir, overlay, &values, after_pods)?,
        )
        .await?;

        let thanos = match prometheus_1 {
            Some(prometheus_1) => {
                progress.step("Thanos Query over both sidecars, the ThanosRuler's pod");
                let query = start_thanos_query(&prometheus, &prometheus_1).await?;
                values.insert("THANOS_QUERY_ADDRESS", query.http_address().to_owned());
                let after_query = Some(manifests::AFTER_QUERY);
                apply_manifests(
                    &client,
                    &manifests::local(&local_dir, overlay, &values, after_query)?,
                )
                .await
                .context("applying the ThanosRuler")?;
                let ruler = run_thanos_ruler_pod(&client, &env, MONITORING, RULER_STS, 0)
                    .await
                    .with_context(promop_log)?;
                Some(Thanos {
                    ruler,
                    query,
                    prometheus_1,
                })
            }
            None => None,
        };

        let status = Status {
            ready_after_seconds: 0.0,
            prometheus: prometheus.url().to_owned(),
            alertmanager: alertmanager.url().to_owned(),
            orders_service: orders.url.clone(),
            orders_service_metrics: orders_metrics,
            pushgateway: pushgateway.url.clone(),
            blackbox_exporter: blackbox.url.clone(),
            promop_metrics: format!("{}/metrics", promop.url),
            apiserver: env.server_url().to_owned(),
            kubeconfig: env.kubeconfig_path().to_owned(),
            sink: sink.url(),
            sink_log,
            logs: BTreeMap::new(),
            pids: BTreeMap::new(),
            thanos: thanos.as_ref().map(|t| ThanosStatus {
                query: format!("http://{}", t.query.http_address()),
                ruler: t.ruler.url().to_owned(),
                prometheus_1: t.prometheus_1.url().to_owned(),
                bucket: bucket.clone(),
            }),
        };
        let mut stack = Self {
            thanos,
            prometheus,
            alertmanager,
            promop,
            orders,
            blackbox,
            pushgateway,
            _recorder: recorder,
            _sink: sink,
            loaded: BTreeMap::new(),
            env,
            status,
        };
        stack.status.logs = stack.logs();
        stack.status.pids = stack.pids();
        progress.step("every target scraped and up");
        stack.wait_targets_up().await?;
        progress.done();
        stack.status.ready_after_seconds = started.elapsed().as_secs_f64();
        Ok(stack)
    }

    /// Runs [`tick`](Self::tick) until every scrape pool of the loaded
    /// configuration has targets and all of them are up.
    async fn wait_targets_up(&mut self) -> Result<()> {
        let since = Instant::now();
        let api = PrometheusApi::new(self.status.prometheus.clone());
        loop {
            self.tick().await?;
            let (pools, targets) = scrape_state(&api).await?;
            let down: Vec<String> = pools
                .iter()
                .filter(|pool| !targets.iter().any(|t| t["scrapePool"] == **pool))
                .map(|pool| format!("{pool}: no target"))
                .chain(
                    targets
                        .iter()
                        .filter(|t| t["health"] != "up")
                        .map(|t| format!("{}: {}", t["scrapePool"], t["lastError"])),
                )
                .collect();
            if down.is_empty() && !pools.is_empty() {
                return Ok(());
            }
            if since.elapsed() > TARGETS_TIMEOUT {
                bail!("targets not up after {TARGETS_TIMEOUT:?}: {down:#?}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// One round of supervision: fails if a process exited; reloads a pod
    /// whose Secrets or ConfigMaps changed since it last loaded them.
    pub async fn tick(&mut self) -> Result<()> {
        self.env.check_running()?;
        for local in [
            &mut self.promop,
            &mut self.orders,
            &mut self.blackbox,
            &mut self.pushgateway,
        ] {
            local.process.check_running()?;
        }
        self.prometheus.check_running()?;
        self.alertmanager.check_running()?;
        if let Some(t) = &mut self.thanos {
            t.prometheus_1.check_running()?;
            t.query.check_running()?;
            t.ruler.check_running()?;
        }
        let client = self.env.client();
        for sts in [PROMETHEUS_STS, ALERTMANAGER_STS, RULER_STS] {
            if sts == RULER_STS && self.thanos.is_none() {
                continue;
            }
            let now = match mounted_versions(&client, sts).await {
                Ok(now) => now,
                Err(e) => {
                    eprintln!("local-stack: listing the objects {sts}-0 mounts: {e:#}");
                    continue;
                }
            };
            if self.loaded.get(sts) == Some(&now) {
                continue;
            }
            let reloaded = match (sts, &mut self.thanos) {
                (PROMETHEUS_STS, thanos) => match self.prometheus.reload().await {
                    Ok(()) => match thanos {
                        Some(t) => t.prometheus_1.reload().await,
                        None => Ok(()),
                    },
                    e => e,
                },
                (ALERTMANAGER_STS, _) => self.alertmanager.reload().await,
                (_, Some(t)) => t.ruler.reload().await,
                (_, None) => Ok(()),
            };
            match reloaded {
                Ok(()) => {
                    self.loaded.insert(sts, now);
                }
                // Objects may be half-written: the next tick retries.
                Err(e) => eprintln!("local-stack: reloading {sts}-0: {e:#}"),
            }
        }
        Ok(())
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    fn pids(&self) -> BTreeMap<String, u32> {
        let [apiserver, etcd] = self.env.pids()[..] else {
            return BTreeMap::new();
        };
        let t = self.thanos.as_ref();
        [
            ("kube-apiserver", Some(apiserver)),
            ("etcd", Some(etcd)),
            ("promop", self.promop.process.pid()),
            ("orders-service", self.orders.process.pid()),
            ("blackbox-exporter", self.blackbox.process.pid()),
            ("pushgateway", self.pushgateway.process.pid()),
            ("prometheus", self.prometheus.pid()),
            ("alertmanager", self.alertmanager.pid()),
            ("prometheus-1", t.and_then(|t| t.prometheus_1.pid())),
            (
                "thanos-sidecar-0",
                t.and(self.prometheus.sidecar_pid(SIDECAR_CONTAINER)),
            ),
            (
                "thanos-sidecar-1",
                t.and_then(|t| t.prometheus_1.sidecar_pid(SIDECAR_CONTAINER)),
            ),
            ("thanos-query", t.and_then(|t| t.query.pid())),
            ("thanos-ruler", t.and_then(|t| t.ruler.pid())),
        ]
        .into_iter()
        .filter_map(|(name, pid)| Some((name.to_owned(), pid?)))
        .collect()
    }

    fn logs(&self) -> BTreeMap<String, PathBuf> {
        let mut logs: BTreeMap<String, PathBuf> = [
            &self.promop,
            &self.orders,
            &self.blackbox,
            &self.pushgateway,
        ]
        .into_iter()
        .map(|l| (l.process.name().to_owned(), l.process.log_path().to_owned()))
        .collect();
        logs.insert(
            "prometheus".into(),
            self.prometheus.dir().join("prometheus.log"),
        );
        logs.insert(
            "alertmanager".into(),
            self.alertmanager.dir().join("alertmanager.log"),
        );
        logs.insert(
            "kube-apiserver".into(),
            self.env.dir().join("kube-apiserver.log"),
        );
        if let Some(t) = &self.thanos {
            logs.insert(
                "prometheus-1".into(),
                t.prometheus_1.dir().join("prometheus.log"),
            );
            for (name, pod) in [
                ("thanos-sidecar-0", &self.prometheus),
                ("thanos-sidecar-1", &t.prometheus_1),
            ] {
                if let Some(path) = pod.sidecar_log_path(SIDECAR_CONTAINER) {
                    logs.insert(name.into(), path.to_owned());
                }
            }
            logs.insert("thanos-query".into(), t.query.log_path().to_owned());
            logs.insert(
                "thanos-ruler".into(),
                t.ruler.dir().join("thanos-ruler.log"),
            );
        }
        logs
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Creates `dir`; removes what a previous run left in it (the logs are
/// appended to).
fn prepare_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for name in [
        "orders-service.log",
        "blackbox-exporter.log",
        "pushgateway.log",
        "promop.log",
        "sink.log",
    ] {
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// Spawns `cmd` (its log in `dir/<name>.log`) and waits until
/// `<url><ready_path>` answers 2xx.
async fn start_local(
    name: &str,
    cmd: Command,
    dir: &Path,
    url: String,
    ready_path: &str,
) -> Result<Local> {
    let mut process = ManagedProcess::spawn(name, cmd, &dir.join(format!("{name}.log")))?;
    let ready = format!("{url}{ready_path}");
    process
        .wait_ready(READY_TIMEOUT, || async {
            http::get_ok(&ready).await.map(drop)
        })
        .await?;
    Ok(Local { process, url })
}

fn loopback() -> Result<String> {
    Ok(format!("127.0.0.1:{}", free_port()?))
}

fn port_of(url: &str) -> String {
    url.rsplit(':').next().unwrap_or_default().to_owned()
}

fn binary(path: &Path) -> Result<Command> {
    if !path.is_file() {
        bail!(
            "{} not found: build it first (scripts/local-stack does: cargo build -p promop -p orders-service)",
            path.display()
        );
    }
    Ok(Command::new(path))
}

/// orders-service and the URL of its separate `/metrics` listener.
async fn start_orders_service(options: &Options) -> Result<(Local, String)> {
    let (web, metrics) = (loopback()?, loopback()?);
    let mut cmd = binary(&options.orders_service)?;
    cmd.args(["--listen", &web, "--metrics-listen", &metrics])
        .args(["--load", &options.load.to_string()])
        .args(["--failure-ratio", &options.failure_ratio.to_string()]);
    let url = format!("http://{web}");
    let local = start_local("orders-service", cmd, &options.dir, url, "/readyz").await?;
    Ok((local, format!("http://{metrics}")))
}

async fn start_blackbox_exporter(options: &Options) -> Result<Local> {
    let address = loopback()?;
    let config = options.repo.join("deploy/local/config/blackbox.yml");
    let mut cmd = Command::new(promop_testenv::binary("blackbox_exporter")?);
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--web.listen-address={address}"));
    let url = format!("http://{address}");
    start_local("blackbox-exporter", cmd, &options.dir, url, "/-/healthy").await
}

async fn start_pushgateway(options: &Options) -> Result<Local> {
    let address = loopback()?;
    let mut cmd = Command::new(promop_testenv::binary("pushgateway")?);
    cmd.arg(format!("--web.listen-address={address}"));
    let url = format!("http://{address}");
    start_local("pushgateway", cmd, &options.dir, url, "/-/ready").await
}

async fn start_promop(options: &Options, env: &TestEnv) -> Result<Local> {
    let address = loopback()?;
    let mut cmd = binary(&options.promop)?;
    cmd.arg("run")
        .arg("--kubeconfig")
        .arg(env.kubeconfig_path())
        .arg(format!("--web.listen-address={address}"));
    let url = format!("http://{address}");
    start_local("promop", cmd, &options.dir, url, "/readyz").await
}

/// Thanos Query over the StoreAPI of both replicas' sidecars,
/// deduplicating on their replica label.
async fn start_thanos_query(a: &RunningPod, b: &RunningPod) -> Result<ThanosQuery> {
    let mut endpoints = Vec::new();
    for pod in [a, b] {
        endpoints.push(
            pod.sidecar_grpc()
                .with_context(|| format!("pod {} has no {SIDECAR_CONTAINER}", pod.pod_name()))?,
        );
    }
    ThanosQuery::start(&endpoints, REPLICA_LABEL)
        .await
        .with_context(|| {
            format!(
                "sidecar logs:\n{}\n{}",
                a.sidecar_log_tail(SIDECAR_CONTAINER, 20)
                    .unwrap_or_default(),
                b.sidecar_log_tail(SIDECAR_CONTAINER, 20)
                    .unwrap_or_default()
            )
        })
}

/// What the demo batch job pushes when it finishes: its last success and
/// how many orders it reconciled. The Pushgateway keeps the series.
async fn push_batch_job(pushgateway: &str) -> Result<()> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let body = format!(
        "# TYPE orders_reconciliation_last_success_timestamp_seconds gauge\n\
         orders_reconciliation_last_success_timestamp_seconds {now}\n\
         # TYPE orders_reconciliation_orders gauge\n\
         orders_reconciliation_orders 42\n"
    );
    http::put_ok(&format!("{pushgateway}/metrics/job/{BATCH_JOB}"), &body).await
}

/// promop's CRDs as YAML documents.
fn crds() -> Result<String> {
    let docs = promop_api::crd::all()
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(docs.join("\n---\n"))
}

/// The kubelet's part for the Pods of deploy/local: they run as local
/// processes on the loopback address, which their status says.
async fn run_pods_locally(client: &Client, applied: &[kube::api::DynamicObject]) -> Result<()> {
    for pod in applied
        .iter()
        .filter(|o| o.types.as_ref().is_some_and(|t| t.kind == "Pod"))
    {
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let status = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "status": {
                "phase": "Running",
                "hostIP": "127.0.0.1",
                "podIP": "127.0.0.1",
                "podIPs": [{"ip": "127.0.0.1"}],
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        });
        Api::<Pod>::namespaced(client.clone(), namespace)
            .patch_status(
                name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(status),
            )
            .await
            .with_context(|| format!("setting the status of Pod {namespace}/{name}"))?;
    }
    Ok(())
}

/// Name → resourceVersion of the Secrets and ConfigMaps of `monitoring`
/// whose names start with the StatefulSet's (its config, web config, TLS
/// assets and rule files).
async fn mounted_versions(client: &Client, sts: &str) -> Result<BTreeMap<String, String>> {
    let lp = ListParams::default();
    let secrets = Api::<Secret>::namespaced(client.clone(), MONITORING)
        .list_metadata(&lp)
        .await?;
    let maps = Api::<ConfigMap>::namespaced(client.clone(), MONITORING)
        .list_metadata(&lp)
        .await?;
    Ok(secrets
        .items
        .iter()
        .map(|o| ("Secret", &o.metadata))
        .chain(maps.items.iter().map(|o| ("ConfigMap", &o.metadata)))
        .filter_map(|(kind, meta)| {
            let name = meta.name.as_deref()?;
            name.starts_with(sts).then(|| {
                (
                    format!("{kind}/{name}"),
                    meta.resource_version.clone().unwrap_or_default(),
                )
            })
        })
        .collect())
}

/// The scrape pools of the loaded configuration and the active targets.
async fn scrape_state(api: &PrometheusApi) -> Result<(Vec<String>, Vec<Value>)> {
    let pools = api.api_get("scrape_pools").await?["scrapePools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(String::from))
        .collect();
    Ok((pools, api.active_targets().await?))
}

/// Appends every notification the sink receives to `log` (one JSON line
/// each) and, with `echo`, prints a summary line.
async fn record_notifications(sink: Arc<WebhookSink>, log: PathBuf, echo: bool) {
    let mut seen = 0;
    loop {
        let Ok(all) = sink.wait_for(seen + 1, Duration::from_secs(3600)).await else {
            continue;
        };
        for body in &all[seen..] {
            let line = json!({"received": humantime_now(), "notification": body});
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .and_then(|mut f| writeln!(f, "{line}"));
            if let Err(e) = written {
                eprintln!("local-stack: writing {}: {e}", log.display());
            }
            if !echo {
                continue;
            }
            let alerts: Vec<&str> = body["alerts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["labels"]["alertname"].as_str())
                .collect();
            println!(
                "alert sink: {} {} {alerts:?}",
                body["receiver"].as_str().unwrap_or("?"),
                body["status"].as_str().unwrap_or("?"),
            );
        }
        seen = all.len();
    }
}

/// Seconds since the epoch (the sink log's timestamps).
fn humantime_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
