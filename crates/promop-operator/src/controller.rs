//! The Prometheus and PrometheusAgent controllers: caches → snapshot →
//! generation → objects applied → status.
//!
//! One reconcile, generic over the workload kind, in named steps:
//! `generate` (pure core, after fetching the referenced Secrets/ConfigMaps),
//! `report` (events and logs for rejected config objects), `apply` (writes
//! of what changed, removal of what is no longer needed) and `status`.
//! Changes of other objects re-queue only the workloads they concern
//! ([`crate::triggers`]).
use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::{StreamExt, future};
use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, Resource, ResourceExt};
use promop_api::v1::{Alertmanager, Prometheus};
use promop_api::v1alpha1::PrometheusAgent;
use promop_core::select::KindSelection;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::select::reasons::Reason;
use promop_core::snapshot::{ObjectKey, ReadKeys, Snapshot};

use crate::error::Error;
use crate::options::Options;
use crate::snapshot::{self, Fetched, MAX_ROUNDS};
use crate::status::{self, Reconciled};
use crate::stores::{Kind, Stores, Touched, Watches};
use crate::telemetry::{self, ReconcileResult};
use crate::triggers::Triggers;
use crate::workload::{Governing, WorkloadId};

/// How long a reconcile waits for the caches' first full list.
const CACHE_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Retry delays after failures: doubled per consecutive failure, capped.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// How long running reconciles may take to finish after a shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// A reconcile again after this long without any event (the reference's
/// informer resync period): a safety net only, since status comes from the
/// StatefulSets' status and their changes re-queue their owner. (It was
/// 60 s: a full reconcile every minute was most of promop's idle CPU.)
const RESYNC: Duration = Duration::from_secs(300);

pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) options: Options,
    pub(crate) stores: Stores,
    pub(crate) fetched: Fetched,
    pub(crate) triggers: Triggers,
    pub(crate) recorder: Recorder,
    /// Consecutive failures per workload, for the retry backoff.
    failures: Mutex<HashMap<WorkloadId, u32>>,
    /// The rejections last reported per workload: events are published when
    /// they change, not on every reconcile.
    reported: Mutex<HashMap<WorkloadId, BTreeSet<String>>>,
    /// Bounds the generations running at once ([`generation_permits`]).
    generations: tokio::sync::Semaphore,
}

impl Context {
    /// Drops what is kept about a workload that no longer exists.
    fn forget(&self, id: &WorkloadId) {
        self.triggers.forget(id);
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        self.reported
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
        reported: Mutex::default(),
        generations: tokio::sync::Semaphore::new(generation_permits()),
    });
    let (prometheus_tx, prometheus_rx) = mpsc::unbounded();
    let (agent_tx, agent_rx) = mpsc::unbounded();
    let (alertmanager_tx, alertmanager_rx) = mpsc::unbounded();
    let dispatch = tokio::spawn(dispatch(
        watches.changes,
        context.clone(),
        Senders {
            prometheuses: prometheus_tx,
            agents: agent_tx,
            alertmanagers: alertmanager_tx,
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
    let controllers = future::join4(prometheuses, agents, alertmanagers, kubelet);
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
async fn controller<K: Reconcile>(
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
}

/// Sends each change to the controllers of the workloads it concerns.
async fn dispatch(
    mut changes: futures::stream::BoxStream<'static, Touched>,
    ctx: Arc<Context>,
    senders: Senders,
) {
    fn send<K: Governing>(
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
    }
}

async fn reconcile<K: Reconcile>(object: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let id = WorkloadId::of(object.as_ref());
    let result = reconcile_steps(object.as_ref(), &ctx, &id).await;
    let controller = K::CONTROLLER;
    match &result {
        Ok(_) => {
            telemetry::reconciled(controller, ReconcileResult::Success, started.elapsed());
            ctx.failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
        }
        Err(error) => {
            telemetry::reconciled(
                controller,
                ReconcileResult::Error(error.reason()),
                started.elapsed(),
            );
            // The status says why, as the reference's Reconciled condition does.
            let reconciled = Reconciled {
                ok: false,
                reason: "ReconciliationFailed".into(),
                message: error.to_string(),
            };
            if let Err(e) = write_status(object.as_ref(), &ctx, &reconciled).await {
                tracing::debug!(workload = %id, error = %e, "status not written");
            }
            // A refused StatefulSet stays as it was: say so where users look.
            if let Error::StatefulSetRefused(..) = error {
                let event = Event {
                    type_: EventType::Warning,
                    reason: "StatefulSetRefused".into(),
                    note: Some(truncate(&error.to_string())),
                    action: "Reconcile".into(),
                    secondary: None,
                };
                let reference = object.object_ref(&());
                if let Err(e) = ctx.recorder.publish(&event, &reference).await {
                    tracing::debug!(error = %e, "event not published");
                }
            }
        }
    }
    result
}

async fn reconcile_steps<K: Reconcile>(
    object: &K,
    ctx: &Context,
    id: &WorkloadId,
) -> Result<Action, Error> {
    tracing::debug!(workload = %id, "reconcile started");
    ctx.stores.wait_ready(CACHE_READY_TIMEOUT).await?;
    if object.meta().deletion_timestamp.is_some() {
        ctx.triggers.forget(id);
        return Ok(Action::await_change());
    }
    if let Some(why) = not_ours(object, &ctx.options) {
        tracing::debug!(workload = %id, why, "not managed by this operator, skipped");
        ctx.triggers.forget(id);
        return Ok(Action::await_change());
    }
    if object.paused() {
        tracing::debug!(workload = %id, "paused, skipped");
        return Ok(Action::await_change());
    }
    let reconciled = object.steps(ctx, id).await?;
    write_status(object, ctx, &reconciled).await?;
    Ok(Action::requeue(RESYNC))
}

/// The kind-specific part of a reconcile.
pub(crate) trait Reconcile: Governing {
    /// The controller's name in metrics.
    const CONTROLLER: &'static str;
    /// Generate and write the objects; say how it went.
    fn steps<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a WorkloadId,
    ) -> BoxFuture<'a, Result<Reconciled, Error>>;
    /// `--<kind>-instance-namespaces` (or the general lists).
    fn instance_namespaces(options: &Options) -> WatchedNamespaces;
    /// `--<kind>-instance-selector`.
    fn instance_selector(options: &Options) -> Option<&str>;
    /// The number of StatefulSets.
    fn shards(&self) -> i32 {
        1
    }
}

/// A config object skipped as invalid.
pub(crate) struct Rejected {
    pub kind: &'static str,
    /// `namespace/name`.
    pub key: String,
    pub why: String,
}

/// Runs `generate` on snapshots of the caches, fetching the Secrets and
/// ConfigMaps each run looked up, until a run reads nothing new. A run that
/// fails may fail for want of a Secret not fetched yet: what it read is
/// fetched before giving up.
pub(crate) async fn with_references<T>(
    ctx: &Context,
    id: &WorkloadId,
    generate: impl Fn(&Snapshot) -> Result<T, Error>,
) -> Result<T, Error> {
    for _ in 0..MAX_ROUNDS {
        let (generated, reads) = {
            let _permit = ctx.generations.acquire().await;
            cpu_bound(|| {
                let snapshot = snapshot::from_stores(&ctx.stores, &ctx.fetched);
                let generated = generate(&snapshot);
                (generated, snapshot.reads.keys())
            })
        };
        // Recorded before fetching: a Secret created after this point
        // re-queues the workload; one created before is fetched now.
        ctx.triggers.add(id, read_dependencies(&reads));
        let fetched_secrets = ctx
            .fetched
            .secrets
            .fetch(&ctx.client, &ctx.stores.secrets, &reads.secrets)
            .await?;
        let fetched_maps = ctx
            .fetched
            .config_maps
            .fetch(&ctx.client, &ctx.stores.config_maps, &reads.config_maps)
            .await?;
        if fetched_secrets + fetched_maps == 0 {
            return generated;
        }
    }
    Err(Error::ReferencesUnsettled(MAX_ROUNDS))
}

/// Runs CPU-bound work (a generation can take a second for thousands of
/// monitors) off the async workers' duty, so that watches, `/healthz` and
/// the leader's renewals keep running: on a multi-threaded runtime the
/// worker hands its other tasks over first. (Single-threaded runtimes, as
/// in tests, run it in place.)
fn cpu_bound<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
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

/// The Secrets and ConfigMaps a generation looked up, as dependencies.
pub(crate) fn read_dependencies(reads: &ReadKeys) -> impl Iterator<Item = (Kind, ObjectKey)> + '_ {
    let secrets = reads.secrets.iter().map(|k| (Kind::Secret, k.clone()));
    let maps = reads
        .config_maps
        .iter()
        .map(|k| (Kind::ConfigMap, k.clone()));
    secrets.chain(maps)
}

/// The selected and rejected objects of one kind: what the workload uses.
pub(crate) fn collect<T>(
    kind: Kind,
    selection: &KindSelection<'_, T>,
    rejected: &mut Vec<Rejected>,
    used: &mut HashSet<(Kind, ObjectKey)>,
) {
    let key = |k: &str| {
        let (ns, name) = k.split_once('/').unwrap_or(("", k));
        ObjectKey::new(ns, name)
    };
    for s in &selection.selected {
        used.insert((kind, key(&s.key)));
    }
    for s in &selection.skipped {
        if let Reason::Rejected(why) = &s.reason {
            used.insert((kind, key(&s.key)));
            rejected.push(Rejected {
                kind: kind.as_str(),
                key: s.key.clone(),
                why: why.to_string(),
            });
        }
    }
}

/// Logs every rejected object and publishes a Warning event on it when the
/// set of rejections changed since the last reconcile.
pub(crate) async fn report<K: Governing>(
    object: &K,
    ctx: &Context,
    id: &WorkloadId,
    rejected: &[Rejected],
) {
    let now: BTreeSet<String> = rejected
        .iter()
        .map(|r| format!("{} {}: {}", r.kind, r.key, r.why))
        .collect();
    let changed = {
        let mut reported = ctx.reported.lock().unwrap_or_else(|e| e.into_inner());
        let changed = reported.get(id) != Some(&now);
        reported.insert(id.clone(), now);
        changed
    };
    if !changed {
        return;
    }
    for r in rejected {
        tracing::warn!(workload = %id, object = format!("{} {}", r.kind, r.key), reason = %r.why, "config object skipped");
        telemetry::rejected(r.kind, "invalid_configuration");
        let (namespace, name) = r.key.split_once('/').unwrap_or(("", &r.key));
        let reference = ObjectReference {
            api_version: Some(api_version(r.kind).into()),
            kind: Some(r.kind.into()),
            namespace: Some(namespace.into()),
            name: Some(name.into()),
            ..ObjectReference::default()
        };
        let event = Event {
            type_: EventType::Warning,
            reason: "InvalidConfiguration".into(),
            note: Some(truncate(&format!(
                "{} was rejected due to invalid configuration ({}): {}",
                r.kind, id, r.why
            ))),
            action: "Reconcile".into(),
            secondary: Some(object.object_ref(&())),
        };
        if let Err(error) = ctx.recorder.publish(&event, &reference).await {
            tracing::debug!(%error, "event not published");
        }
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

async fn write_status<K: Reconcile>(
    object: &K,
    ctx: &Context,
    reconciled: &Reconciled,
) -> Result<(), Error> {
    let namespace = object.namespace().unwrap_or_default();
    let names: Vec<String> = (0..object.shards())
        .map(|shard| stateful_set_name::<K>(&object.name_any(), shard))
        .collect();
    let sets: Vec<_> = names
        .iter()
        .map(|n| {
            ctx.stores
                .owned
                .stateful_sets
                .get(&ObjectRef::new(n).within(&namespace))
        })
        .collect();
    let refs: Vec<Option<&k8s_openapi::api::apps::v1::StatefulSet>> =
        sets.iter().map(|s| s.as_deref()).collect();
    let desired = status::desired(
        object,
        &refs,
        object.replicas(),
        reconciled,
        k8s_openapi::jiff::Timestamp::now(),
    );
    status::write(&ctx.client, object, desired).await
}

/// `<prefix>-<name>` for shard 0, `<prefix>-<name>-shard-<n>` for the others.
fn stateful_set_name<K: Governing>(name: &str, shard: i32) -> String {
    if shard == 0 {
        format!("{}-{name}", K::PREFIX)
    } else {
        format!("{}-{name}-shard-{shard}", K::PREFIX)
    }
}

/// The annotation that assigns a workload to one of several operators
/// (`--controller-id`).
const CONTROLLER_ID_ANNOTATION: &str = "operator.prometheus.io/controller-id";

/// Why this operator leaves the workload alone, if it does: outside
/// `--<kind>-instance-namespaces` (or `--namespaces`/`--deny-namespaces`),
/// not matching `--<kind>-instance-selector`, or assigned to another
/// `--controller-id`.
fn not_ours<K: Reconcile>(object: &K, options: &Options) -> Option<&'static str> {
    let namespace = object.namespace().unwrap_or_default();
    if !K::instance_namespaces(options).watches(&namespace) {
        return Some("namespace not watched");
    }
    let id = object
        .annotations()
        .get(CONTROLLER_ID_ANNOTATION)
        .map_or("", String::as_str);
    if id != options.selectors.controller_id {
        return Some("controller-id annotation of another operator");
    }
    if let Some(selector) = K::instance_selector(options)
        && !label_selector_matches(selector, object.labels())
    {
        return Some("labels do not match the instance selector");
    }
    None
}

/// Whether `labels` match a label selector in kubectl's syntax
/// (`a=b,c!=d,e in (f,g),!h`); the flag was validated when parsed.
fn label_selector_matches(
    selector: &str,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    promop_core::select::label_selector::Selector::parse(selector).is_ok_and(|s| s.matches(labels))
}

fn error_policy<K: Reconcile>(object: Arc<K>, error: &Error, ctx: Arc<Context>) -> Action {
    let id = WorkloadId::of(object.as_ref());
    let mut failures = ctx.failures.lock().unwrap_or_else(|e| e.into_inner());
    let count = failures.entry(id.clone()).or_default();
    *count = count.saturating_add(1);
    let delay = BACKOFF_BASE
        .saturating_mul(1 << (*count - 1).min(10))
        .min(BACKOFF_MAX);
    tracing::warn!(workload = %id, reason = error.reason(), %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
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
