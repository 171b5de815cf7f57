//! Shared pieces of the benchmark binaries (`src/bin/bench_*.rs`) and of
//! the tests that need a large cluster: generating and reading a synthetic
//! cluster, creating it quickly, and measuring a process through `/proc`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use kube::api::{ApiResource, DynamicObject, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use kube::{Api, Client};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::apiserver::TestEnv;
use crate::manifests::parse_yaml_documents;
use crate::process::ScratchDir;

/// Concurrent create requests: enough to keep the apiserver busy on a small
/// machine without queueing thousands of requests.
pub const CONCURRENCY: usize = 32;

/// Namespace and name of the Prometheus of [`generate_cluster`].
pub const PROMETHEUS_NAMESPACE: &str = "monitoring";
pub const PROMETHEUS_NAME: &str = "bench";

/// The cluster of `benches/gen-cluster.py`: `namespaces` namespaces of
/// `per_namespace` ServiceMonitors (three endpoints each) and two Secrets
/// they reference, and one Prometheus ([`PROMETHEUS_NAMESPACE`]/
/// [`PROMETHEUS_NAME`]) selecting every ServiceMonitor. Needs python3 and
/// openssl.
pub fn generate_cluster(namespaces: usize, per_namespace: usize) -> Result<Vec<Value>> {
    generate_sized_cluster(ClusterSize {
        namespaces,
        service_monitors: per_namespace,
        pod_monitors: 0,
        rules: 0,
    })
}

/// The size of a cluster of `benches/gen-cluster.py`: config objects per
/// namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterSize {
    pub namespaces: usize,
    /// ServiceMonitors of three endpoints.
    pub service_monitors: usize,
    /// PodMonitors of two endpoints.
    pub pod_monitors: usize,
    /// PrometheusRules of two rules.
    pub rules: usize,
}

/// [`generate_cluster`] with PodMonitors and PrometheusRules too, which the
/// Prometheus then selects as well.
pub fn generate_sized_cluster(size: ClusterSize) -> Result<Vec<Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/gen-cluster.py");
    let dir = ScratchDir::new("promop-bench-cluster-")?;
    let counts = [
        size.namespaces,
        size.service_monitors,
        size.pod_monitors,
        size.rules,
    ];
    let status = Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .args(counts.map(|n| n.to_string()))
        .status()
        .with_context(|| format!("running python3 {}", script.display()))?;
    ensure!(status.success(), "{} failed ({status})", script.display());
    read_manifest_dir(dir.path())
}

/// Scrape jobs the complete configuration of `docs` has: one per endpoint
/// of every ServiceMonitor and PodMonitor.
pub fn expected_jobs(docs: &[Value]) -> usize {
    let endpoints = |kind: &'static str, field: &'static str| {
        docs.iter()
            .filter(move |d| d["kind"] == kind)
            .filter_map(move |d| d["spec"][field].as_array())
            .map(Vec::len)
    };
    endpoints("ServiceMonitor", "endpoints")
        .chain(endpoints("PodMonitor", "podMetricsEndpoints"))
        .sum()
}

/// Every document of the `*.yaml`, `*.yml` and `*.json` files of `dir`, in
/// file-name order.
pub fn read_manifest_dir(dir: &Path) -> Result<Vec<Value>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    let mut docs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        docs.extend(parse_yaml_documents(&text).with_context(|| file.display().to_string())?);
    }
    Ok(docs)
}

/// A fresh test bed with the upstream CRDs installed and `docs` created
/// (see [`create_all`]); also returns how long creating `docs` took.
pub async fn test_bed(docs: Vec<Value>) -> Result<(TestEnv, Duration)> {
    let t = Instant::now();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    let discovery = Discovery::new(client.clone()).run_aggregated().await?;
    eprintln!("test bed ready after {:.1?}", t.elapsed());
    let t = Instant::now();
    let count = docs.len();
    create_all(&client, &discovery, docs).await?;
    let created = t.elapsed();
    eprintln!("{count} objects created in {created:.1?}");
    Ok((env, created))
}

/// The string at `pointer` in `doc`, or "".
pub fn text<'a>(doc: &'a Value, pointer: &str) -> &'a str {
    doc.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Creates `docs` (plain POSTs, no apply: the fastest path) with at most
/// [`CONCURRENCY`] requests in flight. Namespaces are created first, so
/// callers may mix them with their content.
pub async fn create_all(client: &Client, discovery: &Discovery, docs: Vec<Value>) -> Result<()> {
    let (namespaces, rest): (Vec<Value>, Vec<Value>) =
        docs.into_iter().partition(|d| d["kind"] == "Namespace");
    create_concurrently(client, discovery, namespaces).await?;
    create_concurrently(client, discovery, rest).await
}

async fn create_concurrently(
    client: &Client,
    discovery: &Discovery,
    docs: Vec<Value>,
) -> Result<()> {
    let mut tasks = JoinSet::new();
    let pp = Arc::new(PostParams::default());
    for doc in docs {
        let api_version = text(&doc, "/apiVersion");
        let kind = text(&doc, "/kind");
        let gvk = match api_version.split_once('/') {
            Some((group, version)) => GroupVersionKind::gvk(group, version, kind),
            None => GroupVersionKind::gvk("", api_version, kind),
        };
        let (ar, caps): (ApiResource, _) = discovery
            .resolve_gvk(&gvk)
            .with_context(|| format!("the apiserver does not serve {api_version} {kind}"))?;
        let api: Api<DynamicObject> = match caps.scope {
            Scope::Namespaced => {
                Api::namespaced_with(client.clone(), text(&doc, "/metadata/namespace"), &ar)
            }
            Scope::Cluster => Api::all_with(client.clone(), &ar),
        };
        let object: DynamicObject = serde_json::from_value(doc)?;
        let pp = pp.clone();
        if tasks.len() >= CONCURRENCY
            && let Some(done) = tasks.join_next().await
        {
            done??;
        }
        tasks.spawn(async move {
            let name = object.metadata.name.clone().unwrap_or_default();
            api.create(&pp, &object)
                .await
                .map(drop)
                .with_context(|| format!("creating {} {name}", ar.kind))
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

/// A `kB` field of `/proc/<pid>/status`, in KiB: `VmHWM` (peak resident
/// set), `VmRSS` (current resident set), …
pub fn proc_status_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// CPU time (user + system) a process used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) end with ')'.
    let rest = stat
        .rsplit_once(')')
        .context("malformed /proc/<pid>/stat")?
        .1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields
            .get(i)
            .context("short /proc/<pid>/stat")?
            .parse::<f64>()?)
    };
    // utime and stime are fields 14 and 15 of stat(5); `rest` starts at field 3.
    // USER_HZ is 100 on every Linux ABI.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

/// The number of scrape jobs of a generated Prometheus configuration.
pub fn count_jobs(config: &str) -> usize {
    config
        .lines()
        .filter(|l| l.starts_with("- job_name:"))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_of_this_process() {
        let pid = std::process::id();
        // Only "some KiB": the kernel syncs its RSS counters lazily, so even
        // VmHWM >= VmRSS does not hold between two reads.
        assert!(proc_status_kib(pid, "VmHWM").unwrap() > 0);
        assert!(proc_status_kib(pid, "VmRSS").unwrap() > 0);
        // A prefix of a field name is not the field.
        assert!(proc_status_kib(pid, "VmH").is_err());
    }

    #[test]
    fn jobs_are_top_level_list_items() {
        let config = "scrape_configs:\n- job_name: a\n  x: 1\n- job_name: b\n";
        assert_eq!(count_jobs(config), 2);
    }
}
