//! Caches → [`Snapshot`]: the core's input, filled from the reflector stores
//! and the fetched contents of referenced Secrets and ConfigMaps.
//!
//! A generation tells which Secrets and ConfigMaps it looked up
//! (`Snapshot::reads`); those not fetched yet are fetched and the
//! generation runs again, until it reads nothing new.
mod sorted;

use std::collections::BTreeMap;
use std::sync::Arc;

use kube::ResourceExt;
use promop_core::snapshot::{ObjectKey, Objects, ReferenceCache, Snapshot};

pub use self::sorted::SortedObjects;
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

/// What snapshots keep for the next ones: the key references of the
/// config objects (walked once per version) and each kind's order.
#[derive(Clone, Default)]
pub struct Kept {
    pub references: ReferenceCache,
    pub sorted: SortedObjects,
}

/// Everything the caches hold, with objects in (namespace, name) order,
/// shared with the caches (nothing is copied but the Namespaces' labels),
/// and the key references kept by earlier snapshots.
pub fn from_stores(stores: &Stores, fetched: &Fetched, kept: &Kept) -> Snapshot {
    let mut gone = false;
    let snapshot = Snapshot {
        namespaces: stores
            .namespaces
            .state()
            .iter()
            .map(|ns| (ns.name_any(), ns.as_ref().clone()))
            .collect(),
        secrets: keyed(fetched.secrets.current(&stores.secrets)),
        config_maps: keyed(fetched.config_maps.current(&stores.config_maps)),
        prometheuses: sorted(kept, &mut gone, stores.prometheuses.state()),
        prometheus_agents: sorted(kept, &mut gone, stores.prometheus_agents.state()),
        alertmanagers: sorted(kept, &mut gone, stores.alertmanagers.state()),
        thanos_rulers: sorted(kept, &mut gone, stores.thanos_rulers.state()),
        alertmanager_configs: sorted(kept, &mut gone, stores.alertmanager_configs.state()),
        service_monitors: sorted(kept, &mut gone, stores.service_monitors.state()),
        pod_monitors: sorted(kept, &mut gone, stores.pod_monitors.state()),
        probes: sorted(kept, &mut gone, stores.probes.state()),
        scrape_configs: sorted(kept, &mut gone, stores.scrape_configs.state()),
        prometheus_rules: sorted(kept, &mut gone, stores.prometheus_rules.state()),
        references: kept.references.clone(),
        ..Snapshot::default()
    };
    // Deletions are rare, and finding which references went with them
    // reads every object.
    if gone {
        snapshot.forget_gone_references();
    }
    snapshot
}

/// `objects` in their kept order; notes in `gone` whether one went.
fn sorted<K>(kept: &Kept, gone: &mut bool, objects: Vec<Arc<K>>) -> Objects<K>
where
    K: ResourceExt + Send + Sync + 'static,
{
    let (objects, changes) = kept.sorted.of(objects);
    *gone |= changes.gone;
    Objects::shared(objects)
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
