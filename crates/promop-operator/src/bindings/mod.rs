//! `status.bindings` of config objects (the `StatusForConfigurationResources`
//! feature gate): each workload that selects a ServiceMonitor, PodMonitor,
//! Probe, ScrapeConfig or PrometheusRule says in the object's status whether
//! it accepted it, and why not (the rejection `promop explain` gives). As in
//! the reference, Prometheus and ThanosRuler (its PrometheusRules) write
//! bindings; they and PrometheusAgent carry the status-cleanup finalizer
//! ([`finalizer`]).
//!
//! This module is pure: what a generation concluded ([`verdicts`]) and what
//! the list of bindings of one object becomes ([`updated`]); [`write`]
//! applies it.
pub(crate) mod finalizer;
pub(crate) mod write;

use std::collections::HashMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use promop_api::common::{ConfigResourceCondition, WorkloadBinding};
use promop_api::v1::PrometheusRule;
use promop_core::select::reasons::{Reason, RejectedObject};
use promop_core::select::{KindSelection, Selection};
use promop_core::snapshot::ObjectKey;

use crate::status::capped;
use crate::stores::Kind;

/// The feature gate that turns bindings on (off by default, as in the
/// reference: it adds a finalizer to every Prometheus and writes the status
/// of every selected config object).
pub(crate) const GATE: &str = "StatusForConfigurationResources";
/// The reference's reason of a rejected object.
const INVALID: &str = "InvalidConfiguration";
const GROUP: &str = "monitoring.coreos.com";

/// A workload as its bindings name it (`resource` is the plural).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Binder {
    pub resource: &'static str,
    pub namespace: String,
    pub name: String,
}

impl Binder {
    pub(crate) fn of<K: crate::workload::Workload>(object: &K) -> Self {
        use kube::ResourceExt;
        Self {
            resource: K::RESOURCE,
            namespace: object.namespace().unwrap_or_default(),
            name: object.name_any(),
        }
    }

    fn owns(&self, binding: &WorkloadBinding) -> bool {
        binding.group == GROUP
            && binding.resource == self.resource
            && binding.namespace == self.namespace
            && binding.name == self.name
    }
}

/// Every object a generation selected, and why it rejected it (`None`:
/// accepted). Objects not selected are absent: their binding goes.
pub(crate) type Verdicts = HashMap<(Kind, ObjectKey), Option<String>>;

/// The verdicts of one generation: the objects its selectors matched, valid
/// or not, the rejections of `rejected` (the selection's and the rule
/// generation's) with their message.
pub(crate) fn verdicts(selection: &Selection<'_>, rejected: &[RejectedObject]) -> Verdicts {
    let mut verdicts = Verdicts::new();
    add(
        &mut verdicts,
        Kind::ServiceMonitor,
        &selection.service_monitors,
    );
    add(&mut verdicts, Kind::PodMonitor, &selection.pod_monitors);
    add(&mut verdicts, Kind::Probe, &selection.probes);
    add(&mut verdicts, Kind::ScrapeConfig, &selection.scrape_configs);
    add(
        &mut verdicts,
        Kind::PrometheusRule,
        &selection.prometheus_rules,
    );
    with_rejections(verdicts, rejected)
}

/// The verdicts of a ThanosRuler's generation: its selected
/// PrometheusRules and the rejections of `rejected`.
pub(crate) fn rule_verdicts(
    rules: &KindSelection<'_, PrometheusRule>,
    rejected: &[RejectedObject],
) -> Verdicts {
    let mut verdicts = Verdicts::new();
    add(&mut verdicts, Kind::PrometheusRule, rules);
    with_rejections(verdicts, rejected)
}

fn with_rejections(mut verdicts: Verdicts, rejected: &[RejectedObject]) -> Verdicts {
    for r in rejected {
        if let Some(kind) = kind_of(r.kind) {
            let key = ObjectKey::new(&r.namespace, &r.name);
            verdicts.insert((kind, key), Some(r.rejection.to_string()));
        }
    }
    verdicts
}

fn add<T>(verdicts: &mut Verdicts, kind: Kind, selection: &KindSelection<'_, T>) {
    for s in &selection.selected {
        verdicts.entry((kind, s.key.clone())).or_insert(None);
    }
    for s in &selection.skipped {
        if let Reason::Rejected(rejection) = &s.reason {
            verdicts.insert((kind, s.key.clone()), Some(rejection.to_string()));
        }
    }
}

fn kind_of(kind: &str) -> Option<Kind> {
    [
        Kind::ServiceMonitor,
        Kind::PodMonitor,
        Kind::Probe,
        Kind::ScrapeConfig,
        Kind::PrometheusRule,
    ]
    .into_iter()
    .find(|k| k.as_str() == kind)
}

/// The bindings `current` becomes for `binder`'s `verdict` on an object of
/// `generation` (`None`: not selected, its binding goes), or `None` when
/// nothing changes. Other workloads' bindings stay as they are; a condition
/// that says the same keeps its `lastTransitionTime`.
pub(crate) fn updated(
    current: &[WorkloadBinding],
    binder: &Binder,
    verdict: Option<&Option<String>>,
    generation: Option<i64>,
    now: &Time,
) -> Option<Vec<WorkloadBinding>> {
    let position = current.iter().position(|b| binder.owns(b));
    let Some(verdict) = verdict else {
        let mut rest = current.to_vec();
        rest.remove(position?);
        return Some(rest);
    };
    let condition = accepted(verdict.as_deref(), generation, now);
    let old = position.and_then(|i| current[i].conditions.as_deref());
    if old.is_some_and(|old| same(old, &condition)) {
        return None;
    }
    let binding = WorkloadBinding {
        group: GROUP.into(),
        resource: binder.resource.into(),
        namespace: binder.namespace.clone(),
        name: binder.name.clone(),
        conditions: Some(vec![condition]),
    };
    let mut bindings = current.to_vec();
    match position {
        Some(i) => bindings[i] = binding,
        None => bindings.push(binding),
    }
    Some(bindings)
}

/// The `Accepted` condition: `True` without reason, or `False` with the
/// reference's reason and the rejection (field path and message) as message.
fn accepted(
    rejection: Option<&str>,
    generation: Option<i64>,
    now: &Time,
) -> ConfigResourceCondition {
    ConfigResourceCondition {
        type_: "Accepted".into(),
        status: if rejection.is_some() { "False" } else { "True" }.into(),
        last_transition_time: now.clone(),
        reason: rejection.map(|_| INVALID.into()),
        message: rejection.map(capped),
        observed_generation: generation.filter(|g| *g != 0),
    }
}

/// Whether `old` holds just `new`, but for the time.
fn same(old: &[ConfigResourceCondition], new: &ConfigResourceCondition) -> bool {
    let without_time = |c: &ConfigResourceCondition| {
        (
            c.type_.clone(),
            c.status.clone(),
            c.reason.clone().filter(|r| !r.is_empty()),
            c.message.clone().filter(|m| !m.is_empty()),
            c.observed_generation.filter(|g| *g != 0),
        )
    };
    matches!(old, [old] if without_time(old) == without_time(new))
}

#[cfg(test)]
mod tests;
