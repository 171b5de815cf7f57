//! [`WebhookSink`]: a tiny HTTP server on loopback that records every POSTed
//! body (e.g. Alertmanager webhook notifications).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// One recorded POST.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub path: String,
    /// The body as JSON, or a JSON string when it was not JSON.
    pub body: Value,
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<ReceivedRequest>>,
    notify: Notify,
}

/// Records POSTs to any path; answers 200 to them (and 405 to other methods).
/// Stops when dropped.
pub struct WebhookSink {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl WebhookSink {
    /// Binds 127.0.0.1 on a random port and starts serving.
    pub async fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let task = tokio::spawn(serve(listener, state.clone()));
        Ok(Self { addr, state, task })
    }

    /// `http://127.0.0.1:<port>/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bodies received so far.
    pub fn received(&self) -> Vec<Value> {
        self.requests().into_iter().map(|r| r.body).collect()
    }

    /// The requests (path and body) received so far.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state
            .received
            .lock()
            .expect("sink state poisoned")
            .clone()
    }

    /// Waits until at least `n` bodies were received; returns all of them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<Value>> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.state.notify.notified();
            let got = self.received();
            if got.len() >= n {
                return Ok(got);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!(
                    "webhook sink {}: {} of {n} messages after {timeout:?}: {got:?}",
                    self.url(),
                    got.len()
                );
            }
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    // Connections live in this set: aborting the accept task drops them.
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
    req: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::POST {
        let mut resp = Response::new(Full::new(Bytes::from_static(b"POST only\n")));
        *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        return Ok(resp);
    }
    let path = req.uri().path().to_owned();
    let bytes = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    state
        .received
        .lock()
        .expect("sink state poisoned")
        .push(ReceivedRequest { path, body });
    state.notify.notify_waiters();
    Ok(Response::new(Full::new(Bytes::from_static(b"ok\n"))))
}
