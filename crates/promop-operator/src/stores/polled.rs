//! Listed Namespaces without list/watch on Namespaces. Namespace selectors
//! need the labels of the watched namespaces, but Namespaces are
//! cluster-scoped: a Role cannot grant listing them. As the reference does
//! when it may not list them (`pkg/listwatch`), each listed namespace is
//! read with a GET, which a Role in that namespace can grant (the API
//! server authorizes `GET /api/v1/namespaces/<ns>` within `<ns>`), every
//! [`POLL_INTERVAL`]; a change shows as a watch event would.
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, ResourceExt};

/// The reference's interval.
pub const POLL_INTERVAL: Duration = Duration::from_secs(15);
/// Before the first complete read: retry sooner, readiness waits for it.
const FIRST_RETRY: Duration = Duration::from_secs(1);

type Events = Result<Event<Namespace>, watcher::Error>;

/// Whether promop may list and watch Namespaces, as the API server answers
/// a SelfSubjectAccessReview (which every authenticated user may ask);
/// an error counts as no.
pub async fn may_list_namespaces(client: &Client) -> bool {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let may = |verb: &str| {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    resource: Some("namespaces".into()),
                    verb: Some(verb.into()),
                    ..ResourceAttributes::default()
                }),
                ..SelfSubjectAccessReviewSpec::default()
            },
            ..SelfSubjectAccessReview::default()
        };
        let reviews = reviews.clone();
        async move {
            match reviews.create(&Default::default(), &review).await {
                Ok(review) => review.status.is_some_and(|s| s.allowed),
                Err(error) => {
                    tracing::warn!(%error, "cannot ask whether Namespaces may be listed; assuming not");
                    false
                }
            }
        }
    };
    may("list").await && may("watch").await
}

/// The namespaces of `names` as watch events: a list when all were read
/// once, then applies and deletes of what changed at each poll.
pub fn namespaces(client: Client, names: BTreeSet<String>) -> impl Stream<Item = Events> + Send {
    let api: Api<Namespace> = Api::all(client);
    let state = Polls {
        api,
        names,
        known: None,
        tried: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        let events = state.poll().await;
        Some((futures::stream::iter(events), state))
    })
    .flatten()
}

struct Polls {
    api: Api<Namespace>,
    names: BTreeSet<String>,
    /// resourceVersion per existing namespace, once all were read.
    known: Option<HashMap<String, String>>,
    tried: bool,
}

impl Polls {
    /// One round: the first right away, then after [`FIRST_RETRY`] until
    /// one reads every namespace, then every [`POLL_INTERVAL`].
    async fn poll(&mut self) -> Vec<Events> {
        match (&self.known, self.tried) {
            (Some(_), _) => tokio::time::sleep(POLL_INTERVAL).await,
            (None, true) => tokio::time::sleep(FIRST_RETRY).await,
            (None, false) => {}
        }
        self.tried = true;
        let first = self.known.is_none();
        let mut found = Vec::new();
        let mut out: Vec<Events> = Vec::new();
        for name in &self.names {
            match self.api.get_opt(name).await {
                Ok(namespace) => found.push((name.clone(), namespace)),
                // Only this namespace's result is unknown.
                Err(error) if first => out.push(Err(watcher::Error::InitialListFailed(error))),
                Err(error) => out.push(Err(watcher::Error::WatchFailed(error))),
            }
        }
        let events = match &mut self.known {
            None if out.is_empty() => self.first_list(found),
            None => Vec::new(),
            Some(known) => changes(known, found),
        };
        out.extend(events.into_iter().map(Ok));
        out
    }

    fn first_list(&mut self, found: Vec<(String, Option<Namespace>)>) -> Vec<Event<Namespace>> {
        let mut known = HashMap::new();
        let mut events = vec![Event::Init];
        for namespace in found.into_iter().filter_map(|(_, ns)| ns) {
            known.insert(namespace.name_any(), version(&namespace));
            events.push(Event::InitApply(namespace));
        }
        events.push(Event::InitDone);
        self.known = Some(known);
        events
    }
}

fn version(namespace: &Namespace) -> String {
    namespace.resource_version().unwrap_or_default()
}

/// What changed since the last poll: new or updated namespaces, deleted
/// ones (a GET that failed says nothing: the namespace is kept).
fn changes(
    known: &mut HashMap<String, String>,
    found: Vec<(String, Option<Namespace>)>,
) -> Vec<Event<Namespace>> {
    let mut events = Vec::new();
    for (name, namespace) in found {
        match namespace {
            Some(namespace) => {
                let version = version(&namespace);
                if known.insert(name, version.clone()).as_ref() != Some(&version) {
                    events.push(Event::Apply(namespace));
                }
            }
            None => {
                if known.remove(&name).is_some() {
                    let mut gone = Namespace::default();
                    gone.metadata.name = Some(name);
                    events.push(Event::Delete(gone));
                }
            }
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespace(name: &str, version: &str) -> (String, Option<Namespace>) {
        let mut ns = Namespace::default();
        ns.metadata.name = Some(name.into());
        ns.metadata.resource_version = Some(version.into());
        (name.into(), Some(ns))
    }

    fn described(events: &[Event<Namespace>]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                Event::Apply(ns) => format!("+{}", ns.name_any()),
                Event::Delete(ns) => format!("-{}", ns.name_any()),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn only_changes_are_events() {
        let mut known = HashMap::from([
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "1".to_owned()),
        ]);
        let events = changes(
            &mut known,
            vec![
                namespace("a", "1"),
                namespace("b", "2"),
                ("c".into(), None),
                namespace("d", "7"),
            ],
        );
        assert_eq!(described(&events), ["+b", "+d"]);
        let events = changes(&mut known, vec![("a".into(), None), namespace("b", "2")]);
        assert_eq!(described(&events), ["-a"]);
        assert!(!known.contains_key("a"));
    }
}
