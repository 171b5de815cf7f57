//! The CustomResourceDefinitions of the `monitoring.coreos.com` API, generated
//! from the Rust types (`promop crds`).
mod defaults;
mod schema;
mod validate;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
use kube::core::object::HasSpec;
use kube::{CustomResourceExt, core::crd::merge_crds};
use schemars::JsonSchema;
use serde_json::{Value, json};

pub use defaults::{apply_defaults, validate};
pub use schema::schema_for;

use crate::{v1, v1alpha1, v1beta1};

/// The kind of every CRD served by promop.
const KINDS: [&str; 10] = [
    "AlertmanagerConfig",
    "Alertmanager",
    "PodMonitor",
    "Probe",
    "PrometheusAgent",
    "Prometheus",
    "PrometheusRule",
    "ScrapeConfig",
    "ServiceMonitor",
    "ThanosRuler",
];

/// Every CRD served by promop, in a stable order (by plural name).
pub fn all() -> Vec<CustomResourceDefinition> {
    let mut crds: Vec<_> = KINDS.iter().filter_map(|kind| of_kind(kind)).collect();
    crds.sort_by(|a, b| a.spec.names.plural.cmp(&b.spec.names.plural));
    crds
}

/// The CRD of one kind (`None` for a kind promop does not serve). Each
/// takes a while to generate: callers that need a few kinds build only those.
pub fn of_kind(kind: &str) -> Option<CustomResourceDefinition> {
    Some(match kind {
        "AlertmanagerConfig" => merge_crds(
            vec![
                generate::<v1alpha1::AlertmanagerConfig>(),
                generate::<v1beta1::AlertmanagerConfig>(),
            ],
            "v1alpha1",
        )
        .expect("both AlertmanagerConfig versions share group and names"),
        "Alertmanager" => generate::<v1::Alertmanager>(),
        "PodMonitor" => generate::<v1::PodMonitor>(),
        "Probe" => generate::<v1::Probe>(),
        "PrometheusAgent" => generate::<v1alpha1::PrometheusAgent>(),
        "Prometheus" => generate::<v1::Prometheus>(),
        "PrometheusRule" => generate::<v1::PrometheusRule>(),
        "ScrapeConfig" => generate::<v1alpha1::ScrapeConfig>(),
        "ServiceMonitor" => generate::<v1::ServiceMonitor>(),
        "ThanosRuler" => generate::<v1::ThanosRuler>(),
        _ => return None,
    })
}

/// The CRD of a kind, with our own spec schema. The status schema is the one
/// kube derived (status types embed no Kubernetes types), made structural.
pub fn generate<K>() -> CustomResourceDefinition
where
    K: CustomResourceExt + HasSpec,
    K::Spec: JsonSchema,
{
    assemble(K::crd(), schema_for::<K::Spec>())
}

/// Puts our own schemas into the CRD that kube derived (names, scope,
/// subresources and printer columns come from the `#[kube]` attributes).
fn assemble(mut crd: CustomResourceDefinition, spec: Value) -> CustomResourceDefinition {
    // Written out like the reference does (the API server would default it).
    crd.spec.names.list_kind = Some(format!("{}List", crd.spec.names.kind));
    let version = &mut crd.spec.versions[0];
    let derived = version
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref());
    let description = derived.and_then(|s| s.description.clone());
    let required = derived.and_then(|s| s.required.clone()).unwrap_or_default();
    let status = derived
        .and_then(|s| s.properties.as_ref())
        .and_then(|p| p.get("status"))
        .map(|s| {
            let mut value = serde_json::to_value(s).expect("JSONSchemaProps serializes");
            schema::make_structural(&mut value);
            value
        });
    let mut properties = json!({
        "apiVersion": {
            "description": "The versioned schema of this representation of an object.",
            "type": "string",
        },
        "kind": {
            "description": "The REST resource that this object represents.",
            "type": "string",
        },
        "metadata": { "type": "object" },
        "spec": spec,
    });
    if let Some(status) = status {
        properties["status"] = status;
    }
    let mut root = json!({ "type": "object", "properties": properties });
    if let Some(description) = description {
        root["description"] = description.into();
    }
    if !required.is_empty() {
        root["required"] = json!(required);
    }
    let props: JSONSchemaProps =
        serde_json::from_value(root).expect("generated schema fits JSONSchemaProps");
    if let Some(schema) = version.schema.as_mut() {
        schema.open_api_v3_schema = Some(props);
    }
    crd
}

/// `apiVersion`, `kind` and `metadata` belong to the API server, not to the
/// CRD's schema.
fn is_root_field_name(name: &str) -> bool {
    matches!(name, "apiVersion" | "kind" | "metadata")
}
