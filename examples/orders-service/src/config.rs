//! Command-line flags, each also settable by an `ORDERS_*` environment
//! variable (the Deployment in deploy/examples sets those).
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Orders above this rate would measure the machine, not the service.
const MAX_LOAD: f64 = 10_000.0;

#[derive(Clone, Debug, Parser)]
#[command(name = "orders-service", version, about)]
pub struct Config {
    /// Address of the API, /healthz and /readyz (and /metrics without --metrics-listen).
    #[arg(long, env = "ORDERS_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// Serve /metrics on this address instead of the API's.
    #[arg(long, env = "ORDERS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Built-in load generator: orders per second posted to this service (0: off).
    #[arg(long, env = "ORDERS_LOAD", default_value_t = 0.0, value_parser = parse_load)]
    pub load: f64,

    /// Share of orders that fail (a simulated payment backend), from 0 to 1.
    #[arg(long, env = "ORDERS_FAILURE_RATIO", default_value_t = 0.05, value_parser = parse_ratio)]
    pub failure_ratio: f64,

    /// Seed of the outcome and work-time draws, for reproducible runs.
    #[arg(long, env = "ORDERS_SEED")]
    pub seed: Option<u64>,

    /// Shortest simulated work of an order (e.g. `10ms`, `1s`).
    #[arg(long, env = "ORDERS_WORK_MIN", default_value = "10ms", value_parser = parse_duration)]
    pub work_min: Duration,

    /// Longest simulated work of an order; most orders are much faster.
    #[arg(long, env = "ORDERS_WORK_MAX", default_value = "1s", value_parser = parse_duration)]
    pub work_max: Duration,

    /// On SIGTERM, report not ready for this long before closing the
    /// listeners, so that load balancers stop sending new requests first.
    #[arg(long, env = "ORDERS_SHUTDOWN_DELAY", default_value = "0s", value_parser = parse_duration)]
    pub shutdown_delay: Duration,

    /// Log filter, e.g. `info` or `orders_service=debug` (tracing's EnvFilter syntax).
    #[arg(long, env = "ORDERS_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "ORDERS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Traces: export a span per API request to this OpenTelemetry collector
    /// (OTLP/HTTP JSON, `http://HOST:4318`). Off when unset or empty.
    #[arg(long, env = "ORDERS_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// `service.name` of the exported spans.
    #[arg(long, env = "OTEL_SERVICE_NAME", default_value = "orders-service")]
    pub service_name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// The collector to export traces to, if tracing is on.
    pub fn otlp_endpoint(&self) -> Option<&str> {
        self.otlp_endpoint
            .as_deref()
            .filter(|e| !e.trim().is_empty())
    }

    /// Flags that clap cannot check one by one.
    pub fn validate(&self) -> Result<(), String> {
        if self.work_min > self.work_max {
            return Err(format!(
                "--work-min ({:?}) exceeds --work-max ({:?})",
                self.work_min, self.work_max
            ));
        }
        Ok(())
    }
}

fn parse_ratio(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err(format!("{text:?} is not a number from 0 to 1")),
    }
}

fn parse_load(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=MAX_LOAD).contains(&rate) => Ok(rate),
        _ => Err(format!("{text:?} is not a rate from 0 to {MAX_LOAD}")),
    }
}

/// `250ms`, `1.5s` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1.0)
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|value| Duration::try_from_secs_f64(value * scale).ok())
        .ok_or_else(|| format!("{text:?} is not a duration like 250ms or 2s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_8080_without_load() {
        let config = Config::try_parse_from(["orders-service"]).unwrap();
        assert_eq!(config.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(config.metrics_listen, None);
        assert_eq!(config.load, 0.0);
        assert_eq!(config.shutdown_delay, Duration::ZERO);
        // Traces are off by default.
        assert_eq!(config.otlp_endpoint(), None);
        config.validate().unwrap();
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn rejects_out_of_range_values() {
        for args in [
            ["--failure-ratio", "1.5"],
            ["--failure-ratio", "NaN"],
            ["--load", "-1"],
            ["--load", "1e9"],
        ] {
            let parsed = Config::try_parse_from(["orders-service", args[0], args[1]]);
            assert!(parsed.is_err(), "{args:?} accepted");
        }
        let config =
            Config::try_parse_from(["orders-service", "--work-min", "2s", "--work-max", "1s"])
                .unwrap();
        assert!(config.validate().is_err());
    }
}
