//! The workload's status: replica counts summed over its StatefulSets (one
//! per shard), one entry per shard, and the conditions the reference sets —
//! `Available` (`NoPodReady`, `SomePodsNotReady` → Degraded,
//! `StatefulSetNotFound`) and `Reconciled` (`ReconciliationFailed` with the
//! error, or an informational reason such as `NoSelectedResources`). A
//! condition keeps its lastTransitionTime while its status does not change.
//! Replicas are counted from the StatefulSets' status (the reference lists
//! the pods; without pod messages ours are shorter).
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use crate::error::Error;
use crate::workload::Workload;

/// The outcome of a reconcile, for the `Reconciled` condition.
pub struct Reconciled {
    pub ok: bool,
    /// `ReconciliationFailed` when not ok; informational otherwise (may be empty).
    pub reason: String,
    pub message: String,
}

impl Reconciled {
    /// Says which kinds the operator cannot see, when the API refuses some
    /// of its watches (the configuration lacks their objects).
    pub fn degraded_by(self, degraded: &crate::stores::DegradedKinds) -> Self {
        match degraded.describe() {
            Some(message) => Self {
                reason: "WatchDegraded".into(),
                message,
                ..self
            },
            None => self,
        }
    }
}

/// The status the workload should have, given its StatefulSets (`None` for
/// a shard whose StatefulSet does not exist).
pub fn desired<K: Workload>(
    object: &K,
    shards: &[Option<&StatefulSet>],
    expected_replicas: i32,
    reconciled: &Reconciled,
    now: Timestamp,
) -> Value {
    let generation = object.meta().generation.unwrap_or_default();
    let previous = serde_json::to_value(object)
        .ok()
        .and_then(|v| v["status"]["conditions"].as_array().cloned())
        .unwrap_or_default();
    let (mut replicas, mut updated, mut available) = (0, 0, 0);
    let mut shard_statuses = Vec::new();
    for (i, shard) in shards.iter().enumerate() {
        let s = shard.and_then(|s| s.status.as_ref());
        let r = s.map_or(0, |s| s.replicas);
        let u = s.and_then(|s| s.updated_replicas).unwrap_or(0);
        let a = s.and_then(|s| s.available_replicas).unwrap_or(0);
        replicas += r;
        updated += u;
        available += a;
        shard_statuses.push(json!({
            "shardID": i.to_string(), "replicas": r, "updatedReplicas": u,
            "availableReplicas": a, "unavailableReplicas": r - a,
        }));
    }
    let (available_status, reason) = if shards.iter().any(Option::is_none) {
        ("False", "StatefulSetNotFound")
    } else if available < expected_replicas * shards.len() as i32 {
        if available == 0 {
            ("False", "NoPodReady")
        } else {
            ("Degraded", "SomePodsNotReady")
        }
    } else {
        ("True", "")
    };
    let condition = |type_: &str, status: &str, reason: &str, message: &str| {
        let since = previous
            .iter()
            .find(|c| c["type"] == type_ && c["status"] == status)
            .map(|c| c["lastTransitionTime"].clone())
            .unwrap_or_else(|| json!(now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()));
        let mut c = json!({
            "type": type_, "status": status, "lastTransitionTime": since,
            "observedGeneration": generation,
        });
        if !reason.is_empty() {
            c["reason"] = json!(reason);
        }
        if !message.is_empty() {
            c["message"] = json!(capped(message));
        }
        c
    };
    let reconciled_status = if reconciled.ok { "True" } else { "False" };
    let mut status = json!({
        "paused": object.paused(),
        "replicas": replicas,
        "updatedReplicas": updated,
        "availableReplicas": available,
        "unavailableReplicas": replicas - available,
        "conditions": [
            condition("Available", available_status, reason, ""),
            condition("Reconciled", reconciled_status, &reconciled.reason, &reconciled.message),
        ],
    });
    // Only the Prometheus kinds are sharded (an Alertmanager's or a
    // ThanosRuler's status has no such fields: the API server would prune
    // them).
    if K::SHARDED {
        status["shards"] = json!(shards.len());
        status["shardStatuses"] = json!(shard_statuses);
    }
    status
}

/// Messages of conditions and Events' notes are cut at 1 kB (the API limits
/// notes to that; a long configuration error would otherwise fill the
/// object's status).
pub(crate) fn capped(text: &str) -> String {
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

/// Writes `status` unless the object already has it.
pub async fn write<K: Workload>(client: &Client, object: &K, status: Value) -> Result<(), Error> {
    let current = serde_json::to_value(object)?;
    if current["status"] == status {
        return Ok(());
    }
    let api: Api<K> = Api::namespaced(client.clone(), &object.namespace().unwrap_or_default());
    api.patch_status(
        &object.name_any(),
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": status })),
    )
    .await
    .map_err(Error::Status)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use promop_api::v1::{Alertmanager, Prometheus};
    use serde::de::DeserializeOwned;

    use super::*;

    fn from_yaml<T: DeserializeOwned>(text: &str) -> T {
        serde_saphyr::from_str(text).expect("fixture parses")
    }

    const PROMETHEUS: &str = "
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring, generation: 3}
spec: {replicas: 2}
status:
  conditions:
  - {type: Available, status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z'}
  - {type: Reconciled, status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z'}
";

    fn stateful_set(replicas: i32, available: i32) -> StatefulSet {
        from_yaml(&format!(
            "metadata: {{name: prometheus-main}}
status: {{replicas: {replicas}, updatedReplicas: {replicas}, availableReplicas: {available}}}"
        ))
    }

    fn ok() -> Reconciled {
        Reconciled {
            ok: true,
            reason: String::new(),
            message: String::new(),
        }
    }

    fn now() -> Timestamp {
        "2026-12-07T10:00:00Z".parse().expect("timestamp")
    }

    fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
        let conditions = status["conditions"].as_array().expect("conditions");
        conditions.iter().find(|c| c["type"] == type_).expect(type_)
    }

    #[test]
    fn ready_shards_are_summed_and_keep_the_transition_time() {
        let p: Prometheus = from_yaml(PROMETHEUS);
        let (a, b) = (stateful_set(2, 2), stateful_set(2, 2));
        let status = desired(&p, &[Some(&a), Some(&b)], 2, &ok(), now());
        assert_eq!(status["replicas"], 4);
        assert_eq!(status["availableReplicas"], 4);
        assert_eq!(status["shards"], 2);
        assert_eq!(status["shardStatuses"][1]["shardID"], "1");
        let available = condition(&status, "Available");
        assert_eq!(available["status"], "True");
        assert_eq!(available["observedGeneration"], 3);
        assert_eq!(available["lastTransitionTime"], "2026-01-01T00:00:00Z");
        assert!(available.get("reason").is_none(), "{available}");
    }

    #[test]
    fn missing_and_unready_pods_say_why() {
        let p: Prometheus = from_yaml(PROMETHEUS);
        let status = desired(&p, &[None], 2, &ok(), now());
        let available = condition(&status, "Available");
        assert_eq!(available["reason"], "StatefulSetNotFound");
        // A new status starts a new transition.
        assert_eq!(available["lastTransitionTime"], "2026-12-07T10:00:00Z");
        let none = stateful_set(2, 0);
        let status = desired(&p, &[Some(&none)], 2, &ok(), now());
        assert_eq!(condition(&status, "Available")["reason"], "NoPodReady");
        let some = stateful_set(2, 1);
        let status = desired(&p, &[Some(&some)], 2, &ok(), now());
        let available = condition(&status, "Available");
        assert_eq!(
            (&available["status"], &available["reason"]),
            (&json!("Degraded"), &json!("SomePodsNotReady"))
        );
    }

    #[test]
    fn a_failed_reconcile_carries_its_reason_and_message() {
        let p: Prometheus = from_yaml(PROMETHEUS);
        let set = stateful_set(2, 2);
        let failed = Reconciled {
            ok: false,
            reason: "ReconciliationFailed".into(),
            message: "Prometheus monitoring/main: spec.retention: invalid".into(),
        };
        let status = desired(&p, &[Some(&set)], 2, &failed, now());
        let reconciled = condition(&status, "Reconciled");
        assert_eq!(reconciled["status"], "False");
        assert_eq!(reconciled["reason"], "ReconciliationFailed");
        assert_eq!(reconciled["message"], failed.message);
        assert_eq!(reconciled["lastTransitionTime"], "2026-12-07T10:00:00Z");
        let long = Reconciled {
            message: "x".repeat(5000),
            ..failed
        };
        let status = desired(&p, &[Some(&set)], 2, &long, now());
        let message = condition(&status, "Reconciled")["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.len() < 1010 && message.ends_with('…'),
            "{}",
            message.len()
        );
    }

    #[test]
    fn an_alertmanager_status_has_no_shards() {
        let am: Alertmanager = from_yaml(
            "metadata: {name: main, namespace: monitoring}
spec: {replicas: 1}",
        );
        let set = stateful_set(1, 1);
        let status = desired(&am, &[Some(&set)], 1, &ok(), now());
        assert_eq!(status["availableReplicas"], 1);
        assert!(status.get("shards").is_none() && status.get("shardStatuses").is_none());
    }
}
