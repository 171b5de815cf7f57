//! The reference's `reloader_*` metrics, as plain atomics: a handful of
//! numbers needs no metrics library.
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub reloads: AtomicU64,
    pub reloads_failed: AtomicU64,
    pub last_reload_successful: AtomicU64,
    pub last_reload_success_timestamp_seconds: AtomicU64,
    pub config_apply_operations: AtomicU64,
    pub config_apply_operations_failed: AtomicU64,
    pub config_environment_variable_expansion_errors: AtomicU64,
    pub watches: AtomicU64,
    pub watch_events: AtomicU64,
    pub watch_errors: AtomicU64,
    /// promop's watch mode: objects received from the API server.
    pub api_watch_events: AtomicU64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn set(gauge: &AtomicU64, value: u64) {
        gauge.store(value, Ordering::Relaxed);
    }

    /// The Prometheus text format; `method` labels `reloader_info`.
    pub fn render(&self, method: &str) -> String {
        let rows: [(&str, &str, &str, &AtomicU64); 11] = [
            (
                "reloader_reloads_total",
                "counter",
                "Total number of reload requests.",
                &self.reloads,
            ),
            (
                "reloader_reloads_failed_total",
                "counter",
                "Total number of reload requests that failed.",
                &self.reloads_failed,
            ),
            (
                "reloader_last_reload_successful",
                "gauge",
                "Whether the last reload attempt was successful",
                &self.last_reload_successful,
            ),
            (
                "reloader_last_reload_success_timestamp_seconds",
                "gauge",
                "Timestamp of the last successful reload",
                &self.last_reload_success_timestamp_seconds,
            ),
            (
                "reloader_config_apply_operations_total",
                "counter",
                "Total number of config apply operations.",
                &self.config_apply_operations,
            ),
            (
                "reloader_config_apply_operations_failed_total",
                "counter",
                "Total number of config apply operations that failed.",
                &self.config_apply_operations_failed,
            ),
            (
                "reloader_config_environment_variable_expansion_errors",
                "gauge",
                "Number of environment variable expansions that failed during the last operation.",
                &self.config_environment_variable_expansion_errors,
            ),
            (
                "reloader_watches",
                "gauge",
                "Number of resources watched by the reloader.",
                &self.watches,
            ),
            (
                "reloader_watch_events_total",
                "counter",
                "Total number of events received by the reloader from the watcher.",
                &self.watch_events,
            ),
            (
                "reloader_watch_errors_total",
                "counter",
                "Total number of errors received by the reloader from the watcher.",
                &self.watch_errors,
            ),
            (
                "promop_reloader_api_watch_events_total",
                "counter",
                "Total number of objects received from the API server in watch mode.",
                &self.api_watch_events,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            let value = value.load(Ordering::Relaxed);
            // Writing to a String cannot fail.
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            );
        }
        let _ = write!(
            out,
            "# HELP reloader_info A metric with a constant '1' value labeled by reload method (either 'http' or 'signal').\n# TYPE reloader_info gauge\nreloader_info{{method=\"{method}\"}} 1\n"
        );
        out
    }
}
