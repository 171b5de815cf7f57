//! Wiring: the Prometheus, PrometheusAgent, Alertmanager and ThanosRuler
//! controllers
//! (caches → [`crate::reconcile`] → objects applied → status), the
//! dispatch of other objects' changes to the workloads they concern
//! ([`crate::triggers`]), retries and shutdown.
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::channel::mpsc;
use futures::{StreamExt, future};
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, Resource};
use promop_api::v1::{Alertmanager, Prometheus, ThanosRuler};
use promop_api::v1alpha1::PrometheusAgent;
use promop_core::prometheus::memo::Memo;

use crate::error::Error;
use crate::options::Options;
use crate::reconcile::reconcile;
use crate::report::Reported;
use crate::snapshot::Fetched;
use crate::stores::{Stores, Touched, Watches};
use crate::telemetry;
use crate::triggers::Triggers;
use crate::workload::{Workload, WorkloadId};

/// Retry delays after failures: doubled per consecutive failure, capped.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// How long running reconciles may take to finish after a shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What every reconcile shares.
pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) options: Options,
    pub(crate) stores: Stores,
    pub(crate) fetched: Fetched,
    pub(crate) triggers: Triggers,
    pub(crate) recorder: Recorder,
    /// Consecutive failures per workload, for the retry backoff.
    failures: Mutex<HashMap<WorkloadId, u32>>,
    /// What was last reported per workload.
    pub(crate) reported: Reported,
    /// Bounds the generations running at once ([`generation_permits`]).
    pub(crate) generations: tokio::sync::Semaphore,
    /// The scrape jobs of each Prometheus's and agent's last generation,
    /// reused by the next where nothing they were built from changed.
    memos: Mutex<HashMap<WorkloadId, Arc<Memo>>>,
    /// What snapshots keep for the next ones (key references, order).
    pub(crate) kept: crate::snapshot::Kept,
}

impl Context {
    /// Drops what is kept about a workload that no longer exists.
    fn forget(&self, id: &WorkloadId) {
        self.triggers.forget(id);
        self.succeeded(id);
        self.reported.forget(id);
        self.memos
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// The job memo of a workload.
    pub(crate) fn memo(&self, id: &WorkloadId) -> Arc<Memo> {
        let mut memos = self.memos.lock().unwrap_or_else(|e| e.into_inner());
        memos.entry(id.clone()).or_default().clone()
    }

    /// Resets the retry backoff of a workload reconciled successfully.
    pub(crate) fn succeeded(&self, id: &WorkloadId) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

/// Runs the controllers until `shutdown` resolves, then lets running
/// reconciles finish.
pub async fn run(
    client: Client,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let watches = Watches::new(&client, &options).await;
    let stores = watches.stores.clone();
    telemetry::conditions::register(&stores);
    let readiness = tokio::spawn(async move {
        watches.readiness.await;
        telemetry::caches_synced();
    });
    let reporter = Reporter {
        controller: "promop".into(),
        instance: std::env::var("POD_NAME").ok(),
    };
    let context = Arc::new(Context {
        recorder: Recorder::new(client.clone(), reporter),
        client,
        options,
        stores: stores.clone(),
        fetched: Fetched::default(),
        triggers: Triggers::default(),
        failures: Mutex::default(),
        reported: Reported::default(),
        memos: Mutex::default(),
        kept: crate::snapshot::Kept::default(),
        generations: tokio::sync::Semaphore::new(generation_permits()),
    });
    let (prometheus_tx, prometheus_rx) = mpsc::unbounded();
    let (agent_tx, agent_rx) = mpsc::unbounded();
    let (alertmanager_tx, alertmanager_rx) = mpsc::unbounded();
    let (thanos_ruler_tx, thanos_ruler_rx) = mpsc::unbounded();
    let dispatch = tokio::spawn(dispatch(
        watches.changes,
        context.clone(),
        Senders {
            prometheuses: prometheus_tx,
            agents: agent_tx,
            alertmanagers: alertmanager_tx,
            thanos_rulers: thanos_ruler_tx,
        },
    ));
    let stop = stop_signal(shutdown);
    let prometheuses = controller(
        watches.prometheuses,
        stores.prometheuses.clone(),
        prometheus_rx,
        stop.clone(),
        context.clone(),
    );
    let agents = controller(
        watches.prometheus_agents,
        stores.prometheus_agents.clone(),
        agent_rx,
        stop.clone(),
        context.clone(),
    );
    let alertmanagers = controller(
        watches.alertmanagers,
        stores.alertmanagers.clone(),
        alertmanager_rx,
        stop.clone(),
        context.clone(),
    );
    // Without the ThanosRuler CRD its cache is empty and its stream
    // pending: this controller then never reconciles.
    let thanos_rulers = controller(
        watches.thanos_rulers,
        stores.thanos_rulers.clone(),
        thanos_ruler_rx,
        stop.clone(),
        context.clone(),
    );
    let kubelet = match crate::kubelet::Kubelet::from_options(&context.options) {
        Some(kubelet) => {
            let period = context.options.kubelet.sync_period;
            let run = crate::kubelet::run(
                context.client.clone(),
                kubelet,
                period,
                stopped(stop.clone()),
            );
            futures::future::Either::Left(run)
        }
        None => futures::future::Either::Right(future::ready(())),
    };
    let controllers = future::join5(prometheuses, agents, alertmanagers, thanos_rulers, kubelet);
    // A controller stopped before its first full list waits for its cache
    // even after the shutdown (kube-runtime holds the runner until the store
    // is ready): running reconciles get a grace period, then are dropped.
    let deadline = async {
        stopped(stop).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        _ = controllers => {}
        () = deadline => tracing::warn!(grace = ?SHUTDOWN_GRACE, "controllers did not finish in time, stopped"),
    }
    dispatch.abort();
    readiness.abort();
    tracing::info!("controllers stopped");
}

/// One controller of workloads of kind `K`: reconciles on their own changes
/// and on the changes `dispatch` sends it.
async fn controller<K: Workload>(
    workloads: futures::stream::BoxStream<'static, Result<K, kube::runtime::watcher::Error>>,
    store: kube::runtime::reflector::Store<K>,
    triggered: mpsc::UnboundedReceiver<ObjectRef<K>>,
    stop: tokio::sync::watch::Receiver<bool>,
    context: Arc<Context>,
) {
    // The stream yields a deleted workload after the cache dropped it: its
    // state goes too (a workload created again under the name starts anew).
    let (cache, ctx) = (store.clone(), context.clone());
    let workloads = workloads
        .inspect(move |event| {
            if let Ok(object) = event
                && cache.get(&ObjectRef::from_obj(object)).is_none()
            {
                ctx.forget(&WorkloadId::of(object));
            }
        })
        .boxed();
    Controller::for_stream(workloads, store)
        .with_config(
            kube::runtime::controller::Config::default().concurrency(RECONCILE_CONCURRENCY),
        )
        .reconcile_on(triggered)
        .graceful_shutdown_on(stopped(stop))
        .run(reconcile::<K>, error_policy::<K>, context)
        .for_each(log_result)
        .await;
}

/// A shutdown signal every controller can wait on.
fn stop_signal(
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        tx.send_replace(true);
    });
    rx
}

async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    stop.wait_for(|stop| *stop).await.ok();
}

async fn log_result<K: Resource, E: std::fmt::Display>(
    result: Result<(ObjectRef<K>, Action), kube::runtime::controller::Error<Error, E>>,
) {
    match result {
        Ok((object, _)) => tracing::debug!(
            object = format!("{}/{}", object.namespace.unwrap_or_default(), object.name),
            "reconciled"
        ),
        // Reconcile errors are logged by `error_policy`.
        Err(kube::runtime::controller::Error::ReconcilerFailed(..)) => {}
        Err(error) => tracing::warn!(%error, "controller"),
    }
}

/// Where `dispatch` sends the workloads to reconcile.
struct Senders {
    prometheuses: mpsc::UnboundedSender<ObjectRef<Prometheus>>,
    agents: mpsc::UnboundedSender<ObjectRef<PrometheusAgent>>,
    alertmanagers: mpsc::UnboundedSender<ObjectRef<Alertmanager>>,
    thanos_rulers: mpsc::UnboundedSender<ObjectRef<ThanosRuler>>,
}

/// Sends each change to the controllers of the workloads it concerns.
async fn dispatch(
    mut changes: futures::stream::BoxStream<'static, Touched>,
    ctx: Arc<Context>,
    senders: Senders,
) {
    fn send<K: Workload>(
        store: &kube::runtime::reflector::Store<K>,
        triggers: &Triggers,
        touched: &Touched,
        to: &mpsc::UnboundedSender<ObjectRef<K>>,
    ) {
        for object in store.state() {
            if triggers.concerns(object.as_ref(), touched) {
                to.unbounded_send(ObjectRef::from_obj(object.as_ref())).ok();
            }
        }
    }
    while let Some(touched) = changes.next().await {
        telemetry::watch_event(touched.kind.as_str());
        let (stores, triggers) = (&ctx.stores, &ctx.triggers);
        send(
            &stores.prometheuses,
            triggers,
            &touched,
            &senders.prometheuses,
        );
        send(
            &stores.prometheus_agents,
            triggers,
            &touched,
            &senders.agents,
        );
        send(
            &stores.alertmanagers,
            triggers,
            &touched,
            &senders.alertmanagers,
        );
        send(
            &stores.thanos_rulers,
            triggers,
            &touched,
            &senders.thanos_rulers,
        );
    }
}

/// How many generations may run at once: all cores but one, which stays
/// for the watches, the web server and the Lease.
fn generation_permits() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .max(1)
}

/// Reconciles running at once per controller; the rest wait in the queue
/// (deduplicated), so a mass re-queue cannot flood the API server.
const RECONCILE_CONCURRENCY: u16 = 4;

fn error_policy<K: Workload>(object: Arc<K>, error: &Error, ctx: Arc<Context>) -> Action {
    let id = WorkloadId::of(object.as_ref());
    let mut failures = ctx.failures.lock().unwrap_or_else(|e| e.into_inner());
    let count = failures.entry(id.clone()).or_default();
    *count = count.saturating_add(1);
    let delay = backoff(*count);
    // Outside the reconcile's span: the workload is named here.
    tracing::warn!(workload = %id, reason = error.reason(), %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// The retry delay after `failures` (at least 1) consecutive failures.
fn backoff(failures: u32) -> Duration {
    BACKOFF_BASE
        .saturating_mul(1 << failures.saturating_sub(1).min(10))
        .min(BACKOFF_MAX)
}

/// The controllers running on a task of the current runtime, until
/// [`Running::stop`] (embedding, tests).
pub struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// Starts the controllers on a task; see [`run`].
pub fn spawn(client: Client, options: Options) -> Running {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(client, options, async {
        stopped.await.ok();
    }));
    Running { stop, task }
}

impl Running {
    /// Whether the controllers are still running (they stop only when told).
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    /// Stops the controllers and waits, at most `timeout`, for running
    /// reconciles to finish.
    pub async fn stop(self, timeout: Duration) -> Result<(), String> {
        self.stop.send(()).ok();
        match tokio::time::timeout(timeout, self.task).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("controllers failed: {e}")),
            Err(_) => Err(format!(
                "controllers still running {timeout:?} after the stop"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_cap() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(9), Duration::from_secs(128));
        assert_eq!(backoff(10), Duration::from_secs(256));
        assert_eq!(backoff(11), BACKOFF_MAX);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }
}
