//! Keys of namespaced objects, and their borrowed form: a generation looks
//! Secrets and ConfigMaps up thousands of times per reconcile, and building
//! an owned key for each lookup was a good part of its work.
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// `namespace/name` of a namespaced object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A namespace and a name, owned or borrowed: sets and maps keyed by
/// [`ObjectKey`] are searched with `&(namespace, name) as &dyn KeyRef`.
/// Ordered and hashed as [`ObjectKey`] is.
pub trait KeyRef {
    fn parts(&self) -> (&str, &str);
}

impl KeyRef for ObjectKey {
    fn parts(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
}

impl KeyRef for (&str, &str) {
    fn parts(&self) -> (&str, &str) {
        *self
    }
}

impl<'a> Borrow<dyn KeyRef + 'a> for ObjectKey {
    fn borrow(&self) -> &(dyn KeyRef + 'a) {
        self
    }
}

impl PartialEq for dyn KeyRef + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyRef + '_ {}

impl PartialOrd for dyn KeyRef + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn KeyRef + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts().cmp(&other.parts())
    }
}

impl Hash for dyn KeyRef + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As the derived `Hash` of `ObjectKey` hashes its two strings.
        let (namespace, name) = self.parts();
        namespace.hash(state);
        name.hash(state);
    }
}

/// The entry of `namespace/name` in `map`, found without an owned key.
pub fn by_key<'m, V>(
    map: &'m BTreeMap<ObjectKey, V>,
    namespace: &str,
    name: &str,
) -> Option<&'m V> {
    map.get(&(namespace, name) as &dyn KeyRef)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    #[test]
    fn borrowed_keys_find_what_owned_keys_find() {
        let keys = [("a", "x"), ("a", "y"), ("a-b", "x"), ("b", "")];
        let tree: BTreeSet<ObjectKey> = keys.iter().map(|(n, m)| ObjectKey::new(*n, *m)).collect();
        let hashed: HashSet<ObjectKey> = tree.iter().cloned().collect();
        for (namespace, name) in keys {
            let key = &(namespace, name) as &dyn KeyRef;
            assert!(
                tree.contains(key) && hashed.contains(key),
                "{namespace}/{name}"
            );
        }
        for (namespace, name) in [("a", "z"), ("a-", "b"), ("", "a")] {
            let key = &(namespace, name) as &dyn KeyRef;
            assert!(
                !tree.contains(key) && !hashed.contains(key),
                "{namespace}/{name}"
            );
        }
    }
}
