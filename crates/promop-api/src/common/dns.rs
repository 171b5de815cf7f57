//! Pod DNS settings.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// DNS policy of a pod.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum DnsPolicy {
    ClusterFirstWithHostNet,
    ClusterFirst,
    Default,
    None,
}

/// DNS settings added to the ones derived from the DNS policy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodDnsConfig {
    /// Extra name server IP addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"), inner(length(min = 1)))]
    pub nameservers: Option<Vec<String>>,
    /// Extra search domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"), inner(length(min = 1)))]
    pub searches: Option<Vec<String>>,
    /// Resolver options, overriding those of the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub options: Option<Vec<PodDnsConfigOption>>,
}

/// A DNS resolver option.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodDnsConfigOption {
    /// Option name (unique).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Option value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}
