//! Everything a generation depends on, read-only.
mod object_key;
mod references;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use promop_api::{v1, v1alpha1};
use rustc_hash::FxHashSet;

pub use self::object_key::{KeyRef, ObjectKey, by_key};
pub use self::references::{KeyReference, ReferenceCache, key_references};

/// The inputs of one generation: the workload CRs, the config CRs, the
/// namespaces (for their labels) and the Secrets/ConfigMaps referenced.
/// Objects are kept in a stable order (namespace, name), shared with the
/// operator's caches ([`Objects`]): a snapshot of thousands of objects is
/// taken per reconcile, and copying them was most of a reconcile's work.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub namespaces: BTreeMap<String, Namespace>,
    /// Generators look Secrets and ConfigMaps up through [`Snapshot::secret`]
    /// and [`Snapshot::config_map`] (never these maps directly), so that the
    /// operator learns which ones to fetch and watch.
    pub secrets: BTreeMap<ObjectKey, Arc<Secret>>,
    pub config_maps: BTreeMap<ObjectKey, Arc<ConfigMap>>,
    pub prometheuses: Objects<v1::Prometheus>,
    pub prometheus_agents: Objects<v1alpha1::PrometheusAgent>,
    pub alertmanagers: Objects<v1::Alertmanager>,
    pub thanos_rulers: Objects<v1::ThanosRuler>,
    pub service_monitors: Objects<v1::ServiceMonitor>,
    pub pod_monitors: Objects<v1::PodMonitor>,
    pub probes: Objects<v1::Probe>,
    pub scrape_configs: Objects<v1alpha1::ScrapeConfig>,
    pub prometheus_rules: Objects<v1::PrometheusRule>,
    pub alertmanager_configs: Objects<v1alpha1::AlertmanagerConfig>,
    /// The key references of the objects, kept per object version.
    pub references: ReferenceCache,
    /// The Secrets and ConfigMaps a generation looked up, found or not.
    /// The operator caches only their metadata and fetches the content of
    /// the ones generations read (see [`Snapshot::reads`]).
    pub reads: Reads,
}

/// Keys of the Secrets and ConfigMaps looked up through a [`Snapshot`].
/// Recording a lookup is not a side effect on the inputs: the generation's
/// result does not depend on it.
#[derive(Debug, Default)]
pub struct Reads(Mutex<ReadKeys>);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadKeys {
    pub secrets: BTreeSet<ObjectKey>,
    pub config_maps: BTreeSet<ObjectKey>,
}

impl Reads {
    /// What was looked up so far.
    pub fn keys(&self) -> ReadKeys {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ReadKeys> {
        // A panic while recording cannot leave the sets inconsistent.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Adds `namespace/name` to `read`, building its key only the first time.
fn note(read: &mut BTreeSet<ObjectKey>, namespace: &str, name: &str) {
    if !read.contains(&(namespace, name) as &dyn KeyRef) {
        read.insert(ObjectKey::new(namespace, name));
    }
}

impl Clone for Reads {
    fn clone(&self) -> Self {
        Self(Mutex::new(self.keys()))
    }
}

impl Snapshot {
    /// A Secret by namespace and name; the lookup is recorded in `reads`.
    pub fn secret(&self, namespace: &str, name: &str) -> Option<&Secret> {
        let found = by_key(&self.secrets, namespace, name).map(Arc::as_ref);
        note(&mut self.reads.lock().secrets, namespace, name);
        found
    }

    /// Records as read every Secret and ConfigMap that `object` (a config
    /// object, whose metadata is `meta`) references by key selector
    /// (`{name, key}`; under a `configMap` field a ConfigMap, elsewhere a
    /// Secret), whether or not its validation got to them.
    pub fn note_references(&self, meta: &ObjectMeta, object: &impl serde::Serialize) {
        let namespace = meta.namespace.as_deref().unwrap_or_default();
        let references = self.references.of(meta, object);
        let mut reads = self.reads.lock();
        for reference in references.iter() {
            let set = match reference.config_map {
                true => &mut reads.config_maps,
                false => &mut reads.secrets,
            };
            note(set, namespace, &reference.name);
        }
    }

    /// Forgets the kept key references of objects no longer in this
    /// snapshot (deleted).
    pub fn forget_gone_references(&self) {
        fn uids<K: kube_core::Resource>(objects: &Objects<K>) -> impl Iterator<Item = &str> {
            objects.iter().filter_map(|o| o.meta().uid.as_deref())
        }
        let live: FxHashSet<&str> = uids(&self.prometheuses)
            .chain(uids(&self.prometheus_agents))
            .chain(uids(&self.alertmanagers))
            .chain(uids(&self.thanos_rulers))
            .chain(uids(&self.service_monitors))
            .chain(uids(&self.pod_monitors))
            .chain(uids(&self.probes))
            .chain(uids(&self.scrape_configs))
            .chain(uids(&self.prometheus_rules))
            .chain(uids(&self.alertmanager_configs))
            .collect();
        self.references.retain(&live);
    }

    /// A ConfigMap by namespace and name; the lookup is recorded in `reads`.
    pub fn config_map(&self, namespace: &str, name: &str) -> Option<&ConfigMap> {
        let found = by_key(&self.config_maps, namespace, name).map(Arc::as_ref);
        note(&mut self.reads.lock().config_maps, namespace, name);
        found
    }

    /// The bytes of a Secret key, if the Secret and the key exist.
    pub fn secret_value(&self, namespace: &str, name: &str, key: &str) -> Option<&[u8]> {
        let secret = self.secret(namespace, name)?;
        if let Some(value) = secret.data.as_ref().and_then(|d| d.get(key)) {
            return Some(&value.0);
        }
        secret
            .string_data
            .as_ref()
            .and_then(|d| d.get(key))
            .map(String::as_bytes)
    }

    /// The value of a ConfigMap key, if the ConfigMap and the key exist.
    pub fn config_map_value(&self, namespace: &str, name: &str, key: &str) -> Option<&str> {
        let map = self.config_map(namespace, name)?;
        map.data.as_ref()?.get(key).map(String::as_str)
    }
}

/// The objects of one kind in a snapshot, each shared (an `Arc`) with the
/// cache it came from; read as `&K`.
#[derive(Debug)]
pub struct Objects<K>(Vec<Arc<K>>);

impl<K> Objects<K> {
    /// Objects already shared (the operator's cached ones), in order.
    pub fn shared(objects: Vec<Arc<K>>) -> Self {
        Self(objects)
    }

    pub fn push(&mut self, object: K) {
        self.0.push(Arc::new(object));
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.0.iter().map(Arc::as_ref)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn first(&self) -> Option<&K> {
        self.0.first().map(Arc::as_ref)
    }

    /// Replaces the first object that is the `same` as `object` with it,
    /// or appends it; says whether it replaced one.
    pub fn upsert(&mut self, object: K, same: impl Fn(&K, &K) -> bool) -> bool {
        match self.0.iter().position(|o| same(o, &object)) {
            Some(i) => {
                self.0[i] = Arc::new(object);
                true
            }
            None => {
                self.0.push(Arc::new(object));
                false
            }
        }
    }

    /// Keeps the objects `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.0.retain(|object| keep(object));
    }
}

impl<K: Clone> Objects<K> {
    /// The objects to change, each copied first if shared (as in
    /// [`IndexMut`](std::ops::IndexMut)).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut K> {
        self.0.iter_mut().map(Arc::make_mut)
    }
}

// Not derived: `K` itself need not be `Clone` or `Default`.
impl<K> Clone for Objects<K> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<K> Default for Objects<K> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K> FromIterator<K> for Objects<K> {
    fn from_iter<I: IntoIterator<Item = K>>(objects: I) -> Self {
        Self(objects.into_iter().map(Arc::new).collect())
    }
}

impl<K> From<Vec<K>> for Objects<K> {
    fn from(objects: Vec<K>) -> Self {
        objects.into_iter().collect()
    }
}

impl<K> Extend<K> for Objects<K> {
    fn extend<I: IntoIterator<Item = K>>(&mut self, objects: I) {
        self.0.extend(objects.into_iter().map(Arc::new));
    }
}

impl<K> std::ops::Index<usize> for Objects<K> {
    type Output = K;

    fn index(&self, i: usize) -> &K {
        &self.0[i]
    }
}

/// A shared object is copied before it changes (only tests and `lint`,
/// which edit their own snapshot, do).
impl<K: Clone> std::ops::IndexMut<usize> for Objects<K> {
    fn index_mut(&mut self, i: usize) -> &mut K {
        Arc::make_mut(&mut self.0[i])
    }
}

impl<'a, K> IntoIterator for &'a Objects<K> {
    type Item = &'a K;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Arc<K>>, fn(&'a Arc<K>) -> &'a K>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(Arc::as_ref)
    }
}
