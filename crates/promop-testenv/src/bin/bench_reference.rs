//! The reference operator's half of `benches/render-5000.sh`: how long
//! upstream v0.93.0 takes to write the configuration of a large cluster, and
//! how much memory it needs for it.
//!
//! ```text
//! cargo run -p promop-testenv --bin bench_reference -- DIR [--out FILE]
//! ```
//!
//! Every object of the manifests in DIR (`*.yaml`, `*.yml`, `*.json`) is
//! created on a fresh test bed (the upstream CRDs installed) with a bounded
//! number of concurrent requests. Only then the reference operator starts, so
//! that its informers find the whole cluster at once; the clock runs from its
//! start until the config Secret of the (single) Prometheus holds one scrape
//! job per ServiceMonitor endpoint. Prints JSON with the figures; the
//! operator's peak RSS is its `VmHWM` at that moment. `--out` stores the
//! generated configuration.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use flate2::read::GzDecoder;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ApiResource, DynamicObject, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use kube::{Api, Client};
use promop_testenv::{
    ReferenceOperator, TestEnv, install_crds, parse_yaml_documents, upstream_dir,
};
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// Concurrent create requests: enough to keep the apiserver busy on a small
/// machine without queueing thousands of requests.
const CONCURRENCY: usize = 32;
const POLL: Duration = Duration::from_millis(200);
const TIMEOUT: Duration = Duration::from_secs(900);

struct Args {
    dir: PathBuf,
    out: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut dir = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(args.next().context("--out needs a file")?)),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => bail!("usage: bench_reference DIR [--out FILE]"),
        }
    }
    Ok(Args {
        dir: dir.context("usage: bench_reference DIR [--out FILE]")?,
        out,
    })
}

fn read_documents(dir: &Path) -> Result<Vec<Value>> {
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

fn text<'a>(doc: &'a Value, pointer: &str) -> &'a str {
    doc.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Creates `docs` with at most [`CONCURRENCY`] requests in flight.
async fn create_all(client: &Client, discovery: &Discovery, docs: Vec<Value>) -> Result<()> {
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

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/<pid>/status")
}

/// CPU time (user + system) a process used so far, in seconds.
fn cpu_seconds(pid: u32) -> Result<f64> {
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

/// The gunzipped config and the Secret's resourceVersion, once written.
async fn read_config(api: &Api<Secret>, name: &str) -> Result<Option<(String, String)>> {
    let Some(secret) = api.get_opt(name).await? else {
        return Ok(None);
    };
    let version = secret.metadata.resource_version.clone().unwrap_or_default();
    let Some(gz) = secret
        .data
        .as_ref()
        .and_then(|d| d.get("prometheus.yaml.gz"))
        .filter(|gz| !gz.0.is_empty())
    else {
        return Ok(None);
    };
    let mut config = String::new();
    GzDecoder::new(gz.0.as_slice()).read_to_string(&mut config)?;
    Ok(Some((version, config)))
}

fn count_jobs(config: &str) -> usize {
    config
        .lines()
        .filter(|l| l.starts_with("- job_name:"))
        .count()
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let docs = read_documents(&args.dir)?;
    let prometheuses: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Prometheus").collect();
    ensure!(
        prometheuses.len() == 1,
        "expected exactly one Prometheus in {}",
        args.dir.display()
    );
    let (prom_ns, prom_name) = (
        text(prometheuses[0], "/metadata/namespace").to_owned(),
        text(prometheuses[0], "/metadata/name").to_owned(),
    );
    let expected_jobs: usize = docs
        .iter()
        .filter(|d| d["kind"] == "ServiceMonitor")
        .map(|d| {
            d.pointer("/spec/endpoints")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
        .sum();
    let object_count = docs.len();

    let t = Instant::now();
    let env = TestEnv::start().await?;
    let client = env.client();
    install_crds(
        &client,
        &upstream_dir().join("example/prometheus-operator-crd"),
    )
    .await?;
    let discovery = Discovery::new(client.clone()).run_aggregated().await?;
    eprintln!("test bed ready after {:.1?}", t.elapsed());

    let t = Instant::now();
    let (namespaces, rest): (Vec<Value>, Vec<Value>) =
        docs.into_iter().partition(|d| d["kind"] == "Namespace");
    create_all(&client, &discovery, namespaces).await?;
    create_all(&client, &discovery, rest).await?;
    let apply_seconds = t.elapsed().as_secs_f64();
    eprintln!("{object_count} objects created in {apply_seconds:.1}s");

    let secrets: Api<Secret> = Api::namespaced(client.clone(), &prom_ns);
    let secret_name = format!("prometheus-{prom_name}");
    let start = Instant::now();
    let mut op = ReferenceOperator::start(&env, &[]).await?;
    let ready_seconds = start.elapsed().as_secs_f64();
    let pid = op.pid().context("reference operator not running")?;
    let mut last_version = String::new();
    let mut writes = Vec::new();
    let config = loop {
        op.check_running()
            .with_context(|| format!("reference operator died:\n{}", op.log_tail(30)))?;
        if let Some((version, config)) = read_config(&secrets, &secret_name).await?
            && version != last_version
        {
            let elapsed = start.elapsed().as_secs_f64();
            let jobs = count_jobs(&config);
            eprintln!("config Secret written at {elapsed:.2}s with {jobs} jobs");
            writes.push(json!({"seconds": elapsed, "jobs": jobs}));
            last_version = version;
            if jobs >= expected_jobs {
                break config;
            }
        }
        if start.elapsed() > TIMEOUT {
            bail!(
                "no config with {expected_jobs} jobs after {TIMEOUT:?}; log tail:\n{}",
                op.log_tail(30)
            );
        }
        tokio::time::sleep(POLL).await;
    };
    let seconds = start.elapsed().as_secs_f64();
    let peak_rss = peak_rss_kib(pid)?;
    let cpu = cpu_seconds(pid)?;
    if let Some(out) = &args.out {
        std::fs::write(out, &config).with_context(|| format!("writing {}", out.display()))?;
    }
    let report = json!({
        "objects": object_count,
        "expected_jobs": expected_jobs,
        "jobs": count_jobs(&config),
        "apply_seconds": apply_seconds,
        "operator_ready_seconds": ready_seconds,
        "config_seconds": seconds,
        "peak_rss_kib": peak_rss,
        "cpu_seconds": cpu,
        "config_bytes": config.len(),
        "secret_writes": writes,
    });
    println!("{report}");
    Ok(())
}
