//! The reference's status-cleanup finalizer: with the gate on, a Prometheus
//! or PrometheusAgent carries it, so that deleting the workload waits until
//! its bindings are gone from the config objects' status.
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::{Binder, GATE, Verdicts};
use crate::apply::FIELD_MANAGER;
use crate::controller::Context;
use crate::error::Error;
use crate::workload::Workload;

/// The reference's name, so that either operator releases the other's.
pub(crate) const FINALIZER: &str = "monitoring.coreos.com/status-cleanup";

fn enabled<K: Workload>(ctx: &Context) -> bool {
    K::FINALIZED && ctx.options.objects.feature_enabled(GATE)
}

/// Adds the finalizer to a live workload when the gate is on.
pub(crate) async fn ensure<K: Workload>(object: &K, ctx: &Context) -> Result<(), Error> {
    if !enabled::<K>(ctx) || object.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(());
    }
    let mut finalizers = object.finalizers().to_vec();
    finalizers.push(FINALIZER.to_owned());
    set(object, ctx, finalizers).await
}

/// For a workload being deleted that holds the finalizer: removes its
/// bindings (with the gate on), then the finalizer. Also with the gate off:
/// a workload must not stay undeletable because the gate was turned off
/// (or the reference had it on).
pub(crate) async fn release<K: Workload>(object: &K, ctx: &Context) -> Result<(), Error> {
    if !object.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(());
    }
    if enabled::<K>(ctx) && K::BINDS {
        let removed = super::write::sync(ctx, &Binder::of(object), &Verdicts::new()).await?;
        tracing::info!(objects = removed, "bindings removed");
    }
    let rest = object
        .finalizers()
        .iter()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    set(object, ctx, rest).await
}

/// Writes `finalizers`, guarded by the resourceVersion they were computed
/// from. A conflict means a newer version, whose event re-queues the
/// workload: that reconcile writes them.
async fn set<K: Workload>(object: &K, ctx: &Context, finalizers: Vec<String>) -> Result<(), Error> {
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &object.namespace().unwrap_or_default());
    let patch = json!({"metadata": {
        "resourceVersion": object.resource_version(),
        "finalizers": finalizers,
    }});
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    match api
        .patch(&object.name_any(), &params, &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => Ok(()),
        Err(error) => Err(error.into()),
    }
}
