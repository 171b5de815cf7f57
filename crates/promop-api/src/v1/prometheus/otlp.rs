//! Settings of the OTLP receiver.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How OTLP metric names are translated.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum TranslationStrategyOption {
    #[serde(rename = "NoUTF8EscapingWithSuffixes")]
    NoUtf8EscapingWithSuffixes,
    UnderscoreEscapingWithSuffixes,
    NoTranslation,
    UnderscoreEscapingWithoutSuffixes,
}

/// Settings of the OTLP receiver.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OtlpConfig {
    /// Turns every resource attribute but `ignoreResourceAttributes` into a
    /// label (exclusive with `promoteResourceAttributes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promote_all_resource_attributes: Option<bool>,
    /// Resource attributes not promoted by `promoteAllResourceAttributes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1),
        inner(length(min = 1)),
        extend("x-kubernetes-list-type" = "set")
    )]
    pub ignore_resource_attributes: Option<Vec<String>>,
    /// Resource attributes turned into labels (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1),
        inner(length(min = 1)),
        extend("x-kubernetes-list-type" = "set")
    )]
    pub promote_resource_attributes: Option<Vec<String>>,
    /// How incoming metric names are translated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_strategy: Option<TranslationStrategyOption>,
    /// Also copies `service.name`, `service.namespace` and
    /// `service.instance.id` to `target_info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_identifying_resource_attributes: Option<bool>,
    /// Converts explicit-bucket histograms into native histograms with custom
    /// buckets.
    #[serde(
        default,
        rename = "convertHistogramsToNHCB",
        skip_serializing_if = "Option::is_none"
    )]
    pub convert_histograms_to_nhcb: Option<bool>,
    /// Turns the scope metadata (name, version, schema URL, attributes) into
    /// labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promote_scope_metadata: Option<bool>,
    /// Prefixes label names starting with a single `_` with `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_name_underscore_sanitization: Option<bool>,
    /// Keeps runs of underscores in label names (true by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_name_preserve_multiple_underscores: Option<bool>,
}
