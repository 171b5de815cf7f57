//! Fault injection (issue 11): CPU starvation. `promop run --leader-elect`,
//! pinned to one core on which a busy loop spins too, generates the
//! configuration of a Prometheus that selects 5,000 ServiceMonitors and
//! reconciles further changes, and meanwhile keeps renewing its Lease and
//! answering `/healthz`: generations run off the async workers, so the
//! renewals and the web server get the core's share they need.
//!
//! The bounds are liveness bounds (a renewal gap shorter than the renew
//! deadline, every probe answered within a kubelet-like timeout), not
//! performance figures; the figures are printed.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::{Api, Client};
use promop_testenv::bench::{
    PROMETHEUS_NAME, PROMETHEUS_NAMESPACE, count_jobs, expected_jobs, generate_cluster, test_bed,
};
use promop_testenv::secret_config;
use serde_json::json;

mod common;
use common::{Operator, http_get, lease_spec};

/// 50 × 100 ServiceMonitors of three endpoints: 15,000 scrape jobs.
const NAMESPACES: usize = 50;
const MONITORS_PER_NAMESPACE: usize = 100;
/// The core promop and the busy loop share.
const CORE: &str = "0";
const LEASE: &str = "promop-starvation-test";
const IDENTITY: &str = "promop-starved";
const RENEW_DEADLINE: Duration = Duration::from_secs(6);
const LEASE_FLAGS: [&str; 3] = [
    "--leader-elect-lease-duration=8s",
    "--leader-elect-renew-deadline=6s",
    "--leader-elect-retry-period=1s",
];
/// A kubelet's liveness probe would have given up long before.
const HEALTHZ_BOUND: Duration = Duration::from_secs(5);
const HEALTHZ_EVERY: Duration = Duration::from_millis(250);
const LEASE_EVERY: Duration = Duration::from_millis(500);
/// A change that makes promop generate the whole configuration again.
const CHANGE_EVERY: Duration = Duration::from_secs(4);
/// The least time observed; longer until the first configuration is
/// written and [`CHANGES_AFTER_CONFIG`] changes followed it.
const OBSERVE: Duration = Duration::from_secs(60);
const CHANGES_AFTER_CONFIG: usize = 3;
/// For the first configuration, starved, on a loaded machine.
const CONFIG_TIMEOUT: Duration = Duration::from_secs(600);
/// For the last change to reach the configuration once changes stop.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(120);

/// `sh -c 'while :; do :; done'` pinned to [`CORE`], killed when dropped
/// (and when this process dies: `PR_SET_PDEATHSIG`).
struct BusyLoop(Child);

impl BusyLoop {
    fn start() -> Result<Self> {
        let mut cmd = Command::new("taskset");
        cmd.args(["-c", CORE, "sh", "-c", "while :; do :; done"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe, as pre_exec requires.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Ok(Self(cmd.spawn().context("spawning the busy loop")?))
    }
}

impl Drop for BusyLoop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sets the flag when dropped, so that the pollers stop on every path.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn require_taskset() -> Result<()> {
    let ok = Command::new("taskset")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    ensure!(
        ok,
        "taskset not found: install util-linux (apt-get install util-linux)"
    );
    Ok(())
}

/// `Cpus_allowed_list` of a process.
fn allowed_cpus(pid: u32) -> Result<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|v| v.trim().to_owned())
        .context("no Cpus_allowed_list")
}

/// One `/healthz` request: when it was sent, how long it took, its status
/// or error.
struct Probe {
    sent: Duration,
    latency: Duration,
    outcome: Result<u16, String>,
}

/// Polls `/healthz` every [`HEALTHZ_EVERY`] on a thread of its own (a
/// blocking client, so the test's runtime cannot delay it) until `stop`.
fn poll_healthz(
    port: u16,
    t0: Instant,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<Probe>> {
    std::thread::spawn(move || {
        let mut probes = Vec::new();
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let sent = Instant::now();
            let outcome = http_get(port, "/healthz")
                .map(|(code, _)| code)
                .map_err(|e| format!("{e:#}"));
            probes.push(Probe {
                sent: sent - t0,
                latency: sent.elapsed(),
                outcome,
            });
            // After a slow answer, the next probe follows at the usual
            // interval: no burst of probes to catch up.
            next = (next + HEALTHZ_EVERY).max(Instant::now());
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        probes
    })
}

/// One read of the Lease: when, its renewTime (ms since the epoch) and
/// holder, or the error.
struct LeaseRead {
    at: Duration,
    now_ms: i64,
    read: Result<(Option<i64>, Option<String>), String>,
}

async fn poll_lease(client: Client, t0: Instant, stop: Arc<AtomicBool>) -> Vec<LeaseRead> {
    let mut reads = Vec::new();
    let mut tick = tokio::time::interval(LEASE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let read = lease_spec(&client, LEASE)
            .await
            .map(|spec| {
                let renewed = spec.renew_time.map(|t| t.0.as_millisecond());
                (renewed, spec.holder_identity)
            })
            .map_err(|e| format!("{e:#}"));
        reads.push(LeaseRead {
            at: t0.elapsed(),
            now_ms: Timestamp::now().as_millisecond(),
            read,
        });
    }
    reads
}

/// Every [`CHANGE_EVERY`], one change that makes promop generate the whole
/// configuration again: a new external label on the Prometheus, a new
/// ServiceMonitor, that ServiceMonitor deleted; in turn. Sends the marker
/// the configuration must hold once the external label change is done.
async fn make_changes(
    client: Client,
    t0: Instant,
    stop: Arc<AtomicBool>,
    made: tokio::sync::watch::Sender<(usize, Vec<Duration>, String)>,
) -> Result<()> {
    let gvk = |kind| GroupVersionKind::gvk("monitoring.coreos.com", "v1", kind);
    let prometheus: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        PROMETHEUS_NAMESPACE,
        &ApiResource::from_gvk(&gvk("Prometheus")),
    );
    let monitors: Api<DynamicObject> = Api::namespaced_with(
        client,
        "bench-000",
        &ApiResource::from_gvk(&gvk("ServiceMonitor")),
    );
    let mut tick = tokio::time::interval(CHANGE_EVERY);
    tick.tick().await;
    let mut extra = None;
    for i in 0.. {
        tick.tick().await;
        if stop.load(Ordering::Relaxed) {
            break;
        }
        match i % 3 {
            0 => {
                let marker = format!("change-{i:03}");
                let patch = json!({"spec": {"externalLabels": {"starvation": marker}}});
                prometheus
                    .patch(
                        PROMETHEUS_NAME,
                        &PatchParams::default(),
                        &Patch::Merge(&patch),
                    )
                    .await
                    .context("patching the Prometheus")?;
                made.send_modify(|m| m.2 = marker);
            }
            1 => {
                let name = format!("extra-{i:03}");
                let monitor: DynamicObject = serde_json::from_value(json!({
                    "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                    "metadata": {"name": name, "namespace": "bench-000"},
                    "spec": {"selector": {"matchLabels": {"app": name}},
                             "endpoints": [{"port": "web"}]},
                }))?;
                monitors
                    .create(&PostParams::default(), &monitor)
                    .await
                    .with_context(|| format!("creating ServiceMonitor {name}"))?;
                extra = Some(name);
            }
            _ => {
                if let Some(name) = extra.take() {
                    monitors
                        .delete(&name, &DeleteParams::default())
                        .await
                        .with_context(|| format!("deleting ServiceMonitor {name}"))?;
                }
            }
        }
        made.send_modify(|m| {
            m.0 += 1;
            m.1.push(t0.elapsed());
        });
    }
    Ok(())
}

/// The configuration in the Secret `prometheus-<name>`, once written.
async fn config(secrets: &Api<Secret>) -> Result<Option<String>> {
    let name = format!("prometheus-{PROMETHEUS_NAME}");
    match secrets.get_opt(&name).await? {
        Some(secret) => secret_config(&secret),
        None => Ok(None),
    }
}

/// The largest gap between successive renewals seen, the gap from the last
/// renewal to the last read included; and the number of renewals seen.
fn renewal_gaps(reads: &[LeaseRead]) -> (Duration, usize) {
    let mut renewals: Vec<i64> = Vec::new();
    let mut max_gap = 0;
    let mut last_read_ms = None;
    for r in reads {
        if let Ok((Some(renewed), _)) = &r.read {
            if renewals.last() != Some(renewed) {
                if let Some(previous) = renewals.last() {
                    max_gap = max_gap.max(renewed - previous);
                }
                renewals.push(*renewed);
            }
            last_read_ms = Some(r.now_ms);
        }
    }
    if let (Some(last), Some(now)) = (renewals.last(), last_read_ms) {
        max_gap = max_gap.max(now - last);
    }
    let gap = Duration::from_millis(u64::try_from(max_gap).unwrap_or(0));
    (gap, renewals.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_starved_leader_keeps_its_lease_and_answers_healthz() -> Result<()> {
    require_taskset()?;
    let docs = generate_cluster(NAMESPACES, MONITORS_PER_NAMESPACE)?;
    let jobs = expected_jobs(&docs);
    let (env, created) = test_bed(docs).await?;
    eprintln!("cluster of {jobs} jobs created in {created:.1?}");
    let client = env.client();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), PROMETHEUS_NAMESPACE);
    let dir = tempfile::tempdir()?;

    let _busy = BusyLoop::start()?;
    let lease_id = format!("--leader-election-id={LEASE}");
    let mut flags = vec![
        "--leader-elect",
        "--leader-election-namespace=default",
        &lease_id,
    ];
    flags.extend(LEASE_FLAGS);
    let t0 = Instant::now();
    let mut op =
        Operator::start_wrapped(&env, dir.path(), IDENTITY, &flags, &["taskset", "-c", CORE])?;
    op.wait_status("/healthz", 200, Duration::from_secs(30))
        .await?;
    // Read once promop serves: taskset pins itself, then execs promop.
    let cpus = allowed_cpus(op.pid())?;
    ensure!(cpus == CORE, "promop runs on CPUs {cpus}, not {CORE}");

    let stop = Arc::new(AtomicBool::new(false));
    let _stop = StopOnDrop(stop.clone());
    let healthz = poll_healthz(op.port, t0, stop.clone());
    let lease = tokio::spawn(poll_lease(client.clone(), t0, stop.clone()));
    let (made, changes) = tokio::sync::watch::channel((0, Vec::new(), String::new()));
    let changer = tokio::spawn(make_changes(client.clone(), t0, stop.clone(), made));

    // Observe: at least OBSERVE, and until the first configuration is
    // written and CHANGES_AFTER_CONFIG changes followed it.
    let mut first_config = None;
    let mut failures = Vec::new();
    loop {
        if !op.is_running() || changer.is_finished() {
            break;
        }
        if first_config.is_none()
            && let Some(config) = config(&secrets).await?
        {
            let at = t0.elapsed();
            eprintln!(
                "first configuration after {at:.1?}: {} jobs",
                count_jobs(&config)
            );
            first_config = Some(at);
        }
        let elapsed = t0.elapsed();
        let after_config = first_config.map_or(0, |at| {
            changes.borrow().1.iter().filter(|&&t| t > at).count()
        });
        if elapsed >= OBSERVE && after_config >= CHANGES_AFTER_CONFIG {
            break;
        }
        if first_config.is_none() && elapsed > CONFIG_TIMEOUT {
            failures.push(format!("no configuration after {CONFIG_TIMEOUT:?}"));
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stop.store(true, Ordering::Relaxed);
    if let Err(e) = changer.await? {
        failures.push(format!("making changes: {e:#}"));
    }
    let (made, _, marker) = changes.borrow().clone();

    // The changes were reconciled, still starved: the last external label
    // is in a complete configuration.
    let settle = Instant::now();
    let mut settled = None;
    while failures.is_empty() && op.is_running() {
        if let Some(config) = config(&secrets).await?
            && config.contains(&marker)
            && count_jobs(&config) >= jobs
        {
            settled = Some(settle.elapsed());
            break;
        }
        if settle.elapsed() > SETTLE_TIMEOUT {
            failures.push(format!(
                "{marker:?} not in a configuration of {jobs} jobs {SETTLE_TIMEOUT:?} after the last change"
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let probes = healthz.join().expect("the /healthz poller panicked");
    let reads = lease.await?;
    let observed = t0.elapsed();

    let mut latencies: Vec<Duration> = probes.iter().map(|p| p.latency).collect();
    latencies.sort();
    let max_latency = latencies.last().copied().unwrap_or_default();
    let p99 = latencies
        .get((latencies.len() * 99).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or_default();
    let (max_gap, renewals) = renewal_gaps(&reads);
    eprintln!(
        "starved for {observed:.1?} on CPU {CORE} beside a busy loop: first configuration after \
         {}; {made} changes, the last reconciled {} after the changes \
         stopped; /healthz: {} probes, max {max_latency:.0?}, p99 {p99:.0?}; Lease: {renewals} \
         renewals seen in {} reads, max gap {max_gap:.1?} (renew deadline {RENEW_DEADLINE:?})",
        since(first_config),
        since(settled),
        probes.len(),
        reads.len(),
    );

    if !op.is_running() {
        failures.push(format!(
            "promop exited; the end of its log (debug lines left out):\n{}",
            log_tail(&op.logs(), 20)
        ));
    }
    let slow: Vec<String> = probes
        .iter()
        .filter(|p| p.outcome != Ok(200) || p.latency >= HEALTHZ_BOUND)
        .map(|p| format!("  at {:.1?}: {:?} in {:.1?}", p.sent, p.outcome, p.latency))
        .collect();
    if !slow.is_empty() {
        failures.push(format!(
            "/healthz not answered within {HEALTHZ_BOUND:?} ({} of {} probes; the first {}):\n{}",
            slow.len(),
            probes.len(),
            slow.len().min(10),
            slow[..slow.len().min(10)].join("\n")
        ));
    }
    if renewals < 2 {
        failures.push(format!("the Lease was renewed {renewals} times"));
    }
    if max_gap >= RENEW_DEADLINE {
        failures.push(format!(
            "the Lease went {max_gap:.1?} without renewal (renew deadline {RENEW_DEADLINE:?})"
        ));
    }
    let holders: Vec<String> = reads
        .iter()
        .filter_map(|r| match &r.read {
            Ok((_, Some(holder))) if holder != IDENTITY => {
                Some(format!("  at {:.1?}: {holder}", r.at))
            }
            Ok((Some(_), None)) => Some(format!("  at {:.1?}: no holder", r.at)),
            _ => None,
        })
        .collect();
    if !holders.is_empty() {
        failures.push(format!("the Lease changed hands:\n{}", holders.join("\n")));
    }
    ensure!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

fn since(at: Option<Duration>) -> String {
    at.map_or_else(|| "never".to_owned(), |d| format!("{d:.1?}"))
}

/// The last `lines` lines of a log, but for debug and trace lines.
fn log_tail(log: &str, lines: usize) -> String {
    let kept: Vec<&str> = log
        .lines()
        .filter(|l| !l.contains(" level=debug ") && !l.contains(" level=trace "))
        .collect();
    kept[kept.len().saturating_sub(lines)..].join("\n")
}
