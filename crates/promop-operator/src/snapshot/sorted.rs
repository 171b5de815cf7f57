//! The objects of each cached kind in (namespace, name) order, kept between
//! snapshots: a reconcile takes two snapshots, and sorting thousands of
//! objects for each was a tenth of its work while one object had changed.
//!
//! The reflector stores replace an object's `Arc` when it changes, and the
//! kept order holds the `Arc`s it sorted: as long as it holds them, no other
//! object can have their addresses, so an address seen again is the same
//! object version.
use std::any::{Any, TypeId};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kube::ResourceExt;
use rustc_hash::FxHashSet;

/// The kept order of every kind.
#[derive(Clone, Default)]
pub struct SortedObjects(Arc<Mutex<HashMap<TypeId, Box<dyn Any + Send>>>>);

/// What [`SortedObjects::of`] found changed since the kind's last snapshot.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Some object is gone (deleted, not replaced by a newer version).
    pub gone: bool,
}

struct Kept<K> {
    sorted: Vec<Arc<K>>,
    addresses: FxHashSet<usize>,
}

impl SortedObjects {
    /// `objects` (a store's state, in any order) sorted by namespace and
    /// name, and whether some object kept last time is gone.
    pub fn of<K>(&self, objects: Vec<Arc<K>>) -> (Vec<Arc<K>>, Changes)
    where
        K: ResourceExt + Send + Sync + 'static,
    {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let entry = all.entry(TypeId::of::<K>()).or_insert_with(|| {
            Box::new(Kept::<K> {
                sorted: Vec::new(),
                addresses: FxHashSet::default(),
            })
        });
        let Some(kept) = entry.downcast_mut::<Kept<K>>() else {
            unreachable!("entries are keyed by their type");
        };
        let changes = kept.update(objects);
        (kept.sorted.clone(), changes)
    }
}

fn address<K>(object: &Arc<K>) -> usize {
    Arc::as_ptr(object) as usize
}

impl<K: ResourceExt> Kept<K> {
    fn update(&mut self, objects: Vec<Arc<K>>) -> Changes {
        let now: FxHashSet<usize> = objects.iter().map(address).collect();
        let mut added: Vec<Arc<K>> = (objects.into_iter())
            .filter(|o| !self.addresses.contains(&address(o)))
            .collect();
        if added.is_empty() && now.len() == self.addresses.len() {
            return Changes::default();
        }
        let mut removed = Vec::new();
        self.sorted.retain(|o| {
            let stays = now.contains(&address(o));
            if !stays {
                removed.push(o.clone());
            }
            stays
        });
        let added_uids: FxHashSet<&str> = added
            .iter()
            .filter_map(|o| o.meta().uid.as_deref())
            .collect();
        let gone = (removed.iter()).any(|o| {
            !o.meta()
                .uid
                .as_deref()
                .is_some_and(|uid| added_uids.contains(uid))
        });
        drop(added_uids);
        added.sort_unstable_by(|a, b| order(a.as_ref(), b.as_ref()));
        self.sorted = merge(std::mem::take(&mut self.sorted), added);
        self.addresses = now;
        Changes { gone }
    }
}

/// By namespace, then name, as `ObjectKey`s order.
fn order<K: ResourceExt>(a: &K, b: &K) -> Ordering {
    parts(a).cmp(&parts(b))
}

fn parts<K: ResourceExt>(object: &K) -> (&str, &str) {
    let meta = object.meta();
    let name = meta.name.as_ref().or(meta.generate_name.as_ref());
    (
        meta.namespace.as_deref().unwrap_or_default(),
        name.map_or("", String::as_str),
    )
}

/// Two sorted lists as one.
fn merge<K: ResourceExt>(a: Vec<Arc<K>>, b: Vec<Arc<K>>) -> Vec<Arc<K>> {
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = match order(x.as_ref(), y.as_ref()) {
            Ordering::Greater => b.next(),
            _ => a.next(),
        };
        merged.extend(next);
    }
    merged.extend(a);
    merged.extend(b);
    merged
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::ObjectMeta;

    use super::*;

    fn object(namespace: &str, name: &str, uid: &str) -> Arc<ConfigMap> {
        Arc::new(ConfigMap {
            metadata: ObjectMeta {
                namespace: Some(namespace.into()),
                name: Some(name.into()),
                uid: Some(uid.into()),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        })
    }

    fn names(objects: &[Arc<ConfigMap>]) -> Vec<String> {
        let key = |o: &Arc<ConfigMap>| {
            format!(
                "{}/{}@{}",
                o.namespace().unwrap_or_default(),
                o.name_any(),
                o.uid().unwrap_or_default()
            )
        };
        objects.iter().map(key).collect()
    }

    #[test]
    fn kept_order_follows_additions_updates_and_deletions() {
        let sorted = SortedObjects::default();
        let (a, b, c) = (
            object("a", "x", "1"),
            object("a-b", "x", "2"),
            object("a", "y", "3"),
        );
        let (first, changes) = sorted.of(vec![b.clone(), c.clone(), a.clone()]);
        assert_eq!(names(&first), ["a/x@1", "a/y@3", "a-b/x@2"]);
        assert_eq!(changes, Changes::default());
        // The same objects: the same order, nothing gone.
        let (same, changes) = sorted.of(vec![c.clone(), a.clone(), b.clone()]);
        assert_eq!(names(&same), names(&first));
        assert!(!changes.gone);
        // A newer version of a/y and a new a/w: in place, nothing gone.
        let (c2, w) = (object("a", "y", "3"), object("a", "w", "4"));
        let (updated, changes) = sorted.of(vec![a.clone(), b.clone(), c2.clone(), w.clone()]);
        assert_eq!(names(&updated), ["a/w@4", "a/x@1", "a/y@3", "a-b/x@2"]);
        assert!(Arc::ptr_eq(&updated[2], &c2));
        assert!(!changes.gone);
        // a/x deleted: gone.
        let (deleted, changes) = sorted.of(vec![b.clone(), c2.clone(), w.clone()]);
        assert_eq!(names(&deleted), ["a/w@4", "a/y@3", "a-b/x@2"]);
        assert!(changes.gone);
        // a/w deleted and created again (a new uid): gone too.
        let w2 = object("a", "w", "5");
        let (again, changes) = sorted.of(vec![b, c2, w2]);
        assert_eq!(names(&again), ["a/w@5", "a/y@3", "a-b/x@2"]);
        assert!(changes.gone);
    }
}
