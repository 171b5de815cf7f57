//! Labels, annotations and owner references of written objects, merged the
//! way the reference merges them (later options override earlier ones).
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

/// `app.kubernetes.io/managed-by`.
pub const MANAGED_BY_KEY: &str = "app.kubernetes.io/managed-by";
/// The legacy spelling of the managed-by label, kept by the reference.
pub const LEGACY_MANAGED_BY_KEY: &str = "managed-by";
pub const MANAGED_BY_VALUE: &str = "prometheus-operator";
pub const NAME_KEY: &str = "app.kubernetes.io/name";
pub const INSTANCE_KEY: &str = "app.kubernetes.io/instance";
pub const VERSION_KEY: &str = "app.kubernetes.io/version";
/// Tells `kubectl logs/exec` which container to pick.
pub const DEFAULT_CONTAINER_KEY: &str = "kubectl.kubernetes.io/default-container";
/// The annotation where the reference records the hash of a StatefulSet's inputs.
pub const INPUT_HASH_KEY: &str = "prometheus-operator-input-hash";

pub type Labels = BTreeMap<String, String>;

/// The two managed-by labels every written object carries.
pub fn managed_by() -> Labels {
    [LEGACY_MANAGED_BY_KEY, MANAGED_BY_KEY]
        .into_iter()
        .map(|k| (k.to_owned(), MANAGED_BY_VALUE.to_owned()))
        .collect()
}

/// Copies `given` over `into` (the given values win).
pub fn merge(into: &mut Labels, given: &Labels) {
    into.extend(given.iter().map(|(k, v)| (k.clone(), v.clone())));
}

/// `base` with `over` copied on top.
pub fn merged(base: &Labels, over: &Labels) -> Labels {
    let mut out = base.clone();
    merge(&mut out, over);
    out
}

/// Drops the annotations kubectl keeps on the owner (`kubectl apply --prune`
/// would otherwise delete the owned object).
pub fn without_kubectl_annotations(annotations: Labels) -> Labels {
    annotations
        .into_iter()
        .filter(|(k, _)| !k.starts_with("kubectl.kubernetes.io/"))
        .collect()
}

/// The object that owns what the operator writes (a workload CR).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
}

impl Owner {
    /// The owner as the managing controller (garbage collection blocks on it).
    pub fn controller_ref(&self) -> OwnerReference {
        OwnerReference {
            block_owner_deletion: Some(true),
            controller: Some(true),
            ..self.plain_ref()
        }
    }

    /// The owner as one of several (shared objects such as the governing Service).
    pub fn plain_ref(&self) -> OwnerReference {
        OwnerReference {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            uid: self.uid.clone(),
            ..OwnerReference::default()
        }
    }
}

/// Metadata of an object controlled by `owner`: its name and namespace, the
/// managed-by labels under `labels`, `annotations` and the controller reference.
pub fn controlled(
    name: &str,
    namespace: &str,
    owner: &Owner,
    labels: &Labels,
    annotations: &Labels,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        labels: Some(merged(&managed_by(), labels)),
        annotations: non_empty(annotations.clone()),
        owner_references: Some(vec![owner.controller_ref()]),
        ..ObjectMeta::default()
    }
}

/// `None` for an empty map, as Go's `omitempty` leaves it out.
pub fn non_empty<K, V>(map: BTreeMap<K, V>) -> Option<BTreeMap<K, V>> {
    (!map.is_empty()).then_some(map)
}

/// `None` for an empty list.
pub fn non_empty_vec<T>(list: Vec<T>) -> Option<Vec<T>> {
    (!list.is_empty()).then_some(list)
}
