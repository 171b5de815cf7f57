//! Prometheus (v1). Work in progress: fields are being added.
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Desired state of a Prometheus.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "Prometheus",
    plural = "prometheuses",
    shortname = "prom",
    category = "prometheus-operator",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusSpec {}
