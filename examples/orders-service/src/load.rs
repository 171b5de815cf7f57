//! The built-in load generator: posts orders to this very service at a
//! steady rate, so that the example's dashboards and alerts have data.
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::Request;
use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// Time between two orders at `rate` orders per second; `None` when the
/// rate is 0 (or not a positive number): no load.
pub fn period(rate: f64) -> Option<Duration> {
    if rate > 0.0 {
        Duration::try_from_secs_f64(rate.recip()).ok()
    } else {
        None
    }
}

/// Calls `send` every `period` until `stop` is cancelled. Each order runs in
/// its own task, so that slow orders do not lower the rate (as with many
/// independent clients); when the runtime falls behind, the schedule shifts
/// rather than bursting to catch up.
pub async fn run<F, Fut>(period: Duration, stop: CancellationToken, mut send: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {
                tokio::spawn(send());
            }
        }
    }
}

/// Posts orders to the service listening on `target` at `rate` per second.
pub async fn generate(target: SocketAddr, rate: f64, stop: CancellationToken) {
    let Some(period) = period(rate) else {
        return;
    };
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let uri = format!("http://{target}/orders");
    tracing::info!(rate, %uri, "load generator started");
    run(period, stop, move || {
        let request = client.request(
            Request::post(uri.as_str())
                .body(Empty::new())
                .expect("the URI is built from a socket address"),
        );
        async move {
            // Failed orders are expected (--failure-ratio); only a
            // service that cannot be reached is worth a warning.
            if let Err(error) = request.await {
                tracing::warn!(%error, "load generator could not post an order");
            }
        }
    })
    .await;
    tracing::info!("load generator stopped");
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn period_is_the_inverse_rate() {
        assert_eq!(period(4.0), Some(Duration::from_millis(250)));
        assert_eq!(period(0.5), Some(Duration::from_secs(2)));
        assert_eq!(period(0.0), None);
        assert_eq!(period(-1.0), None);
        assert_eq!(period(f64::NAN), None);
    }

    /// Counts the sends of a generator stopped after `elapsed` of paused
    /// (virtual) time.
    async fn sends(rate: f64, elapsed: Duration, work: Duration) -> usize {
        let sent = Arc::new(AtomicUsize::new(0));
        let stop = CancellationToken::new();
        let generator = tokio::spawn(run(period(rate).unwrap(), stop.clone(), {
            let sent = sent.clone();
            move || {
                let sent = sent.clone();
                async move {
                    sent.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(work).await;
                }
            }
        }));
        tokio::time::sleep(elapsed).await;
        stop.cancel();
        generator.await.unwrap();
        sent.load(Ordering::Relaxed)
    }

    #[tokio::test(start_paused = true)]
    async fn paces_orders_at_the_rate() {
        // Ticks at 0, 200ms, ..., 1800ms: 10 orders in 1.9 s at 5/s.
        assert_eq!(
            sends(5.0, Duration::from_millis(1900), Duration::ZERO).await,
            10
        );
        assert_eq!(
            sends(0.5, Duration::from_millis(4500), Duration::ZERO).await,
            3
        );
    }

    #[tokio::test(start_paused = true)]
    async fn slow_orders_do_not_lower_the_rate() {
        // Each order takes 10 periods; they overlap instead of queueing.
        assert_eq!(
            sends(10.0, Duration::from_millis(950), Duration::from_secs(1)).await,
            10
        );
    }
}
