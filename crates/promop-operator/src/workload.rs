//! What the controllers have in common: the workload CRs (Prometheus,
//! PrometheusAgent, Alertmanager, ThanosRuler) govern StatefulSets, select config objects
//! by label, can be paused, and are reconciled in the same steps
//! ([`crate::reconcile`]) but for their generation.
use std::fmt::Debug;

use futures::FutureExt;
use futures::future::BoxFuture;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::{Resource, ResourceExt};
use promop_api::v1::{Alertmanager, Prometheus, ThanosRuler};
use promop_api::v1alpha1::PrometheusAgent;
use promop_core::alertmanager::statefulset::{
    prefixed_name as alertmanager_name, selector_labels as alertmanager_selector_labels,
};
use promop_core::k8s::metadata::Labels;
use promop_core::prometheus::Workload as PrometheusWorkload;
use promop_core::prometheus::statefulset::{
    selector_labels as prometheus_selector_labels, shard_name,
};
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::thanos_ruler::{
    prefixed_name as thanos_ruler_name, selector_labels as thanos_ruler_selector_labels,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::controller::Context;
use crate::error::Error;
use crate::options::Options;
use crate::status::Reconciled;
use crate::stores::Kind;

/// A workload CR served by a controller of promop.
pub trait Workload:
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
    /// Its resource (plural), as status bindings name it.
    const RESOURCE: &'static str;
    /// Whether it carries the status-cleanup finalizer and writes the
    /// bindings of the config objects it selects (with the gate on; as in
    /// the reference, a PrometheusAgent has the finalizer but no bindings).
    const FINALIZED: bool;
    const BINDS: bool;
    /// The controller's name in metrics.
    const CONTROLLER: &'static str;
    /// Whether its status has `shards` and `shardStatuses` (the Prometheus
    /// kinds).
    const SHARDED: bool = false;
    /// Its label selector of config objects of `kind`, if it has one.
    fn selector(&self, kind: Kind) -> Option<&LabelSelector>;
    fn paused(&self) -> bool;
    /// The expected number of pods per StatefulSet.
    fn replicas(&self) -> i32;
    /// The names of its StatefulSets, one per shard, as the core names them.
    fn stateful_set_names(&self) -> Vec<String>;
    /// The custom governing Service (`spec.serviceName`), if it names one,
    /// with the labels that select the workload's pods: the Service must
    /// select them.
    fn custom_service(&self) -> Option<(&str, Labels)>;
    /// `--<kind>-instance-namespaces` (or the general lists).
    fn instance_namespaces(options: &Options) -> WatchedNamespaces;
    /// `--<kind>-instance-selector`.
    fn instance_selector(options: &Options) -> Option<&str>;
    /// The kind's steps between the caches and the status: generate,
    /// report, apply; says how it went.
    fn generate_and_apply<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a WorkloadId,
    ) -> BoxFuture<'a, Result<Reconciled, Error>>;
}

/// The selectors shared by Prometheus and PrometheusAgent.
fn prometheus_selector(workload: PrometheusWorkload<'_>, kind: Kind) -> Option<&LabelSelector> {
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
/// (`CommonPrometheusFields`), their instance flags and their steps (the
/// core's Prometheus pipeline, one StatefulSet per shard).
macro_rules! prometheus_workload {
    ($kind:ty, $name:literal, $resource:literal, $binds:literal, $controller:literal, $variant:ident) => {
        impl Workload for $kind {
            const KIND: &'static str = $name;
            const RESOURCE: &'static str = $resource;
            const FINALIZED: bool = true;
            const BINDS: bool = $binds;
            const CONTROLLER: &'static str = $controller;
            const SHARDED: bool = true;
            fn selector(&self, kind: Kind) -> Option<&LabelSelector> {
                prometheus_selector(PrometheusWorkload::$variant(self), kind)
            }
            fn paused(&self) -> bool {
                self.spec.common.paused == Some(true)
            }
            fn replicas(&self) -> i32 {
                self.spec.common.replicas.unwrap_or(1)
            }
            fn stateful_set_names(&self) -> Vec<String> {
                let workload = PrometheusWorkload::$variant(self);
                (0..workload.shards())
                    .map(|shard| shard_name(workload, shard))
                    .collect()
            }
            fn custom_service(&self) -> Option<(&str, Labels)> {
                let workload = PrometheusWorkload::$variant(self);
                let name = self.spec.common.service_name.as_deref()?;
                Some((name, prometheus_selector_labels(workload)))
            }
            fn instance_namespaces(options: &Options) -> WatchedNamespaces {
                options.namespaces.prometheus_instances()
            }
            fn instance_selector(options: &Options) -> Option<&str> {
                options.selectors.prometheus_instance_labels.as_deref()
            }
            fn generate_and_apply<'a>(
                &'a self,
                ctx: &'a Context,
                id: &'a WorkloadId,
            ) -> BoxFuture<'a, Result<Reconciled, Error>> {
                let workload = PrometheusWorkload::$variant(self);
                crate::prometheus::generate_and_apply(self, workload, ctx, id).boxed()
            }
        }
    };
}

prometheus_workload!(
    Prometheus,
    "Prometheus",
    "prometheuses",
    true,
    "prometheus",
    Prometheus
);
prometheus_workload!(
    PrometheusAgent,
    "PrometheusAgent",
    "prometheusagents",
    false,
    "prometheus-agent",
    Agent
);

/// Alertmanager and ThanosRuler: one StatefulSet named after the object,
/// one selector of config objects, their own instance flags and steps.
macro_rules! single_workload {
    (
        $kind:ty, $name:literal, $resource:literal, $controller:literal,
        finalized: $finalized:literal, binds: $binds:literal,
        selects: $selected:ident => $selector:ident,
        stateful_set: $set_name:path, pods: $pods:path,
        instances: $instances:ident, $instance_labels:ident,
        steps: $steps:path
    ) => {
        impl Workload for $kind {
            const KIND: &'static str = $name;
            const RESOURCE: &'static str = $resource;
            const FINALIZED: bool = $finalized;
            const BINDS: bool = $binds;
            const CONTROLLER: &'static str = $controller;
            fn selector(&self, kind: Kind) -> Option<&LabelSelector> {
                match kind {
                    Kind::$selected => self.spec.$selector.as_ref(),
                    _ => None,
                }
            }
            fn paused(&self) -> bool {
                self.spec.paused == Some(true)
            }
            fn replicas(&self) -> i32 {
                self.spec.replicas.unwrap_or(1)
            }
            fn stateful_set_names(&self) -> Vec<String> {
                vec![$set_name(&self.name_any())]
            }
            fn custom_service(&self) -> Option<(&str, Labels)> {
                let name = self.spec.service_name.as_deref()?;
                Some((name, $pods(&self.name_any())))
            }
            fn instance_namespaces(options: &Options) -> WatchedNamespaces {
                options.namespaces.$instances()
            }
            fn instance_selector(options: &Options) -> Option<&str> {
                options.selectors.$instance_labels.as_deref()
            }
            fn generate_and_apply<'a>(
                &'a self,
                ctx: &'a Context,
                id: &'a WorkloadId,
            ) -> BoxFuture<'a, Result<Reconciled, Error>> {
                $steps(self, ctx, id).boxed()
            }
        }
    };
}

// The reference writes no binding for AlertmanagerConfigs.
single_workload!(
    Alertmanager, "Alertmanager", "alertmanagers", "alertmanager",
    finalized: false, binds: false,
    selects: AlertmanagerConfig => alertmanager_config_selector,
    stateful_set: alertmanager_name, pods: alertmanager_selector_labels,
    instances: alertmanager_instances, alertmanager_instance_labels,
    steps: crate::alertmanager::generate_and_apply
);
// As Prometheus: the status-cleanup finalizer and PrometheusRule bindings.
single_workload!(
    ThanosRuler, "ThanosRuler", "thanosrulers", "thanos-ruler",
    finalized: true, binds: true,
    selects: PrometheusRule => rule_selector,
    stateful_set: thanos_ruler_name, pods: thanos_ruler_selector_labels,
    instances: thanos_ruler_instances, thanos_ruler_instance_labels,
    steps: crate::thanos_ruler::generate_and_apply
);

/// `Kind namespace/name` of a workload, as logs and dependencies name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadId {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
}

impl WorkloadId {
    pub fn of<K: Workload>(object: &K) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn object<K: DeserializeOwned>(kind: &str, spec: serde_json::Value) -> K {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "monitoring.coreos.com/v1", "kind": kind,
            "metadata": {"name": "main", "namespace": "ns"}, "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn stateful_sets_are_named_per_kind_and_shard() {
        let p: Prometheus = object("Prometheus", serde_json::json!({"shards": 3}));
        let names = [
            "prometheus-main",
            "prometheus-main-shard-1",
            "prometheus-main-shard-2",
        ];
        assert_eq!(p.stateful_set_names(), names);
        let agent: PrometheusAgent = object("PrometheusAgent", serde_json::json!({}));
        assert_eq!(agent.stateful_set_names(), ["prom-agent-main"]);
        let am: Alertmanager = object("Alertmanager", serde_json::json!({}));
        assert_eq!(am.stateful_set_names(), ["alertmanager-main"]);
        let ruler: ThanosRuler = object("ThanosRuler", serde_json::json!({}));
        assert_eq!(ruler.stateful_set_names(), ["thanos-ruler-main"]);
        assert_eq!(ruler.replicas(), 1);
    }

    #[test]
    fn a_thanos_ruler_selects_prometheus_rules_only() {
        let ruler: ThanosRuler = object(
            "ThanosRuler",
            serde_json::json!({"ruleSelector": {"matchLabels": {"role": "rules"}}, "paused": true}),
        );
        assert!(ruler.selector(Kind::PrometheusRule).is_some());
        assert!(ruler.selector(Kind::ServiceMonitor).is_none());
        assert!(ruler.paused());
    }
}
