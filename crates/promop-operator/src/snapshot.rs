//! Caches → [`Snapshot`]: the core's input, filled from the reflector stores.
//!
//! Follow-up (issue 5): this copies every cached object on each reconcile;
//! the snapshot should borrow (or share `Arc`s with) the stores instead.
use std::collections::BTreeMap;
use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::Store;
use promop_core::snapshot::{ObjectKey, Snapshot};

use crate::stores::Stores;

/// Everything the caches hold, with objects in (namespace, name) order.
pub fn from_stores(stores: &Stores) -> Snapshot {
    Snapshot {
        namespaces: stores
            .namespaces
            .state()
            .iter()
            .map(|ns| (ns.name_any(), ns.as_ref().clone()))
            .collect(),
        secrets: keyed(&stores.secrets),
        config_maps: keyed(&stores.config_maps),
        prometheuses: sorted(&stores.prometheuses),
        prometheus_agents: sorted(&stores.prometheus_agents),
        service_monitors: sorted(&stores.service_monitors),
        pod_monitors: sorted(&stores.pod_monitors),
        probes: sorted(&stores.probes),
        scrape_configs: sorted(&stores.scrape_configs),
        prometheus_rules: sorted(&stores.prometheus_rules),
        ..Snapshot::default()
    }
}

fn key<K: ResourceExt>(object: &K) -> ObjectKey {
    ObjectKey::new(object.namespace().unwrap_or_default(), object.name_any())
}

fn keyed<K>(store: &Store<K>) -> BTreeMap<ObjectKey, K>
where
    K: ResourceExt<DynamicType = ()> + Clone + 'static,
{
    store
        .state()
        .iter()
        .map(|object| (key(object.as_ref()), object.as_ref().clone()))
        .collect()
}

fn sorted<K>(store: &Store<K>) -> Vec<K>
where
    K: ResourceExt<DynamicType = ()> + Clone + 'static,
{
    let mut objects: Vec<Arc<K>> = store.state();
    objects.sort_by_key(|object| key(object.as_ref()));
    objects
        .iter()
        .map(|object| object.as_ref().clone())
        .collect()
}
