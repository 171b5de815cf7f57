//! orders-service: an example Axum service exporting `orders_total`,
//! `order_duration_seconds` and `active_orders`, the workload that the
//! promop example stack (deploy/examples) monitors.
//!
//! [`Service::bind`] opens the listeners, [`Service::run`] serves until its
//! shutdown future resolves, then reports not ready, waits
//! `--shutdown-delay`, stops accepting and lets in-flight requests finish.
pub mod app;
pub mod config;
pub mod load;
pub mod metrics;
pub mod trace;

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::{AppState, WorkTime};
use crate::config::Config;
use crate::trace::Tracer;

/// How often histogram samples are compacted when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
/// Longest wait for the last spans to be exported at shutdown.
const TRACE_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// A service whose listeners are bound, not yet serving.
pub struct Service {
    api: TcpListener,
    metrics: Option<TcpListener>,
    state: Arc<AppState>,
    load: f64,
    shutdown_delay: Duration,
    tracer: Option<(Arc<Tracer>, JoinHandle<()>)>,
}

impl Service {
    pub async fn bind(config: &Config) -> io::Result<Self> {
        let api = bind(config.listen).await?;
        let metrics = match config.metrics_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let work = WorkTime {
            min: config.work_min,
            max: config.work_max,
        };
        let tracer = match config.otlp_endpoint() {
            Some(endpoint) => {
                let tracer = Tracer::start(endpoint, &config.service_name)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                tracing::info!(endpoint, "exporting traces (OTLP/HTTP JSON)");
                Some(tracer)
            }
            None => None,
        };
        Ok(Self {
            api,
            metrics,
            state: Arc::new(AppState::new(config.failure_ratio, work, config.seed)),
            load: config.load,
            shutdown_delay: config.shutdown_delay,
            tracer,
        })
    }

    /// The API's address (the actual port when configured with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.api
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// Where `/metrics` is served.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics.as_ref().map_or_else(
            || self.local_addr(),
            |listener| {
                listener
                    .local_addr()
                    .expect("a bound TCP listener has an address")
            },
        )
    }

    /// Serves until `shutdown` resolves, then shuts down gracefully.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let api_addr = self.local_addr();
        let metrics_addr = self.metrics_addr();
        let stopping = CancellationToken::new();
        let draining = CancellationToken::new();
        tokio::spawn(sequence_shutdown(
            shutdown,
            self.state.clone(),
            self.shutdown_delay,
            stopping.clone(),
            draining.clone(),
        ));
        tokio::spawn(upkeep(self.state.clone(), stopping.clone()));

        let metrics_server = self.metrics.map(|listener| {
            tracing::info!(addr = %metrics_addr, "serving /metrics");
            let router = app::metrics_router().with_state(self.state.clone());
            tokio::spawn(
                axum::serve(listener, router)
                    .with_graceful_shutdown(draining.clone().cancelled_owned())
                    .into_future(),
            )
        });
        let (tracer, exporter) = self.tracer.unzip();
        let router = app::router(self.state.clone(), metrics_server.is_none(), tracer);
        self.state.set_ready(true);
        tracing::info!(addr = %api_addr, "orders-service ready");
        tokio::spawn(load::generate(loopback(api_addr), self.load, stopping));
        axum::serve(self.api, router)
            .with_graceful_shutdown(draining.cancelled_owned())
            .await?;
        if let Some(server) = metrics_server {
            server.await.map_err(io::Error::other)??;
        }
        // The router (and its tracer) is gone: the exporter sends what is
        // left and ends.
        if let Some(exporter) = exporter
            && tokio::time::timeout(TRACE_FLUSH_TIMEOUT, exporter)
                .await
                .is_err()
        {
            tracing::warn!("the last spans were not exported in time");
        }
        tracing::info!("orders-service stopped");
        Ok(())
    }
}

async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| io::Error::new(error.kind(), format!("listening on {addr}: {error}")))
}

/// Not ready and no more load at once; listeners closed after `delay`.
async fn sequence_shutdown(
    shutdown: impl Future<Output = ()>,
    state: Arc<AppState>,
    delay: Duration,
    stopping: CancellationToken,
    draining: CancellationToken,
) {
    shutdown.await;
    tracing::info!(?delay, "shutting down: not ready");
    state.set_ready(false);
    stopping.cancel();
    tokio::time::sleep(delay).await;
    tracing::info!("closing listeners, finishing in-flight requests");
    draining.cancel();
}

async fn upkeep(state: Arc<AppState>, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(UPKEEP_INTERVAL);
    while stop.run_until_cancelled(ticks.tick()).await.is_some() {
        state.metrics.upkeep();
    }
}

/// The address the load generator dials: a wildcard listener is reached on
/// the loopback interface of the same family.
fn loopback(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => (Ipv4Addr::LOCALHOST, v4.port()).into(),
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => (Ipv6Addr::LOCALHOST, v6.port()).into(),
        other => other,
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (Kubernetes stopping the pod).
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_listeners_are_dialled_on_loopback() {
        let dial = |addr: &str| loopback(addr.parse().unwrap()).to_string();
        assert_eq!(dial("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(dial("[::]:8080"), "[::1]:8080");
        assert_eq!(dial("127.0.0.2:9000"), "127.0.0.2:9000");
    }
}
