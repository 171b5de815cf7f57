//! The Prometheus controller: caches → snapshot → configuration → Secret.
//!
//! Re-queueing (first slice): any change of a cached object other than a
//! Prometheus re-queues every Prometheus; the core's selection decides what
//! changed for whom. Follow-up (issue 5): map each event to the workloads
//! that select the object (or reference the Secret/ConfigMap).
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::{Client, ResourceExt};
use promop_api::v1::Prometheus;
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::namespaces::WatchedNamespaces;

use crate::apply::{self, Outcome};
use crate::config_secret;
use crate::error::Error;
use crate::snapshot;
use crate::stores::{Stores, Watches};

/// How long a reconcile waits for the caches' first full list.
const CACHE_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Retry delays after failures: doubled per consecutive failure, capped.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

struct Context {
    client: Client,
    stores: Stores,
    /// Consecutive failures per Prometheus, for the retry backoff.
    failures: Mutex<HashMap<ObjectRef<Prometheus>, u32>>,
}

/// Runs the controllers until `shutdown` resolves, then lets running
/// reconciles finish.
pub async fn run(client: Client, shutdown: impl Future<Output = ()> + Send + Sync + 'static) {
    let watches = Watches::new(&client);
    let readiness = tokio::spawn(watches.readiness);
    let context = Arc::new(Context {
        client,
        stores: watches.stores.clone(),
        failures: Mutex::default(),
    });
    Controller::for_stream(watches.prometheuses, watches.stores.prometheuses)
        .reconcile_all_on(watches.changes)
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            match result {
                Ok((object, _)) => tracing::debug!(
                    prometheus =
                        format!("{}/{}", object.namespace.unwrap_or_default(), object.name),
                    "reconciled"
                ),
                // Reconcile errors are logged by `error_policy`.
                Err(kube::runtime::controller::Error::ReconcilerFailed(..)) => {}
                Err(error) => tracing::warn!(%error, "controller"),
            }
        })
        .await;
    readiness.abort();
    tracing::info!("controllers stopped");
}

async fn reconcile(prometheus: Arc<Prometheus>, ctx: Arc<Context>) -> Result<Action, Error> {
    let id = object_id(&prometheus);
    tracing::debug!(prometheus = %id, "reconcile started");
    ctx.stores.wait_ready(CACHE_READY_TIMEOUT).await?;
    tracing::debug!(prometheus = %id, "caches ready");
    if prometheus.spec.common.paused == Some(true) {
        tracing::debug!(prometheus = %id, "paused, skipped");
        return Ok(Action::await_change());
    }
    let outcome = if unmanaged(&prometheus) {
        let desired = config_secret::desired(&prometheus, "")?;
        apply::create_if_absent(&ctx.client, &ctx.stores, &desired).await?
    } else {
        let desired =
            config_secret::desired(&prometheus, &configuration(&ctx.stores, &prometheus)?)?;
        apply::config_secret(&ctx.client, &ctx.stores, &desired).await?
    };
    if outcome == Outcome::Written {
        tracing::info!(prometheus = %id, secret = config_secret::name(&prometheus), "configuration written");
    }
    ctx.failures
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&ObjectRef::from_obj(prometheus.as_ref()));
    Ok(Action::await_change())
}

/// The configuration's YAML; rejected config objects are logged and skipped.
fn configuration(stores: &Stores, prometheus: &Prometheus) -> Result<String, Error> {
    let snapshot = snapshot::from_stores(stores);
    let output = prometheus_config(
        &snapshot,
        Workload::Prometheus(prometheus),
        &WatchedNamespaces::all(),
    )?;
    for rejected in output.rejected() {
        tracing::warn!(prometheus = object_id(prometheus), %rejected, "config object skipped");
    }
    Ok(promop_core::yaml::to_string(&output.config))
}

/// No monitor selector at all: the user manages the configuration (as the
/// reference does without `--disable-unmanaged-prometheus-configuration`).
fn unmanaged(prometheus: &Prometheus) -> bool {
    let c = &prometheus.spec.common;
    c.service_monitor_selector.is_none()
        && c.pod_monitor_selector.is_none()
        && c.probe_selector.is_none()
        && c.scrape_config_selector.is_none()
}

fn error_policy(prometheus: Arc<Prometheus>, error: &Error, ctx: Arc<Context>) -> Action {
    let mut failures = ctx.failures.lock().unwrap_or_else(|e| e.into_inner());
    let count = failures
        .entry(ObjectRef::from_obj(prometheus.as_ref()))
        .or_default();
    *count = count.saturating_add(1);
    let delay = BACKOFF_BASE
        .saturating_mul(1 << (*count - 1).min(10))
        .min(BACKOFF_MAX);
    tracing::warn!(prometheus = object_id(&prometheus), reason = error.reason(), %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// `namespace/name`, as logs name a Prometheus.
fn object_id(prometheus: &Prometheus) -> String {
    format!(
        "{}/{}",
        prometheus.namespace().unwrap_or_default(),
        prometheus.name_any()
    )
}
