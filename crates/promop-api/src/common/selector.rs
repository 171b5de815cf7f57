//! Namespace selection of monitoring resources.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Namespaces to discover targets in: all of them (`any`), a list, or (neither
/// set) the namespace of the object itself.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Select every namespace; takes precedence over `matchNames`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<bool>,
    /// Names of the selected namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_names: Option<Vec<String>>,
}
