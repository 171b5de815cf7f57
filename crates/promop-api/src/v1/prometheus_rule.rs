//! PrometheusRule (v1). Work in progress: fields are being added.
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Desired state of a PrometheusRule.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PrometheusRule",
    plural = "prometheusrules",
    shortname = "promrule",
    category = "prometheus-operator",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleSpec {}
