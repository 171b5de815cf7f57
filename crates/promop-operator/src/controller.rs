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
use futures::{StreamExt, future};
use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, Resource, ResourceExt};
use promop_api::v1::Prometheus;
use promop_api::v1::prometheus::WhenScaledRetentionType;
use promop_api::v1alpha1::PrometheusAgent;
use promop_core::pipeline::prometheus_config;
use promop_core::select::reasons::Reason;
use promop_core::select::{KindSelection, Selection};
use promop_core::snapshot::{ObjectKey, ReadKeys, Snapshot};

use crate::error::Error;
use crate::objects::{self, Desired};
use crate::options::Options;
use crate::snapshot::{self, Fetched, MAX_ROUNDS};
use crate::status::{self, Reconciled};
use crate::stores::{Kind, Stores, Touched, Watches};
use crate::telemetry::{self, ReconcileResult};
use crate::triggers::Triggers;
use crate::workload::{WorkloadId, WorkloadResource};

/// How long a reconcile waits for the caches' first full list.
const CACHE_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Retry delays after failures: doubled per consecutive failure, capped.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// Status follows the StatefulSets' pods, which change without any event
/// promop watches for pods: refresh it now and then.
const STATUS_REFRESH: Duration = Duration::from_secs(60);

struct Context {
    client: Client,
    options: Options,
    stores: Stores,
    fetched: Fetched,
    triggers: Triggers,
    recorder: Recorder,
    /// Consecutive failures per workload, for the retry backoff.
    failures: Mutex<HashMap<WorkloadId, u32>>,
    /// The rejections last reported per workload: events are published when
    /// they change, not on every reconcile.
    reported: Mutex<HashMap<WorkloadId, BTreeSet<String>>>,
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
    });
    let (prometheus_tx, prometheus_rx) = mpsc::unbounded();
    let (agent_tx, agent_rx) = mpsc::unbounded();
    let dispatch = tokio::spawn(dispatch(
        watches.changes,
        context.clone(),
        prometheus_tx,
        agent_tx,
    ));
    let (stop_prometheus, stop_agents) = stop_signals(shutdown);
    let prometheuses = Controller::for_stream(watches.prometheuses, stores.prometheuses.clone())
        .reconcile_on(prometheus_rx)
        .graceful_shutdown_on(stop_prometheus)
        .run(
            reconcile::<Prometheus>,
            error_policy::<Prometheus>,
            context.clone(),
        )
        .for_each(log_result);
    let agents =
        Controller::for_stream(watches.prometheus_agents, stores.prometheus_agents.clone())
            .reconcile_on(agent_rx)
            .graceful_shutdown_on(stop_agents)
            .run(
                reconcile::<PrometheusAgent>,
                error_policy::<PrometheusAgent>,
                context,
            )
            .for_each(log_result);
    future::join(prometheuses, agents).await;
    dispatch.abort();
    readiness.abort();
    tracing::info!("controllers stopped");
}

/// One shutdown future per controller.
fn stop_signals(
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> (
    impl Future<Output = ()> + Send + Sync + 'static,
    impl Future<Output = ()> + Send + Sync + 'static,
) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        tx.send_replace(true);
    });
    let wait = move |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        rx.wait_for(|stop| *stop).await.ok();
    };
    (wait(rx.clone()), wait(rx))
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

/// Sends each change to the controllers of the workloads it concerns.
async fn dispatch(
    mut changes: futures::stream::BoxStream<'static, Touched>,
    ctx: Arc<Context>,
    prometheuses: mpsc::UnboundedSender<ObjectRef<Prometheus>>,
    agents: mpsc::UnboundedSender<ObjectRef<PrometheusAgent>>,
) {
    while let Some(touched) = changes.next().await {
        telemetry::watch_event(touched.kind.as_str());
        for p in ctx.stores.prometheuses.state() {
            if ctx.triggers.concerns(p.as_ref(), &touched) {
                prometheuses
                    .unbounded_send(ObjectRef::from_obj(p.as_ref()))
                    .ok();
            }
        }
        for a in ctx.stores.prometheus_agents.state() {
            if ctx.triggers.concerns(a.as_ref(), &touched) {
                agents.unbounded_send(ObjectRef::from_obj(a.as_ref())).ok();
            }
        }
    }
}

async fn reconcile<K: WorkloadResource>(
    object: Arc<K>,
    ctx: Arc<Context>,
) -> Result<Action, Error> {
    let started = Instant::now();
    let id = WorkloadId::of(object.as_ref());
    let result = reconcile_steps(object.as_ref(), &ctx, &id).await;
    let controller = if id.kind == "Prometheus" {
        "prometheus"
    } else {
        "prometheus-agent"
    };
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
        }
    }
    result
}

async fn reconcile_steps<K: WorkloadResource>(
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
    if object.workload().common().paused == Some(true) {
        tracing::debug!(workload = %id, "paused, skipped");
        return Ok(Action::await_change());
    }
    let unmanaged = unmanaged(object, &ctx.options);
    let generated = generate(object, ctx, unmanaged).await?;
    report(object, ctx, id, &generated.rejected).await;
    ctx.triggers.record(id.clone(), generated.used);
    let uid = object
        .uid()
        .ok_or_else(|| Error::IncompleteObject(id.to_string(), "uid"))?;
    let written = objects::write(&ctx.client, &ctx.stores.owned, &uid, &generated.desired).await?;
    if written > 0 {
        tracing::info!(workload = %id, objects = written, "objects written");
    }
    let (reason, message) = if unmanaged {
        ("ConfigurationUnmanaged", UNMANAGED_MESSAGE)
    } else if generated.nothing_selected {
        ("NoSelectedResources", NO_SELECTED_MESSAGE)
    } else {
        ("", "")
    };
    let reconciled = Reconciled {
        ok: true,
        reason: reason.into(),
        message: message.into(),
    };
    write_status(object, ctx, &reconciled).await?;
    Ok(Action::requeue(STATUS_REFRESH))
}

const NO_SELECTED_MESSAGE: &str =
    "No ServiceMonitor, PodMonitor, Probe, ScrapeConfig, and PrometheusRule have been selected.";
const UNMANAGED_MESSAGE: &str = "the operator doesn't manage the Prometheus configuration secret because neither serviceMonitorSelector nor podMonitorSelector, nor probeSelector, nor scrapeConfigSelector is specified. Unmanaged Prometheus configuration is deprecated, use additionalScrapeConfigs or the ScrapeConfig Custom Resource Definition instead. Unmanaged Prometheus configuration can also be disabled from the operator's command-line (check './operator --help').";

/// A config object skipped as invalid.
struct Rejected {
    kind: &'static str,
    key: String,
    why: String,
}

/// What one generation produced, owned (the snapshot is gone).
struct Generated {
    desired: Desired,
    rejected: Vec<Rejected>,
    used: HashSet<(Kind, ObjectKey)>,
    nothing_selected: bool,
}

/// Runs the core on a snapshot of the caches, fetching the Secrets and
/// ConfigMaps it reads until it reads nothing new.
async fn generate<K: WorkloadResource>(
    object: &K,
    ctx: &Context,
    unmanaged: bool,
) -> Result<Generated, Error> {
    for _ in 0..MAX_ROUNDS {
        // A generation that fails may fail for want of a Secret not fetched
        // yet: fetch what it read before giving up.
        let (generated, reads) = {
            let snapshot = snapshot::from_stores(&ctx.stores, &ctx.fetched);
            let generated = generate_once(object, ctx, unmanaged, &snapshot);
            (generated, snapshot.reads.keys())
        };
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
            if generated.is_err() {
                // A Secret created later must re-queue the workload.
                let id = WorkloadId::of(object);
                ctx.triggers.record(id, read_dependencies(&reads).collect());
            }
            return generated;
        }
    }
    Err(Error::ReferencesUnsettled(MAX_ROUNDS))
}

fn generate_once<K: WorkloadResource>(
    object: &K,
    ctx: &Context,
    unmanaged: bool,
    snapshot: &Snapshot,
) -> Result<Generated, Error> {
    let workload = object.workload();
    let output = prometheus_config(snapshot, workload, &ctx.options.namespaces.watched())?;
    let selection = &output.selection;
    let config = if unmanaged {
        String::new()
    } else {
        promop_core::yaml::to_string(&output.config)
    };
    let rules = promop_core::prometheus::rules::config_maps(snapshot, workload, selection)?;
    let built = promop_core::desired::prometheus_objects(
        snapshot,
        workload,
        &config,
        &rules.names,
        &objects::operator_options(&ctx.options),
    )?;
    let mut rejected = Vec::new();
    let mut used = HashSet::new();
    collect(
        Kind::ServiceMonitor,
        &selection.service_monitors,
        &mut rejected,
        &mut used,
    );
    collect(
        Kind::PodMonitor,
        &selection.pod_monitors,
        &mut rejected,
        &mut used,
    );
    collect(Kind::Probe, &selection.probes, &mut rejected, &mut used);
    collect(
        Kind::ScrapeConfig,
        &selection.scrape_configs,
        &mut rejected,
        &mut used,
    );
    // The rule generation rejects more than the selection (PromQL,
    // durations…) and repeats the selection's rejections.
    collect(
        Kind::PrometheusRule,
        &selection.prometheus_rules,
        &mut Vec::new(),
        &mut used,
    );
    for (key, why) in &rules.rejected {
        let (ns, name) = key.split_once('/').unwrap_or(("", key));
        used.insert((Kind::PrometheusRule, ObjectKey::new(ns, name)));
        rejected.push(Rejected {
            kind: Kind::PrometheusRule.as_str(),
            key: key.clone(),
            why: why.to_string(),
        });
    }
    used.extend(read_dependencies(&snapshot.reads.keys()));
    let retain_shards = workload
        .server()
        .and_then(|s| s.shard_retention_policy.as_ref())
        .and_then(|p| p.when_scaled.as_ref())
        == Some(&WhenScaledRetentionType::Retain);
    let generated = Generated {
        desired: Desired {
            objects: built,
            rule_config_maps: rules.config_maps,
            unmanaged_config: unmanaged,
            retain_shards,
        },
        rejected,
        used,
        nothing_selected: nothing_selected(selection),
    };
    Ok(generated)
}

/// The Secrets and ConfigMaps a generation looked up, as dependencies.
fn read_dependencies(reads: &ReadKeys) -> impl Iterator<Item = (Kind, ObjectKey)> + '_ {
    let secrets = reads.secrets.iter().map(|k| (Kind::Secret, k.clone()));
    let maps = reads
        .config_maps
        .iter()
        .map(|k| (Kind::ConfigMap, k.clone()));
    secrets.chain(maps)
}

fn nothing_selected(s: &Selection<'_>) -> bool {
    s.service_monitors.selected.is_empty()
        && s.pod_monitors.selected.is_empty()
        && s.probes.selected.is_empty()
        && s.scrape_configs.selected.is_empty()
        && s.prometheus_rules.selected.is_empty()
}

/// The selected and rejected objects of one kind: what the workload uses.
fn collect<T>(
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
async fn report<K: WorkloadResource>(
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
        "ScrapeConfig" => "monitoring.coreos.com/v1alpha1",
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

async fn write_status<K: WorkloadResource>(
    object: &K,
    ctx: &Context,
    reconciled: &Reconciled,
) -> Result<(), Error> {
    let namespace = object.namespace().unwrap_or_default();
    let workload = object.workload();
    let names: Vec<String> = (0..workload.shards())
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
    let replicas = workload.common().replicas.unwrap_or(1);
    let desired = status::desired(
        object,
        &refs,
        replicas,
        reconciled,
        k8s_openapi::jiff::Timestamp::now(),
    );
    status::write(&ctx.client, object, desired).await
}

/// `<prefix>-<name>` for shard 0, `<prefix>-<name>-shard-<n>` for the others.
fn stateful_set_name<K: WorkloadResource>(name: &str, shard: i32) -> String {
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
/// `--prometheus-instance-namespaces` (or `--namespaces`/`--deny-namespaces`),
/// not matching `--prometheus-instance-selector`, or assigned to another
/// `--controller-id`.
fn not_ours<K: WorkloadResource>(object: &K, options: &Options) -> Option<&'static str> {
    let namespace = object.namespace().unwrap_or_default();
    if !options
        .namespaces
        .prometheus_instances()
        .watches(&namespace)
    {
        return Some("namespace not watched");
    }
    let id = object
        .annotations()
        .get(CONTROLLER_ID_ANNOTATION)
        .map_or("", String::as_str);
    if id != options.selectors.controller_id {
        return Some("controller-id annotation of another operator");
    }
    if let Some(selector) = &options.selectors.prometheus_instance_labels
        && !label_selector_matches(selector, object.labels())
    {
        return Some("labels do not match --prometheus-instance-selector");
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

/// No monitor selector at all: the user manages the configuration (as the
/// reference does without `--disable-unmanaged-prometheus-configuration`).
fn unmanaged<K: WorkloadResource>(object: &K, options: &Options) -> bool {
    let w = object.workload();
    let c = w.common();
    !options.objects.disable_unmanaged_prometheus_configuration
        && w.server().is_some()
        && c.service_monitor_selector.is_none()
        && c.pod_monitor_selector.is_none()
        && c.probe_selector.is_none()
        && c.scrape_config_selector.is_none()
}

fn error_policy<K: WorkloadResource>(object: Arc<K>, error: &Error, ctx: Arc<Context>) -> Action {
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
