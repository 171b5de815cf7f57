//! Matchers on alert labels.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Comparison operator of a matcher.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum MatchType {
    #[serde(rename = "!=")]
    NotEqual,
    #[serde(rename = "=")]
    Equal,
    #[serde(rename = "=~")]
    Regexp,
    #[serde(rename = "!~")]
    NotRegexp,
}

impl MatchType {
    /// The operator as written in Alertmanager matchers.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::NotEqual => "!=",
            MatchType::Equal => "=",
            MatchType::Regexp => "=~",
            MatchType::NotRegexp => "!~",
        }
    }
}

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
    /// Operator (Alertmanager >= 0.22); wins over `regex` when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_type: Option<MatchType>,
    /// Deprecated (use `matchType`): match `value` as a regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<bool>,
}
