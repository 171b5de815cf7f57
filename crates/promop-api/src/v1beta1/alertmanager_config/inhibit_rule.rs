//! Inhibition rules.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Matcher;

/// Mutes the alerts matching `targetMatch` while alerts matching
/// `sourceMatch` fire. The operator restricts both sides to the object's
/// namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InhibitRule {
    /// Matchers selecting the alerts to mute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_match: Option<Vec<Matcher>>,
    /// Matchers selecting the alerts that must fire for the rule to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_match: Option<Vec<Matcher>>,
    /// Labels whose values must be equal in the source and target alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equal: Option<Vec<String>>,
}
