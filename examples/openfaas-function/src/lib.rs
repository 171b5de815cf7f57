//! An OpenFaaS function in Rust for of-watchdog's HTTP mode.
//!
//! of-watchdog (the container's entrypoint, listening on :8080) starts this
//! process (`fprocess`) and forwards every request to `upstream_url`,
//! `http://127.0.0.1:8082` by default: [`DEFAULT_LISTEN`]. The function
//! answers any path with a greeting, except `/metrics`, where it exports its
//! own invocation metrics in the Prometheus text format (reachable through
//! the watchdog as `http://<function>.openfaas-fn:8080/metrics`, which the
//! example's ServiceMonitor scrapes).
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{Counter, Histogram, Unit, counter, describe_counter, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

/// Where of-watchdog's `upstream_url` points by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8082";
/// Invocations handled, by `code` (HTTP status).
pub const INVOCATIONS: &str = "function_invocations_total";
/// Time to handle an invocation, in seconds.
pub const DURATION: &str = "function_invocation_duration_seconds";
/// Bodies larger than this are refused with 413 (the gateway and the
/// watchdog have their own limits; this one keeps the function's memory
/// bounded).
pub const MAX_BODY: usize = 64 * 1024;

const BUCKETS: [f64; 8] = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0];

/// The function's metrics, with their own recorder (several functions in
/// one process, as in the tests, keep separate counts).
pub struct Metrics {
    recorder: PrometheusRecorder,
    ok: Counter,
    too_large: Counter,
    duration: Histogram,
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let (ok, too_large, duration) = metrics::with_local_recorder(&recorder, || {
            describe_counter!(INVOCATIONS, "Invocations handled, by HTTP status code.");
            describe_histogram!(DURATION, Unit::Seconds, "Time to handle an invocation.");
            (
                counter!(INVOCATIONS, "code" => "200"),
                counter!(INVOCATIONS, "code" => "413"),
                histogram!(DURATION),
            )
        });
        Self {
            recorder,
            ok,
            too_large,
            duration,
        }
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let handle = self.recorder.handle();
        handle.run_upkeep();
        handle.render()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The function's routes: `/metrics` (GET) and the function on every other
/// path and method.
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .fallback(invoke)
        .with_state(metrics)
}

async fn render_metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics.render(),
    )
        .into_response()
}

/// The function: greets the request body (`Hello, <body>!`, or
/// `Hello, world!` for an empty body or a GET).
async fn invoke(State(metrics): State<Arc<Metrics>>, method: Method, body: Bytes) -> Response {
    let start = Instant::now();
    if body.len() > MAX_BODY {
        metrics.too_large.increment(1);
        metrics.duration.record(start.elapsed().as_secs_f64());
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let text = String::from_utf8_lossy(&body);
    let name = match text.trim() {
        "" => "world",
        name if method != Method::GET => name,
        _ => "world",
    };
    let reply = format!("Hello, {name}!\n");
    metrics.ok.increment(1);
    metrics.duration.record(start.elapsed().as_secs_f64());
    reply.into_response()
}

/// Serves [`router`] on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(metrics))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The address to listen on: `$LISTEN_ADDR`, else [`DEFAULT_LISTEN`].
pub fn listen_addr(from_env: Option<String>) -> Result<SocketAddr, String> {
    let addr = from_env.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    addr.parse()
        .map_err(|e| format!("LISTEN_ADDR {addr:?} is not an address: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_address_is_of_watchdogs_upstream() {
        assert_eq!(listen_addr(None).unwrap().to_string(), "127.0.0.1:8082");
        assert_eq!(
            listen_addr(Some("0.0.0.0:9000".into())).unwrap().port(),
            9000
        );
        assert!(listen_addr(Some("8082".into())).is_err());
    }

    #[test]
    fn both_codes_are_exported_before_any_invocation() {
        let text = Metrics::new().render();
        for line in [
            "# TYPE function_invocations_total counter",
            "function_invocations_total{code=\"200\"} 0",
            "function_invocations_total{code=\"413\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in:\n{text}");
        }
    }
}
