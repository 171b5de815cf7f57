//! What the operators wrote in a namespace, read back for comparisons: the
//! fault tests compare a cluster that went through a fault with what a fresh
//! operator writes for the same inputs.
use std::collections::BTreeMap;

use anyhow::Result;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client, ResourceExt};
use serde_json::Value;

/// The label of everything the operators write (the reference's).
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by=prometheus-operator";

/// The kinds the operators write.
fn written_kinds() -> [ApiResource; 4] {
    [
        ApiResource::erase::<Secret>(&()),
        ApiResource::erase::<ConfigMap>(&()),
        ApiResource::erase::<Service>(&()),
        ApiResource::erase::<StatefulSet>(&()),
    ]
}

async fn list_written(client: &Client, namespace: &str) -> Result<Vec<(String, DynamicObject)>> {
    let mut objects = Vec::new();
    for kind in written_kinds() {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &kind);
        for object in api.list(&ListParams::default().labels(MANAGED_BY)).await? {
            objects.push((format!("{} {}", kind.kind, object.name_any()), object));
        }
    }
    Ok(objects)
}

/// `Kind name` → resourceVersion of every written object: unchanged
/// versions mean nothing was written.
pub async fn written_versions(
    client: &Client,
    namespace: &str,
) -> Result<BTreeMap<String, String>> {
    Ok(list_written(client, namespace)
        .await?
        .into_iter()
        .map(|(key, object)| (key, object.resource_version().unwrap_or_default()))
        .collect())
}

/// `Kind name` → the object without what the API server assigns (uid,
/// versions, timestamps, managedFields, status, a Service's cluster IPs), so
/// that two clusters' objects compare equal when the operator wrote the same.
pub async fn written_objects(client: &Client, namespace: &str) -> Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for (key, object) in list_written(client, namespace).await? {
        let mut value = serde_json::to_value(&object)?;
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in [
                "uid",
                "resourceVersion",
                "creationTimestamp",
                "managedFields",
                "generation",
            ] {
                meta.remove(field);
            }
        }
        if let Some(object) = value.as_object_mut() {
            object.remove("status");
        }
        if let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) {
            for field in ["clusterIP", "clusterIPs"] {
                spec.remove(field);
            }
        }
        out.insert(key, value);
    }
    Ok(out)
}
