//! The operator's own HTTP endpoints: `/metrics` (Prometheus text format),
//! `/healthz` (the process serves requests), `/readyz` (see
//! [`telemetry::ready`]) and the AlertmanagerConfig conversion webhook
//! `/convert` (the API server calls it over TLS), over plain HTTP or TLS (`--web.enable-tls`, as the
//! reference's `pkg/server`: PEM files, TLS 1.3 unless told otherwise,
//! client certificates required when the client CA file exists).
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use metrics_exporter_prometheus::PrometheusHandle;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::options::{TlsVersion, Web};
use crate::telemetry;

/// How often histograms are compacted (the exporter's upkeep).
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
/// A client that does not finish its TLS handshake in time is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
}

/// A bound server, not yet serving.
pub struct Server {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    metrics: PrometheusHandle,
}

impl Server {
    /// Binds the listen address and loads the TLS files, so that mistakes
    /// stop `promop run` before the controllers start.
    pub async fn bind(web: &Web, metrics: PrometheusHandle) -> Result<Self, Error> {
        let tls = if web.enable_tls {
            Some(TlsAcceptor::from(Arc::new(tls_config(web)?)))
        } else {
            None
        };
        Ok(Self {
            listener: bind(web.listen_address).await?,
            tls,
            metrics,
        })
    }

    /// The bound address (the port when `:0` was asked for).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` resolves.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let upkeep = tokio::spawn({
            let metrics = self.metrics.clone();
            async move {
                let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
                loop {
                    tick.tick().await;
                    metrics.run_upkeep();
                }
            }
        });
        let router = router(self.metrics);
        let result = match self.tls {
            None => axum::serve(self.listener, router)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(|e| e.to_string()),
            Some(tls) => {
                serve_tls(self.listener, tls, router, shutdown).await;
                Ok(())
            }
        };
        upkeep.abort();
        if let Err(error) = result {
            tracing::error!(%error, "web server failed");
        }
    }
}

fn router(metrics: PrometheusHandle) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/convert", post(crate::conversion::review))
        .route(
            "/metrics",
            get(move || {
                let body = metrics.render();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        body,
                    )
                }
            }),
        )
}

async fn readyz() -> impl IntoResponse {
    if telemetry::ready() {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced\n")
    }
}

/// `:PORT` means every interface: IPv6 and IPv4 where IPv6 exists, IPv4 only
/// on hosts without IPv6.
async fn bind(address: SocketAddr) -> Result<TcpListener, Error> {
    match TcpListener::bind(address).await {
        Err(_) if address.ip().is_unspecified() && address.is_ipv6() => {
            let v4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), address.port());
            TcpListener::bind(v4).await.map_err(|e| Error::Bind(v4, e))
        }
        result => result.map_err(|e| Error::Bind(address, e)),
    }
}

async fn serve_tls(
    listener: TcpListener,
    tls: TlsAcceptor,
    router: Router,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection");
                    continue;
                }
            },
        };
        let tls = tls.clone();
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    tracing::debug!(%error, %peer, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(error) = served {
                tracing::debug!(%error, %peer, "connection");
            }
        });
    }
}

fn tls_config(web: &Web) -> Result<rustls::ServerConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match web.tls_min_version {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)?;
    let builder = if web.client_ca_file.is_file() {
        let mut roots = rustls::RootCertStore::empty();
        for cert in certificates(&web.client_ca_file)? {
            roots
                .add(cert)
                .map_err(|e| Error::ClientCa(web.client_ca_file.clone(), e.to_string()))?;
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| Error::ClientCa(web.client_ca_file.clone(), e.to_string()))?;
        tracing::info!(client_ca_file = %web.client_ca_file.display(), "server TLS client verification enabled");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = PrivateKeyDer::from_pem_file(&web.key_file)
        .map_err(|e| Error::ReadPem(web.key_file.clone(), e.to_string()))?;
    let mut config = builder.with_single_cert(certificates(&web.cert_file)?, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::ReadPem(path.to_owned(), e.to_string()))?;
    if certs.is_empty() {
        return Err(Error::ReadPem(
            path.to_owned(),
            "no PEM certificate".to_owned(),
        ));
    }
    Ok(certs)
}
