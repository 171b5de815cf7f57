//! The service's metrics, exported by `metrics-exporter-prometheus`.
//!
//! Each [`Metrics`] owns its recorder instead of installing a process-wide
//! one: the handles are registered once through
//! [`metrics::with_local_recorder`], so several services in one process
//! (the HTTP tests) keep separate counts.
use std::time::Duration;

use metrics::{
    Counter, Gauge, Histogram, Unit, counter, describe_counter, describe_gauge, describe_histogram,
    gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

use crate::app::Status;

/// Orders handled, by `status` (`ok` / `failed`).
pub const ORDERS: &str = "orders_total";
/// Time to handle an order, in seconds.
pub const ORDER_DURATION: &str = "order_duration_seconds";
/// Orders being handled right now.
pub const ACTIVE_ORDERS: &str = "active_orders";

/// Orders take tens of milliseconds to a second; the upper buckets catch a
/// slow backend, which the example's latency alert is about.
const ORDER_BUCKETS: [f64; 11] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0];

pub struct Metrics {
    recorder: PrometheusRecorder,
    process: metrics_process::Collector,
    orders_ok: Counter,
    orders_failed: Counter,
    duration: Histogram,
    active: Gauge,
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(ORDER_DURATION.to_owned()), &ORDER_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let process = metrics_process::Collector::default();
        let (orders_ok, orders_failed, duration, active) =
            metrics::with_local_recorder(&recorder, || {
                describe_counter!(ORDERS, "Orders handled, by outcome.");
                describe_histogram!(ORDER_DURATION, Unit::Seconds, "Time to handle an order.");
                describe_gauge!(ACTIVE_ORDERS, "Orders being handled.");
                process.describe();
                // Both series exist from the start, so that rates and
                // ratios are 0 rather than absent before the first failure.
                (
                    counter!(ORDERS, "status" => Status::Ok.as_str()),
                    counter!(ORDERS, "status" => Status::Failed.as_str()),
                    histogram!(ORDER_DURATION),
                    gauge!(ACTIVE_ORDERS),
                )
            });
        Self {
            recorder,
            process,
            orders_ok,
            orders_failed,
            duration,
            active,
        }
    }

    /// An order started; it counts as active until the guard is dropped
    /// (also when the client goes away and the handler is cancelled).
    pub fn order_started(&self) -> ActiveOrder {
        self.active.increment(1.0);
        ActiveOrder(self.active.clone())
    }

    pub fn order_finished(&self, status: Status, duration: Duration) {
        match status {
            Status::Ok => &self.orders_ok,
            Status::Failed => &self.orders_failed,
        }
        .increment(1);
        self.duration.record(duration.as_secs_f64());
    }

    /// The Prometheus text format, with process metrics read now.
    pub fn render(&self) -> String {
        metrics::with_local_recorder(&self.recorder, || self.process.collect());
        self.recorder.handle().render()
    }

    /// Drains histogram samples that no scrape collected, so that memory
    /// stays bounded when nobody scrapes.
    pub fn upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Keeps `active_orders` raised while alive.
pub struct ActiveOrder(Gauge);

impl Drop for ActiveOrder {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_the_three_families_with_types() {
        let metrics = Metrics::new();
        {
            let _active = metrics.order_started();
            metrics.order_finished(Status::Ok, Duration::from_millis(30));
            assert!(metrics.render().contains("\nactive_orders 1\n"));
        }
        let text = metrics.render();
        for line in [
            "# TYPE orders_total counter",
            "orders_total{status=\"ok\"} 1",
            "orders_total{status=\"failed\"} 0",
            "# TYPE order_duration_seconds histogram",
            "order_duration_seconds_bucket{le=\"0.025\"} 0",
            "order_duration_seconds_bucket{le=\"0.05\"} 1",
            "order_duration_seconds_count 1",
            "# TYPE active_orders gauge",
            "active_orders 0",
            "# TYPE process_resident_memory_bytes gauge",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line:?} missing in:\n{text}"
            );
        }
    }

    #[test]
    fn recorders_are_independent() {
        let one = Metrics::new();
        let other = Metrics::new();
        one.order_finished(Status::Failed, Duration::from_millis(5));
        assert!(one.render().contains("orders_total{status=\"failed\"} 1"));
        assert!(other.render().contains("orders_total{status=\"failed\"} 0"));
    }
}
