//! Reporting where users look: config objects a generation rejected (a log
//! line, a metric and a Warning Event on the object, published only when a
//! workload's set of rejections changes) and StatefulSet changes the API
//! refused (an Event on the workload).
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType};
use promop_core::select::KindSelection;
use promop_core::select::reasons::Reason;
use promop_core::snapshot::ObjectKey;

use crate::controller::Context;
use crate::error::Error;
use crate::stores::Kind;
use crate::telemetry;
use crate::workload::{Workload, WorkloadId};

/// A config object skipped as invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected {
    pub kind: Kind,
    pub key: ObjectKey,
    pub why: String,
}

impl Rejected {
    fn line(&self) -> String {
        format!("{} {}: {}", self.kind.as_str(), self.key, self.why)
    }
}

/// `namespace/name`, as the core's selection and rule generation key
/// objects, typed. (The one place such keys are split.)
pub(crate) fn object_key(key: &str) -> ObjectKey {
    let (namespace, name) = key.split_once('/').unwrap_or(("", key));
    ObjectKey::new(namespace, name)
}

/// The selected and rejected objects of one kind: what the workload uses.
pub(crate) fn collect<T>(
    kind: Kind,
    selection: &KindSelection<'_, T>,
    rejected: &mut Vec<Rejected>,
    used: &mut HashSet<(Kind, ObjectKey)>,
) {
    for s in &selection.selected {
        used.insert((kind, object_key(&s.key)));
    }
    for s in &selection.skipped {
        if let Reason::Rejected(why) = &s.reason {
            let key = object_key(&s.key);
            used.insert((kind, key.clone()));
            rejected.push(Rejected {
                kind,
                key,
                why: why.to_string(),
            });
        }
    }
}

/// The rejections last reported per workload: events are published when
/// they change, not on every reconcile.
#[derive(Default)]
pub(crate) struct Reported(Mutex<HashMap<WorkloadId, BTreeSet<String>>>);

impl Reported {
    /// Records `rejected` as `id`'s; whether they differ from the last ones.
    fn changed(&self, id: &WorkloadId, rejected: &[Rejected]) -> bool {
        let now: BTreeSet<String> = rejected.iter().map(Rejected::line).collect();
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
    rejected: &[Rejected],
) {
    if !ctx.reported.changed(id, rejected) {
        return;
    }
    for r in rejected {
        let kind = r.kind.as_str();
        tracing::warn!(object = format!("{kind} {}", r.key), reason = %r.why, "config object skipped");
        telemetry::rejected(kind, "invalid_configuration");
        let reference = ObjectReference {
            api_version: Some(api_version(kind).into()),
            kind: Some(kind.into()),
            namespace: Some(r.key.namespace.clone()),
            name: Some(r.key.name.clone()),
            ..ObjectReference::default()
        };
        let event = Event {
            type_: EventType::Warning,
            reason: "InvalidConfiguration".into(),
            note: Some(truncate(&format!(
                "{kind} was rejected due to invalid configuration ({id}): {}",
                r.why
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
        note: Some(truncate(&error.to_string())),
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

/// Events' notes are limited to 1 kB.
fn truncate(text: &str) -> String {
    const MAX: usize = 1000;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(name: &str, why: &str) -> Rejected {
        Rejected {
            kind: Kind::ServiceMonitor,
            key: object_key(&format!("ns/{name}")),
            why: why.into(),
        }
    }

    #[test]
    fn keys_are_typed() {
        assert_eq!(object_key("ns/a"), ObjectKey::new("ns", "a"));
        assert_eq!(object_key("a"), ObjectKey::new("", "a"));
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
        assert_eq!(truncate("short"), "short");
        let long = "é".repeat(600);
        let cut = truncate(&long);
        assert!(cut.ends_with('…'));
        assert!(cut.len() <= 1000 + '…'.len_utf8());
    }
}
