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
//!
//! The echo can pass before the write's response reaches the reconcile that
//! sent it (a loaded machine): an event for an object with a write in
//! flight waits for that write's outcome, briefly, before it is judged.
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

    /// Notes that a write of `object` is being sent: until the returned
    /// guard is dropped, events of the object wait (see [`Cache::is_echo`]).
    pub fn writing(&self, object: &K) -> InFlight {
        let identity = identity(object);
        *self
            .written
            .lock()
            .in_flight
            .entry(identity.clone())
            .or_default() += 1;
        InFlight {
            written: self.written.clone(),
            identity,
        }
    }

    /// Notes that promop's write of `object` returned it at its version.
    pub fn wrote(&self, object: &K) {
        if let Some(version) = object.resource_version() {
            self.written
                .lock()
                .versions
                .insert(identity(object), version);
        }
    }

    /// Whether `object`, from the watch, is the echo of promop's own last
    /// write of it (then it concerns no one). While a write of the object
    /// is in flight, waits for it (at most [`IN_FLIGHT_WAIT`]).
    pub(super) async fn is_echo(&self, object: &K) -> bool {
        let Some(version) = object.resource_version() else {
            return false;
        };
        let identity = identity(object);
        let object = ObjectRef::from_obj(object);
        let mut waited = Duration::ZERO;
        loop {
            let (wrote, in_flight) = {
                let written = self.written.lock();
                let wrote = written.versions.get(&identity) == Some(&version);
                (wrote, written.in_flight.contains_key(&identity))
            };
            if wrote {
                // A deleted object is gone from the cache when its event passes.
                return (self.store.get(&object))
                    .is_some_and(|cached| cached.resource_version().as_ref() == Some(&version));
            }
            if !in_flight || waited >= IN_FLIGHT_WAIT {
                return false;
            }
            tokio::time::sleep(IN_FLIGHT_POLL).await;
            waited += IN_FLIGHT_POLL;
        }
    }
}

/// How long an event waits for the outcome of a write in flight: past it,
/// the event re-queues (one reconcile too many, never one too few).
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(2);
const IN_FLIGHT_POLL: Duration = Duration::from_millis(2);

/// A write being sent (see [`Cache::writing`]).
pub struct InFlight {
    written: Written,
    identity: (String, String),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut written = self.written.lock();
        if let Some(count) = written.in_flight.get_mut(&self.identity) {
            *count -= 1;
            if *count == 0 {
                written.in_flight.remove(&self.identity);
            }
        }
    }
}

impl<K: Resource<DynamicType = ()> + 'static> Deref for Cache<K> {
    type Target = Store<K>;

    fn deref(&self) -> &Store<K> {
        &self.store
    }
}

/// By namespace and name: the version of promop's last write, and how many
/// writes are in flight.
#[derive(Clone, Default)]
struct Written(Arc<Mutex<Writes>>);

#[derive(Default)]
struct Writes {
    versions: HashMap<(String, String), String>,
    in_flight: HashMap<(String, String), usize>,
}

impl Written {
    fn lock(&self) -> std::sync::MutexGuard<'_, Writes> {
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

    #[tokio::test]
    async fn only_the_exact_version_written_and_still_cached_is_an_echo() {
        let (reader, mut writer) = kube::runtime::reflector::store();
        let cache = Cache::new(reader);
        writer.apply_watcher_event(&Event::Apply(secret("5")));
        assert!(!cache.is_echo(&secret("5")).await, "not written by promop");
        cache.wrote(&secret("5"));
        assert!(cache.is_echo(&secret("5")).await);
        // Someone else changed it after promop's write.
        writer.apply_watcher_event(&Event::Apply(secret("6")));
        assert!(!cache.is_echo(&secret("6")).await);
        // Deleted (the event carries the last version promop wrote).
        cache.wrote(&secret("6"));
        writer.apply_watcher_event(&Event::Delete(secret("6")));
        assert!(!cache.is_echo(&secret("6")).await);
    }

    /// The echo passes before the write's response is noted: it waits for
    /// the write in flight, and is then dropped.
    #[tokio::test]
    async fn an_echo_arriving_before_its_response_waits_for_it() {
        let (reader, mut writer) = kube::runtime::reflector::store();
        let cache = Cache::new(reader);
        let in_flight = cache.writing(&secret("7"));
        writer.apply_watcher_event(&Event::Apply(secret("7")));
        let respond = {
            let cache = cache.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                cache.wrote(&secret("7"));
                drop(in_flight);
            }
        };
        let event = secret("7");
        let (echo, ()) = tokio::join!(cache.is_echo(&event), respond);
        assert!(echo);
        // With no write in flight, another version is judged at once.
        writer.apply_watcher_event(&Event::Apply(secret("8")));
        assert!(!cache.is_echo(&secret("8")).await);
    }
}
