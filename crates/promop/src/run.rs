//! `promop run`: the operator process — flags, logging, the Kubernetes
//! client, the web server (/metrics, /healthz, /readyz), the webhook server
//! (/convert, when --webhook.listen-address is set), leader election,
//! the controllers, and a graceful stop on SIGTERM/SIGINT that releases the
//! Lease.
use std::fmt::{self, Write as _};
use std::path::PathBuf;

use anyhow::Context;
use futures::FutureExt;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use promop_operator::{Options, http, leader, telemetry};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

#[derive(clap::Args)]
pub struct Args {
    /// Path to a kubeconfig. Without it: the in-cluster configuration, else
    /// $KUBECONFIG or ~/.kube/config.
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    #[command(flatten)]
    process: ProcessFlags,
    #[command(flatten)]
    options: Box<Options>,
}

/// The reference's logging and version flags, which `run` and
/// `config-reloader` share.
#[derive(clap::Args)]
pub(crate) struct ProcessFlags {
    /// Log level (RUST_LOG, when set, takes precedence).
    #[arg(long, value_enum, default_value = "info")]
    log_level: LogLevel,
    /// Log format.
    #[arg(long, value_enum, default_value = "logfmt")]
    log_format: LogFormat,
    /// Print the version and exit (the reference's flag).
    #[arg(long)]
    version: bool,
    /// Print just the version number and exit (the reference's flag).
    #[arg(long)]
    short_version: bool,
}

impl ProcessFlags {
    /// Prints the version when asked (then the process should exit).
    pub(crate) fn print_version(&self) -> bool {
        if !(self.version || self.short_version) {
            return false;
        }
        let version = env!("CARGO_PKG_VERSION");
        match self.short_version {
            true => println!("{version}"),
            false => println!("promop, version {version}"),
        }
        true
    }

    pub(crate) fn init_logging(&self) {
        init_logging(self.log_level, self.log_format);
    }
}

/// The reference's `--log-level` values.
#[derive(Clone, Copy, clap::ValueEnum)]
enum LogLevel {
    All,
    Debug,
    Info,
    Warn,
    Error,
    None,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Logfmt,
    Json,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if args.process.print_version() {
        return Ok(());
    }
    if let Err(message) = args.options.validate() {
        // A usage error, reported like clap's own (exit code 2).
        clap::Error::raw(
            clap::error::ErrorKind::ArgumentConflict,
            format!("{message}\n"),
        )
        .exit();
    }
    args.process.init_logging();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(operate(args))
}

/// The web server, then the controllers (on the leader only with
/// `--leader-elect`), until SIGTERM/SIGINT or a lost leadership.
async fn operate(args: &Args) -> anyhow::Result<()> {
    let options: &Options = &args.options;
    let metrics = telemetry::install().context("installing the metrics recorder")?;
    let server = http::Server::bind(&options.web, metrics)
        .await?
        .with_admission(options.webhook.admission());
    if let Some(address) = server.local_addr() {
        tracing::info!(%address, tls = options.web.enable_tls, "serving /metrics, /healthz and /readyz");
    }
    let webhooks = http::Server::bind_webhooks(&options.webhook).await?;
    if let Some(address) = webhooks.as_ref().and_then(http::Server::local_addr) {
        tracing::info!(%address, "serving the webhooks (/convert, /admission-*) over TLS");
    }
    let client = client(args.kubeconfig.as_ref()).await?;
    let shutdown = async {
        shutdown_signal().await;
        tracing::info!("shutdown requested, finishing running reconciles");
    }
    .boxed()
    .shared();
    let (stop_web, web_stopped) = tokio::sync::oneshot::channel::<()>();
    let web = tokio::spawn(server.run(async {
        web_stopped.await.ok();
    }));
    // Stopped with the web server, once the controllers have stopped.
    let (stop_webhooks, webhooks_stopped) = tokio::sync::oneshot::channel::<()>();
    let webhooks = webhooks.map(|server| {
        tokio::spawn(server.run(async {
            webhooks_stopped.await.ok();
        }))
    });
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting promop");
    let result = if options.leader_election.enabled {
        let config = leader::Config::from_options(&options.leader_election);
        // The controllers write only while the Lease is surely ours.
        let work_client = client_with(args.kubeconfig.as_ref(), Some(&config.gate)).await?;
        leader::run_when_leader(client, &config, shutdown, |stop| {
            promop_operator::run(work_client, options.clone(), stop)
        })
        .await
        .map_err(anyhow::Error::from)
    } else {
        telemetry::set_leader(true);
        promop_operator::run(client, options.clone(), shutdown).await;
        Ok(())
    };
    stop_web.send(()).ok();
    stop_webhooks.send(()).ok();
    web.await.ok();
    if let Some(webhooks) = webhooks {
        webhooks.await.ok();
    }
    result
}

pub(crate) async fn client(kubeconfig: Option<&PathBuf>) -> anyhow::Result<Client> {
    client_with(kubeconfig, None).await
}

/// A client whose writes pass `gate` when given.
async fn client_with(
    kubeconfig: Option<&PathBuf>,
    gate: Option<&leader::WriteGate>,
) -> anyhow::Result<Client> {
    let config = match kubeconfig {
        Some(path) => {
            // kube's error already names the file and the cause.
            let file = Kubeconfig::read_from(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
                .await
                .with_context(|| format!("using kubeconfig {}", path.display()))?
        }
        None => Config::infer()
            .await
            .context("no in-cluster configuration and no usable kubeconfig")?,
    };
    let mut config = config;
    config
        .headers
        .push((::http::header::USER_AGENT, user_agent()));
    let builder =
        kube::client::ClientBuilder::try_from(config).context("creating the Kubernetes client")?;
    Ok(match gate {
        Some(gate) => builder.with_layer(&gate.layer()).build(),
        None => builder.build(),
    })
}

/// `promop/<version> (<pod>)`: audit logs tell the replicas apart.
fn user_agent() -> ::http::HeaderValue {
    let pod = std::env::var("POD_NAME").unwrap_or_default();
    let agent = match pod.as_str() {
        "" => format!("promop/{}", env!("CARGO_PKG_VERSION")),
        pod => format!("promop/{} ({pod})", env!("CARGO_PKG_VERSION")),
    };
    ::http::HeaderValue::from_str(&agent)
        .unwrap_or_else(|_| ::http::HeaderValue::from_static("promop"))
}

/// SIGINT or SIGTERM, whichever comes first.
pub(crate) async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM, only SIGINT stops promop");
            tokio::signal::ctrl_c().await.ok();
        }
    }
}

fn init_logging(level: LogLevel, format: LogFormat) {
    let level = match level {
        LogLevel::All => "trace",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
        LogLevel::None => "off",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Logfmt => builder.fmt_fields(Logfmt).event_format(Logfmt).init(),
    }
}

/// `time=… level=… msg="…" key=value … target=…`, one event per line; the
/// fields of the spans the event is in (e.g. the reconcile's `workload`)
/// follow its own.
struct Logfmt;

impl<S, N> FormatEvent<S, N> for Logfmt
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        writer.write_str("time=")?;
        SystemTime.format_time(&mut writer)?;
        write!(
            writer,
            " level={}",
            meta.level().as_str().to_ascii_lowercase()
        )?;
        let mut fields = LogfmtFields::default();
        event.record(&mut fields);
        writer.write_str(&fields.0)?;
        for span in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
            if let Some(fields) = span.extensions().get::<FormattedFields<N>>() {
                writer.write_str(fields)?;
            }
        }
        writeln!(writer, " target={}", meta.target())
    }
}

/// Spans' fields, recorded when a span opens, in the events' logfmt.
impl<'w> FormatFields<'w> for Logfmt {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut pairs = LogfmtFields::default();
        fields.record(&mut pairs);
        writer.write_str(&pairs.0)
    }
}

#[derive(Default)]
struct LogfmtFields(String);

impl Visit for LogfmtFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.pair(field.name(), value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.pair(field.name(), &format!("{value:?}"));
    }
}

impl LogfmtFields {
    fn pair(&mut self, key: &str, value: &str) {
        let key = if key == "message" { "msg" } else { key };
        let bare = !value.is_empty()
            && !value
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '=' || c.is_control());
        // Writing to a String cannot fail.
        let _ = if bare {
            write!(self.0, " {key}={value}")
        } else {
            write!(self.0, " {key}={value:?}")
        };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn logfmt_lines_carry_their_spans_fields() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .fmt_fields(Logfmt)
            .event_format(Logfmt)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("reconcile", workload = %"Prometheus ns/main");
            let _entered = span.enter();
            tracing::info_span!("apply")
                .in_scope(|| tracing::info!(objects = 3, "objects written"));
        });
        let line = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        for pair in [
            r#"msg="objects written""#,
            "objects=3",
            r#"workload="Prometheus ns/main""#,
        ] {
            assert!(line.contains(&format!(" {pair}")), "{pair} in {line}");
        }
        assert!(line.ends_with(" target=promop::run::tests\n"), "{line}");
    }
}
