//! [`MetricsServer`]: a tiny scrape target on loopback serving a fixed
//! Prometheus text exposition, counting its scrapes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

struct State {
    body: Mutex<String>,
    scrapes: AtomicUsize,
}

/// Answers every GET (any path) with the current body. Stops when dropped.
pub struct MetricsServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// Binds 127.0.0.1 on a random port.
    pub async fn start(body: impl Into<String>) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            body: Mutex::new(body.into()),
            scrapes: AtomicUsize::new(0),
        });
        let task = tokio::spawn(serve(listener, state.clone()));
        Ok(Self { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>/metrics`
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }

    /// How many requests were answered.
    pub fn scrapes(&self) -> usize {
        self.state.scrapes.load(Ordering::SeqCst)
    }

    /// Replaces the served exposition.
    pub fn set_body(&self, body: impl Into<String>) {
        *self.state.body.lock().expect("metrics state poisoned") = body.into();
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut conns = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        conns.spawn(async move {
            let svc = service_fn(move |req| handle(req, state.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
        while conns.try_join_next().is_some() {}
    }
}

async fn handle(
    _req: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    state.scrapes.fetch_add(1, Ordering::SeqCst);
    let body = state.body.lock().expect("metrics state poisoned").clone();
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    Ok(resp)
}
