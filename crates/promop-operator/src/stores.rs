//! Reflector caches of everything a generation reads, and the stream of their
//! changes. managedFields are stripped before caching (they are often larger
//! than the object itself and never read).
//!
//! Follow-up (issue 5): Secrets and ConfigMaps are cached in full for now;
//! they should be watched metadata-only and fetched by reference.
use std::fmt::Debug;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, future};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use promop_api::{v1, v1alpha1};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::error::Error;

/// Read handles of the caches (cheap to clone).
#[derive(Clone)]
pub struct Stores {
    pub prometheuses: Store<v1::Prometheus>,
    pub prometheus_agents: Store<v1alpha1::PrometheusAgent>,
    pub service_monitors: Store<v1::ServiceMonitor>,
    pub pod_monitors: Store<v1::PodMonitor>,
    pub probes: Store<v1::Probe>,
    pub scrape_configs: Store<v1alpha1::ScrapeConfig>,
    pub prometheus_rules: Store<v1::PrometheusRule>,
    pub namespaces: Store<Namespace>,
    pub secrets: Store<Secret>,
    pub config_maps: Store<ConfigMap>,
    /// True once every cache but the Prometheus one (which the controller
    /// waits for itself) holds its first full list.
    ready: watch::Receiver<bool>,
}

/// The caches, the watch stream of Prometheus objects (for the controller)
/// and one stream that ticks on every change of any other cached object.
pub struct Watches {
    pub stores: Stores,
    pub prometheuses: BoxStream<'static, Result<v1::Prometheus, watcher::Error>>,
    pub changes: BoxStream<'static, ()>,
    /// Resolves when the caches are ready (to be spawned).
    pub readiness: BoxFuture<'static, ()>,
}

impl Watches {
    pub fn new(client: &Client) -> Self {
        let (prometheuses, prometheus_stream) = cached(Api::all(client.clone()));
        let mut changes = Vec::new();
        let (ready_tx, ready) = watch::channel(false);
        let stores = Stores {
            prometheuses,
            prometheus_agents: cached_ticking(client, &mut changes),
            service_monitors: cached_ticking(client, &mut changes),
            pod_monitors: cached_ticking(client, &mut changes),
            probes: cached_ticking(client, &mut changes),
            scrape_configs: cached_ticking(client, &mut changes),
            prometheus_rules: cached_ticking(client, &mut changes),
            namespaces: cached_ticking(client, &mut changes),
            secrets: cached_ticking(client, &mut changes),
            config_maps: cached_ticking(client, &mut changes),
            ready,
        };
        Self {
            readiness: Box::pin(readiness(stores.clone(), ready_tx)),
            stores,
            prometheuses: prometheus_stream,
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

/// Sets `ready` once the caches are filled. The only waiter on each store:
/// kube-runtime 5.0's `Store::wait_until_ready` wakes one waiter only
/// (a oneshot receiver shared behind a mutex keeps the last waker), so
/// concurrent reconciles must not wait on the stores themselves.
async fn readiness(stores: Stores, ready: watch::Sender<bool>) {
    let (a, b, c, d, e, f, g, h, i) = futures::join!(
        stores.prometheus_agents.wait_until_ready(),
        stores.service_monitors.wait_until_ready(),
        stores.pod_monitors.wait_until_ready(),
        stores.probes.wait_until_ready(),
        stores.scrape_configs.wait_until_ready(),
        stores.prometheus_rules.wait_until_ready(),
        stores.namespaces.wait_until_ready(),
        stores.secrets.wait_until_ready(),
        stores.config_maps.wait_until_ready(),
    );
    // A dropped writer means shutdown: stay not ready.
    if [a, b, c, d, e, f, g, h, i].iter().all(Result::is_ok) {
        ready.send_replace(true);
    }
}

/// A cache of all objects of kind `K` and the stream that fills it.
fn cached<K>(api: Api<K>) -> (Store<K>, BoxStream<'static, Result<K, watcher::Error>>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = watcher(api, watcher::Config::default())
        .default_backoff()
        .modify(|object: &mut K| object.meta_mut().managed_fields = None)
        .reflect(writer)
        .touched_objects()
        .boxed();
    (reader, stream)
}

/// A cache of all objects of kind `K`; its changes tick into `changes`.
fn cached_ticking<K>(client: &Client, changes: &mut Vec<BoxStream<'static, ()>>) -> Store<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (store, stream) = cached(Api::all(client.clone()));
    changes.push(ticks(stream));
    store
}

/// One tick per changed object; watch errors are logged (the watcher retries
/// with backoff by itself).
fn ticks<K: Resource<DynamicType = ()> + 'static>(
    stream: BoxStream<'static, Result<K, watcher::Error>>,
) -> BoxStream<'static, ()> {
    stream
        .filter_map(|event| {
            future::ready(match event {
                Ok(_) => Some(()),
                Err(error) => {
                    tracing::warn!(kind = %K::kind(&()), %error, "watch failed, retrying");
                    None
                }
            })
        })
        .boxed()
}
