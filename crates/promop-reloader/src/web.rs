//! `/metrics` and `/healthz` on --listen-address, as the reference serves
//! them: over TLS and with the headers of --web-config-file when it sets
//! them.
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use promop_operator::http::{Error, bind};

use crate::metrics::Metrics;
use crate::web_config::Listener;

/// Binds now (so a taken port fails the start), serves in a task. `:PORT`
/// binds IPv4 only where the pod has no IPv6, as `promop run` does.
pub async fn serve(
    addr: SocketAddr,
    listener: Listener,
    metrics: Arc<Metrics>,
    method: &'static str,
) -> Result<SocketAddr, Error> {
    let socket = bind(addr).await?;
    let bound = socket.local_addr().map_err(|e| Error::Bind(addr, e))?;
    tracing::info!(listen = %bound, tls = listener.tls.is_some(), "Starting web server for metrics");
    let listener = Arc::new(listener);
    tokio::spawn(async move {
        loop {
            let stream = match socket.accept().await {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of descriptors, say: let connections finish.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (metrics, listener) = (metrics.clone(), listener.clone());
            tokio::spawn(async move {
                let headers = listener.clone();
                let service =
                    service_fn(move |req| answer(req, metrics.clone(), headers.clone(), method));
                let connection = http1::Builder::new();
                let _ = match &listener.tls {
                    Some(tls) => match tls.accept(stream).await {
                        Ok(stream) => {
                            connection
                                .serve_connection(TokioIo::new(stream), service)
                                .await
                        }
                        Err(error) => {
                            tracing::debug!(%error, "TLS handshake failed");
                            return;
                        }
                    },
                    None => {
                        connection
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                    }
                };
            });
        }
    });
    Ok(bound)
}

async fn answer(
    req: Request<hyper::body::Incoming>,
    metrics: Arc<Metrics>,
    listener: Arc<Listener>,
    method: &'static str,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match req.uri().path() {
        "/healthz" => (
            StatusCode::OK,
            "application/json",
            r#"{"status":"up"}"#.to_owned(),
        ),
        "/metrics" => (
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(method),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "404 page not found\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = content_type.parse() {
        headers.insert(hyper::header::CONTENT_TYPE, value);
    }
    for (name, value) in &listener.headers {
        headers.insert(name.clone(), value.clone());
    }
    Ok(response)
}
