//! Several namespaces' watches filling one cache. A reflector's writer
//! takes a list (`Init` … `InitDone`) as the whole content of its store, so
//! the watches of two namespaces cannot share one as they are: each
//! namespace's (re)list is rewritten here into applies, and deletes of what
//! that namespace held before and the list no longer returned.
use std::collections::HashMap;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::{self, Event};
use kube::{Resource, ResourceExt};
use tokio::sync::watch;

type Events<K> = Result<Event<K>, watcher::Error>;

/// The events of the watch of `namespace`, for a store other namespaces'
/// watches fill too: no `Init`/`InitApply`/`InitDone` comes out. `listed`
/// turns true at the end of the first list.
pub(super) fn namespace_events<K>(
    namespace: String,
    events: impl Stream<Item = Events<K>> + Send + 'static,
    store: Store<K>,
    listed: watch::Sender<bool>,
) -> impl Stream<Item = Events<K>> + Send + 'static
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    // What the namespace held when its current list began, less what the
    // list returned so far. Events pass one at a time through the reflector,
    // so at `Init` the store holds everything before it.
    let mut before: Option<HashMap<ObjectRef<K>, Arc<K>>> = None;
    events.flat_map(move |event| {
        let out: Vec<Events<K>> = match event {
            Ok(Event::Init) => {
                before = Some(
                    store
                        .state()
                        .into_iter()
                        .filter(|o| o.namespace().as_deref() == Some(namespace.as_str()))
                        .map(|o| (ObjectRef::from_obj(o.as_ref()), o))
                        .collect(),
                );
                Vec::new()
            }
            Ok(Event::InitApply(object)) => {
                if let Some(before) = &mut before {
                    before.remove(&ObjectRef::from_obj(&object));
                }
                vec![Ok(Event::Apply(object))]
            }
            Ok(Event::InitDone) => {
                listed.send_replace(true);
                before
                    .take()
                    .into_iter()
                    .flat_map(HashMap::into_values)
                    .map(|gone| Ok(Event::Delete(gone.as_ref().clone())))
                    .collect()
            }
            other => vec![other],
        };
        futures::stream::iter(out)
    })
}

/// The watches of several namespaces as the events of one store: an empty
/// list first (the store is never replaced as a whole afterwards), then
/// every namespace's events as they come.
pub(super) fn merged<K, S>(namespaces: Vec<S>) -> impl Stream<Item = Events<K>> + Send + 'static
where
    K: Send + 'static,
    S: Stream<Item = Events<K>> + Send + Unpin + 'static,
{
    futures::stream::iter([Ok(Event::Init), Ok(Event::InitDone)])
        .chain(futures::stream::select_all(namespaces))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::ObjectMeta;
    use kube::runtime::WatchStreamExt;
    use kube::runtime::reflector;

    fn map(namespace: &str, name: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(namespace.into()),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        }
    }

    fn names(store: &Store<ConfigMap>) -> Vec<String> {
        let mut names: Vec<String> = store
            .state()
            .iter()
            .map(|o| format!("{}/{}", o.namespace().unwrap_or_default(), o.name_any()))
            .collect();
        names.sort();
        names
    }

    /// Namespace `b` relists (its watch expired; `b/2` was deleted while
    /// it was down) after `a` listed: `a`'s objects stay, `b/2` goes, and
    /// each namespace's first list is reported.
    #[tokio::test]
    async fn a_relist_replaces_its_own_namespace_only() {
        let (reader, writer) = reflector::store::<ConfigMap>();
        let (a_listed, a_rx) = watch::channel(false);
        let (b_listed, b_rx) = watch::channel(false);
        let a = futures::stream::iter([
            Event::Init,
            Event::InitApply(map("a", "1")),
            Event::InitDone,
        ]);
        let b = futures::stream::iter([
            Event::Init,
            Event::InitApply(map("b", "1")),
            Event::InitApply(map("b", "2")),
            Event::InitDone,
            Event::Init,
            Event::InitApply(map("b", "1")),
            Event::InitDone,
            Event::Apply(map("b", "3")),
        ]);
        let (a, b) = (a.map(Ok), b.map(Ok));
        // `a` first, then `b`: a fixed order.
        let events = merged(vec![
            namespace_events("a".into(), a, reader.clone(), a_listed).boxed(),
        ])
        .chain(namespace_events("b".into(), b, reader.clone(), b_listed))
        .reflect(writer);
        let seen: Vec<String> = events
            .filter_map(|e| async move {
                match e {
                    Ok(Event::Apply(o)) => Some(format!("+{}", o.name_any())),
                    Ok(Event::Delete(o)) => Some(format!("-{}", o.name_any())),
                    Ok(Event::Init | Event::InitDone) => None,
                    other => Some(format!("{other:?}")),
                }
            })
            .collect()
            .await;
        assert_eq!(seen, ["+1", "+1", "+2", "+1", "-2", "+3"]);
        assert_eq!(names(&reader), ["a/1", "b/1", "b/3"]);
        assert!(*a_rx.borrow() && *b_rx.borrow());
        // The store was ready from the start; readiness is `listed`'s.
        assert!(reader.wait_until_ready().await.is_ok());
    }
}
