//! Selection of a key of a Secret of the object's namespace.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Key of a Secret in the namespace of the AlertmanagerConfig.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeySelector {
    /// Name of the Secret.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Key in the Secret.
    #[schemars(length(min = 1))]
    pub key: String,
}
