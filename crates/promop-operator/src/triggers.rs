//! Which workloads a change concerns: those whose selector matches the
//! changed object, those that used it in their last reconcile (selected or
//! rejected config objects, Secrets and ConfigMaps they looked up), and the
//! owner of an object the operators wrote. Namespaces' labels feed namespace
//! selectors, so a Namespace change concerns every workload.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use promop_core::select::label_selector::Selector;
use promop_core::snapshot::ObjectKey;

use crate::stores::{Kind, Touched};
use crate::workload::{Workload, WorkloadId};

/// What each workload used in its last reconcile.
#[derive(Default)]
pub struct Triggers {
    used: Mutex<HashMap<WorkloadId, HashSet<(Kind, ObjectKey)>>>,
}

impl Triggers {
    /// Replaces what `workload` depends on.
    pub fn record(&self, workload: WorkloadId, used: HashSet<(Kind, ObjectKey)>) {
        self.lock().insert(workload, used);
    }

    /// Adds to what `workload` depends on (before its generation's outcome
    /// is known: a change arriving meanwhile must not be lost).
    pub fn add(&self, workload: &WorkloadId, used: impl IntoIterator<Item = (Kind, ObjectKey)>) {
        self.lock()
            .entry(workload.clone())
            .or_default()
            .extend(used);
    }

    /// Forgets a deleted workload.
    pub fn forget(&self, workload: &WorkloadId) {
        self.lock().remove(workload);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<WorkloadId, HashSet<(Kind, ObjectKey)>>> {
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `touched` concerns the workload `object`.
    pub fn concerns<K: Workload>(&self, object: &K, touched: &Touched) -> bool {
        let id = WorkloadId::of(object);
        match touched.kind {
            Kind::Namespace => true,
            Kind::Owned => touched.owners.iter().any(|o| {
                o.kind == id.kind && o.name == id.name && touched.namespace == id.namespace
            }),
            kind => {
                let key = ObjectKey::new(&touched.namespace, &touched.name);
                self.lock()
                    .get(&id)
                    .is_some_and(|used| used.contains(&(kind, key)))
                    || selects(object, kind, &touched.labels)
            }
        }
    }
}

/// Whether the workload's selector for `kind` matches `labels` (namespace
/// selectors aside: a false positive costs one reconcile that writes
/// nothing). An unparsable selector matches, for the same reason; a missing
/// selector selects nothing (the reference's nil selector).
fn selects<K: Workload>(object: &K, kind: Kind, labels: &BTreeMap<String, String>) -> bool {
    object
        .selector(kind)
        .is_some_and(|s| Selector::new(s).map_or(true, |s| s.matches(labels)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference};
    use promop_api::v1::Prometheus;

    fn prometheus(selector: Option<&str>) -> Prometheus {
        let mut p: Prometheus = serde_json::from_value(serde_json::json!({
            "apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
            "metadata": {"name": "main", "namespace": "mon"},
            "spec": {},
        }))
        .unwrap();
        p.spec.common.service_monitor_selector = selector.map(|team| LabelSelector {
            match_labels: Some(BTreeMap::from([("team".into(), team.into())])),
            ..LabelSelector::default()
        });
        p
    }

    fn touched(kind: Kind, ns: &str, name: &str, team: &str) -> Touched {
        Touched {
            kind,
            namespace: ns.into(),
            name: name.into(),
            labels: BTreeMap::from([("team".into(), team.into())]),
            owners: Vec::new(),
        }
    }

    #[test]
    fn a_monitor_concerns_the_workloads_selecting_it_or_that_used_it() {
        let triggers = Triggers::default();
        let p = prometheus(Some("a"));
        assert!(triggers.concerns(&p, &touched(Kind::ServiceMonitor, "x", "sm", "a")));
        assert!(!triggers.concerns(&p, &touched(Kind::ServiceMonitor, "x", "sm", "b")));
        // No PodMonitor selector: PodMonitors do not concern it.
        assert!(!triggers.concerns(&p, &touched(Kind::PodMonitor, "x", "pm", "a")));
        // It used the monitor before its labels changed: concerned (to drop it).
        triggers.record(
            WorkloadId::of(&p),
            HashSet::from([(Kind::ServiceMonitor, ObjectKey::new("x", "sm"))]),
        );
        assert!(triggers.concerns(&p, &touched(Kind::ServiceMonitor, "x", "sm", "b")));
        // Unselected without a selector: nothing.
        assert!(!triggers.concerns(
            &prometheus(None),
            &touched(Kind::ServiceMonitor, "x", "o", "a")
        ));
    }

    #[test]
    fn secrets_concern_the_workloads_that_read_them_and_owned_objects_their_owner() {
        let triggers = Triggers::default();
        let p = prometheus(Some("a"));
        triggers.record(
            WorkloadId::of(&p),
            HashSet::from([(Kind::Secret, ObjectKey::new("x", "creds"))]),
        );
        assert!(triggers.concerns(&p, &touched(Kind::Secret, "x", "creds", "")));
        assert!(!triggers.concerns(&p, &touched(Kind::Secret, "x", "other", "")));
        let mut owned = touched(Kind::Owned, "mon", "prometheus-main", "");
        owned.owners = vec![OwnerReference {
            kind: "Prometheus".into(),
            name: "main".into(),
            ..OwnerReference::default()
        }];
        assert!(triggers.concerns(&p, &owned));
        owned.namespace = "elsewhere".into();
        assert!(!triggers.concerns(&p, &owned));
        assert!(triggers.concerns(&p, &touched(Kind::Namespace, "", "x", "")));
    }
}
