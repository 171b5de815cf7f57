//! The write gate: the work's client may write (POST, PUT, PATCH, DELETE)
//! only while leadership is certain. Reads and watches always pass, so the
//! caches stay warm for a quick takeover.
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::future::BoxFuture;
use http::{Method, Request};
use tokio::time::Instant;
use tower::{BoxError, Layer, Service};

/// Shared by the elector (opens and closes it) and the work's client
/// (consults it before every write). Closed until opened.
#[derive(Clone, Debug, Default)]
pub struct WriteGate(Arc<Mutex<Option<Instant>>>);

impl WriteGate {
    /// Writes are allowed until `deadline` (never later than a renewal's
    /// start plus the renew deadline).
    pub fn open_until(&self, deadline: Instant) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(deadline);
    }

    pub fn close(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether a write starting now is allowed.
    pub fn is_open(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|deadline| Instant::now() < deadline)
    }

    /// The tower layer for kube's `ClientBuilder::with_layer`.
    pub fn layer(&self) -> WriteGateLayer {
        WriteGateLayer(self.clone())
    }
}

/// A write refused because this replica is not (or no longer surely) the
/// leader.
#[derive(Debug, thiserror::Error)]
#[error("not the leader: write refused ({0} {1})")]
pub struct NotLeader(Method, String);

#[derive(Clone, Debug)]
pub struct WriteGateLayer(WriteGate);

impl<S> Layer<S> for WriteGateLayer {
    type Service = Gated<S>;
    fn layer(&self, inner: S) -> Gated<S> {
        Gated {
            inner,
            gate: self.0.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Gated<S> {
    inner: S,
    gate: WriteGate,
}

impl<S, B> Service<Request<B>> for Gated<S>
where
    S: Service<Request<B>>,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let writes = !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
        if writes && !self.gate.is_open() {
            crate::telemetry::write_refused();
            let refused = NotLeader(request.method().clone(), request.uri().path().to_owned());
            return futures::future::ready(Err(refused.into())).boxed();
        }
        self.inner
            .call(request)
            .map(|r| r.map_err(Into::into))
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn writes_pass_only_while_the_gate_is_open() {
        let gate = WriteGate::default();
        let mut service = gate
            .layer()
            .layer(tower::service_fn(|_: Request<()>| async {
                Ok::<_, BoxError>("sent")
            }));
        let request = |method: Method| {
            Request::builder()
                .method(method)
                .uri("/api/v1/x")
                .body(())
                .unwrap()
        };
        assert!(service.call(request(Method::GET)).await.is_ok());
        assert!(service.call(request(Method::PATCH)).await.is_err());
        gate.open_until(Instant::now() + Duration::from_secs(60));
        assert!(service.call(request(Method::PATCH)).await.is_ok());
        assert!(service.call(request(Method::DELETE)).await.is_ok());
        // Past the deadline, as if renewals stopped succeeding.
        gate.open_until(Instant::now());
        assert!(service.call(request(Method::POST)).await.is_err());
        gate.open_until(Instant::now() + Duration::from_secs(60));
        gate.close();
        assert!(service.call(request(Method::PUT)).await.is_err());
        assert!(service.call(request(Method::GET)).await.is_ok());
    }
}
