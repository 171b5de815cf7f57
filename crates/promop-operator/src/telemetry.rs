//! promop's self-metrics and readiness: the names of the series on
//! `/metrics` and the few calls the controllers make to feed them.
//!
//! The `metrics` facade is process-wide; [`install`] sets the Prometheus
//! recorder once (`promop run` does it before anything else) and the calls
//! below are no-ops until then, so the controllers can call them in tests
//! without setup.
pub mod conditions;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Reconciles, by `controller` and `result` (`success` / `error`).
pub const RECONCILES: &str = "promop_reconciles_total";
/// Reconcile durations in seconds, by `controller`.
pub const RECONCILE_DURATION: &str = "promop_reconcile_duration_seconds";
/// Failed reconciles, by `controller` and `reason` (the error's variant).
pub const RECONCILE_ERRORS: &str = "promop_reconcile_errors_total";
/// Watch events received, by `kind`.
pub const WATCH_EVENTS: &str = "promop_watch_events_total";
/// Config objects skipped because they are invalid, by `kind` and `reason`.
pub const REJECTED: &str = "promop_rejected_objects_total";
/// Objects written to the API (created or changed), by `kind`.
pub const WRITES: &str = "promop_writes_total";
/// 1 while this replica holds the leader Lease (or runs without election).
pub const LEADER: &str = "promop_leader";
/// Writes refused by the leader write gate (leadership not certain).
pub const WRITES_REFUSED: &str = "promop_leader_writes_refused_total";
/// 1 while the API refuses the watch of a kind (RBAC, CRD removed), by `kind`.
pub const WATCH_DEGRADED: &str = "promop_watch_degraded";
/// 1 once the caches are synced (the controllers can act).
pub const CACHES_SYNCED: &str = "promop_caches_synced";
/// Generations that read a Secret or ConfigMap the dereference step had not
/// named (then fetched in another round): 0 unless dereferencing misses one.
pub const DEREFERENCE_MISSES: &str = "promop_dereference_misses_total";
/// AlertmanagerConfigs converted by the webhook, by `result`.
pub const CONVERSIONS: &str = "promop_conversions_total";
/// Admission reviews answered, by `webhook` and `result` (`allowed` /
/// `denied`).
pub const ADMISSIONS: &str = "promop_admission_reviews_total";
/// Always 1, with the `version` label.
pub const BUILD_INFO: &str = "promop_build_info";

/// Reconciles last milliseconds to a few seconds (large configurations).
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static CACHES_READY: AtomicBool = AtomicBool::new(false);
static LEADING: AtomicBool = AtomicBool::new(false);

/// Installs the process-wide recorder (idempotent) and returns the handle
/// that renders the Prometheus text format.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(RECONCILE_DURATION.to_owned()),
            &DURATION_BUCKETS,
        )?
        .install_recorder()?;
    let handle = HANDLE.get_or_init(|| handle).clone();
    describe();
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    gauge!(LEADER).set(0.0);
    gauge!(CACHES_SYNCED).set(0.0);
    Ok(handle)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(RECONCILES, "Reconciles by controller and result.");
    describe_counter!(
        WRITES_REFUSED,
        "Writes refused because leadership was not certain."
    );
    describe_counter!(
        CONVERSIONS,
        "AlertmanagerConfigs converted by the webhook, by result."
    );
    describe_counter!(
        ADMISSIONS,
        "Admission reviews answered, by webhook and result."
    );
    describe_counter!(
        crate::kubelet::SYNCS,
        "Syncs of the kubelet Endpoints/EndpointSlices, by resource."
    );
    describe_counter!(
        crate::kubelet::SYNC_ERRORS,
        "Failed syncs of the kubelet Endpoints/EndpointSlices, by resource."
    );
    describe_counter!(
        crate::kubelet::ADDRESS_ERRORS,
        "Nodes without a usable address for their kubelet."
    );
    describe_histogram!(
        RECONCILE_DURATION,
        metrics::Unit::Seconds,
        "Duration of reconciles by controller."
    );
    describe_counter!(
        RECONCILE_ERRORS,
        "Failed reconciles by controller and reason."
    );
    describe_counter!(WATCH_EVENTS, "Watch events received by kind.");
    describe_counter!(
        REJECTED,
        "Config objects skipped as invalid, by kind and reason."
    );
    describe_counter!(WRITES, "Objects created or changed, by kind.");
    describe_counter!(
        DEREFERENCE_MISSES,
        "Generations that read a Secret or ConfigMap not named by the dereference step."
    );
    describe_gauge!(
        LEADER,
        "1 while this replica is the leader (always 1 without --leader-elect)."
    );
    describe_gauge!(CACHES_SYNCED, "1 once the controllers' caches are synced.");
    describe_gauge!(BUILD_INFO, "promop's version.");
}

/// How a reconcile ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconcileResult {
    Success,
    /// Failed, with the error's stable reason (`Error::reason`).
    Error(&'static str),
}

/// One reconcile of `controller` (e.g. `prometheus`) ended.
pub fn reconciled(controller: &'static str, result: ReconcileResult, duration: Duration) {
    let label = match result {
        ReconcileResult::Success => "success",
        ReconcileResult::Error(reason) => {
            counter!(RECONCILE_ERRORS, "controller" => controller, "reason" => reason).increment(1);
            "error"
        }
    };
    counter!(RECONCILES, "controller" => controller, "result" => label).increment(1);
    histogram!(RECONCILE_DURATION, "controller" => controller).record(duration.as_secs_f64());
}

/// A watch event for an object of `kind` arrived.
pub fn watch_event(kind: &'static str) {
    counter!(WATCH_EVENTS, "kind" => kind).increment(1);
}

/// A config object of `kind` was skipped as invalid; `reason` is a short,
/// stable label (not the message, which names the object).
pub fn rejected(kind: &'static str, reason: &'static str) {
    counter!(REJECTED, "kind" => kind, "reason" => reason).increment(1);
}

/// An object of `kind` was created or changed.
pub fn written(kind: &'static str) {
    counter!(WRITES, "kind" => kind).increment(1);
}

/// The controllers' caches finished their first list: `/readyz` turns 200.
pub fn caches_synced() {
    CACHES_READY.store(true, Ordering::Relaxed);
    gauge!(CACHES_SYNCED).set(1.0);
}

/// This replica became the leader (or lost it).
pub fn watch_degraded(kind: &str, degraded: bool) {
    if degraded {
        tracing::warn!(kind, "the API refuses this watch; working without it");
    }
    gauge!(WATCH_DEGRADED, "kind" => kind.to_owned()).set(if degraded { 1.0 } else { 0.0 });
}

pub fn dereference_missed() {
    counter!(DEREFERENCE_MISSES).increment(1);
}

pub fn write_refused() {
    counter!(WRITES_REFUSED).increment(1);
}

pub fn set_leader(leading: bool) {
    LEADING.store(leading, Ordering::Relaxed);
    gauge!(LEADER).set(if leading { 1.0 } else { 0.0 });
}

/// Ready to serve: a leader once its caches are synced; a replica waiting
/// for the Lease at once (so rolling updates of several replicas proceed).
pub fn ready() -> bool {
    !LEADING.load(Ordering::Relaxed) || CACHES_READY.load(Ordering::Relaxed)
}
