//! Operator benchmarks of issue 5: `promop run` (release build) against the
//! reference operator (upstream v0.94.1), each run alone on its own fresh
//! test bed (the upstream CRDs installed) holding the same objects.
//!
//! ```text
//! cargo run --release -p promop-testenv --bin bench_operator -- \
//!     [latency|memory|big-secrets|scale|reloader|all] [--runs N] [--operators promop,reference] \
//!     [--idle SECONDS] [--promop FILE] [scale's sizes]
//! ```
//!
//! * `latency`: a cluster of 100 ServiceMonitors (`benches/gen-cluster.py 10
//!   10`) and one Prometheus selecting them. Once the operator wrote the full
//!   configuration, one ServiceMonitor is changed 50 times, one change at a
//!   time (server-side apply; a relabeling with a distinct replacement
//!   value). Each sample is the time from the apply call returning to the
//!   moment a watch on the config Secret `prometheus-<name>` delivers a
//!   `prometheus.yaml.gz` that contains the new value. Reports p50/p99
//!   (nearest rank).
//! * `memory`: 1,000 ServiceMonitors in 100 namespaces (`gen-cluster.py 100
//!   10`, which adds 200 Secrets they reference) plus 10,000 Secrets of 1 KiB,
//!   all created before the operator starts. Reports the time from the
//!   operator's start to its first config Secret and to the complete one
//!   (one job per endpoint), then, after 30 s idle (`--idle`), the steady RSS
//!   (`VmRSS`) and the peak RSS of the whole run (`VmHWM`), with the RSS
//!   sampled every 10 s while idle.
//! * `big-secrets` (not part of `all`): 200 ServiceMonitors in 10
//!   namespaces, each with a Bearer token read from a Secret of its own
//!   holding 1 MiB, plus 200 unreferenced Secrets of 1 MiB; reported like
//!   `memory` (the configuration inlines every token: 200 MiB before gzip).
//! * `scale` (issue 18, not part of `all`; [`scale`]): one cluster of
//!   production size, by default 5,000 ServiceMonitors and 500 PodMonitors
//!   in 500 namespaces, 1,000 referenced and 10,000 unreferenced Secrets and
//!   2,000 PrometheusRules (`--namespaces 500 --monitors 10 --pod-monitors 1
//!   --rules 4 --fillers 20`, per namespace). Reports memory, time to the
//!   complete configuration and rule files, CPU, then the latency of 20
//!   ServiceMonitor changes (to the config Secret) and of 20
//!   PrometheusRule changes (to the rule ConfigMap; `--changes`).
//! * `reloader` (issue 18, not part of `all`; [`reloader`]): change →
//!   Prometheus serving it, through the kubelet's volume sync and the
//!   reference's reloader (`kubelet`) and through promop's watch mode
//!   (`promop-watch`), 20 changes each (`--changes`); `--sync-period`
//!   (60 s) and `--chains` choose the chains, `--operators` is not used.
//!
//! Runs alternate between the operators (run 1 of each, then run 2, …) so
//! that both see similar machine load. One JSON object per measurement on
//! stdout (`benches/operator.sh` tabulates them); progress on stderr.
//! `promop` defaults to `target/release/promop` of this workspace.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod changes;
mod reloader;
mod scale;
mod watch;

use anyhow::{Context, Result, bail};
use promop_testenv::bench::{
    PROMETHEUS_NAME, PROMETHEUS_NAMESPACE, count_jobs, cpu_seconds, expected_jobs,
    generate_cluster, proc_status_kib, test_bed, text,
};
use promop_testenv::{ManagedProcess, ReferenceOperator, ScratchDir, TestEnv};
use serde_json::{Value, json};

use promop_testenv::VolumeSync;
use reloader::Chain;
use scale::Scale;
use watch::ContentWatch;

const LATENCY_NAMESPACES: usize = 10;
const LATENCY_MONITORS_PER_NAMESPACE: usize = 10;
const CHANGES: usize = 50;
const CHANGE_TIMEOUT: Duration = Duration::from_secs(120);

const MEMORY_NAMESPACES: usize = 100;
const MEMORY_MONITORS_PER_NAMESPACE: usize = 10;
const FILLER_SECRETS_PER_NAMESPACE: usize = 100;
const FILLER_BYTES: usize = 1024;
const BIG_NAMESPACES: usize = 10;
const BIG_MONITORS_PER_NAMESPACE: usize = 20;
/// The largest Secret the apiserver accepts (the sum of its values).
const BIG_SECRET_BYTES: usize = 1024 * 1024;
/// Default idle time before the steady RSS is read (`--idle SECONDS`).
const IDLE: Duration = Duration::from_secs(30);
/// Interval of the RSS samples taken while idle.
const RSS_SAMPLE: Duration = Duration::from_secs(10);
const CONFIG_TIMEOUT: Duration = Duration::from_secs(900);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bench {
    Latency,
    Memory,
    BigSecrets,
    Scale,
    Reloader,
}

impl Bench {
    fn name(self) -> &'static str {
        match self {
            Bench::Latency => "latency",
            Bench::Memory => "memory",
            Bench::BigSecrets => "big-secrets",
            Bench::Scale => "scale",
            Bench::Reloader => "reloader",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Operator {
    Promop,
    Reference,
}

impl Operator {
    fn name(self) -> &'static str {
        match self {
            Operator::Promop => "promop",
            Operator::Reference => "reference",
        }
    }
}

struct Args {
    benches: Vec<Bench>,
    operators: Vec<Operator>,
    runs: usize,
    idle: Duration,
    promop: PathBuf,
    scale: Scale,
    /// `reloader`'s chains and the kubelet's volume sync.
    chains: Vec<Chain>,
    sync: VolumeSync,
}

const USAGE: &str = "usage: bench_operator [latency|memory|big-secrets|scale|all] [--runs N] \
                     [--operators promop,reference] [--idle SECONDS] [--promop FILE] \
                     [--namespaces N] [--monitors N] [--pod-monitors N] [--rules N] \
                     [--fillers N] [--changes N] (the last six: per namespace, for scale) \
                     | reloader [--changes N] [--chains promop-watch,kubelet] \
                     [--sync-period SECONDS] [--promop FILE]";
/// `reloader`'s default number of changes per chain.
const RELOADER_CHANGES: usize = 20;

fn parse_args() -> Result<Args> {
    let mut args = Args {
        benches: vec![Bench::Latency, Bench::Memory],
        operators: vec![Operator::Promop, Operator::Reference],
        runs: 1,
        idle: IDLE,
        promop: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/promop"),
        scale: Scale::default(),
        chains: vec![Chain::PromopWatch, Chain::Kubelet],
        sync: VolumeSync::KUBELET_DEFAULT,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{arg} needs a value; {USAGE}"))
        };
        match arg.as_str() {
            "latency" => args.benches = vec![Bench::Latency],
            "memory" => args.benches = vec![Bench::Memory],
            "big-secrets" => args.benches = vec![Bench::BigSecrets],
            "scale" => args.benches = vec![Bench::Scale],
            "reloader" => {
                args.benches = vec![Bench::Reloader];
                args.scale.changes = RELOADER_CHANGES;
            }
            "--sync-period" => {
                args.sync.period = Duration::from_secs(value()?.parse().context("--sync-period")?)
            }
            "--chains" => {
                args.chains = value()?
                    .split(',')
                    .map(|c| match c {
                        "kubelet" => Ok(Chain::Kubelet),
                        "promop-watch" => Ok(Chain::PromopWatch),
                        _ => bail!("unknown chain {c:?}; {USAGE}"),
                    })
                    .collect::<Result<_>>()?
            }
            "all" => args.benches = vec![Bench::Latency, Bench::Memory],
            "--runs" => args.runs = value()?.parse().context("--runs")?,
            "--promop" => args.promop = PathBuf::from(value()?),
            "--idle" => args.idle = Duration::from_secs(value()?.parse().context("--idle")?),
            "--namespaces" => args.scale.size.namespaces = count(value()?, &arg)?,
            "--monitors" => args.scale.size.service_monitors = count(value()?, &arg)?,
            "--pod-monitors" => args.scale.size.pod_monitors = count(value()?, &arg)?,
            "--rules" => args.scale.size.rules = count(value()?, &arg)?,
            "--fillers" => args.scale.fillers = count(value()?, &arg)?,
            "--changes" => args.scale.changes = count(value()?, &arg)?.max(1),
            "--operators" => {
                args.operators = value()?
                    .split(',')
                    .map(|o| match o {
                        "promop" => Ok(Operator::Promop),
                        "reference" => Ok(Operator::Reference),
                        _ => bail!("unknown operator {o:?}; {USAGE}"),
                    })
                    .collect::<Result<_>>()?
            }
            _ => bail!("unknown argument {arg:?}; {USAGE}"),
        }
    }
    if args.operators.contains(&Operator::Promop) && !args.promop.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release -p promop` or pass --promop",
            args.promop.display()
        );
    }
    // The operator runs in a scratch directory: a relative path would not name it there.
    if let Ok(absolute) = std::path::absolute(&args.promop) {
        args.promop = absolute;
    }
    Ok(args)
}

fn count(value: String, flag: &str) -> Result<usize> {
    value
        .parse()
        .with_context(|| format!("{flag} takes a count, not {value:?}"))
}

/// An operator process under measurement, killed on drop.
enum Running {
    Promop {
        process: ManagedProcess,
        _dir: ScratchDir,
    },
    Reference(ReferenceOperator),
}

impl Running {
    /// Starts `operator` against `env`. The reference returns once its
    /// `/healthz` answers, promop at once: callers time from before the call.
    async fn start(operator: Operator, env: &TestEnv, promop: &Path) -> Result<Self> {
        Self::start_with(operator, env, promop, &[]).await
    }

    /// [`Running::start`], promop with `flags` added.
    async fn start_with(
        operator: Operator,
        env: &TestEnv,
        promop: &Path,
        flags: &[&str],
    ) -> Result<Self> {
        match operator {
            Operator::Reference => Ok(Running::Reference(
                ReferenceOperator::start(env, &[]).await?,
            )),
            Operator::Promop => {
                let dir = ScratchDir::new("promop-bench-")?;
                let mut cmd = Command::new(promop);
                cmd.current_dir(dir.path())
                    .env_remove("RUST_LOG")
                    .arg("run")
                    .arg("--kubeconfig")
                    .arg(env.kubeconfig_path())
                    .arg("--web.listen-address=127.0.0.1:0")
                    .args(flags);
                let process = ManagedProcess::spawn("promop", cmd, &dir.path().join("promop.log"))?;
                Ok(Running::Promop { process, _dir: dir })
            }
        }
    }

    fn pid(&self) -> Result<u32> {
        match self {
            Running::Promop { process, .. } => process.pid(),
            Running::Reference(op) => op.pid(),
        }
        .context("operator not running")
    }

    /// Ok while the process runs; an error with its log's tail otherwise.
    fn check_running(&mut self) -> Result<()> {
        match self {
            Running::Promop { process, .. } => process.check_running(),
            Running::Reference(op) => op.check_running(),
        }
    }

    /// Sleeps `duration`, failing as soon as the operator dies.
    async fn idle(&mut self, duration: Duration) -> Result<()> {
        let end = Instant::now() + duration;
        while Instant::now() < end {
            self.check_running()?;
            tokio::time::sleep(Duration::from_millis(500).min(end - Instant::now())).await;
        }
        self.check_running()
    }
}

/// `per_namespace` Secrets of `bytes` in each namespace of `docs`, which no
/// monitor references: the cache load of a real cluster.
fn filler_secrets(docs: &[Value], per_namespace: usize, bytes: usize) -> Vec<Value> {
    let namespaces = docs
        .iter()
        .filter(|d| d["kind"] == "Namespace" && text(d, "/metadata/name").starts_with("bench-"));
    namespaces
        .flat_map(|ns| {
            let ns = text(ns, "/metadata/name").to_owned();
            (0..per_namespace).map(move |i| {
                let name = format!("filler-{i:03}");
                let payload = payload(&format!("{ns}/{name};"), bytes);
                json!({
                    "apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": name, "namespace": ns},
                    "stringData": {"payload": payload},
                })
            })
        })
        .collect()
}

/// `bytes` of `seed` repeated: distinct per Secret, and compressible (a
/// configuration that inlines it still fits a gzipped Secret).
fn payload(seed: &str, bytes: usize) -> String {
    seed.chars().cycle().take(bytes).collect()
}

/// The cluster of `big-secrets`: per namespace `bench-big-NNN`,
/// [`BIG_MONITORS_PER_NAMESPACE`] ServiceMonitors each with a Bearer token
/// from its own Secret of [`BIG_SECRET_BYTES`], as many unreferenced Secrets
/// of that size; and the Prometheus `monitoring/bench` selecting every
/// ServiceMonitor.
fn big_secrets_cluster() -> Vec<Value> {
    let mut docs = vec![
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": PROMETHEUS_NAMESPACE}}),
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
               "metadata": {"name": PROMETHEUS_NAME, "namespace": PROMETHEUS_NAMESPACE},
               "spec": {"version": "v3.5.0", "serviceMonitorSelector": {},
                        "serviceMonitorNamespaceSelector": {}}}),
    ];
    for n in 0..BIG_NAMESPACES {
        let ns = format!("bench-big-{n:03}");
        docs.push(json!({"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": ns, "labels": {"bench": "true"}}}));
        for j in 0..BIG_MONITORS_PER_NAMESPACE {
            let app = format!("app-{j:02}");
            let secret = format!("token-{j:02}");
            docs.push(json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": secret, "namespace": ns},
                "stringData": {"token": payload(&format!("{ns}/{secret};"), BIG_SECRET_BYTES)},
            }));
            docs.push(json!({
                "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                "metadata": {"name": app, "namespace": ns, "labels": {"app": app}},
                "spec": {
                    "selector": {"matchLabels": {"app": app}},
                    "endpoints": [{
                        "port": "web",
                        "authorization": {
                            "type": "Bearer",
                            "credentials": {"name": secret, "key": "token"},
                        },
                    }],
                },
            }));
        }
    }
    let fillers = filler_secrets(&docs, BIG_MONITORS_PER_NAMESPACE, BIG_SECRET_BYTES);
    docs.extend(fillers);
    docs
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

async fn latency(operator: Operator, run: usize, promop: &Path) -> Result<Value> {
    let docs = generate_cluster(LATENCY_NAMESPACES, LATENCY_MONITORS_PER_NAMESPACE)?;
    let jobs = expected_jobs(&docs);
    let monitors = docs
        .iter()
        .filter(|d| d["kind"] == "ServiceMonitor")
        .count();
    let changed = first_of_kind(&docs, "ServiceMonitor")?;
    let (env, _) = test_bed(docs).await?;
    let client = env.client();
    let mut watch = ContentWatch::config_secret(&client);
    let start = Instant::now();
    let mut op = Running::start(operator, &env, promop).await?;
    watch
        .wait_for(&mut op, CONFIG_TIMEOUT, |c| count_jobs(c) == jobs)
        .await?;
    eprintln!("   complete config after {:.1?}", start.elapsed());
    op.idle(Duration::from_secs(2)).await?;
    let samples = changes::latencies(
        &client,
        &mut op,
        &mut watch,
        &changed,
        CHANGES,
        CHANGE_TIMEOUT,
        changes::relabel_service_monitor,
    )
    .await?;
    let mut report = json!({
        "bench": "latency",
        "operator": operator.name(),
        "run": run,
        "service_monitors": monitors,
        "cpu_seconds": cpu_seconds(op.pid()?)?,
    });
    report
        .as_object_mut()
        .context("a JSON object")?
        .extend(changes::summary("", &samples));
    Ok(report)
}

/// The first document of `kind` in `docs`.
fn first_of_kind(docs: &[Value], kind: &str) -> Result<Value> {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .cloned()
        .with_context(|| format!("no {kind} generated"))
}

async fn memory(operator: Operator, run: usize, promop: &Path, idle: Duration) -> Result<Value> {
    let mut docs = generate_cluster(MEMORY_NAMESPACES, MEMORY_MONITORS_PER_NAMESPACE)?;
    docs.extend(filler_secrets(
        &docs,
        FILLER_SECRETS_PER_NAMESPACE,
        FILLER_BYTES,
    ));
    measure_memory(Bench::Memory, docs, operator, run, promop, idle).await
}

/// The `memory` measurement of `operator` on a fresh test bed holding `docs`
/// (whose Prometheus is `monitoring/bench`).
async fn measure_memory(
    bench: Bench,
    docs: Vec<Value>,
    operator: Operator,
    run: usize,
    promop: &Path,
    idle: Duration,
) -> Result<Value> {
    let jobs = expected_jobs(&docs);
    let count = |kind: &str| docs.iter().filter(|d| d["kind"] == kind).count();
    let (secrets, monitors) = (count("Secret"), count("ServiceMonitor"));
    let secret_bytes: usize = docs
        .iter()
        .filter(|d| d["kind"] == "Secret")
        .filter_map(|d| d["stringData"].as_object())
        .flat_map(|data| data.values().filter_map(Value::as_str).map(str::len))
        .sum();
    let namespaces = docs
        .iter()
        .filter(|d| d["kind"] == "ServiceMonitor")
        .map(|d| text(d, "/metadata/namespace"))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let setup = Instant::now();
    let (env, _) = test_bed(docs).await?;
    let setup_seconds = seconds(setup.elapsed());
    let mut watch = ContentWatch::config_secret(&env.client());

    let start = Instant::now();
    let mut op = Running::start(operator, &env, promop).await?;
    let pid = op.pid()?;
    let (first, complete) = watch.first_and_complete(&mut op, jobs).await?;
    let peak_at_config = proc_status_kib(pid, "VmHWM")?;
    eprintln!(
        "   complete config after {:.1?}; idling {idle:?}",
        complete - start
    );
    // RSS while idle: a garbage-collected heap shrinks late (Go forces a
    // collection every 2 minutes), which a longer --idle shows.
    let mut rss_samples = Vec::new();
    let idle_end = Instant::now() + idle;
    while let Some(left) = idle_end.checked_duration_since(Instant::now()) {
        op.idle(left.min(RSS_SAMPLE)).await?;
        rss_samples.push(proc_status_kib(pid, "VmRSS")?);
    }
    Ok(json!({
        "bench": bench.name(),
        "operator": operator.name(),
        "run": run,
        "namespaces": namespaces,
        "secrets": secrets,
        "secret_bytes": secret_bytes,
        "service_monitors": monitors,
        "jobs": jobs,
        "setup_seconds": setup_seconds,
        "first_config_seconds": seconds(first - start),
        "config_seconds": seconds(complete - start),
        "peak_rss_at_config_kib": peak_at_config,
        "peak_rss_kib": proc_status_kib(pid, "VmHWM")?,
        "idle_seconds": idle.as_secs(),
        "steady_rss_kib": proc_status_kib(pid, "VmRSS")?,
        "idle_rss_samples_kib": rss_samples,
        "cpu_seconds": cpu_seconds(pid)?,
    }))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    if args.benches == [Bench::Reloader] {
        for run in 1..=args.runs {
            for &chain in &args.chains {
                eprintln!("== reloader, {}, run {run}", chain.name());
                let report =
                    reloader::reloader(chain, run, &args.promop, args.scale.changes, args.sync)
                        .await
                        .with_context(|| format!("reloader benchmark, {}", chain.name()))?;
                println!("{report}");
            }
        }
        return Ok(());
    }
    for &bench in &args.benches {
        for run in 1..=args.runs {
            for &operator in &args.operators {
                let what = bench.name();
                let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
                eprintln!(
                    "== {what}, {}, run {run} (loadavg {})",
                    operator.name(),
                    load.trim()
                );
                let mut report = match bench {
                    Bench::Latency => latency(operator, run, &args.promop).await,
                    Bench::Memory => memory(operator, run, &args.promop, args.idle).await,
                    Bench::Reloader => bail!("reloader measures chains, not operators"),
                    Bench::Scale => {
                        scale::scale(operator, run, &args.promop, args.idle, &args.scale).await
                    }
                    Bench::BigSecrets => {
                        let docs = big_secrets_cluster();
                        measure_memory(
                            Bench::BigSecrets,
                            docs,
                            operator,
                            run,
                            &args.promop,
                            args.idle,
                        )
                        .await
                    }
                }
                .with_context(|| format!("{what} benchmark of {}", operator.name()))?;
                report["loadavg"] = json!(load.trim());
                println!("{report}");
            }
        }
    }
    Ok(())
}
