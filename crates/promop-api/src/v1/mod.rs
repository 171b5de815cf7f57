//! `monitoring.coreos.com/v1`.
pub mod alertmanager;
pub mod pod_monitor;
pub mod probe;
pub mod prometheus;
pub mod prometheus_rule;
pub mod service_monitor;
pub mod thanos_ruler;
pub mod workload;

pub use alertmanager::{Alertmanager, AlertmanagerSpec};
pub use pod_monitor::{PodMonitor, PodMonitorSpec};
pub use probe::{Probe, ProbeSpec};
pub use prometheus::{Prometheus, PrometheusSpec};
pub use prometheus_rule::{PrometheusRule, PrometheusRuleSpec};
pub use service_monitor::{ServiceMonitor, ServiceMonitorSpec};
pub use thanos_ruler::{ThanosRuler, ThanosRulerSpec};
