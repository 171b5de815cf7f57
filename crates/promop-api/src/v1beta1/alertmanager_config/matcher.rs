//! Matchers on alert labels.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::MatchType;

/// Condition on one label of an alert.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    /// Label name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Label value (a regular expression for `=~` and `!~`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Operator; `=` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_type: Option<MatchType>,
}
