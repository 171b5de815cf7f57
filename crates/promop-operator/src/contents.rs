//! The content of the Secrets and ConfigMaps that generations reference,
//! fetched by name when first read and kept while their resourceVersion
//! (known from the metadata-only caches) does not change. A cluster's other
//! Secrets are never loaded: the reference caches every Secret in full,
//! which dominates its memory on large clusters. What is kept has neither
//! managedFields nor the last-applied copy of its data
//! ([`crate::stores::strip_data_copies`]).
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::PartialObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, Resource, ResourceExt};
use promop_core::snapshot::ObjectKey;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// GETs in flight at once: a workload's references are fetched together,
/// within the client's default rate limits.
const PARALLEL_GETS: usize = 8;

/// Fetched contents by `namespace/name`, with the resourceVersion they had.
pub struct Contents<K> {
    cache: Mutex<HashMap<ObjectKey, Arc<K>>>,
}

impl<K> Default for Contents<K> {
    fn default() -> Self {
        Self {
            cache: Mutex::default(),
        }
    }
}

pub type SecretContents = Contents<Secret>;
pub type ConfigMapContents = Contents<ConfigMap>;

impl<K> Contents<K>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + k8s_openapi::Resource
        + Clone
        + DeserializeOwned
        + Debug
        + 'static,
{
    /// The cached contents that are still current according to `metadata`;
    /// stale or deleted entries are dropped.
    pub fn current(&self, metadata: &Store<PartialObjectMeta<K>>) -> Vec<Arc<K>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|key, object| is_current(metadata, key, object));
        cache.values().cloned().collect()
    }

    /// Fetches the objects of `keys` that exist (per `metadata`) and are not
    /// cached at their current resourceVersion; returns how many it fetched.
    pub async fn fetch<'a>(
        &self,
        client: &Client,
        metadata: &Store<PartialObjectMeta<K>>,
        keys: impl IntoIterator<Item = &'a ObjectKey>,
    ) -> Result<usize, Error> {
        let missing: Vec<ObjectKey> = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            keys.into_iter()
                .filter(|key| {
                    metadata.get(&object_ref(key)).is_some()
                        && !cache
                            .get(*key)
                            .is_some_and(|object| is_current(metadata, key, object))
                })
                .cloned()
                .collect()
        };
        let gets = missing.into_iter().map(|key| async move {
            let api: Api<K> = Api::namespaced(client.clone(), &key.namespace);
            let found = api.get_opt(&key.name).await;
            (key, found)
        });
        let mut answers = futures::stream::iter(gets).buffer_unordered(PARALLEL_GETS);
        let mut fetched = 0;
        while let Some((key, found)) = answers.next().await {
            let found = found.map_err(|source| Error::Fetch {
                kind: <K as k8s_openapi::Resource>::KIND,
                name: key.to_string(),
                source,
            })?;
            // Deleted since the metadata said otherwise: nothing to cache.
            if let Some(mut object) = found {
                crate::stores::strip_data_copies(object.meta_mut());
                self.cache
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, Arc::new(object));
                fetched += 1;
            }
        }
        Ok(fetched)
    }
}

fn object_ref<K: Resource<DynamicType = ()> + Clone + 'static>(
    key: &ObjectKey,
) -> ObjectRef<PartialObjectMeta<K>> {
    ObjectRef::new(&key.name).within(&key.namespace)
}

fn is_current<K: Resource<DynamicType = ()> + Clone + 'static>(
    metadata: &Store<PartialObjectMeta<K>>,
    key: &ObjectKey,
    object: &K,
) -> bool {
    metadata
        .get(&object_ref(key))
        .is_some_and(|meta| meta.resource_version() == object.resource_version())
}
