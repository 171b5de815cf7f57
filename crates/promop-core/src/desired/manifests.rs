//! The desired states of several workloads as Kubernetes manifests, in the
//! order the operator applies them (Secrets, rule ConfigMaps, the governing
//! Service, watch mode's Role and RoleBinding, the StatefulSets or DaemonSet): what `promop render --objects`
//! prints.
use k8s_openapi::api::core::v1::{Secret, Service};
use serde::Serialize;
use serde_json::Value;

use super::{AlertmanagerState, PrometheusState, ThanosRulerState, add_service};
use crate::k8s::reloader_rbac::ReloaderRbac;

/// The manifests of several workloads; the governing Service they share is
/// written once, with every workload among its owners.
#[derive(Default)]
pub struct Manifests {
    items: Vec<Item>,
    services: Vec<Service>,
}

enum Item {
    Object(Value),
    /// The index of a shared Service, rendered when all owners are known.
    Service(usize),
}

impl Manifests {
    pub fn add_prometheus(&mut self, state: &PrometheusState<'_>) -> serde_json::Result<()> {
        let objects = &state.objects;
        self.secrets(objects.secrets())?;
        for map in state.rule_config_maps() {
            self.object(map)?;
        }
        self.service(objects.service.as_ref());
        self.reloader_rbac(objects.reloader_rbac.as_ref())?;
        for set in &objects.stateful_sets {
            self.object(set)?;
        }
        if let Some(set) = &objects.daemon_set {
            self.object(set)?;
        }
        Ok(())
    }

    pub fn add_alertmanager(&mut self, state: &AlertmanagerState<'_>) -> serde_json::Result<()> {
        let objects = &state.objects;
        self.secrets(objects.secrets())?;
        self.service(objects.service.as_ref());
        self.reloader_rbac(objects.reloader_rbac.as_ref())?;
        self.object(&objects.stateful_set)
    }

    pub fn add_thanos_ruler(&mut self, state: &ThanosRulerState<'_>) -> serde_json::Result<()> {
        let objects = &state.objects;
        for map in state.config_maps() {
            self.object(map)?;
        }
        self.secrets(objects.secrets())?;
        self.service(objects.service.as_ref());
        self.object(&objects.stateful_set)
    }

    /// The manifests; Secret values replaced by a placeholder unless
    /// `show_secrets`.
    pub fn into_values(self, show_secrets: bool) -> serde_json::Result<Vec<Value>> {
        let mut out = Vec::with_capacity(self.items.len());
        for item in self.items {
            let mut value = match item {
                Item::Object(value) => value,
                Item::Service(i) => serde_json::to_value(&self.services[i])?,
            };
            without_unknown_owners(&mut value);
            if !show_secrets && value["kind"] == "Secret" {
                redact(&mut value);
            }
            out.push(value);
        }
        Ok(out)
    }

    fn secrets<'a>(&mut self, secrets: impl Iterator<Item = &'a Secret>) -> serde_json::Result<()> {
        for secret in secrets {
            self.object(secret)?;
        }
        Ok(())
    }

    /// Watch mode's Role and RoleBinding.
    fn reloader_rbac(&mut self, rbac: Option<&ReloaderRbac>) -> serde_json::Result<()> {
        if let Some(rbac) = rbac {
            self.object(&rbac.role)?;
            self.object(&rbac.role_binding)?;
        }
        Ok(())
    }

    fn object(&mut self, object: &impl Serialize) -> serde_json::Result<()> {
        self.items.push(Item::Object(serde_json::to_value(object)?));
        Ok(())
    }

    fn service(&mut self, service: Option<&Service>) {
        let known = self.services.len();
        add_service(&mut self.services, service);
        if self.services.len() > known {
            self.items.push(Item::Service(known));
        }
    }
}

/// What a Secret's value becomes without `--show-secrets`: its size only.
/// The text is not base64, so applying the manifest fails rather than
/// writing the placeholder into the cluster.
fn redact(secret: &mut Value) {
    let Some(Value::Object(data)) = secret.get_mut("data") else {
        return;
    };
    for value in data.values_mut() {
        let b64 = value.as_str().unwrap_or_default();
        let padding = b64.bytes().rev().take_while(|&b| b == b'=').count();
        let size = (b64.len() / 4 * 3).saturating_sub(padding);
        *value = Value::String(format!("<redacted: {size} bytes; --show-secrets>"));
    }
}

/// An owner reference needs the owner's uid, which manifests on disk rarely
/// carry: such references are left out rather than refused by the API.
fn without_unknown_owners(object: &mut Value) {
    let Some(Value::Object(metadata)) = object.get_mut("metadata") else {
        return;
    };
    if let Some(Value::Array(owners)) = metadata.get_mut("ownerReferences") {
        owners.retain(|o| o["uid"].as_str().is_some_and(|uid| !uid.is_empty()));
        if owners.is_empty() {
            metadata.remove("ownerReferences");
        }
    }
}

/// `kind.group/name`, as `kubectl get -o name` prints it.
pub fn name(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or_default().to_lowercase();
    let group = object["apiVersion"]
        .as_str()
        .and_then(|v| v.split_once('/'))
        .map(|(group, _)| format!(".{group}"))
        .unwrap_or_default();
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    format!("{kind}{group}/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_replaced_by_their_size() {
        let mut secret = json!({"kind": "Secret", "data": {"password": "c2VjcmV0"}});
        redact(&mut secret);
        let text = secret.to_string();
        assert!(!text.contains("c2VjcmV0"), "{text}");
        assert!(text.contains("6 bytes"), "{text}");
    }

    #[test]
    fn owner_references_without_uid_are_left_out() {
        let mut object = json!({"metadata": {"ownerReferences": [
            {"kind": "Prometheus", "uid": ""},
            {"kind": "Prometheus", "uid": "1"},
        ]}});
        without_unknown_owners(&mut object);
        assert_eq!(
            object["metadata"]["ownerReferences"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let mut object = json!({"metadata": {"ownerReferences": [{"uid": ""}]}});
        without_unknown_owners(&mut object);
        assert_eq!(object, json!({"metadata": {}}));
    }

    #[test]
    fn names_are_kubectls() {
        let set = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "prometheus-k8s"}});
        assert_eq!(name(&set), "statefulset.apps/prometheus-k8s");
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}});
        assert_eq!(name(&secret), "secret/s");
    }
}
