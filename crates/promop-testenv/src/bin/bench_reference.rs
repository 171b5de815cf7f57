//! The reference operator's half of `benches/render-5000.sh`: how long
//! upstream v0.94.1 takes to write the configuration of a large cluster, and
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

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use promop_testenv::bench::{
    count_jobs, cpu_seconds, proc_status_kib, read_manifest_dir, test_bed, text,
};
use promop_testenv::{ReferenceOperator, secret_config};
use serde_json::{Value, json};

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

/// The gunzipped config and the Secret's resourceVersion, once written.
async fn read_config(api: &Api<Secret>, name: &str) -> Result<Option<(String, String)>> {
    let Some(secret) = api.get_opt(name).await? else {
        return Ok(None);
    };
    let version = secret.metadata.resource_version.clone().unwrap_or_default();
    Ok(secret_config(&secret)?
        .filter(|config| !config.is_empty())
        .map(|config| (version, config)))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let docs = read_manifest_dir(&args.dir)?;
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

    let (env, created) = test_bed(docs).await?;
    let client = env.client();
    let apply_seconds = created.as_secs_f64();

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
    let peak_rss = proc_status_kib(pid, "VmHWM")?;
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
