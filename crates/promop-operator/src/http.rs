//! The operator's own HTTP endpoints, on two listeners (module `routes`):
//! the web listener (`--web.listen-address`) serves `/metrics` (Prometheus
//! text format), `/healthz` (the process serves requests), `/readyz` (see
//! [`telemetry::ready`]) and the webhooks (the AlertmanagerConfig
//! conversion `/convert` and the admission reviews, module
//! [`crate::admission`]), over plain HTTP or TLS (`--web.enable-tls`, as the
//! reference's `pkg/server`: PEM files, TLS 1.3 unless told otherwise,
//! client certificates required when the client CA file exists); the
//! webhook listener (`--webhook.listen-address`, optional) serves only what
//! the API server calls, the webhooks, plus `/healthz`, always over TLS.
//!
//! The server is reachable by anything on the pod network, so it bounds what
//! a client can hold: connections (`MAX_CONNECTIONS`), the time to send
//! request headers (`HEADER_READ_TIMEOUT`) and, on the webhooks, the request
//! body's size and read time. A failing `accept` (out of file descriptors)
//! backs off instead of spinning, and the TLS certificate is re-read when
//! its files change (module `tls`), so a rotated certificate needs no restart.
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::options::{Web, Webhook};

mod routes;
mod tls;

pub use tls::TlsFiles;

#[cfg(test)]
mod tests;

/// How often histograms are compacted (the exporter's upkeep).
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
/// A client that does not finish its TLS handshake in time is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once. The legitimate clients are a few (kubelet
/// probes, Prometheus scrapes, the API server's conversion calls); the bound
/// keeps a flood from exhausting file descriptors and memory. It stays below
/// the common soft `RLIMIT_NOFILE` of 1024 (Rust does not raise it, unlike
/// Go), leaving room for the Kubernetes clients' connections. Connections
/// beyond it are not accepted until one ends: they wait in the kernel's
/// accept backlog, which costs the process nothing, and a short burst is
/// served late rather than refused (which would fail probes).
const MAX_CONNECTIONS: u32 = 512;
/// Time allowed for a request's headers, from the moment the connection is
/// ready for a request (so also an idle keep-alive connection's lifetime).
/// Bounds how long a slow client holds one of [`MAX_CONNECTIONS`]; real
/// clients send their headers at once.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest `/convert` request body. The API server sends a whole list in
/// one ConversionReview, so this is well above one object's 3 MiB API
/// limit, yet bounds the memory a client can make the server buffer.
const CONVERT_BODY_LIMIT: usize = 16 << 20;
/// Time allowed to receive a `/convert` request body (the API server's own
/// conversion timeout is 30s; its bodies come over the cluster network).
const CONVERT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// At shutdown, time left to requests in flight before the server returns
/// anyway (idle connections are closed at once).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Backoff after a failed `accept`: doubling from the first to the last.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How often, at most, the webhook listener's TLS certificate files are
/// checked for changes (the web listener's: --web.tls-reload-interval).
const CERT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("listening on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
    #[error("reading {0}: {1}")]
    ReadPem(PathBuf, String),
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("client CA {0}: {1}")]
    ClientCa(PathBuf, String),
    #[error("--webhook.listen-address needs --webhook.cert-file and --webhook.key-file")]
    WebhookWithoutTls,
}

/// The server's bounds; the constants above, shorter in tests.
#[derive(Clone, Copy, Debug)]
struct Limits {
    max_connections: u32,
    header_read_timeout: Duration,
    handshake_timeout: Duration,
    body_limit: usize,
    body_timeout: Duration,
    shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: MAX_CONNECTIONS,
            header_read_timeout: HEADER_READ_TIMEOUT,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            body_limit: CONVERT_BODY_LIMIT,
            body_timeout: CONVERT_BODY_TIMEOUT,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// A bound server, not yet serving.
pub struct Server {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    endpoints: Endpoints,
    limits: Limits,
    /// What the admission webhooks check with.
    admission: promop_core::admission::Options,
}

/// Which routes a listener serves.
enum Endpoints {
    /// The web listener: probes, metrics, webhooks.
    Web(PrometheusHandle),
    /// The webhook listener: webhooks and `/healthz`.
    Webhooks,
}

impl Server {
    /// Binds the listen address and loads the TLS files, so that mistakes
    /// stop `promop run` before the controllers start.
    pub async fn bind(web: &Web, metrics: PrometheusHandle) -> Result<Self, Error> {
        let tls = if web.enable_tls {
            Some(web_acceptor(web)?)
        } else {
            None
        };
        Ok(Self {
            listener: bind(web.listen_address).await?,
            tls,
            endpoints: Endpoints::Web(metrics),
            limits: Limits::default(),
            admission: promop_core::admission::Options::default(),
        })
    }

    /// The webhook listener, when `--webhook.listen-address` is set: like
    /// [`Server::bind`], with TLS always on and the same request limits.
    pub async fn bind_webhooks(webhook: &Webhook) -> Result<Option<Self>, Error> {
        let Some(address) = webhook.listen_address else {
            return Ok(None);
        };
        let files = tls::TlsFiles::of_webhook(webhook).ok_or(Error::WebhookWithoutTls)?;
        Ok(Some(Self {
            tls: Some(acceptor(files, CERT_CHECK_INTERVAL)?),
            listener: bind(address).await?,
            endpoints: Endpoints::Webhooks,
            limits: Limits::default(),
            admission: webhook.admission(),
        }))
    }

    /// The admission webhooks check with `options` (the web listener's
    /// default: the reference operator's legacy names, no PromQL options).
    pub fn with_admission(mut self, options: promop_core::admission::Options) -> Self {
        self.admission = options;
        self
    }

    /// The bound address (the port when `:0` was asked for).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish
    /// (for a few seconds at most).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let (router, upkeep) = match self.endpoints {
            Endpoints::Web(metrics) => {
                let router = routes::web(metrics.clone(), &self.limits, self.admission);
                let upkeep = tokio::spawn(async move {
                    let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
                    loop {
                        tick.tick().await;
                        metrics.run_upkeep();
                    }
                });
                (router, Some(upkeep))
            }
            Endpoints::Webhooks => (routes::webhooks(&self.limits, self.admission), None),
        };
        serve(self.listener, self.tls, router, self.limits, shutdown).await;
        if let Some(upkeep) = upkeep {
            upkeep.abort();
        }
    }
}

/// The web listener's TLS, its files checked every --web.tls-reload-interval.
fn web_acceptor(web: &Web) -> Result<TlsAcceptor, Error> {
    acceptor(tls::TlsFiles::of_web(web), web.tls_reload_interval)
}

/// A TLS acceptor of `files`, re-read when they change (checked at most
/// once per `check_interval`).
pub fn acceptor(files: tls::TlsFiles, check_interval: Duration) -> Result<TlsAcceptor, Error> {
    let config = tls::server_config(files, check_interval)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// `:PORT` means every interface: IPv6 and IPv4 where IPv6 exists, IPv4 only
/// on hosts without IPv6.
pub async fn bind(address: SocketAddr) -> Result<TcpListener, Error> {
    match TcpListener::bind(address).await {
        Err(_) if address.ip().is_unspecified() && address.is_ipv6() => {
            let v4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), address.port());
            TcpListener::bind(v4).await.map_err(|e| Error::Bind(v4, e))
        }
        result => result.map_err(|e| Error::Bind(address, e)),
    }
}

/// A source of connections: the TCP listener, or a scripted one in tests.
trait Accept: Send {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Io, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    type Io = TcpStream;
    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self).await
    }
}

/// The delay before the next `accept` after a failure: doubling, capped,
/// back to the first after a success.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            next: ACCEPT_BACKOFF_FIRST,
        }
    }
}

impl Backoff {
    fn failed(&mut self) -> Duration {
        let delay = self.next;
        self.next = (delay * 2).min(ACCEPT_BACKOFF_MAX);
        delay
    }

    fn reset(&mut self) {
        self.next = ACCEPT_BACKOFF_FIRST;
    }
}

/// Errors of one connection that went away before it was accepted: the next
/// `accept` is unaffected, so there is nothing to wait for.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

/// The accept loop: one task per connection, at most
/// `limits.max_connections` at once.
async fn serve<L: Accept>(
    mut listener: L,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections as usize));
    let (stop, stopping) = watch::channel(false);
    let mut backoff = Backoff::default();
    let mut shutdown = pin!(shutdown);
    loop {
        // A permit first: past the limit, clients wait in the accept backlog.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (io, peer) = match accepted {
            Ok(accepted) => {
                backoff.reset();
                accepted
            }
            Err(error) if is_connection_error(&error) => {
                tracing::debug!(%error, "accepting a connection");
                continue;
            }
            Err(error) => {
                // Typically out of file descriptors: retrying at once would
                // spin, giving up would end the probes; wait for some to close.
                let delay = backoff.failed();
                tracing::error!(%error, retry_in = ?delay, "accepting a connection");
                drop(permit);
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(delay) => continue,
                }
            }
        };
        tokio::spawn(connection(
            io,
            peer,
            tls.clone(),
            router.clone(),
            limits,
            permit,
            stopping.clone(),
        ));
    }
    // New clients are refused from here on; open connections finish their
    // request and close.
    drop(listener);
    stop.send_replace(true);
    let finished = tokio::time::timeout(
        limits.shutdown_grace,
        permits.acquire_many(limits.max_connections),
    )
    .await;
    if finished.is_err() {
        tracing::info!("web server stopped with requests still in flight");
    }
}

/// Serves one connection (after the TLS handshake, if any); the permit is
/// released when it ends.
async fn connection<I>(
    io: I,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: Limits,
    permit: OwnedSemaphorePermit,
    stopping: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match tls {
        None => serve_http(io, peer, router, limits, stopping).await,
        Some(tls) => match tokio::time::timeout(limits.handshake_timeout, tls.accept(io)).await {
            Ok(Ok(stream)) => serve_http(stream, peer, router, limits, stopping).await,
            Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
        },
    }
    drop(permit);
}

async fn serve_http<I>(
    io: I,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut conn =
        pin!(builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(router)));
    let served = tokio::select! {
        served = conn.as_mut() => served,
        () = stopped(&mut stopping) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(error) = served {
        tracing::debug!(%error, %peer, "connection");
    }
}

/// Resolves once the server is stopping (or gone).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: not kept across awaits.
    let _ = stopping.wait_for(|stop| *stop).await;
}
