//! Topology spread constraints with operator-managed label selectors.
use k8s_openapi::api::core::v1::TopologySpreadConstraint as CoreTopologySpreadConstraint;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which operator-managed labels are added to the constraint's label selector.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum AdditionalLabelSelectors {
    OnResource,
    OnShard,
}

/// A Kubernetes topology spread constraint, plus the operator-managed labels
/// to add to its label selector.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = mark_atomic_lists)]
pub struct TopologySpreadConstraint {
    #[serde(flatten)]
    pub constraint: CoreTopologySpreadConstraint,
    /// Adds a selector on the pods of the same resource (`OnResource`) or of
    /// the same shard (`OnShard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_label_selectors: Option<AdditionalLabelSelectors>,
}

/// The flattened Kubernetes schema lacks the list type that Kubernetes'
/// OpenAPI spec (and the reference CRD) gives to `matchLabelKeys`.
fn mark_atomic_lists(schema: &mut schemars::Schema) {
    if let Some(keys) = schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("matchLabelKeys"))
        .and_then(|k| k.as_object_mut())
    {
        keys.insert("x-kubernetes-list-type".into(), "atomic".into());
    }
}
