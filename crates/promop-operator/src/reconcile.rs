//! One reconcile of a workload, in steps: skip what is not ours, then the
//! kind's generation (dereference and generate, [`generate`]), reporting
//! and apply ([`Workload::generate_and_apply`]), then the status. Each step
//! runs in a span that names the workload.
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::StatefulSet;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use promop_core::snapshot::{ObjectKey, ReadKeys, Snapshot};

use promop_core::select::reasons::RejectedObject;

use crate::bindings::{self, Binder, Verdicts, finalizer};
use crate::controller::Context;
use crate::error::Error;
use crate::governing_service;
use crate::options::Options;
use crate::report;
use crate::snapshot::{self, MAX_ROUNDS};
use crate::status::{self, Reconciled};
use crate::stores::Kind;
use crate::telemetry::{self, ReconcileResult};
use crate::workload::{Workload, WorkloadId};

/// How long a reconcile waits for the caches' first full list.
const CACHE_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// A reconcile again after this long without any event (the reference's
/// informer resync period): a safety net only, since status comes from the
/// StatefulSets' status and their changes re-queue their owner. (It was
/// 60 s: a full reconcile every minute was most of promop's idle CPU.)
const RESYNC: Duration = Duration::from_secs(300);

/// Reconciles `object`; a failure is counted, written to the status and,
/// for a refused StatefulSet, reported in an Event.
#[tracing::instrument(skip_all, fields(workload = %WorkloadId::of(object.as_ref())))]
pub(crate) async fn reconcile<K: Workload>(
    object: Arc<K>,
    ctx: Arc<Context>,
) -> Result<Action, Error> {
    let started = Instant::now();
    let id = WorkloadId::of(object.as_ref());
    let result = steps(object.as_ref(), &ctx, &id).await;
    match &result {
        Ok(_) => {
            telemetry::reconciled(K::CONTROLLER, ReconcileResult::Success, started.elapsed());
            ctx.succeeded(&id);
        }
        Err(error) => {
            let reason = ReconcileResult::Error(error.reason());
            telemetry::reconciled(K::CONTROLLER, reason, started.elapsed());
            // The status says why, as the reference's Reconciled condition does.
            let reconciled = Reconciled {
                ok: false,
                reason: "ReconciliationFailed".into(),
                message: error.to_string(),
            };
            if let Err(e) = write_status(object.as_ref(), &ctx, &reconciled).await {
                tracing::debug!(error = %e, "status not written");
            }
            report::failed(object.as_ref(), &ctx, error).await;
        }
    }
    result
}

async fn steps<K: Workload>(object: &K, ctx: &Context, id: &WorkloadId) -> Result<Action, Error> {
    tracing::debug!("reconcile started");
    ctx.stores.wait_ready(CACHE_READY_TIMEOUT).await?;
    if let Some(why) = not_ours(object, &ctx.options) {
        tracing::debug!(why, "not managed by this operator, skipped");
        ctx.triggers.forget(id);
        return Ok(Action::await_change());
    }
    if object.meta().deletion_timestamp.is_some() {
        ctx.triggers.forget(id);
        finalizer::release(object, ctx).await?;
        return Ok(Action::await_change());
    }
    finalizer::ensure(object, ctx).await?;
    if object.paused() {
        tracing::debug!("paused, skipped");
        return Ok(Action::await_change());
    }
    if let Some((service, pods)) = object.custom_service() {
        let namespace = object.namespace().unwrap_or_default();
        governing_service::verify(&ctx.client, &namespace, service, &pods).await?;
    }
    let reconciled = object.generate_and_apply(ctx, id).await?;
    write_status(object, ctx, &reconciled).await?;
    Ok(Action::requeue(RESYNC))
}

/// Dereference, then generate: the Secrets and ConfigMaps that `dereference`
/// names (everything the workload's spec and selected objects reference)
/// are fetched at once, then `generate` runs on a snapshot of the caches.
/// Should a run read one more (a miss of the dereference step, counted), it
/// is fetched and the run repeated, until a run reads nothing new. A run
/// that fails may fail for want of a Secret not fetched yet: what it read is
/// fetched before giving up.
#[tracing::instrument(skip_all)]
pub(crate) async fn generate<T>(
    ctx: &Context,
    id: &WorkloadId,
    dereference: impl Fn(&Snapshot) -> ReadKeys,
    generate: impl Fn(&Snapshot) -> Result<T, Error>,
) -> Result<T, Error> {
    let named = {
        let _permit = ctx.generations.acquire().await;
        cpu_bound(|| dereference(&snapshot::from_stores(&ctx.stores, &ctx.fetched, &ctx.kept)))
    };
    fetch(ctx, id, &named).await?;
    for round in 0..MAX_ROUNDS {
        let (generated, reads) = {
            let _permit = ctx.generations.acquire().await;
            cpu_bound(|| {
                let snapshot = snapshot::from_stores(&ctx.stores, &ctx.fetched, &ctx.kept);
                let generated = generate(&snapshot);
                (generated, snapshot.reads.keys())
            })
        };
        if fetch(ctx, id, &reads).await? == 0 {
            return generated;
        }
        if round == 0 {
            tracing::warn!("generation read a reference the dereference step missed");
            telemetry::dereference_missed();
        }
    }
    Err(Error::ReferencesUnsettled(MAX_ROUNDS))
}

/// Fetches what is not cached yet of `keys`, recorded as dependencies of
/// `id` first: a Secret created after this point re-queues the workload,
/// one created before is fetched now. Returns how many were fetched.
async fn fetch(ctx: &Context, id: &WorkloadId, keys: &ReadKeys) -> Result<usize, Error> {
    ctx.triggers.add(id, read_dependencies(keys));
    let fetched = &ctx.fetched;
    let (secrets, maps) = futures::try_join!(
        fetched
            .secrets
            .fetch(&ctx.client, &ctx.stores.secrets, &keys.secrets),
        fetched
            .config_maps
            .fetch(&ctx.client, &ctx.stores.config_maps, &keys.config_maps),
    )?;
    Ok(secrets + maps)
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

/// After a generation, for every kind: the objects it rejected reported,
/// what it used recorded as triggers. Returns the workload's uid (its
/// objects' owner).
pub(crate) async fn reported<K: Workload>(
    object: &K,
    ctx: &Context,
    id: &WorkloadId,
    rejected: &[RejectedObject],
    used: HashSet<(Kind, ObjectKey)>,
) -> Result<String, Error> {
    report::rejected(object, ctx, id, rejected).await;
    ctx.triggers.record(id.clone(), used);
    object
        .uid()
        .ok_or_else(|| Error::IncompleteObject(id.to_string(), "uid"))
}

/// Logs how many objects an apply wrote, if any.
pub(crate) fn written(objects: usize) {
    if objects > 0 {
        tracing::info!(objects, "objects written");
    }
}

/// Writes the status bindings of the config objects a generation judged
/// (`None`: the gate is off or the kind binds nothing).
pub(crate) async fn bind<K: Workload>(
    object: &K,
    ctx: &Context,
    verdicts: Option<&Verdicts>,
) -> Result<(), Error> {
    if let Some(verdicts) = verdicts {
        let bound = bindings::write::sync(ctx, &Binder::of(object), verdicts).await?;
        if bound > 0 {
            tracing::info!(objects = bound, "status bindings written");
        }
    }
    Ok(())
}

/// The Secrets and ConfigMaps a generation looked up, as dependencies.
pub(crate) fn read_dependencies(reads: &ReadKeys) -> impl Iterator<Item = (Kind, ObjectKey)> + '_ {
    let secrets = reads.secrets.iter().map(|k| (Kind::Secret, k.clone()));
    let maps = reads
        .config_maps
        .iter()
        .map(|k| (Kind::ConfigMap, k.clone()));
    secrets.chain(maps)
}

/// The status step: the workload's StatefulSets as cached, summed up with
/// the outcome of the reconcile.
#[tracing::instrument(name = "status", skip_all)]
async fn write_status<K: Workload>(
    object: &K,
    ctx: &Context,
    reconciled: &Reconciled,
) -> Result<(), Error> {
    let namespace = object.namespace().unwrap_or_default();
    let sets: Vec<Option<Arc<StatefulSet>>> = object
        .stateful_set_names()
        .iter()
        .map(|name| {
            let key = ObjectRef::new(name).within(&namespace);
            ctx.stores.owned.stateful_sets.get(&key)
        })
        .collect();
    let refs: Vec<Option<&StatefulSet>> = sets.iter().map(|s| s.as_deref()).collect();
    let desired = status::desired(
        object,
        &refs,
        object.replicas(),
        reconciled,
        k8s_openapi::jiff::Timestamp::now(),
    );
    status::write(&ctx.client, object, desired).await
}

/// The annotation that assigns a workload to one of several operators
/// (`--controller-id`).
const CONTROLLER_ID_ANNOTATION: &str = "operator.prometheus.io/controller-id";

/// Why this operator leaves the workload alone, if it does: outside
/// `--<kind>-instance-namespaces` (or `--namespaces`/`--deny-namespaces`),
/// not matching `--<kind>-instance-selector`, or assigned to another
/// `--controller-id`.
fn not_ours<K: Workload>(object: &K, options: &Options) -> Option<&'static str> {
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
fn label_selector_matches(selector: &str, labels: &BTreeMap<String, String>) -> bool {
    promop_core::select::label_selector::Selector::parse(selector).is_ok_and(|s| s.matches(labels))
}
