//! The workload a configuration is generated for: a Prometheus server or a
//! Prometheus agent, seen through the fields they share.
use crate::select::reasons::{RejectedObject, Rejection};
use promop_api::v1::Prometheus;
use promop_api::v1::prometheus::{CommonPrometheusFields, PrometheusSpec};
use promop_api::v1alpha1::PrometheusAgent;
use promop_api::v1alpha1::prometheus_agent::PrometheusAgentMode;

/// A Prometheus or a PrometheusAgent.
#[derive(Clone, Copy, Debug)]
pub enum Workload<'a> {
    Prometheus(&'a Prometheus),
    Agent(&'a PrometheusAgent),
}

impl<'a> Workload<'a> {
    /// The fields shared by both kinds.
    pub fn common(&self) -> &'a CommonPrometheusFields {
        match self {
            Self::Prometheus(p) => &p.spec.common,
            Self::Agent(a) => &a.spec.common,
        }
    }

    /// The Prometheus-only fields (rules, alerting, retention, ...).
    pub fn server(&self) -> Option<&'a PrometheusSpec> {
        match self {
            Self::Prometheus(p) => Some(&p.spec),
            Self::Agent(_) => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Prometheus(_) => "Prometheus",
            Self::Agent(_) => "PrometheusAgent",
        }
    }

    pub fn namespace(&self) -> &'a str {
        let meta = match self {
            Self::Prometheus(p) => &p.metadata,
            Self::Agent(a) => &a.metadata,
        };
        meta.namespace.as_deref().unwrap_or_default()
    }

    pub fn name(&self) -> &'a str {
        let meta = match self {
            Self::Prometheus(p) => &p.metadata,
            Self::Agent(a) => &a.metadata,
        };
        meta.name.as_deref().unwrap_or_default()
    }

    /// The workload itself, rejected.
    pub fn rejected(&self, rejection: Rejection) -> RejectedObject {
        RejectedObject::new(self.kind(), self.namespace(), self.name(), rejection)
    }

    /// An agent in DaemonSet mode: one pod per node, no sharding, only PodMonitors.
    pub fn is_daemon_set(&self) -> bool {
        matches!(self, Self::Agent(a) if a.spec.mode == Some(PrometheusAgentMode::DaemonSet))
    }

    /// The number of shards, at least 1.
    pub fn shards(&self) -> i32 {
        self.common().shards.unwrap_or(1).max(1)
    }
}
