use super::*;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

fn map(name: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            ..ObjectMeta::default()
        },
        ..ConfigMap::default()
    }
}

/// A Secret as `kubectl apply` leaves it: its data repeated in the
/// last-applied annotation, managedFields of kubectl and of promop.
fn applied_secret() -> Secret {
    let entry = |manager: &str| ManagedFieldsEntry {
        manager: Some(manager.into()),
        operation: Some("Apply".into()),
        ..ManagedFieldsEntry::default()
    };
    Secret {
        metadata: ObjectMeta {
            name: Some("creds".into()),
            namespace: Some("ns".into()),
            annotations: Some(BTreeMap::from([
                (
                    LAST_APPLIED.to_owned(),
                    r#"{"apiVersion":"v1","data":{"password":"aHVudGVyMg=="},"kind":"Secret"}"#
                        .to_owned(),
                ),
                ("team".to_owned(), "orders".to_owned()),
            ])),
            managed_fields: Some(vec![
                entry("kubectl-client-side-apply"),
                entry(crate::apply::FIELD_MANAGER),
            ]),
            ..ObjectMeta::default()
        },
        ..Secret::default()
    }
}

fn managers(meta: &ObjectMeta) -> Vec<&str> {
    meta.managed_fields
        .iter()
        .flatten()
        .filter_map(|e| e.manager.as_deref())
        .collect()
}

/// The metadata cache of every Secret and the fetched contents keep
/// neither the last-applied copy of the data nor managedFields; other
/// annotations stay.
#[test]
fn cached_secrets_lose_the_last_applied_copy_and_managed_fields() {
    let mut metadata = applied_secret().metadata;
    strip_data_copies(&mut metadata);
    let annotations = metadata.annotations.as_ref().expect("annotations");
    assert!(!annotations.contains_key(LAST_APPLIED));
    assert_eq!(annotations.get("team").map(String::as_str), Some("orders"));
    assert!(metadata.managed_fields.is_none());
    assert!(!format!("{metadata:?}").contains("aHVudGVyMg"));

    // The cache of written Secrets keeps promop's field paths only.
    let mut written = applied_secret();
    trim_written(&mut written);
    assert!(!written.annotations().contains_key(LAST_APPLIED));
    assert_eq!(managers(&written.metadata), [crate::apply::FIELD_MANAGER]);
    assert!(!format!("{written:?}").contains("aHVudGVyMg"));
}

#[test]
fn empty_selectors_select_everything() {
    let config = filtered(&Some(String::new()), &Some(String::new()));
    assert_eq!(config.label_selector, None);
    assert_eq!(config.field_selector, None);
    let config = filtered(&None, &Some("type!=helm.sh/release.v1".into()));
    assert_eq!(
        config.field_selector.as_deref(),
        Some("type!=helm.sh/release.v1")
    );
}

#[test]
fn watch_retries_stay_within_seconds() {
    use kube::runtime::utils::Backoff;
    let mut backoff = WatchBackoff::default();
    let delays: Vec<Duration> = backoff.by_ref().take(10).collect();
    assert!(delays[0] < Duration::from_millis(300), "{delays:?}");
    assert!(
        delays.iter().all(|d| *d < Duration::from_millis(4800)),
        "{delays:?}"
    );
    assert!(delays[9] > Duration::from_secs(3), "{delays:?}");
    backoff.reset();
    assert!(
        backoff
            .next()
            .is_some_and(|d| d < Duration::from_millis(300))
    );
}

/// A relist (after 410 Gone) that no longer returns `b`: the cache drops
/// it without a Delete event, and `b` is yielded as changed all the same.
#[tokio::test]
async fn objects_gone_at_a_relist_are_yielded() {
    let (reader, writer) = reflector::store::<ConfigMap>();
    let events = futures::stream::iter([
        watcher::Event::Init,
        watcher::Event::InitApply(map("a")),
        watcher::Event::InitApply(map("b")),
        watcher::Event::InitDone,
        watcher::Event::Apply(map("c")),
        // The watch expired; while it was down `b` was deleted.
        watcher::Event::Init,
        watcher::Event::InitApply(map("a")),
        watcher::Event::InitApply(map("c")),
        watcher::Event::InitDone,
    ])
    .map(Ok)
    .reflect(writer);
    let names: Vec<String> = changed_objects(events, reader.clone())
        .map(|o| o.map(|o| o.name_any()).unwrap_or_default())
        .collect()
        .await;
    assert_eq!(names, ["a", "b", "c", "a", "c", "b"]);
    let mut cached: Vec<String> = reader.state().iter().map(|o| o.name_any()).collect();
    cached.sort();
    assert_eq!(cached, ["a", "c"]);
}
