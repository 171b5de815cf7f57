//! Leader election on a `coordination.k8s.io/v1` Lease, with client-go's
//! semantics, so that several replicas can run with one active:
//!
//! * acquire: a free Lease (no holder) at once; a held one only after it
//!   was seen unchanged for its `leaseDurationSeconds` (measured on this
//!   replica's clock, so clock skew between nodes does not matter);
//! * every write carries the `resourceVersion` that was read: of two
//!   replicas racing for the Lease, the apiserver lets one win;
//! * renew every retry period, on a task of its own (reconciles cannot
//!   starve it); a 409 is retried until the renew deadline; a leader that
//!   cannot renew for the renew deadline, or finds another holder, stops
//!   leading (and `promop run` exits non-zero, like client-go's
//!   `OnStoppedLeading`);
//! * writes stop before anyone else may lead: the [`WriteGate`] lets the
//!   work's client write only while `now < start of the last successful
//!   renewal + renew deadline`, and the lease duration exceeds the renew
//!   deadline by at least two retry periods ([`Config::check`]). A replica
//!   acquires only after seeing the Lease unchanged for the lease duration,
//!   counted from after that renewal reached the API server;
//! * on a graceful stop the holder is cleared, so the next replica takes
//!   over at its next retry instead of after the lease duration.
//!
//! (kube-lease-manager supports kube 5 but judges expiry by the holder's
//! `renewTime` and keeps leading while renewals fail; hence this module.)
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::pin;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client};
use tokio::time::{Instant, sleep, timeout};

use crate::telemetry;

mod gate;
pub use gate::{NotLeader, WriteGate, WriteGateLayer};

/// Where the Lease is and how it is held.
#[derive(Clone, Debug)]
pub struct Config {
    pub namespace: String,
    pub name: String,
    /// This replica's `holderIdentity`; unique among the replicas.
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
    /// Opened while this replica may write; give the work a client built
    /// with [`WriteGate::layer`].
    pub gate: WriteGate,
}

impl Config {
    /// client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            identity: default_identity(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
            gate: WriteGate::default(),
        }
    }

    /// From `promop run`'s flags; the namespace defaults to the pod's.
    pub fn from_options(options: &crate::options::LeaderElection) -> Self {
        Self {
            lease_duration: options.lease_duration,
            renew_deadline: options.renew_deadline,
            retry_period: options.retry_period,
            ..Self::new(
                options.namespace.clone().unwrap_or_else(own_namespace),
                options.id.clone(),
            )
        }
    }
}

impl Config {
    /// Refuses durations that would let two replicas write at once: the
    /// lease must outlast the renew deadline by two retry periods (time for
    /// the last write to land and for clocks to tick), and the deadline must
    /// leave room for a retry.
    pub fn check(&self) -> Result<(), String> {
        check_durations([
            ("the lease duration", self.lease_duration),
            ("the renew deadline", self.renew_deadline),
            ("the retry period", self.retry_period),
        ])
    }
}

/// See [`Config::check`]; each duration with the name to report it by
/// (`promop run` names its flags).
pub fn check_durations(
    [
        (lease_name, lease),
        (deadline_name, deadline),
        (retry_name, retry),
    ]: [(&str, Duration); 3],
) -> Result<(), String> {
    if deadline <= retry {
        return Err(format!(
            "{deadline_name} ({deadline:?}) must be greater than {retry_name} ({retry:?})"
        ));
    }
    if lease.saturating_sub(deadline) < retry * 2 {
        return Err(format!(
            "{lease_name} ({lease:?}) must exceed {deadline_name} ({deadline:?}) by at least twice {retry_name} ({:?}), so that a leader stops writing before another replica may take over",
            retry * 2
        ));
    }
    Ok(())
}

/// `$POD_NAME` when set (unique in a namespace), else the host name with a
/// random suffix (two processes on one host must not share an identity).
pub fn default_identity() -> String {
    if let Ok(pod) = std::env::var("POD_NAME")
        && !pod.is_empty()
    {
        return pod;
    }
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "promop".to_owned());
    // RandomState is seeded from the OS's randomness.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{host}_{:08x}", random as u32)
}

/// The namespace of the pod (its service account's), else `default`.
fn own_namespace() -> String {
    std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        .ok()
        .map(|ns| ns.trim().to_owned())
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Leadership was lost (renewal failed past the deadline, or another
    /// replica holds the Lease); the work was stopped.
    #[error("leader election lost: {0}")]
    Lost(String),
    /// Durations that would let two replicas write at once.
    #[error("leader election: {0}")]
    Config(String),
}

/// Resolves when the work must stop (shared, `Sync` as kube's
/// `graceful_shutdown_on` wants it).
pub type Stop = Shared<BoxFuture<'static, ()>>;

/// Waits for the Lease, then runs `work` while holding it.
///
/// `work` receives a future that resolves when it must stop: on `shutdown`
/// or when leadership is lost. After a shutdown the Lease is renewed until
/// `work` returns, then released. After a loss the write gate is closed at
/// once, `work` gets one retry period to return, then is dropped, and
/// [`Error::Lost`] is returned. A `shutdown` before the Lease was acquired
/// returns `Ok` without running `work`.
pub async fn run_when_leader<W, F>(
    client: Client,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    work: W,
) -> Result<(), Error>
where
    W: FnOnce(Stop) -> F,
    F: Future<Output = ()>,
{
    config.check().map_err(Error::Config)?;
    let shutdown = shutdown.boxed().shared();
    let mut lease = LeaseLock::new(client.clone(), config.clone());

    tracing::info!(lease = %lease.describe(), identity = %config.identity, "waiting for leadership");
    let acquired = loop {
        let attempt = Instant::now();
        match lease.try_acquire_or_renew().await {
            Ok(Attempt::Held) => break attempt,
            Ok(Attempt::HeldByOther | Attempt::Conflict) => {}
            Err(error) => {
                tracing::warn!(%error, lease = %lease.describe(), "cannot acquire the lease")
            }
        }
        tokio::select! {
            () = shutdown.clone() => return Ok(()),
            () = sleep(config.retry_period) => {}
        }
    };
    config.gate.open_until(acquired + config.renew_deadline);
    tracing::info!(lease = %lease.describe(), identity = %config.identity, "leadership acquired");
    telemetry::set_leader(true);

    // Renewals run on their own task: a busy reconcile cannot delay them.
    let mut renewals = AbortOnDrop(tokio::spawn(keep_renewing(lease, acquired)));
    let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<()>();
    let stop = {
        let shutdown = shutdown.clone();
        async move {
            tokio::select! {
                () = shutdown => {}
                _ = lost_rx => {}
            }
        }
        .boxed()
        .shared()
    };
    let mut work = pin!(work(stop));
    let lost = tokio::select! {
        () = &mut work => None,
        renewed = &mut renewals.0 => Some(match renewed {
            Ok(reason) => reason,
            Err(error) => format!("the renewal task failed: {error}"),
        }),
    };
    config.gate.close();
    telemetry::set_leader(false);
    match lost {
        None => {
            drop(renewals);
            let mut lease = LeaseLock::new(client, config.clone());
            match lease.release().await {
                Ok(()) => tracing::info!(lease = %lease.describe(), "leadership released"),
                Err(error) => {
                    tracing::warn!(%error, lease = %lease.describe(), "cannot release the lease; others take over when it expires")
                }
            }
            Ok(())
        }
        Some(reason) => {
            tracing::error!(%reason, "leadership lost, stopping");
            lost_tx.send(()).ok();
            timeout(config.retry_period, work).await.ok();
            Err(Error::Lost(reason))
        }
    }
}
/// The renewal task ends with `run_when_leader`, even when its future is
/// dropped (a leader that dies must stop renewing).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews the Lease every retry period until it is lost; returns why. The
/// write gate stays open until the start of the last successful renewal
/// plus the renew deadline, and is closed before this returns.
async fn keep_renewing(mut lease: LeaseLock, acquired: Instant) -> String {
    let config = lease.config.clone();
    let mut renewed = acquired;
    loop {
        sleep(config.retry_period).await;
        let deadline = renewed + config.renew_deadline;
        let attempt = Instant::now();
        if attempt >= deadline {
            break;
        }
        match tokio::time::timeout_at(deadline, lease.try_acquire_or_renew()).await {
            Ok(Ok(Attempt::Held)) => {
                renewed = attempt;
                config.gate.open_until(attempt + config.renew_deadline);
            }
            Ok(Ok(Attempt::HeldByOther)) => {
                config.gate.close();
                return format!("{} is held by another replica", lease.describe());
            }
            // Our resourceVersion was stale (e.g. a renewal that timed out
            // but landed): read it again at the next attempt.
            Ok(Ok(Attempt::Conflict)) => {
                tracing::debug!(lease = %lease.describe(), "renewal conflict, retrying")
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, lease = %lease.describe(), "cannot renew the lease")
            }
            Err(_) => tracing::warn!(lease = %lease.describe(), "renewing the lease timed out"),
        }
    }
    config.gate.close();
    format!(
        "{} not renewed within {:?}",
        lease.describe(),
        config.renew_deadline
    )
}

/// What an attempt to acquire or renew found.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// This replica holds the Lease, renewed now.
    Held,
    /// Another replica holds it and has not let it expire.
    HeldByOther,
    /// Another write raced ours (stale resourceVersion, or created meanwhile).
    Conflict,
}

/// The Lease as this replica last saw it.
struct LeaseLock {
    api: Api<Lease>,
    config: Config,
    /// The last Lease read and when its spec was first seen (local clock).
    observed: Option<(Lease, Instant)>,
}

impl LeaseLock {
    fn new(client: Client, config: Config) -> Self {
        Self {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: None,
        }
    }

    fn describe(&self) -> String {
        format!("Lease {}/{}", self.config.namespace, self.config.name)
    }

    /// One attempt to hold the Lease.
    async fn try_acquire_or_renew(&mut self) -> Result<Attempt, kube::Error> {
        let now = MicroTime(Timestamp::now());
        let Some(current) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.held_spec(None, now)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => self.written(created),
                Err(e) if is_conflict(&e) => Ok(Attempt::Conflict),
                Err(e) => Err(e),
            };
        };
        self.observe(&current);
        let spec = current.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.as_deref().filter(|h| !h.is_empty());
        let ours = holder == Some(self.config.identity.as_str());
        if holder.is_some() && !ours && !self.observed_expired(&spec) {
            return Ok(Attempt::HeldByOther);
        }
        let updated = Lease {
            metadata: current.metadata.clone(),
            spec: Some(self.held_spec(Some(&spec), now)),
        };
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &updated)
            .await
        {
            Ok(written) => self.written(written),
            // Someone else wrote first; the next attempt reads their Lease.
            Err(e) if is_conflict(&e) => Ok(Attempt::Conflict),
            Err(e) => Err(e),
        }
    }

    /// The spec that says "held by us, renewed now".
    fn held_spec(&self, previous: Option<&LeaseSpec>, now: MicroTime) -> LeaseSpec {
        let previous_holder = previous
            .and_then(|s| s.holder_identity.as_deref())
            .filter(|h| !h.is_empty());
        let ours = previous_holder == Some(self.config.identity.as_str());
        let transitions = previous.and_then(|s| s.lease_transitions).unwrap_or(0);
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            lease_duration_seconds: Some(self.config.lease_duration.as_secs().max(1) as i32),
            acquire_time: match previous {
                Some(spec) if ours => spec.acquire_time.clone(),
                _ => Some(now.clone()),
            },
            renew_time: Some(now),
            // client-go counts every change of holder, not the creation.
            lease_transitions: Some(match previous {
                None => 0,
                Some(_) if ours => transitions,
                Some(_) => transitions + 1,
            }),
            ..previous.cloned().unwrap_or_default()
        }
    }

    fn written(&mut self, lease: Lease) -> Result<Attempt, kube::Error> {
        self.observed = Some((lease, Instant::now()));
        Ok(Attempt::Held)
    }

    /// Restarts the expiry clock whenever the spec changed since last seen.
    fn observe(&mut self, lease: &Lease) {
        let unchanged = matches!(&self.observed, Some((seen, _)) if seen.spec == lease.spec);
        if !unchanged {
            self.observed = Some((lease.clone(), Instant::now()));
        }
    }

    /// The holder has not renewed for the lease duration it announced.
    fn observed_expired(&self, spec: &LeaseSpec) -> bool {
        let duration = spec
            .lease_duration_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map_or(self.config.lease_duration, Duration::from_secs);
        self.observed
            .as_ref()
            .is_some_and(|(_, since)| since.elapsed() >= duration)
    }

    /// Clears the holder if it is still us, so another replica acquires now.
    async fn release(&mut self) -> Result<(), kube::Error> {
        let Some(current) = self.api.get_opt(&self.config.name).await? else {
            return Ok(());
        };
        let spec = current.spec.clone().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(());
        }
        let released = Lease {
            metadata: current.metadata,
            spec: Some(LeaseSpec {
                holder_identity: None,
                lease_duration_seconds: Some(1),
                renew_time: Some(MicroTime(Timestamp::now())),
                ..spec
            }),
        };
        self.api
            .replace(&self.config.name, &PostParams::default(), &released)
            .await
            .map(drop)
    }
}

/// 409: the resourceVersion was stale, or the Lease was created meanwhile.
fn is_conflict(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409)
}
