//! Reflector caches of everything a generation reads, and the stream of what
//! changed in them. managedFields are stripped before caching (they are often
//! larger than the object itself), except promop's own entries on the objects
//! it writes: they say which fields a write must remove.
//!
//! Secrets and ConfigMaps are cached as metadata only: the content of the few
//! that generations reference is fetched on demand ([`crate::contents`]).
//! Every cached Secret and ConfigMap (metadata, written or fetched) loses its
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, a copy of
//! the object with its data ([`strip_data_copies`]). Secrets are watched
//! with `--secret-field-selector` (default: not Helm's release Secrets, which
//! hold whole charts and their values).
//! The objects promop writes (StatefulSets, Services, Secrets, ConfigMaps
//! labelled `app.kubernetes.io/managed-by=prometheus-operator`) are cached in
//! full, to write only what changed.
//!
//! With allow lists of namespaces, each kind is watched in its namespaces
//! only, one watch each ([`scope`], [`merge`]); Namespaces are then read
//! one by one unless promop may list them ([`polled`]).
mod echo;
mod merge;
mod polled;
pub mod scope;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, future};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{ListParams, ObjectMeta, PartialObjectMeta};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use promop_api::{v1, v1alpha1};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

pub use self::echo::Cache;
use self::scope::{Scope, Scopes};
use crate::error::Error;
use crate::options::Options;

/// The label selecting what the operators write (the reference's label, kept
/// so that a takeover finds the reference's objects).
pub const MANAGED_BY_SELECTOR: &str = "app.kubernetes.io/managed-by=prometheus-operator";

/// Read handles of the caches (cheap to clone).
#[derive(Clone)]
pub struct Stores {
    pub prometheuses: Store<v1::Prometheus>,
    pub prometheus_agents: Store<v1alpha1::PrometheusAgent>,
    pub alertmanagers: Store<v1::Alertmanager>,
    pub thanos_rulers: Store<v1::ThanosRuler>,
    pub alertmanager_configs: Store<v1alpha1::AlertmanagerConfig>,
    pub service_monitors: Store<v1::ServiceMonitor>,
    pub pod_monitors: Store<v1::PodMonitor>,
    pub probes: Store<v1::Probe>,
    pub scrape_configs: Store<v1alpha1::ScrapeConfig>,
    pub prometheus_rules: Store<v1::PrometheusRule>,
    pub namespaces: Store<Namespace>,
    pub secrets: Store<PartialObjectMeta<Secret>>,
    pub config_maps: Store<PartialObjectMeta<ConfigMap>>,
    pub owned: Owned,
    /// True once every cache but the workload ones (which the controllers
    /// wait for themselves) holds its first full list.
    ready: watch::Receiver<bool>,
    /// The kinds whose watch the API refuses.
    pub degraded: DegradedKinds,
}

/// The objects the operators write, in full.
#[derive(Clone)]
pub struct Owned {
    pub stateful_sets: Cache<StatefulSet>,
    /// Watched with the `PrometheusAgentDaemonSet` gate only (else empty:
    /// promop writes none and may lack the permission to list them).
    pub daemon_sets: Cache<DaemonSet>,
    pub services: Cache<Service>,
    pub secrets: Cache<Secret>,
    pub config_maps: Cache<ConfigMap>,
    /// The reloaders' Roles and RoleBindings, watched with
    /// `--config-reloader=promop-watch` only (else empty: promop writes
    /// none and may lack the permission to list them).
    pub roles: Cache<Role>,
    pub role_bindings: Cache<RoleBinding>,
}

/// Which kind of cached object changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    ServiceMonitor,
    PodMonitor,
    Probe,
    ScrapeConfig,
    PrometheusRule,
    AlertmanagerConfig,
    Namespace,
    Secret,
    ConfigMap,
    /// Something the operators wrote (StatefulSet, Service, Secret,
    /// ConfigMap): its owner references say for whom.
    Owned,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceMonitor => "ServiceMonitor",
            Self::PodMonitor => "PodMonitor",
            Self::Probe => "Probe",
            Self::ScrapeConfig => "ScrapeConfig",
            Self::PrometheusRule => "PrometheusRule",
            Self::AlertmanagerConfig => "AlertmanagerConfig",
            Self::Namespace => "Namespace",
            Self::Secret => "Secret",
            Self::ConfigMap => "ConfigMap",
            Self::Owned => "Owned",
        }
    }
}

/// A cached object that was added, changed or deleted.
#[derive(Clone, Debug)]
pub struct Touched {
    pub kind: Kind,
    /// Empty for a Namespace.
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub owners: Vec<OwnerReference>,
}

/// The caches, the watch streams of the workloads (for the controllers) and
/// one stream of every change of any other cached object.
pub struct Watches {
    pub stores: Stores,
    pub prometheuses: BoxStream<'static, Result<v1::Prometheus, watcher::Error>>,
    pub prometheus_agents: BoxStream<'static, Result<v1alpha1::PrometheusAgent, watcher::Error>>,
    pub alertmanagers: BoxStream<'static, Result<v1::Alertmanager, watcher::Error>>,
    pub thanos_rulers: BoxStream<'static, Result<v1::ThanosRuler, watcher::Error>>,
    pub changes: BoxStream<'static, Touched>,
    /// Resolves when the caches are ready (to be spawned).
    pub readiness: BoxFuture<'static, ()>,
}

impl Watches {
    /// Starts the watches (lazily: they run as their streams are polled).
    /// Kinds whose CRD is not installed get an empty cache and a warning, so
    /// that the other kinds keep working.
    pub async fn new(client: &Client, options: &Options) -> Self {
        let mut changes = Vec::new();
        let scopes = Scopes::new(&options.namespaces);
        let mut waits = Readiness::default();
        let workload = |scope| Source::new(client, scope, None);
        let (prometheuses, prometheus_stream) = cached(
            workload(&scopes.prometheuses),
            &mut waits,
            strip_managed_fields,
        )
        .await;
        let (prometheus_agents, agent_stream) = cached(
            workload(&scopes.prometheuses),
            &mut waits,
            strip_managed_fields,
        )
        .await;
        let (alertmanagers, alertmanager_stream) = cached(
            workload(&scopes.alertmanagers),
            &mut waits,
            strip_managed_fields,
        )
        .await;
        let (thanos_rulers, thanos_ruler_stream) = cached(
            workload(&scopes.thanos_rulers),
            &mut waits,
            strip_managed_fields,
        )
        .await;
        // The controllers wait for their own store.
        waits.waits.clear();
        let written = Source::new(client, &scopes.written, Some(MANAGED_BY_SELECTOR));
        let owned = Owned {
            stateful_sets: owned(written.clone(), &mut changes, &mut waits).await,
            daemon_sets: match options.objects.feature_enabled("PrometheusAgentDaemonSet") {
                true => owned(written.clone(), &mut changes, &mut waits).await,
                false => Cache::new(reflector::store().0),
            },
            services: owned(written.clone(), &mut changes, &mut waits).await,
            secrets: owned(written.clone(), &mut changes, &mut waits).await,
            config_maps: owned(written.clone(), &mut changes, &mut waits).await,
            roles: match options.reloader.watches() {
                true => owned(written.clone(), &mut changes, &mut waits).await,
                false => Cache::new(reflector::store().0),
            },
            role_bindings: match options.reloader.watches() {
                true => owned(written, &mut changes, &mut waits).await,
                false => Cache::new(reflector::store().0),
            },
        };
        let configs = Source::new(client, &scopes.configs, None);
        let referenced = |labels: &Option<String>, fields: &Option<String>| Source {
            config: filtered(labels, fields),
            ..Source::new(client, &scopes.referenced, None)
        };
        let (ready_tx, ready) = watch::channel(false);
        let stores = Stores {
            prometheuses,
            prometheus_agents,
            alertmanagers,
            thanos_rulers,
            alertmanager_configs: ticking(
                Source::new(client, &scopes.alertmanager_configs, None),
                Kind::AlertmanagerConfig,
                &mut changes,
                &mut waits,
            )
            .await,
            service_monitors: ticking(
                configs.clone(),
                Kind::ServiceMonitor,
                &mut changes,
                &mut waits,
            )
            .await,
            pod_monitors: ticking(configs.clone(), Kind::PodMonitor, &mut changes, &mut waits)
                .await,
            probes: ticking(configs.clone(), Kind::Probe, &mut changes, &mut waits).await,
            scrape_configs: ticking(
                configs.clone(),
                Kind::ScrapeConfig,
                &mut changes,
                &mut waits,
            )
            .await,
            prometheus_rules: ticking(configs, Kind::PrometheusRule, &mut changes, &mut waits)
                .await,
            namespaces: namespaces(client, &scopes.namespaces, &mut changes, &mut waits).await,
            secrets: metadata(
                referenced(
                    &options.selectors.secret_labels,
                    &options.selectors.secret_fields,
                ),
                Kind::Secret,
                &mut changes,
                &mut waits,
            ),
            config_maps: metadata(
                referenced(
                    &options.selectors.configmap_labels,
                    &options.selectors.configmap_fields,
                ),
                Kind::ConfigMap,
                &mut changes,
                &mut waits,
            ),
            owned,
            ready,
            degraded: waits.degraded.clone(),
        };
        Self {
            readiness: Box::pin(async move {
                // A dropped writer means shutdown: stay not ready.
                if futures::future::join_all(waits.waits)
                    .await
                    .into_iter()
                    .all(|ok| ok)
                {
                    ready_tx.send_replace(true);
                }
            }),
            stores,
            prometheuses: prometheus_stream,
            prometheus_agents: agent_stream,
            alertmanagers: alertmanager_stream,
            thanos_rulers: thanos_ruler_stream,
            changes: futures::stream::select_all(changes).boxed(),
        }
    }
}

impl Stores {
    /// Waits until every cache holds its first full list, so that a
    /// reconcile never writes a configuration built from partial caches.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        let mut ready = self.ready.clone();
        match tokio::time::timeout(timeout, ready.wait_for(|ready| *ready)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(Error::CachesNotReady(timeout)),
        }
    }
}

/// The caches' readiness, gathered as they are created.
#[derive(Default)]
struct Readiness {
    waits: Vec<BoxFuture<'static, bool>>,
    degraded: DegradedKinds,
}

/// The kinds whose watch the API refuses (RBAC, CRD removed), for the
/// workloads' status: what they do not see.
#[derive(Clone, Default)]
pub struct DegradedKinds(std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>);

impl DegradedKinds {
    fn set(&self, kind: &str, degraded: bool) {
        let mut kinds = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if degraded {
            kinds.insert(kind.to_owned());
        } else {
            kinds.remove(kind);
        }
    }

    /// `None` when every watch works.
    pub fn describe(&self) -> Option<String> {
        let kinds = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (!kinds.is_empty()).then(|| {
            let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
            format!(
                "the API server refuses to list or watch {} (RBAC or CRD missing): such objects are ignored",
                kinds.join(", ")
            )
        })
    }
}

/// Whether the API serves kind `K` (its CRD may be missing).
async fn served<K>(api: &Api<K>) -> bool
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    match api.list_metadata(&ListParams::default().limit(1)).await {
        Err(kube::Error::Api(status)) if status.code == 404 => false,
        // Other errors (RBAC, network) are the watcher's to retry and report.
        _ => true,
    }
}

type ObjectStream<K> = BoxStream<'static, Result<K, watcher::Error>>;

/// A namespaced kind promop caches.
trait Namespaced:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + DeserializeOwned
    + Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Namespaced for K where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static
{
}

type Events<K> = Result<watcher::Event<K>, watcher::Error>;

/// Where and what a cache of a namespaced kind watches.
#[derive(Clone)]
struct Source {
    client: Client,
    scope: Scope,
    config: watcher::Config,
}

impl Source {
    /// Objects in `scope` (with `labels` as label selector).
    fn new(client: &Client, scope: &Scope, labels: Option<&str>) -> Self {
        let config = watcher::Config::default();
        Self {
            client: client.clone(),
            scope: scope.clone(),
            config: match labels {
                Some(selector) => config.labels(selector),
                None => config,
            },
        }
    }

    /// The API of the whole cluster or of the first namespace, to probe.
    fn probe<K>(&self) -> Api<K>
    where
        K: Resource<DynamicType = (), Scope = NamespaceResourceScope>,
    {
        match &self.scope {
            Scope::Namespaces(namespaces) if let Some(first) = namespaces.first() => {
                Api::namespaced(self.client.clone(), first)
            }
            _ => Api::all(self.client.clone()),
        }
    }
}

/// A cache of the objects of kind `K` of `source` and the stream that fills
/// it; its readiness joins `waits`. An unserved kind gets an empty, ready
/// cache.
async fn cached<K>(
    source: Source,
    waits: &mut Readiness,
    trim: fn(&mut K),
) -> (Store<K>, ObjectStream<K>)
where
    K: Namespaced,
{
    let (reader, mut writer) = reflector::store();
    if !served(&source.probe::<K>()).await {
        tracing::warn!(kind = %K::kind(&()), "not served by the API (CRD missing?), ignored");
        writer.apply_watcher_event(&watcher::Event::Init);
        writer.apply_watcher_event(&watcher::Event::InitDone);
        return (reader, futures::stream::pending().boxed());
    }
    let stream = reflected(source, trim, reader.clone(), writer, waits);
    (reader, stream)
}

/// The watches filling a cache: one for the cluster, or one per namespace
/// merged into the cache ([`merge`]).
fn reflected<K>(
    source: Source,
    trim: fn(&mut K),
    reader: Store<K>,
    writer: reflector::store::Writer<K>,
    waits: &mut Readiness,
) -> ObjectStream<K>
where
    K: Namespaced,
{
    let kind = K::kind(&()).to_string();
    let watch = |api: Api<K>, label: String| {
        let events = watcher(api, source.config.clone())
            .backoff(WatchBackoff::default())
            .modify(trim);
        refusals(events, label, waits.degraded.clone())
    };
    let Scope::Namespaces(namespaces) = &source.scope else {
        let (events, refused) = watch(Api::all(source.client.clone()), kind);
        return filled(events, refused, reader, writer, waits);
    };
    let mut streams = Vec::new();
    let mut listed = Vec::new();
    for namespace in namespaces {
        let api = Api::namespaced(source.client.clone(), namespace);
        let (events, refused) = watch(api, format!("{kind} in {namespace}"));
        let (listed_tx, listed_rx) = watch::channel(false);
        let events = merge::namespace_events(namespace.clone(), events, reader.clone(), listed_tx);
        streams.push(events.boxed());
        listed.push(ready_or_refused(changed_to_true(listed_rx), refused));
    }
    waits.waits.push(Box::pin(async move {
        futures::future::join_all(listed)
            .await
            .into_iter()
            .all(|ok| ok)
    }));
    changed_objects(merge::merged(streams).reflect(writer), reader)
}

/// The cache filled by one stream of watch events, with deletions missed
/// while it was down ([`changed_objects`]). The cache's readiness joins
/// `waits`.
fn filled<K>(
    events: impl futures::Stream<Item = Events<K>> + Send + 'static,
    refused: watch::Receiver<bool>,
    reader: Store<K>,
    writer: reflector::store::Writer<K>,
    waits: &mut Readiness,
) -> ObjectStream<K>
where
    K: Resource<DynamicType = ()> + Clone + Debug + Send + Sync + 'static,
{
    let ready = {
        let reader = reader.clone();
        async move { reader.wait_until_ready().await.is_ok() }
    };
    waits.waits.push(Box::pin(ready_or_refused(ready, refused)));
    changed_objects(events.reflect(writer), reader)
}

/// A watch the API refuses (403: RBAC, 404: CRD removed) counts as ready
/// with what the cache holds, so that one kind (or one namespace of it)
/// cannot stall every workload: it is logged and exported as
/// `promop_watch_degraded{kind}` (`label`: the kind, and the namespace when
/// watched per namespace) until it recovers. The receiver says whether it
/// is refused now.
fn refusals<K>(
    events: impl futures::Stream<Item = Events<K>> + Send + 'static,
    label: String,
    registry: DegradedKinds,
) -> (
    impl futures::Stream<Item = Events<K>> + Send + 'static,
    watch::Receiver<bool>,
) {
    let (degraded_tx, degraded) = watch::channel(false);
    let events = events.inspect(move |event| {
        let refused = matches!(event, Err(watcher::Error::InitialListFailed(e)
                | watcher::Error::WatchStartFailed(e)) if is_refusal(e));
        if *degraded_tx.borrow() != refused && (refused || event.is_ok()) {
            degraded_tx.send_replace(refused);
            registry.set(&label, refused);
            crate::telemetry::watch_degraded(&label, refused);
        }
    });
    (events, degraded)
}

/// Resolves to true when `ready` does or the watch is refused.
async fn ready_or_refused(
    ready: impl std::future::Future<Output = bool>,
    mut refused: watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        ready = ready => ready,
        refused = refused.wait_for(|d| *d) => refused.is_ok(),
    }
}

async fn changed_to_true(mut flag: watch::Receiver<bool>) -> bool {
    flag.wait_for(|f| *f).await.is_ok()
}

/// Watch retries: 250 ms doubling up to 4 s, ±20% jitter, from the start
/// again after a success. kube's default goes up to 30 s: after a 20 s API
/// server outage a watch could stay down for half a minute more, and a
/// PrometheusRule changed right after the outage reached its rule file that
/// late (found by the fault suite, `faults.rs`).
struct WatchBackoff {
    next: Duration,
    jitter: std::collections::hash_map::RandomState,
}

impl WatchBackoff {
    const FIRST: Duration = Duration::from_millis(250);
    const MAX: Duration = Duration::from_secs(4);
}

impl Default for WatchBackoff {
    fn default() -> Self {
        Self {
            next: Self::FIRST,
            jitter: Default::default(),
        }
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        use std::hash::{BuildHasher, Hasher};
        let current = self.next;
        self.next = (current * 2).min(Self::MAX);
        let mut hasher = self.jitter.build_hasher();
        hasher.write_u128(current.as_nanos());
        // A factor in [0.8, 1.2): replicas and kinds do not retry in step.
        let factor = 0.8 + (hasher.finish() % 400) as f64 / 1000.0;
        Some(current.mul_f64(factor))
    }
}

impl kube::runtime::utils::Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

/// Errors that retrying will not cure by itself.
fn is_refusal(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 403 || status.code == 404)
}

fn strip_managed_fields<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

/// The annotation in which `kubectl apply` keeps the whole object it
/// applied: a Secret's data, base64-encoded but in clear.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Removes what repeats a Secret's or ConfigMap's data (or just weighs)
/// from metadata before it is cached: the [`LAST_APPLIED`] annotation and
/// managedFields.
pub fn strip_data_copies(metadata: &mut ObjectMeta) {
    metadata.managed_fields = None;
    strip_last_applied(metadata);
}

fn strip_last_applied(metadata: &mut ObjectMeta) {
    if let Some(annotations) = &mut metadata.annotations {
        annotations.remove(LAST_APPLIED);
    }
}

/// What the caches of written objects keep: promop's and the reference's
/// managedFields entries (field paths such as `f:data/f:key`, no values:
/// [`keep_own_managed_fields`]), and no [`LAST_APPLIED`] copy.
fn trim_written<K: Resource>(object: &mut K) {
    keep_own_managed_fields(object);
    strip_last_applied(object.meta_mut());
}

/// Keeps only the fields our own applies claimed (a field promop no longer
/// wants is found there, [`crate::apply::owns_only_desired`]) and those the
/// reference operator wrote (taken over when stale).
fn keep_own_managed_fields<K: Resource>(object: &mut K) {
    if let Some(entries) = &mut object.meta_mut().managed_fields {
        entries.retain(|e| {
            let manager = e.manager.as_deref();
            manager == Some(crate::apply::FIELD_MANAGER)
                || manager == Some(crate::apply::REFERENCE_MANAGER)
        });
    }
}

/// A cache of kind `K` whose changes go to `changes` as `kind`.
async fn ticking<K>(
    source: Source,
    kind: Kind,
    changes: &mut Vec<BoxStream<'static, Touched>>,
    waits: &mut Readiness,
) -> Store<K>
where
    K: Namespaced,
{
    let (store, stream) = cached(source, waits, strip_managed_fields).await;
    changes.push(touched(stream, move |_| kind));
    store
}

/// A cache of what the operators wrote of kind `K`; the echoes of
/// promop's own writes change nothing ([`echo`]).
async fn owned<K>(
    source: Source,
    changes: &mut Vec<BoxStream<'static, Touched>>,
    waits: &mut Readiness,
) -> Cache<K>
where
    K: Namespaced,
{
    let (store, stream) = cached(source, waits, trim_written).await;
    let cache = Cache::new(store);
    let echoes = cache.clone();
    let stream = stream.filter(move |event| {
        let (echoes, object) = (echoes.clone(), event.as_ref().ok().cloned());
        async move {
            match object {
                Some(object) => !echoes.is_echo(&object).await,
                None => true,
            }
        }
    });
    changes.push(touched(stream.boxed(), |_| Kind::Owned));
    cache
}

/// The cache of Namespaces (their labels): all of them, those of the allow
/// lists watched by label (`kubernetes.io/metadata.name in (…)`) when promop
/// may list and watch Namespaces, else those read one by one ([`polled`]).
async fn namespaces(
    client: &Client,
    scope: &Scope,
    changes: &mut Vec<BoxStream<'static, Touched>>,
    waits: &mut Readiness,
) -> Store<Namespace> {
    let (reader, writer) = reflector::store();
    let registry = waits.degraded.clone();
    let listed = match scope {
        Scope::Cluster => None,
        Scope::Namespaces(names) => Some(names),
    };
    let stream = match listed {
        Some(names) if !polled::may_list_namespaces(client).await => {
            tracing::info!(
                interval = ?polled::POLL_INTERVAL,
                "no permission to list and watch Namespaces: reading the watched ones one by one"
            );
            let events =
                polled::namespaces(client.clone(), names.clone()).modify(strip_managed_fields);
            let (events, refused) = refusals(events, "Namespace".into(), registry);
            filled(events, refused, reader.clone(), writer, waits)
        }
        listed => {
            let config = match listed {
                Some(names) => {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    watcher::Config::default().labels(&format!(
                        "kubernetes.io/metadata.name in ({})",
                        names.join(",")
                    ))
                }
                None => watcher::Config::default(),
            };
            let events = watcher(Api::all(client.clone()), config)
                .backoff(WatchBackoff::default())
                .modify(strip_managed_fields);
            let (events, refused) = refusals(events, "Namespace".into(), registry);
            filled(events, refused, reader.clone(), writer, waits)
        }
    };
    changes.push(touched(stream, |_| Kind::Namespace));
    reader
}

/// A watch limited by `--secret-label-selector` and the like (an empty
/// selector selects everything).
fn filtered(labels: &Option<String>, fields: &Option<String>) -> watcher::Config {
    let mut config = watcher::Config::default();
    if let Some(labels) = labels.as_deref().filter(|l| !l.is_empty()) {
        config = config.labels(labels);
    }
    if let Some(fields) = fields.as_deref().filter(|f| !f.is_empty()) {
        config = config.fields(fields);
    }
    config
}

/// A metadata-only cache of kind `K`.
fn metadata<K>(
    source: Source,
    kind: Kind,
    changes: &mut Vec<BoxStream<'static, Touched>>,
    waits: &mut Readiness,
) -> Store<PartialObjectMeta<K>>
where
    K: Namespaced,
{
    let (reader, writer) = reflector::store();
    let strip = |object: &mut PartialObjectMeta<K>| strip_data_copies(&mut object.metadata);
    let stream = reflected(source, strip, reader.clone(), writer, waits);
    changes.push(touched(stream, move |_| kind));
    reader
}

/// The objects a watch added, changed or deleted — including those deleted
/// while it was down: a relist (after 410 Gone, an API server restart)
/// replaces the cache without a Delete event, so the objects the old cache
/// held and the relist did not return are yielded at its end.
fn changed_objects<K>(
    events: impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
    store: Store<K>,
) -> ObjectStream<K>
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    use std::collections::HashMap;
    // At `Init` the store still holds the previous list (the reflector swaps
    // at `InitDone`).
    let mut before: Option<HashMap<reflector::ObjectRef<K>, std::sync::Arc<K>>> = None;
    events
        .flat_map(move |event| {
            let out: Vec<Result<K, watcher::Error>> = match event {
                Ok(watcher::Event::Apply(object) | watcher::Event::Delete(object)) => {
                    vec![Ok(object)]
                }
                Ok(watcher::Event::Init) => {
                    before = Some(
                        store
                            .state()
                            .into_iter()
                            .map(|o| (reflector::ObjectRef::from_obj(o.as_ref()), o))
                            .collect(),
                    );
                    Vec::new()
                }
                Ok(watcher::Event::InitApply(object)) => {
                    if let Some(before) = &mut before {
                        before.remove(&reflector::ObjectRef::from_obj(&object));
                    }
                    vec![Ok(object)]
                }
                Ok(watcher::Event::InitDone) => before
                    .take()
                    .into_iter()
                    .flat_map(HashMap::into_values)
                    .map(|gone| Ok(gone.as_ref().clone()))
                    .collect(),
                Err(error) => vec![Err(error)],
            };
            futures::stream::iter(out)
        })
        .boxed()
}

/// The changes of a watch as [`Touched`]; watch errors are logged (the
/// watcher retries with backoff by itself).
fn touched<K>(
    stream: BoxStream<'static, Result<K, watcher::Error>>,
    kind: impl Fn(&K) -> Kind + Send + 'static,
) -> BoxStream<'static, Touched>
where
    K: Resource + 'static,
    K::DynamicType: Default,
{
    stream
        .filter_map(move |event| {
            future::ready(match event {
                Ok(object) => Some(Touched {
                    kind: kind(&object),
                    namespace: object.namespace().unwrap_or_default(),
                    name: object.name_any(),
                    labels: object.labels().clone(),
                    owners: object.owner_references().to_vec(),
                }),
                Err(error) => {
                    tracing::warn!(kind = %K::kind(&K::DynamicType::default()), %error, "watch failed, retrying");
                    None
                }
            })
        })
        .boxed()
}

#[cfg(test)]
mod tests;
