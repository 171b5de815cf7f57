//! Issue 7's acceptance for the one-command local stack: `local-stack
//! --headless` runs; every target of the stack is up; every PromQL query of
//! the example's Grafana dashboards (deploy/examples/dashboards) returns data
//! from the local Prometheus; the demo alert reaches the local sink (its
//! log file); after SIGTERM the binary exits and no process of the stack is
//! left, by PID and by process group.
//!
//! The stack runs the binaries `promop` and `orders-service` next to
//! `local-stack`; the test builds them first (`cargo build`, a no-op when
//! they are fresh).

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use promop_stack::Status;
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
    fn spawn(dir: &Path) -> Result<Self> {
        let log = dir.join("local-stack.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new(LOCAL_STACK)
            .arg("--headless")
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
/// to its receiver.
async fn wait_demo_alert(stack: &mut StackProcess, log: &Path, since: Instant) -> Result<Duration> {
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
                    && n["alerts"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|a| a["labels"]["alertname"] == DEMO_ALERT)
            });
        if delivered {
            return Ok(since.elapsed());
        }
        ensure!(
            since.elapsed() < DATA_TIMEOUT,
            "no firing {DEMO_ALERT} to {RECEIVER} in {} after {DATA_TIMEOUT:?}:\n{text}\n{}",
            log.display(),
            stack.output()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
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
    let t0 = Instant::now();
    build_binaries()?;
    let built = t0.elapsed();
    let dir = tempfile::tempdir()?;
    let status_file = dir.path().join("status.json");
    let mut stack = StackProcess::spawn(dir.path())?;
    let started = Instant::now();
    let status = wait_status(&mut stack, &status_file).await?;
    let ready = started.elapsed();
    let api = PrometheusApi::new(status.prometheus.clone());

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
    let (data, alert) = tokio::join!(
        wait_all_return_data(&api, &queries, since),
        wait_demo_alert(&mut stack, &status.sink_log, since)
    );
    let (data, alert) = (data?, alert?);

    let pids: BTreeSet<u32> = status.pids.values().copied().collect();
    ensure!(pids.len() == 8, "PIDs: {:?}", status.pids);
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
         {alert:.1?}; stopped in {stopped:.1?}; test {:.1?}",
        status.ready_after_seconds,
        queries.len(),
        t0.elapsed()
    );
    Ok(())
}
