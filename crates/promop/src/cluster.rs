//! Reading a live cluster into a [`Snapshot`], read-only, for `promop
//! explain`: one list of each kind the generation reads (Namespaces, the
//! workloads, the config kinds), Secrets and ConfigMaps as metadata only,
//! then the content of those the generation looks up (the operator's way,
//! [`promop_operator::contents`]).
//!
//! Objects are decoded one by one: one that promop cannot decode is set
//! aside with kind, namespace, name, field and reason, and the others are
//! explained. A kind the API server refuses to list (RBAC: 403, CRD
//! missing: 404) is reported as not readable and explained as empty.
use std::fmt::Debug;
use std::future::Future;
use std::path::PathBuf;

use anyhow::Context;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{ApiResource, DynamicObject, ListParams, ObjectList, PartialObjectMeta};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::TypeMeta;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use kube::{Api, Client, Config, Resource, ResourceExt};
use promop_api::{v1, v1alpha1};
use promop_core::manifests::{Loaded, Note, ObjectId, Origin, Outcome};
use promop_core::snapshot::{ObjectKey, Snapshot};
use promop_operator::contents::Contents;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::explain::{Input, Source, Unreadable};

/// Which cluster to read (`-f` excludes both).
#[derive(clap::Args)]
pub struct Connection {
    /// Read the objects from the cluster of this kubeconfig. Without -f and
    /// --kubeconfig: the in-cluster configuration (in a pod), else
    /// $KUBECONFIG or ~/.kube/config.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME", conflicts_with = "files")]
    pub context: Option<String>,
}

impl Connection {
    async fn config(&self) -> anyhow::Result<Config> {
        let options = KubeConfigOptions {
            context: self.context.clone(),
            ..KubeConfigOptions::default()
        };
        Ok(match (&self.kubeconfig, &self.context) {
            (Some(path), _) => {
                // kube's error already names the file and the cause.
                let file = Kubeconfig::read_from(path).map_err(|e| anyhow::anyhow!("{e}"))?;
                Config::from_custom_kubeconfig(file, &options)
                    .await
                    .with_context(|| format!("using kubeconfig {}", path.display()))?
            }
            (None, Some(context)) => {
                Config::from_kubeconfig(&options).await.with_context(|| {
                    format!("using context {context} of $KUBECONFIG or ~/.kube/config")
                })?
            }
            (None, None) => Config::infer()
                .await
                .context("no -f, no in-cluster configuration and no usable kubeconfig")?,
        })
    }
}

/// Objects listed per request.
const PAGE: u32 = 500;

/// Where the notes of objects read from the cluster say they come from.
const SOURCE: &str = "cluster";

/// The objects of the cluster (`namespace`, else the context's namespace,
/// is the namespace of an OBJECT that names none). `generate` runs the
/// generations to be explained: the Secrets and ConfigMaps they look up
/// are fetched and they run again, until they look up nothing new.
pub async fn read(
    connection: &Connection,
    namespace: Option<&str>,
    generate: impl Fn(&Snapshot),
) -> anyhow::Result<Input> {
    let config = connection.config().await?;
    let namespace = namespace.map_or_else(|| config.default_namespace.clone(), str::to_owned);
    let client = Client::try_from(config).context("creating the Kubernetes client")?;
    let mut reading = Reading {
        client,
        loaded: Loaded::default(),
        unreadable: Vec::new(),
    };
    let namespaces: Vec<Namespace> = reading.objects().await?;
    let snapshot = Snapshot {
        namespaces: namespaces
            .into_iter()
            .map(|ns| (ns.name_any(), ns))
            .collect(),
        prometheuses: reading.objects::<v1::Prometheus>().await?.into(),
        prometheus_agents: reading.objects::<v1alpha1::PrometheusAgent>().await?.into(),
        alertmanagers: reading.objects::<v1::Alertmanager>().await?.into(),
        thanos_rulers: reading.objects::<v1::ThanosRuler>().await?.into(),
        service_monitors: reading.objects::<v1::ServiceMonitor>().await?.into(),
        pod_monitors: reading.objects::<v1::PodMonitor>().await?.into(),
        probes: reading.objects::<v1::Probe>().await?.into(),
        scrape_configs: reading.objects::<v1alpha1::ScrapeConfig>().await?.into(),
        prometheus_rules: reading.objects::<v1::PrometheusRule>().await?.into(),
        alertmanager_configs: reading
            .objects::<v1alpha1::AlertmanagerConfig>()
            .await?
            .into(),
        ..Snapshot::default()
    };
    reading.loaded.snapshot = snapshot;
    let secrets = reading.metadata::<Secret>().await?;
    let config_maps = reading.metadata::<ConfigMap>().await?;
    reading.references(&secrets, &config_maps, generate).await?;
    Ok(Input {
        loaded: reading.loaded,
        source: Source::Cluster,
        unreadable: reading.unreadable,
        namespace,
    })
}

/// A read of the cluster under way.
struct Reading {
    client: Client,
    loaded: Loaded,
    unreadable: Vec<Unreadable>,
}

impl Reading {
    /// Every object of kind `K` that decodes; the others get a note.
    async fn objects<K>(&mut self) -> anyhow::Result<Vec<K>>
    where
        K: Resource<DynamicType = ()> + DeserializeOwned + Serialize,
    {
        let resource = ApiResource::erase::<K>(&());
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
        let listed = paged(|params| {
            let api = api.clone();
            async move { api.list(&params).await }
        })
        .await;
        let Some(items) = self.listed(&resource.kind, listed)? else {
            return Ok(Vec::new());
        };
        Ok(items
            .into_iter()
            .filter_map(|object| self.decode(&resource, object))
            .collect())
    }

    /// The metadata of every object of kind `K` (Secrets, ConfigMaps), in a
    /// store as the operator's caches hold them.
    async fn metadata<K>(&mut self) -> anyhow::Result<Store<PartialObjectMeta<K>>>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + 'static,
    {
        let api: Api<K> = Api::all(self.client.clone());
        let listed = paged(|params| {
            let api = api.clone();
            async move { api.list_metadata(&params).await }
        })
        .await;
        let items = self.listed(&K::kind(&()), listed)?.unwrap_or_default();
        let (store, mut writer) = reflector::store();
        writer.apply_watcher_event(&watcher::Event::Init);
        for mut item in items {
            item.metadata.managed_fields = None;
            writer.apply_watcher_event(&watcher::Event::InitApply(item));
        }
        writer.apply_watcher_event(&watcher::Event::InitDone);
        Ok(store)
    }

    /// The items of a list, `None` when the API server refuses it (noted).
    fn listed<T>(
        &mut self,
        kind: &str,
        listed: Result<Vec<T>, kube::Error>,
    ) -> anyhow::Result<Option<Vec<T>>> {
        match listed {
            Ok(items) => Ok(Some(items)),
            Err(kube::Error::Api(status)) => {
                let why = match status.code {
                    403 => "forbidden".to_owned(),
                    404 => "not served by the API server: CRD not installed".to_owned(),
                    code => format!("{code}: {}", status.message),
                };
                self.unreadable.push(Unreadable {
                    kind: kind.to_owned(),
                    reason: why,
                });
                Ok(None)
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("listing the {kind} objects"))),
        }
    }

    /// `object` as a `K`, or `None` with a note.
    fn decode<K>(&mut self, resource: &ApiResource, object: DynamicObject) -> Option<K>
    where
        K: DeserializeOwned + Serialize,
    {
        decode(resource, object)
            .map_err(|note| {
                self.loaded.warnings.push(note.to_string());
                self.loaded.notes.push(*note);
            })
            .ok()
    }

    /// Runs `generate` and fetches the Secrets and ConfigMaps it looked up
    /// that exist, until it looks up nothing new (at most the operator's
    /// number of rounds).
    async fn references(
        &mut self,
        secret_metadata: &Store<PartialObjectMeta<Secret>>,
        config_map_metadata: &Store<PartialObjectMeta<ConfigMap>>,
        generate: impl Fn(&Snapshot),
    ) -> anyhow::Result<()> {
        let secrets = Contents::<Secret>::default();
        let config_maps = Contents::<ConfigMap>::default();
        let snapshot = &mut self.loaded.snapshot;
        for _ in 0..promop_operator::MAX_ROUNDS {
            generate(snapshot);
            let reads = snapshot.reads.keys();
            let fetched = secrets
                .fetch(&self.client, secret_metadata, &reads.secrets)
                .await
                .context("reading the Secrets the configuration references")?
                + config_maps
                    .fetch(&self.client, config_map_metadata, &reads.config_maps)
                    .await
                    .context("reading the ConfigMaps the configuration references")?;
            if fetched == 0 {
                break;
            }
            snapshot.secrets = keyed(secrets.current(secret_metadata));
            snapshot.config_maps = keyed(config_maps.current(config_map_metadata));
        }
        Ok(())
    }
}

/// `object` as a `K`, or the note (kind, namespace, name, field, reason)
/// of why it does not decode.
fn decode<K>(resource: &ApiResource, mut object: DynamicObject) -> Result<K, Box<Note>>
where
    K: DeserializeOwned + Serialize,
{
    object.metadata.managed_fields = None;
    object.types.get_or_insert_with(|| TypeMeta {
        api_version: resource.api_version.clone(),
        kind: resource.kind.clone(),
    });
    let id = ObjectId::new(
        resource.kind.clone(),
        object.metadata.namespace.as_deref().unwrap_or_default(),
        object.metadata.name.as_deref().unwrap_or_default(),
    );
    let decoded = serde_json::to_value(&object)
        .map_err(|e| (None, e.to_string()))
        .and_then(|value| {
            promop_api::object::decode::<K>(value, &mut Vec::new()).map_err(|e| match e {
                promop_api::object::DecodeError::Invalid { path, message } => (Some(path), message),
                other => (None, other.to_string()),
            })
        });
    decoded.map_err(|(field, message)| {
        Box::new(Note {
            origin: Origin {
                source: SOURCE.to_owned(),
                index: 0,
            },
            object: Some(id),
            field,
            message,
            outcome: Outcome::Skipped,
        })
    })
}

fn keyed<K: ResourceExt>(
    objects: Vec<std::sync::Arc<K>>,
) -> std::collections::BTreeMap<ObjectKey, std::sync::Arc<K>> {
    objects
        .into_iter()
        .map(|object| {
            let key = ObjectKey::new(object.namespace().unwrap_or_default(), object.name_any());
            (key, object)
        })
        .collect()
}

/// Every item of a list, [`PAGE`] at a time.
async fn paged<T, F, R>(list: F) -> Result<Vec<T>, kube::Error>
where
    T: Clone,
    F: Fn(ListParams) -> R,
    R: Future<Output = Result<ObjectList<T>, kube::Error>>,
{
    let mut items = Vec::new();
    let mut params = ListParams::default().limit(PAGE);
    loop {
        let page = list(params.clone()).await?;
        items.extend(page.items);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(items),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the API server may hold but promop's types refuse is set aside
    /// with kind, namespace, name and field; the rest decodes.
    #[test]
    fn an_object_that_does_not_decode_is_noted() {
        let resource = ApiResource::erase::<v1::ServiceMonitor>(&());
        let object = |spec: serde_json::Value| -> DynamicObject {
            let mut object = DynamicObject::new("orders", &resource).within("shop");
            // As a list's items come: without apiVersion and kind.
            object.types = None;
            object.data = serde_json::json!({ "spec": spec });
            object
        };
        let good = object(serde_json::json!({"selector": {}, "endpoints": [{"port": "web"}]}));
        let monitor: v1::ServiceMonitor = decode(&resource, good).expect("decodes");
        assert_eq!(monitor.name_any(), "orders");
        let bad = object(serde_json::json!({"selector": {}, "endpoints": "web"}));
        let note = decode::<v1::ServiceMonitor>(&resource, bad).expect_err("does not decode");
        let text = note.to_string();
        assert!(
            text.starts_with("ServiceMonitor shop/orders: spec.endpoints: invalid type"),
            "{text}"
        );
        assert!(text.ends_with("; object skipped"), "{text}");
    }
}
