//! Issue 7's acceptance for the one-command local stack: `local-stack
//! --headless` runs; every target of the stack is up; every PromQL query of
//! the example's Grafana dashboards (deploy/examples/dashboards) returns data
//! from the local Prometheus; the demo alert reaches the local sink (its
//! log file); after SIGTERM the binary exits and no process of the stack is
//! left, by PID and by process group.
//!
//! The `--thanos` variant (issue 16) checks the same, and: Thanos Query over
//! both replicas' sidecars returns each series of orders-service twice
//! without deduplication and once with it; the ThanosRuler is ready and
//! lists its rule group; its alert (label `source: thanos-ruler`) reaches
//! the sink through the stack's Alertmanager. The two tests run one after
//! the other (each stack is a dozen processes on a small machine).
//!
//! The stack runs the binaries `promop` and `orders-service` next to
//! `local-stack`; the test builds them first (`cargo build`, a no-op when
//! they are fresh).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use promop_stack::{Status, ThanosStatus};
use promop_testenv::{PrometheusApi, parse_yaml_documents};
use serde_json::Value;

const LOCAL_STACK: &str = env!("CARGO_BIN_EXE_local-stack");
/// Cold caches and a loaded machine: the start takes tens of seconds.
const READY_TIMEOUT: Duration = Duration::from_secs(300);
/// The example's recording rules are evaluated every 30s; the demo alert
/// fires after `for: 10s` on a 1m rate, then waits for groupWait (5s).
const DATA_TIMEOUT: Duration = Duration::from_secs(150);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// The demo alert of deploy/local/rules.yaml and the receiver promop names
/// after orders' AlertmanagerConfig `local-sink`.
const DEMO_ALERT: &str = "OrdersFailingDemo";
const RECEIVER: &str = "orders/local-sink/sink";
/// The ThanosRuler's alert (deploy/local/thanos/thanos-ruler.yaml), its
/// distinguishing label, and its rule group.
const RULER_ALERT: &str = "OrdersFailingThanosRuler";
const RULER_SOURCE: &str = "thanos-ruler";
const RULER_GROUP: &str = "thanos-ruler-demo";
/// What Thanos Query deduplicates on, and the two replicas' values.
const REPLICA_LABEL: &str = "prometheus_replica";
const REPLICAS: [&str; 2] = ["prometheus-orders-0", "prometheus-orders-1"];
/// One stack at a time.
static ONE_STACK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// One scrape pool per monitor of deploy/local.
const SCRAPE_POOLS: [&str; 7] = [
    "podMonitor/monitoring/blackbox-exporter/0",
    "probe/monitoring/orders-service-http",
    "serviceMonitor/monitoring/alertmanager/0",
    "serviceMonitor/monitoring/prometheus/0",
    "serviceMonitor/monitoring/pushgateway/0",
    "serviceMonitor/orders/orders-service/0",
    "serviceMonitor/promop-system/promop/0",
];

/// The `local-stack` child, in its own process group; SIGKILLed (group)
/// if the test fails before stopping it.
struct StackProcess {
    child: Child,
    log: PathBuf,
}

impl StackProcess {
    fn spawn(dir: &Path, thanos: bool) -> Result<Self> {
        let log = dir.join("local-stack.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new(LOCAL_STACK)
            .arg("--headless")
            .args(thanos.then_some("--thanos"))
            .args(["--run-for", "1800"])
            .arg("--json-status")
            .arg(dir.join("status.json"))
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0)
            .spawn()
            .context("spawning local-stack")?;
        Ok(Self { child, log })
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Fails with the output when the binary has exited.
    fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("local-stack exited ({status}):\n{}", self.output());
        }
        Ok(())
    }

    /// SIGTERM, then waits for the exit; Ok when it exited successfully.
    async fn terminate(&mut self) -> Result<()> {
        signal(self.child.id(), libc::SIGTERM);
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                ensure!(
                    status.success(),
                    "local-stack exited with {status}:\n{}",
                    self.output()
                );
                return Ok(());
            }
            ensure!(
                start.elapsed() < STOP_TIMEOUT,
                "local-stack still runs {STOP_TIMEOUT:?} after SIGTERM:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for StackProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            signal(self.child.id(), libc::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: plain syscall on our own child.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// `cargo build` of the binaries the stack runs, in local-stack's profile.
fn build_binaries() -> Result<()> {
    let release = Path::new(LOCAL_STACK)
        .parent()
        .is_some_and(|dir| dir.ends_with("release"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(promop_stack::repo_dir()).args([
        "build",
        "-p",
        "promop",
        "-p",
        "orders-service",
    ]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().context("running cargo build")?;
    ensure!(
        status.success(),
        "cargo build of promop and orders-service: {status}"
    );
    Ok(())
}

async fn wait_status(stack: &mut StackProcess, file: &Path) -> Result<Status> {
    let start = Instant::now();
    loop {
        stack.check_running()?;
        if let Ok(text) = std::fs::read_to_string(file) {
            return serde_json::from_str(&text).with_context(|| text.clone());
        }
        ensure!(
            start.elapsed() < READY_TIMEOUT,
            "not ready after {READY_TIMEOUT:?}:\n{}",
            stack.output()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every `expr` of the Grafana dashboards in the ConfigMaps of `dir`
/// (`data` keys ending in `.json`), with the dashboard's title.
fn dashboard_queries(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut queries = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        for doc in parse_yaml_documents(&text)? {
            for (key, json) in doc["data"].as_object().into_iter().flatten() {
                if !key.ends_with(".json") {
                    continue;
                }
                let dashboard: Value = serde_json::from_str(json.as_str().unwrap_or_default())
                    .with_context(|| format!("{}: {key}", file.display()))?;
                let title = dashboard["title"].as_str().unwrap_or(key).to_owned();
                let mut exprs = Vec::new();
                collect_exprs(&dashboard, &mut exprs);
                queries.extend(exprs.into_iter().map(|e| (title.clone(), e)));
            }
        }
    }
    Ok(queries)
}

fn collect_exprs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr", Value::String(e)) => out.push(e.clone()),
                    _ => collect_exprs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

/// Polls until every query returns at least one sample; returns the time.
async fn wait_all_return_data(
    api: &PrometheusApi,
    queries: &[(String, String)],
    since: Instant,
) -> Result<Duration> {
    let mut pending: Vec<&(String, String)> = queries.iter().collect();
    loop {
        let mut still = Vec::new();
        for q in pending {
            let data = api.query(&q.1).await?;
            if data["result"].as_array().is_none_or(Vec::is_empty) {
                still.push(q);
            }
        }
        pending = still;
        if pending.is_empty() {
            return Ok(since.elapsed());
        }
        ensure!(
            since.elapsed() < DATA_TIMEOUT,
            "queries without data after {DATA_TIMEOUT:?}: {pending:#?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits until the sink's log has a firing notification of the demo alert
/// to its receiver, from Prometheus (no `source` label).
async fn wait_demo_alert(stack: &mut StackProcess, log: &Path, since: Instant) -> Result<Duration> {
    wait_alert(stack, log, since, DEMO_ALERT, None).await
}

/// Waits until the sink's log has a firing notification of `alertname` to
/// the receiver, its label `source` being `source` (or absent with `None`),
/// without a replica label.
async fn wait_alert(
    stack: &mut StackProcess,
    log: &Path,
    since: Instant,
    alertname: &str,
    source: Option<&str>,
) -> Result<Duration> {
    loop {
        stack.check_running()?;
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let delivered = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .any(|line| {
                let n = &line["notification"];
                n["receiver"] == RECEIVER
                    && n["status"] == "firing"
                    && n["alerts"].as_array().into_iter().flatten().any(|a| {
                        let l = &a["labels"];
                        l["alertname"] == alertname
                            && l["source"].as_str() == source
                            && l[REPLICA_LABEL].is_null()
                            && l["thanos_ruler_replica"].is_null()
                    })
            });
        if delivered {
            return Ok(since.elapsed());
        }
        ensure!(
            since.elapsed() < DATA_TIMEOUT,
            "no firing {alertname} (source {source:?}) to {RECEIVER} in {} after \
             {DATA_TIMEOUT:?}:\n{text}\n{}",
            log.display(),
            stack.output()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The status code of `GET url` (plain HTTP/1.1 on loopback).
fn get_status(url: &str) -> Result<u16> {
    let rest = url.strip_prefix("http://").context("http:// only")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("GET {url}: {answer:?}"))
}

/// Polls Thanos Query until every series of orders-service's `metric` is
/// there once per replica without deduplication (the two differing only by
/// the replica label) and once with it; returns the time and the number
/// of deduplicated series.
async fn wait_deduplicated(
    query: &PrometheusApi,
    metric: &str,
    since: Instant,
) -> Result<(Duration, usize)> {
    let promql = format!("{metric}{{job=\"orders-service\"}}");
    let encoded = promql
        .replace('{', "%7B")
        .replace('}', "%7D")
        .replace('"', "%22")
        .replace('=', "%3D");
    let series = |dedup: bool| {
        let path = format!("query?query={encoded}&dedup={dedup}");
        async move {
            let data = query.api_get(&path).await?;
            anyhow::Ok(
                data["result"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| s["metric"].clone())
                    .collect::<Vec<Value>>(),
            )
        }
    };
    loop {
        let (raw, dedup) = (series(false).await?, series(true).await?);
        let without_replica = |l: &Value| {
            let mut l = l.clone();
            l.as_object_mut().map(|m| m.remove(REPLICA_LABEL));
            l
        };
        let unique: BTreeSet<String> = raw.iter().map(|l| without_replica(l).to_string()).collect();
        let deduplicated: BTreeSet<String> = dedup.iter().map(Value::to_string).collect();
        let replicas: BTreeSet<&str> = raw
            .iter()
            .filter_map(|l| l[REPLICA_LABEL].as_str())
            .collect();
        if !dedup.is_empty()
            && raw.len() == 2 * dedup.len()
            && deduplicated.len() == dedup.len()
            && unique == deduplicated
            && replicas == BTreeSet::from(REPLICAS)
        {
            return Ok((since.elapsed(), dedup.len()));
        }
        ensure!(
            since.elapsed() < DATA_TIMEOUT,
            "Thanos Query {promql}: not each series once per replica and once deduplicated \
             after {DATA_TIMEOUT:?}:\nraw: {raw:#?}\ndeduplicated: {dedup:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The ThanosRuler is ready and lists its rule group with its alert.
async fn check_ruler(ruler: &str) -> Result<()> {
    let ready = get_status(&format!("{ruler}/-/ready"))?;
    ensure!(ready == 200, "ThanosRuler /-/ready: {ready}");
    let rules = PrometheusApi::new(ruler).rules().await?;
    let listed = rules["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["name"] == RULER_GROUP)
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .any(|r| r["name"] == RULER_ALERT);
    ensure!(
        listed,
        "ThanosRuler's /api/v1/rules without {RULER_GROUP}/{RULER_ALERT}: {rules}"
    );
    Ok(())
}

/// Processes (not zombies) whose PID or process group is one of `pids`.
fn alive(pids: &BTreeSet<u32>) -> Result<Vec<String>> {
    let mut left = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        // Gone between the listing and the read: not left.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces.
        let Some((comm, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (state, pgrp) = (fields[0], fields[2].parse::<u32>().unwrap_or_default());
        if state != "Z" && (pids.contains(&pid) || pids.contains(&pgrp)) {
            left.push(format!(
                "{pid} (group {pgrp}){}",
                &comm[comm.find('(').unwrap_or(0)..]
            ));
        }
    }
    Ok(left)
}

#[tokio::test]
async fn the_local_stack_runs_the_example_end_to_end_and_stops_clean() -> Result<()> {
    run(false).await
}

#[tokio::test]
async fn the_local_stack_with_thanos_deduplicates_and_the_thanos_ruler_alerts() -> Result<()> {
    run(true).await
}

async fn run(thanos: bool) -> Result<()> {
    let _one = ONE_STACK.lock().await;
    let t0 = Instant::now();
    build_binaries()?;
    let built = t0.elapsed();
    let dir = tempfile::tempdir()?;
    let status_file = dir.path().join("status.json");
    let mut stack = StackProcess::spawn(dir.path(), thanos)?;
    let started = Instant::now();
    let status = wait_status(&mut stack, &status_file).await?;
    let ready = started.elapsed();
    let api = PrometheusApi::new(status.prometheus.clone());
    ensure!(
        status.thanos.is_some() == thanos,
        "--thanos {thanos}, status: {status:?}"
    );

    // Every target up, one scrape pool per monitor of deploy/local.
    let targets = api.active_targets().await?;
    let pools: BTreeSet<&str> = targets
        .iter()
        .filter_map(|t| t["scrapePool"].as_str())
        .collect();
    ensure!(
        pools == BTreeSet::from(SCRAPE_POOLS),
        "scrape pools: {pools:#?}"
    );
    let down: Vec<&Value> = targets.iter().filter(|t| t["health"] != "up").collect();
    ensure!(down.is_empty(), "targets not up: {down:#?}");
    // The probe's target answers through the exporter, and the pushed
    // series keep the batch job's own job label (honorLabels).
    for (query, what) in [
        (
            r#"probe_success{job="orders-service-http"} == 1"#,
            "the blackbox probe of orders-service succeeds",
        ),
        (
            r#"orders_reconciliation_orders{job="orders-reconciliation"}"#,
            "the Pushgateway's series keep the pushed job label",
        ),
    ] {
        let got = api.query_vector(query).await?;
        ensure!(!got.is_empty(), "{what}: {query} returned nothing");
    }

    let queries = dashboard_queries(&promop_stack::repo_dir().join("deploy/examples/dashboards"))?;
    let titles: BTreeSet<&str> = queries.iter().map(|(t, _)| t.as_str()).collect();
    ensure!(titles.len() == 2, "dashboards found: {titles:?}");
    let unsupported: Vec<_> = queries.iter().filter(|(_, e)| e.contains('$')).collect();
    ensure!(
        unsupported.is_empty(),
        "dashboard variables in queries are not substituted by this test: {unsupported:?}"
    );
    let since = Instant::now();
    let thanos_part = async {
        let Some(t) = &status.thanos else {
            return Ok(String::new());
        };
        thanos_checks(t, since).await
    };
    let (data, alert, thanos_part) = tokio::join!(
        wait_all_return_data(&api, &queries, since),
        wait_demo_alert(&mut stack, &status.sink_log, since),
        thanos_part,
    );
    let (data, alert, thanos_part) = (data?, alert?, thanos_part?);
    let ruler_alert = if thanos {
        let t = wait_alert(
            &mut stack,
            &status.sink_log,
            since,
            RULER_ALERT,
            Some(RULER_SOURCE),
        )
        .await?;
        format!("; {RULER_ALERT} in the sink after {t:.1?}")
    } else {
        String::new()
    };

    let pids: BTreeSet<u32> = status.pids.values().copied().collect();
    let processes = if thanos { 13 } else { 8 };
    ensure!(pids.len() == processes, "PIDs: {:?}", status.pids);
    ensure!(
        alive(&pids)?.len() >= pids.len(),
        "the stack's processes are not all running"
    );
    let stopping = Instant::now();
    stack.terminate().await?;
    let stopped = stopping.elapsed();
    let left = alive(&pids)?;
    ensure!(
        left.is_empty(),
        "left after the stop: {left:?} (PIDs {:?})",
        status.pids
    );
    eprintln!(
        "build check {built:.1?}; ready after {ready:.1?} (the stack says {:.1}s); \
         {} dashboard queries with data after {data:.1?} more; demo alert in the sink after \
         {alert:.1?}{thanos_part}{ruler_alert}; stopped in {stopped:.1?}; test {:.1?}",
        status.ready_after_seconds,
        queries.len(),
        t0.elapsed()
    );
    Ok(())
}

/// Query deduplicates orders-service's series; the ThanosRuler lists its
/// group. Returns what to report.
async fn thanos_checks(t: &ThanosStatus, since: Instant) -> Result<String> {
    let query = PrometheusApi::new(t.query.clone());
    let (dedup, series) = wait_deduplicated(&query, "orders_total", since).await?;
    check_ruler(&t.ruler).await?;
    Ok(format!(
        "; Thanos Query: {series} orders_total series deduplicated (each twice raw) after {dedup:.1?}"
    ))
}
