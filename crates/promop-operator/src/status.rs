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
            c["message"] = json!(message);
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
    // Only the Prometheus kinds are sharded (an Alertmanager's status has no
    // such fields: the API server would prune them).
    if K::KIND != "Alertmanager" {
        status["shards"] = json!(shards.len());
        status["shardStatuses"] = json!(shard_statuses);
    }
    status
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
