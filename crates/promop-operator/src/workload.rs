//! What the controllers have in common: the workload CRs (Prometheus,
//! PrometheusAgent, Alertmanager) govern StatefulSets, select config objects
//! by label, and can be paused.
use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::{Resource, ResourceExt};
use promop_api::v1::{Alertmanager, Prometheus};
use promop_api::v1alpha1::PrometheusAgent;
use promop_core::prometheus::Workload;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::stores::Kind;

/// A workload CR served by a controller of promop.
pub trait Governing:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
    const KIND: &'static str;
    /// The reference's prefix of the objects it writes for this kind.
    const PREFIX: &'static str;
    /// Its label selector of config objects of `kind`, if it has one.
    fn selector(&self, kind: Kind) -> Option<&LabelSelector>;
    fn paused(&self) -> bool;
    /// The expected number of pods per StatefulSet.
    fn replicas(&self) -> i32;
}

/// Prometheus and PrometheusAgent: their configuration comes from the core's
/// Prometheus pipeline.
pub trait WorkloadResource: Governing {
    /// The controller's name in metrics.
    const CONTROLLER: &'static str;
    /// The core's view of the object.
    fn workload(&self) -> Workload<'_>;
}

/// The selectors shared by Prometheus and PrometheusAgent.
fn prometheus_selector(workload: Workload<'_>, kind: Kind) -> Option<&LabelSelector> {
    let common = workload.common();
    match kind {
        Kind::ServiceMonitor => common.service_monitor_selector.as_ref(),
        Kind::PodMonitor => common.pod_monitor_selector.as_ref(),
        Kind::Probe => common.probe_selector.as_ref(),
        Kind::ScrapeConfig => common.scrape_config_selector.as_ref(),
        Kind::PrometheusRule => workload.server().and_then(|s| s.rule_selector.as_ref()),
        _ => None,
    }
}

/// Prometheus and PrometheusAgent share their governing fields
/// (`CommonPrometheusFields`).
macro_rules! governing_prometheus {
    ($kind:ty, $name:literal, $prefix:literal, $controller:literal, $variant:ident) => {
        impl Governing for $kind {
            const KIND: &'static str = $name;
            const PREFIX: &'static str = $prefix;
            fn selector(&self, kind: Kind) -> Option<&LabelSelector> {
                prometheus_selector(self.workload(), kind)
            }
            fn paused(&self) -> bool {
                self.spec.common.paused == Some(true)
            }
            fn replicas(&self) -> i32 {
                self.spec.common.replicas.unwrap_or(1)
            }
        }

        impl WorkloadResource for $kind {
            const CONTROLLER: &'static str = $controller;
            fn workload(&self) -> Workload<'_> {
                Workload::$variant(self)
            }
        }
    };
}

governing_prometheus!(
    Prometheus,
    "Prometheus",
    "prometheus",
    "prometheus",
    Prometheus
);
governing_prometheus!(
    PrometheusAgent,
    "PrometheusAgent",
    "prom-agent",
    "prometheus-agent",
    Agent
);

impl Governing for Alertmanager {
    const KIND: &'static str = "Alertmanager";
    const PREFIX: &'static str = "alertmanager";
    fn selector(&self, kind: Kind) -> Option<&LabelSelector> {
        match kind {
            Kind::AlertmanagerConfig => self.spec.alertmanager_config_selector.as_ref(),
            _ => None,
        }
    }
    fn paused(&self) -> bool {
        self.spec.paused == Some(true)
    }
    fn replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }
}

/// `Kind namespace/name` of a workload, as logs and dependencies name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadId {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
}

impl WorkloadId {
    pub fn of<K: Governing>(object: &K) -> Self {
        Self {
            kind: K::KIND,
            namespace: object.namespace().unwrap_or_default(),
            name: object.name_any(),
        }
    }
}

impl std::fmt::Display for WorkloadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}
