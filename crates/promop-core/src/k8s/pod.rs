//! Fields of a generated pod or StatefulSet spec that every workload kind
//! sets from the same CRD fields: DNS, host aliases, update strategy, pod
//! management policy, the main container's memory request.
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{RollingUpdateStatefulSetStrategy, StatefulSetUpdateStrategy};
use k8s_openapi::api::core::v1::{
    HostAlias, PodDNSConfig, PodDNSConfigOption, PodSpec, ResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use promop_api::v1::workload::{self as crd, DnsPolicy, PodDnsConfig, PodManagementPolicyType};
use serde::Serialize;

/// The text of a CRD enum (`""` for an unset one).
pub fn string_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The host aliases of the pod (`None` for none).
pub fn host_aliases(aliases: Option<&Vec<crd::HostAlias>>) -> Option<Vec<HostAlias>> {
    let aliases = aliases.filter(|a| !a.is_empty())?;
    Some(
        aliases
            .iter()
            .map(|a| HostAlias {
                ip: a.ip.clone(),
                hostnames: Some(a.hostnames.clone()),
            })
            .collect(),
    )
}

/// The DNS policy and configuration: a pod on the host network resolves
/// cluster names (`ClusterFirstWithHostNet`) unless a policy is given.
pub fn set_dns(
    pod: &mut PodSpec,
    host_network: bool,
    policy: Option<&DnsPolicy>,
    config: Option<&PodDnsConfig>,
) {
    if host_network {
        pod.dns_policy = Some("ClusterFirstWithHostNet".to_owned());
    }
    if let Some(policy) = policy {
        pod.dns_policy = Some(string_of(policy));
    }
    if let Some(dns) = config {
        pod.dns_config = Some(PodDNSConfig {
            nameservers: dns.nameservers.clone(),
            searches: dns.searches.clone(),
            options: dns.options.as_ref().map(|options| {
                options
                    .iter()
                    .map(|o| PodDNSConfigOption {
                        name: Some(o.name.clone()),
                        value: o.value.clone(),
                    })
                    .collect()
            }),
        });
    }
}

/// The update strategy: `RollingUpdate` unless the workload sets one.
pub fn update_strategy(
    strategy: Option<&crd::StatefulSetUpdateStrategy>,
) -> StatefulSetUpdateStrategy {
    match strategy {
        None => StatefulSetUpdateStrategy {
            type_: Some("RollingUpdate".to_owned()),
            rolling_update: None,
        },
        Some(s) => StatefulSetUpdateStrategy {
            type_: Some(string_of(&s.type_)),
            rolling_update: s
                .rolling_update
                .as_ref()
                .map(|r| RollingUpdateStatefulSetStrategy {
                    max_unavailable: r.max_unavailable.clone(),
                    ..RollingUpdateStatefulSetStrategy::default()
                }),
        },
    }
}

/// `Parallel` by default: ordered starts get stuck on a broken pod
/// (kubernetes/kubernetes#60164).
pub fn pod_management_policy(policy: Option<&PodManagementPolicyType>) -> String {
    policy.map_or_else(|| "Parallel".to_owned(), string_of)
}

/// `resources` with a memory request of `default` unless one is given.
pub fn with_memory_request(
    resources: Option<&ResourceRequirements>,
    default: &str,
) -> ResourceRequirements {
    let mut resources = resources.cloned().unwrap_or_default();
    resources
        .requests
        .get_or_insert_with(BTreeMap::new)
        .entry("memory".to_owned())
        .or_insert_with(|| Quantity(default.to_owned()));
    resources
}
