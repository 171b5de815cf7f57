//! Pieces of the workload kinds (Prometheus, PrometheusAgent, Alertmanager,
//! ThanosRuler): extra arguments, host aliases, StatefulSet policies.
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An extra command-line argument of a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Argument {
    /// Flag name without the leading dashes, e.g. `scrape.discovery-reload-interval`.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Flag value; empty for flags that take none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An entry of the pod's hosts file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostAlias {
    /// IP address of the entry.
    pub ip: String,
    /// Host names of that IP address.
    pub hostnames: Vec<String>,
}

/// How the StatefulSet creates and deletes pods.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum PodManagementPolicyType {
    OrderedReady,
    Parallel,
}

/// Update strategy of the StatefulSet.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!(self.type != 'RollingUpdate' && has(self.rollingUpdate))",
    "message": "rollingUpdate requires type to be RollingUpdate",
}]))]
pub struct StatefulSetUpdateStrategy {
    /// Strategy type (`RollingUpdate` by default in Kubernetes).
    #[serde(rename = "type")]
    pub type_: StatefulSetUpdateStrategyType,
    /// Parameters of the `RollingUpdate` strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_update: Option<RollingUpdateStatefulSetStrategy>,
}

/// StatefulSet update strategy types.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum StatefulSetUpdateStrategyType {
    OnDelete,
    RollingUpdate,
}

/// Parameters of the `RollingUpdate` StatefulSet strategy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdateStatefulSetStrategy {
    /// Pods that may be unavailable during the update (number or percentage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
}
