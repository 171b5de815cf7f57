//! Watch mode: the config Secret and the rule ConfigMaps read straight
//! from the API server, each with a watch on that one object (field
//! selector `metadata.name`), so RBAC `get`/`list`/`watch` limited by
//! `resourceNames` suffices and a change arrives in milliseconds instead
//! of after the kubelet's next volume sync (about a minute).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource};
use tokio::sync::mpsc;

use crate::config_file;
use crate::metrics::Metrics;
use crate::options::ConfigMapDir;

/// Something arrived from source N (the Secret, then each ConfigMap in
/// the order of the flags): apply at once.
pub type Changed = mpsc::UnboundedSender<usize>;

/// The events of the single object `name` in `namespace`: `Some` when it
/// is created or changes, `None` when it is deleted or absent at the start.
fn object_events<K>(
    client: Client,
    namespace: &str,
    name: &str,
) -> impl Stream<Item = Result<Option<K>, watcher::Error>>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + 'static,
    K::DynamicType: Default,
{
    let api = Api::<K>::namespaced(client, namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut seen_in_list = false;
    watcher::watcher(api, config)
        .default_backoff()
        .filter_map(move |event| {
            let out = match event {
                Ok(Event::Init) => {
                    seen_in_list = false;
                    None
                }
                Ok(Event::InitApply(object)) => {
                    seen_in_list = true;
                    Some(Ok(Some(object)))
                }
                Ok(Event::InitDone) => (!seen_in_list).then_some(Ok(None)),
                Ok(Event::Apply(object)) => Some(Ok(Some(object))),
                Ok(Event::Delete(_)) => Some(Ok(None)),
                Err(e) => Some(Err(e)),
            };
            futures::future::ready(out)
        })
}

/// Keeps `latest` equal to the Secret's `key` (the last value stays when
/// the Secret or the key disappears: the server keeps its config).
pub async fn secret(
    source: usize,
    client: Client,
    (namespace, name): (String, String),
    key: String,
    latest: Arc<Mutex<Option<Vec<u8>>>>,
    changed: Changed,
    metrics: Arc<Metrics>,
) {
    let events = object_events::<Secret>(client, &namespace, &name);
    futures::pin_mut!(events);
    while let Some(event) = events.next().await {
        Metrics::inc(&metrics.api_watch_events);
        match event {
            Ok(Some(secret)) => {
                let value = secret.data.and_then(|mut d| d.remove(&key));
                match value {
                    Some(value) => {
                        if let Ok(mut latest) = latest.lock() {
                            *latest = Some(value.0);
                        }
                        let _ = changed.send(source);
                    }
                    None => {
                        tracing::error!(secret = %format!("{namespace}/{name}"), %key, "the Secret has no such key; keeping the last config")
                    }
                }
            }
            Ok(None) => {
                tracing::warn!(secret = %format!("{namespace}/{name}"), "the Secret does not exist (yet); keeping the last config")
            }
            Err(error) => {
                tracing::warn!(secret = %format!("{namespace}/{name}"), %error, "watch error; retrying")
            }
        }
    }
}

/// Mirrors the ConfigMap into its directory: one file per key (`data` and
/// `binaryData`), files of other names removed; an absent ConfigMap leaves
/// the directory empty.
pub async fn configmap(
    source: usize,
    client: Client,
    target: ConfigMapDir,
    changed: Changed,
    metrics: Arc<Metrics>,
) {
    let what = format!("{}/{}", target.namespace, target.name);
    let events = object_events::<ConfigMap>(client, &target.namespace, &target.name);
    futures::pin_mut!(events);
    while let Some(event) = events.next().await {
        Metrics::inc(&metrics.api_watch_events);
        let files = match event {
            Ok(Some(cm)) => files_of(cm),
            Ok(None) => {
                tracing::warn!(configmap = %what, "the ConfigMap does not exist; its directory is emptied");
                BTreeMap::new()
            }
            Err(error) => {
                tracing::warn!(configmap = %what, %error, "watch error; retrying");
                continue;
            }
        };
        match mirror(&target.dir, &files) {
            Ok(()) => {
                let _ = changed.send(source);
            }
            Err(error) => {
                tracing::error!(configmap = %what, dir = %target.dir.display(), %error, "writing the files failed")
            }
        }
    }
}

fn files_of(cm: ConfigMap) -> BTreeMap<String, Vec<u8>> {
    let text = cm
        .data
        .into_iter()
        .flatten()
        .map(|(k, v)| (k, v.into_bytes()));
    let binary = cm.binary_data.into_iter().flatten().map(|(k, v)| (k, v.0));
    text.chain(binary).collect()
}

/// Makes `dir` hold exactly `files` (keys are plain names: the API server
/// only admits `[-._a-zA-Z0-9]+`, so none escapes the directory).
pub fn mirror(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<(), config_file::Error> {
    let write_error = |source| config_file::Error::Write {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_error)?;
    for (name, bytes) in files {
        config_file::write_if_changed(&dir.join(name), bytes)?;
    }
    let present: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(write_error)?
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    for path in present {
        let known = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| files.contains_key(n));
        if !known && path.is_file() {
            std::fs::remove_file(&path).map_err(write_error)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_mirrors_the_configmap() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rules");
        let files = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect::<BTreeMap<_, _>>()
        };
        mirror(&target, &files(&[("a.yaml", "1"), ("b.yaml", "2")])).unwrap();
        mirror(&target, &files(&[("b.yaml", "3")])).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["b.yaml"]);
        assert_eq!(std::fs::read(target.join("b.yaml")).unwrap(), b"3");
        mirror(&target, &BTreeMap::new()).unwrap();
        assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);
    }
}
