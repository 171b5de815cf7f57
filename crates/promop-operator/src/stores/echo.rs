//! The caches of what promop writes remember the resourceVersion each of its
//! own writes returned, so that the watch event of that write (its echo) does
//! not re-queue the owner: the reconcile that wrote it already made the
//! object what the inputs want, and another would regenerate the whole
//! configuration for nothing (at 5,000 monitors, most of a second of CPU per
//! change, and a later change waits for it).
//!
//! Only an exact echo is dropped: the object as cached, still present, at
//! the very version the write returned. Anything else — another writer, a
//! deletion, a version promop did not write — re-queues as before.
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};

/// A cache of objects promop writes, with the versions of its own writes.
pub struct Cache<K: Resource<DynamicType = ()> + 'static> {
    store: Store<K>,
    written: Written,
}

impl<K: Resource<DynamicType = ()> + Clone + 'static> Clone for Cache<K> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            written: self.written.clone(),
        }
    }
}

impl<K: Resource<DynamicType = ()> + Clone + 'static> Cache<K> {
    pub(super) fn new(store: Store<K>) -> Self {
        Self {
            store,
            written: Written::default(),
        }
    }

    /// Notes that promop's write of `object` returned it at its version.
    pub fn wrote(&self, object: &K) {
        if let Some(version) = object.resource_version() {
            self.written.lock().insert(identity(object), version);
        }
    }

    /// Whether `object`, from the watch, is the echo of promop's own last
    /// write of it (then it concerns no one).
    pub(super) fn is_echo(&self, object: &K) -> bool {
        let Some(version) = object.resource_version() else {
            return false;
        };
        let wrote = self.written.lock().get(&identity(object)) == Some(&version);
        // A deleted object is gone from the cache when its event passes.
        wrote
            && self
                .store
                .get(&ObjectRef::from_obj(object))
                .is_some_and(|cached| cached.resource_version().as_ref() == Some(&version))
    }
}

impl<K: Resource<DynamicType = ()> + 'static> Deref for Cache<K> {
    type Target = Store<K>;

    fn deref(&self) -> &Store<K> {
        &self.store
    }
}

/// The version of promop's last write, by namespace and name.
#[derive(Clone, Default)]
struct Written(Arc<Mutex<HashMap<(String, String), String>>>);

impl Written {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn identity<K: Resource>(object: &K) -> (String, String) {
    (object.namespace().unwrap_or_default(), object.name_any())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Secret;
    use kube::runtime::watcher::Event;

    fn secret(version: &str) -> Secret {
        let mut secret = Secret::default();
        secret.metadata.name = Some("prometheus-main".into());
        secret.metadata.namespace = Some("monitoring".into());
        secret.metadata.resource_version = Some(version.into());
        secret
    }

    #[test]
    fn only_the_exact_version_written_and_still_cached_is_an_echo() {
        let (reader, mut writer) = kube::runtime::reflector::store();
        let cache = Cache::new(reader);
        writer.apply_watcher_event(&Event::Apply(secret("5")));
        assert!(!cache.is_echo(&secret("5")), "not written by promop");
        cache.wrote(&secret("5"));
        assert!(cache.is_echo(&secret("5")));
        // Someone else changed it after promop's write.
        writer.apply_watcher_event(&Event::Apply(secret("6")));
        assert!(!cache.is_echo(&secret("6")));
        // Deleted (the event carries the last version promop wrote).
        cache.wrote(&secret("6"));
        writer.apply_watcher_event(&Event::Delete(secret("6")));
        assert!(!cache.is_echo(&secret("6")));
    }
}
