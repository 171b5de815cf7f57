//! Reporting where users look: config objects a generation rejected (a log
//! line, a metric and a Warning Event on the object, published only when a
//! workload's set of rejections changes) and StatefulSet changes the API
//! refused (an Event on the workload).
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType};
use promop_core::select::KindSelection;
use promop_core::select::reasons::{Reason, RejectedObject};
use promop_core::snapshot::ObjectKey;

use crate::controller::Context;
use crate::error::Error;
use crate::status::capped;
use crate::stores::Kind;
use crate::telemetry;
use crate::workload::{Workload, WorkloadId};

/// The selected objects of one kind, valid or rejected: what the workload
/// uses, so that a change to one of them re-queues it.
pub(crate) fn used<T>(
    kind: Kind,
    selection: &KindSelection<'_, T>,
    used: &mut HashSet<(Kind, ObjectKey)>,
) {
    let selected = selection.selected.iter().map(|s| &s.key);
    let rejected = (selection.skipped.iter())
        .filter(|s| matches!(s.reason, Reason::Rejected(_)))
        .map(|s| &s.key);
    used.extend(selected.chain(rejected).map(|key| (kind, key.clone())));
}

/// The rejections last reported per workload: events are published when
/// they change, not on every reconcile.
#[derive(Default)]
pub(crate) struct Reported(Mutex<HashMap<WorkloadId, BTreeSet<String>>>);

impl Reported {
    /// Records `rejected` as `id`'s; whether they differ from the last ones.
    fn changed(&self, id: &WorkloadId, rejected: &[RejectedObject]) -> bool {
        let now: BTreeSet<String> = rejected.iter().map(ToString::to_string).collect();
        let mut reported = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let changed = reported.get(id) != Some(&now);
        reported.insert(id.clone(), now);
        changed
    }

    pub(crate) fn forget(&self, id: &WorkloadId) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// Logs every rejected object and publishes a Warning event on it when the
/// set of rejections changed since the last reconcile.
#[tracing::instrument(name = "report", skip_all)]
pub(crate) async fn rejected<K: Workload>(
    object: &K,
    ctx: &Context,
    id: &WorkloadId,
    rejected: &[RejectedObject],
) {
    if !ctx.reported.changed(id, rejected) {
        return;
    }
    for r in rejected {
        let kind = r.kind;
        let skipped = format!("{kind} {}/{}", r.namespace, r.name);
        tracing::warn!(object = skipped, reason = %r.rejection, "config object skipped");
        telemetry::rejected(kind, "invalid_configuration");
        let reference = ObjectReference {
            api_version: Some(api_version(kind).into()),
            kind: Some(kind.into()),
            namespace: Some(r.namespace.clone()),
            name: Some(r.name.clone()),
            ..ObjectReference::default()
        };
        let event = Event {
            type_: EventType::Warning,
            reason: "InvalidConfiguration".into(),
            note: Some(capped(&format!(
                "{kind} was rejected due to invalid configuration ({id}): {}",
                r.rejection
            ))),
            action: "Reconcile".into(),
            secondary: Some(object.object_ref(&())),
        };
        if let Err(error) = ctx.recorder.publish(&event, &reference).await {
            tracing::debug!(%error, "event not published");
        }
    }
}

/// A refused StatefulSet stays as it was: say so on the workload, where
/// users look.
pub(crate) async fn failed<K: Workload>(object: &K, ctx: &Context, error: &Error) {
    if !matches!(error, Error::StatefulSetRefused(..)) {
        return;
    }
    let event = Event {
        type_: EventType::Warning,
        reason: "StatefulSetRefused".into(),
        note: Some(capped(&error.to_string())),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &object.object_ref(&())).await {
        tracing::debug!(error = %e, "event not published");
    }
}

fn api_version(kind: &str) -> &'static str {
    match kind {
        "ScrapeConfig" | "AlertmanagerConfig" => "monitoring.coreos.com/v1alpha1",
        _ => "monitoring.coreos.com/v1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promop_core::select::reasons::Rejection;

    fn rejected(name: &str, why: &str) -> RejectedObject {
        let why = Rejection::new("spec.endpoints[0]", why);
        RejectedObject::new("ServiceMonitor", "ns", name, why)
    }

    #[test]
    fn rejections_are_reported_when_they_change() {
        let reported = Reported::default();
        let id = WorkloadId {
            kind: "Prometheus",
            namespace: "ns".into(),
            name: "main".into(),
        };
        let bad = [rejected("a", "invalid relabeling")];
        assert!(reported.changed(&id, &bad));
        assert!(!reported.changed(&id, &bad), "same set: no new events");
        assert!(reported.changed(&id, &[rejected("a", "another reason")]));
        assert!(reported.changed(&id, &[]));
        assert!(!reported.changed(&id, &[]));
        reported.forget(&id);
        assert!(
            reported.changed(&id, &[]),
            "a workload created anew starts anew"
        );
    }

    #[test]
    fn notes_are_cut_at_a_character_boundary() {
        assert_eq!(capped("short"), "short");
        let long = "é".repeat(600);
        let cut = capped(&long);
        assert!(cut.ends_with('…'));
        assert!(cut.len() <= 1000 + '…'.len_utf8());
    }
}
