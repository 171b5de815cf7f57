//! `local-stack`: runs promop's local stack until Ctrl-C (or SIGTERM, or
//! `--run-for`), then stops every process it started.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use promop_stack::{Options, Stack, Status};
use tokio::signal::unix::{SignalKind, signal};

/// How often the stack is supervised (exited processes, pods to reload).
const TICK: Duration = Duration::from_secs(2);

#[derive(Parser)]
#[command(name = "local-stack", version, about)]
struct Args {
    /// For scripts and tests: no hints or alert lines on the terminal; stop
    /// on SIGTERM/SIGINT or after --run-for.
    #[arg(long)]
    headless: bool,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    run_for: Option<u64>,
    /// Write the URLs, log files and PIDs (JSON) to FILE once ready.
    #[arg(long, value_name = "FILE")]
    json_status: Option<PathBuf>,
    /// Directory of the local processes' logs and the alert sink's log
    /// [default: target/local-stack in the workspace].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Orders per second orders-service's load generator posts.
    #[arg(long, default_value_t = 5.0)]
    load: f64,
    /// Share of orders that fail (the demo alert fires on failures).
    #[arg(long, default_value_t = 0.05)]
    failure_ratio: f64,
    /// The Thanos overlay (deploy/local/thanos): 2 Prometheus replicas with
    /// Thanos sidecars shipping to a bucket in --dir, Thanos Query over
    /// them and a ThanosRuler alerting through the stack's Alertmanager.
    #[arg(long)]
    thanos: bool,
    /// The promop binary [default: next to this one].
    #[arg(long, value_name = "PATH")]
    promop: Option<PathBuf>,
    /// The orders-service binary [default: next to this one].
    #[arg(long, value_name = "PATH")]
    orders_service: Option<PathBuf>,
}

// One thread: the test bed's processes die with the thread that spawned
// them (PR_SET_PDEATHSIG), which must live as long as the stack.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let repo = promop_stack::repo_dir().canonicalize()?;
    let here = std::env::current_exe()?;
    let sibling = |name: &str| here.with_file_name(name);
    let options = Options {
        dir: args
            .dir
            .clone()
            .unwrap_or_else(|| repo.join("target/local-stack")),
        promop: args.promop.clone().unwrap_or_else(|| sibling("promop")),
        orders_service: args
            .orders_service
            .clone()
            .unwrap_or_else(|| sibling("orders-service")),
        repo,
        load: args.load,
        failure_ratio: args.failure_ratio,
        echo_alerts: !args.headless,
        thanos: args.thanos,
    };
    // A signal during the start drops the half-started stack: every
    // process started so far is killed.
    let stop = stop_signal(args.run_for.map(Duration::from_secs))?;
    tokio::pin!(stop);
    let mut stack = tokio::select! {
        stack = start(&options, &args) => stack?,
        why = &mut stop => {
            println!("local-stack: {why} during the start, stopping");
            return Ok(());
        }
    };
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            why = &mut stop => {
                println!("local-stack: {why}, stopping every process");
                break;
            }
            _ = tick.tick() => stack.tick().await?,
        }
    }
    drop(stack);
    println!("local-stack: stopped");
    Ok(())
}

async fn start(options: &Options, args: &Args) -> Result<Stack> {
    let stack = Stack::start(options).await?;
    if let Some(file) = &args.json_status {
        write_status(file, stack.status())?;
    }
    print_banner(stack.status(), args.headless);
    Ok(stack)
}

/// Written to a temporary file first: a reader never sees half of it.
fn write_status(file: &Path, status: &Status) -> Result<()> {
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(status)?)?;
    std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))
}

fn print_banner(s: &Status, headless: bool) {
    let log = |name: &str| {
        s.logs
            .get(name)
            .map_or_else(String::new, |p| p.display().to_string())
    };
    let thanos = s.thanos.as_ref().map_or_else(String::new, |t| {
        format!(
            "\n  Thanos Query    {q}  (deduplicates on prometheus_replica; replica 1: {p1})\
             \n  ThanosRuler     {r}  rules: {r}/rules  alerts: {r}/alerts\
             \n  Thanos bucket   {b}",
            q = t.query,
            p1 = t.prometheus_1,
            r = t.ruler,
            b = t.bucket.display(),
        )
    });
    println!(
        "\npromop's local stack is ready ({:.1}s)\n\
         \n  Prometheus      {p}  targets: {p}/targets  alerts: {p}/alerts\
         \n  Alertmanager    {a}{thanos}\
         \n  alert sink      {sink_log}  (the demo alert OrdersFailingDemo{ruler_alert} arrives within a minute)\
         \n  orders-service  {o}/orders  metrics: {om}/metrics  (load generator on)\
         \n  pushgateway     {pg}    blackbox exporter: {bb}\
         \n  promop          {pm}  log: {promop_log}\
         \n  kube-apiserver  {api}  KUBECONFIG={kc} kubectl get prometheus,servicemonitors -A\
         \n  logs            {prom_log}\
         \n                  {am_log}{thanos_logs}\
         \n",
        s.ready_after_seconds,
        ruler_alert = if s.thanos.is_some() {
            ", and the ThanosRuler's OrdersFailingThanosRuler,"
        } else {
            ""
        },
        p = s.prometheus,
        a = s.alertmanager,
        sink_log = s.sink_log.display(),
        o = s.orders_service,
        om = s.orders_service_metrics,
        pg = s.pushgateway,
        bb = s.blackbox_exporter,
        pm = s.promop_metrics,
        promop_log = log("promop"),
        api = s.apiserver,
        kc = s.kubeconfig.display(),
        prom_log = log("prometheus"),
        am_log = log("alertmanager"),
        thanos_logs = if s.thanos.is_some() {
            format!(
                "\n                  {}\n                  {}",
                log("thanos-query"),
                log("thanos-ruler")
            )
        } else {
            String::new()
        },
    );
    if !headless {
        println!("Ctrl-C stops every process.\n");
    }
}

/// Resolves with the reason to stop: SIGINT, SIGTERM or the end of `run_for`.
fn stop_signal(
    run_for: Option<Duration>,
) -> Result<impl std::future::Future<Output = &'static str>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        let deadline = async {
            match run_for {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
            () = deadline => "--run-for elapsed",
        }
    })
}
