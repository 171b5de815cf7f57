//! `scale`: memory, time to the configuration, CPU and propagation latency
//! on one cluster of production size (issue 18). By default 5,000
//! ServiceMonitors and 500 PodMonitors in 500 namespaces, 1,000 Secrets they
//! reference, 10,000 unreferenced Secrets of 1 KiB and 2,000
//! PrometheusRules; the sizes are flags.
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use promop_testenv::bench::{
    ClusterSize, cpu_seconds, expected_jobs, generate_sized_cluster, proc_status_kib, test_bed,
    text,
};
use serde_json::{Value, json};

use super::watch::ContentWatch;
use super::{
    CONFIG_TIMEOUT, FILLER_BYTES, Operator, RSS_SAMPLE, Running, changes, filler_secrets,
    first_of_kind, seconds,
};

/// A change may wait for a full regeneration of a large cluster.
const CHANGE_TIMEOUT: Duration = Duration::from_secs(600);

/// The cluster and how many changes of each kind are timed.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub size: ClusterSize,
    /// Unreferenced Secrets of 1 KiB per namespace.
    pub fillers: usize,
    /// Changes of one ServiceMonitor, then of one PrometheusRule.
    pub changes: usize,
}

impl Default for Scale {
    fn default() -> Self {
        Self {
            size: ClusterSize {
                namespaces: 500,
                service_monitors: 10,
                pod_monitors: 1,
                rules: 4,
            },
            fillers: 20,
            changes: 20,
        }
    }
}

/// One run of `operator` on a fresh test bed holding the cluster of `scale`.
pub async fn scale(
    operator: Operator,
    run: usize,
    promop: &std::path::Path,
    idle: Duration,
    scale: &Scale,
) -> Result<Value> {
    let mut docs = generate_sized_cluster(scale.size)?;
    docs.extend(filler_secrets(&docs, scale.fillers, FILLER_BYTES));
    let jobs = expected_jobs(&docs);
    let count = |kind: &str| docs.iter().filter(|d| d["kind"] == kind).count();
    let counts = json!({
        "namespaces": scale.size.namespaces,
        "service_monitors": count("ServiceMonitor"),
        "pod_monitors": count("PodMonitor"),
        "prometheus_rules": count("PrometheusRule"),
        "secrets": count("Secret"),
        "jobs": jobs,
    });
    let monitor = first_of_kind(&docs, "ServiceMonitor")?;
    let rule = (scale.size.rules > 0)
        .then(|| first_of_kind(&docs, "PrometheusRule"))
        .transpose()?;
    let last_group = docs
        .iter()
        .rev()
        .find(|d| d["kind"] == "PrometheusRule")
        .map(|d| text(d, "/spec/groups/0/name").to_owned());

    let setup = Instant::now();
    let (env, _) = test_bed(docs).await?;
    let setup_seconds = seconds(setup.elapsed());
    let client = env.client();
    let mut config = ContentWatch::config_secret(&client);
    let mut rules = ContentWatch::rule_config_maps(&client);

    let start = Instant::now();
    let mut op = Running::start(operator, &env, promop).await?;
    let pid = op.pid()?;
    let (first, complete) = config.first_and_complete(&mut op, jobs).await?;
    let rules_written = match &last_group {
        Some(group) => {
            let written = rules.wait_for(&mut op, CONFIG_TIMEOUT, |c| c.contains(group.as_str()));
            Some(seconds(written.await?.0 - start))
        }
        None => None,
    };
    let peak_at_config = proc_status_kib(pid, "VmHWM")?;
    eprintln!(
        "   complete config after {:.1?}; {} ServiceMonitor changes",
        complete - start,
        scale.changes
    );
    let cpu_at_config = cpu_seconds(pid)?;
    op.idle(Duration::from_secs(2)).await?;
    let monitor_samples = changes::latencies(
        &client,
        &mut op,
        &mut config,
        &monitor,
        scale.changes,
        CHANGE_TIMEOUT,
        changes::relabel_service_monitor,
    )
    .await?;
    let rule_samples = match &rule {
        Some(rule) => {
            eprintln!("   {} PrometheusRule changes", scale.changes);
            let samples = changes::latencies(
                &client,
                &mut op,
                &mut rules,
                rule,
                scale.changes,
                CHANGE_TIMEOUT,
                changes::label_rule,
            );
            samples.await?
        }
        None => Vec::new(),
    };
    let cpu_after_changes = cpu_seconds(pid)?;
    eprintln!("   idling {idle:?}");
    let mut rss_samples = Vec::new();
    let idle_end = Instant::now() + idle;
    while let Some(left) = idle_end.checked_duration_since(Instant::now()) {
        op.idle(left.min(RSS_SAMPLE)).await?;
        rss_samples.push(proc_status_kib(pid, "VmRSS")?);
    }
    let mut report = json!({
        "bench": "scale",
        "operator": operator.name(),
        "run": run,
        "setup_seconds": setup_seconds,
        "first_config_seconds": seconds(first - start),
        "config_seconds": seconds(complete - start),
        "rules_seconds": rules_written,
        "peak_rss_at_config_kib": peak_at_config,
        "peak_rss_kib": proc_status_kib(pid, "VmHWM")?,
        "idle_seconds": idle.as_secs(),
        "steady_rss_kib": proc_status_kib(pid, "VmRSS")?,
        "idle_rss_samples_kib": rss_samples,
        "cpu_at_config_seconds": cpu_at_config,
        "cpu_changes_seconds": cpu_after_changes - cpu_at_config,
        "cpu_seconds": cpu_seconds(pid)?,
    });
    let object = report.as_object_mut().context("a JSON object")?;
    object.extend(counts.as_object().cloned().unwrap_or_default());
    object.extend(changes::summary("monitor_", &monitor_samples));
    object.extend(changes::summary("rule_", &rule_samples));
    Ok(report)
}
