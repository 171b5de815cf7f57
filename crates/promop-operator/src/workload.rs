//! What the controllers of Prometheus and PrometheusAgent have in common:
//! one reconcile, generic over the workload's kind.
use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use kube::{Resource, ResourceExt};
use promop_api::v1::Prometheus;
use promop_api::v1alpha1::PrometheusAgent;
use promop_core::prometheus::Workload;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A workload CR served by a controller of promop.
pub trait WorkloadResource:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
    /// The core's view of the object.
    fn workload(&self) -> Workload<'_>;
    /// The reference's prefix of the objects it writes for this kind.
    const PREFIX: &'static str;
}

impl WorkloadResource for Prometheus {
    fn workload(&self) -> Workload<'_> {
        Workload::Prometheus(self)
    }
    const PREFIX: &'static str = "prometheus";
}

impl WorkloadResource for PrometheusAgent {
    fn workload(&self) -> Workload<'_> {
        Workload::Agent(self)
    }
    const PREFIX: &'static str = "prom-agent";
}

/// `Kind namespace/name` of a workload, as logs and dependencies name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadId {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
}

impl WorkloadId {
    pub fn of<K: WorkloadResource>(object: &K) -> Self {
        Self {
            kind: object.workload().kind(),
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
