//! Caches → [`Snapshot`]: the core's input, filled from the reflector stores
//! and the fetched contents of referenced Secrets and ConfigMaps.
//!
//! A generation tells which Secrets and ConfigMaps it looked up
//! (`Snapshot::reads`); those not fetched yet are fetched and the
//! generation runs again, until it reads nothing new.
use std::collections::BTreeMap;
use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::Store;
use promop_core::snapshot::{ObjectKey, Objects, ReferenceCache, Snapshot};

use crate::contents::{ConfigMapContents, SecretContents};
use crate::stores::Stores;

/// Rounds of fetch-and-regenerate before giving up: a generation only reads
/// references of objects it already has, so two rounds suffice in practice.
pub const MAX_ROUNDS: usize = 4;

/// The fetched Secret and ConfigMap contents.
#[derive(Default)]
pub struct Fetched {
    pub secrets: SecretContents,
    pub config_maps: ConfigMapContents,
}

/// Everything the caches hold, with objects in (namespace, name) order,
/// shared with the caches (nothing is copied but the Namespaces' labels),
/// and the key references kept by earlier snapshots.
pub fn from_stores(stores: &Stores, fetched: &Fetched, references: &ReferenceCache) -> Snapshot {
    let snapshot = Snapshot {
        namespaces: stores
            .namespaces
            .state()
            .iter()
            .map(|ns| (ns.name_any(), ns.as_ref().clone()))
            .collect(),
        secrets: keyed(fetched.secrets.current(&stores.secrets)),
        config_maps: keyed(fetched.config_maps.current(&stores.config_maps)),
        prometheuses: sorted(&stores.prometheuses),
        prometheus_agents: sorted(&stores.prometheus_agents),
        alertmanagers: sorted(&stores.alertmanagers),
        thanos_rulers: sorted(&stores.thanos_rulers),
        alertmanager_configs: sorted(&stores.alertmanager_configs),
        service_monitors: sorted(&stores.service_monitors),
        pod_monitors: sorted(&stores.pod_monitors),
        probes: sorted(&stores.probes),
        scrape_configs: sorted(&stores.scrape_configs),
        prometheus_rules: sorted(&stores.prometheus_rules),
        references: references.clone(),
        ..Snapshot::default()
    };
    snapshot.forget_gone_references();
    snapshot
}

fn key<K: ResourceExt>(object: &K) -> ObjectKey {
    ObjectKey::new(object.namespace().unwrap_or_default(), object.name_any())
}

fn keyed<K: ResourceExt>(objects: Vec<Arc<K>>) -> BTreeMap<ObjectKey, Arc<K>> {
    objects
        .into_iter()
        .map(|object| (key(object.as_ref()), object))
        .collect()
}

fn sorted<K>(store: &Store<K>) -> Objects<K>
where
    K: ResourceExt<DynamicType = ()> + Clone + 'static,
{
    let mut objects: Vec<Arc<K>> = store.state();
    objects.sort_by_cached_key(|object| key(object.as_ref()));
    Objects::shared(objects)
}
