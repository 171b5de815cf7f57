//! References to monitoring resources excluded from namespace enforcement.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A PodMonitor, ServiceMonitor, Probe, ScrapeConfig or PrometheusRule (or all
/// of a resource in a namespace when `name` is empty).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    /// API group; `monitoring.coreos.com` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["monitoring.coreos.com"], "default" = "monitoring.coreos.com"))]
    pub group: Option<String>,
    /// Resource (plural) of the referent.
    #[schemars(extend(
        "enum" = ["prometheusrules", "servicemonitors", "podmonitors", "probes", "scrapeconfigs"]
    ))]
    pub resource: String,
    /// Namespace of the referent.
    #[schemars(length(min = 1))]
    pub namespace: String,
    /// Name of the referent; all objects of the namespace when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A PrometheusRule excluded from namespace label enforcement.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleExcludeConfig {
    /// Namespace of the PrometheusRule.
    pub rule_namespace: String,
    /// Name of the PrometheusRule.
    pub rule_name: String,
}
