//! The governing Service of a workload's StatefulSets (`prometheus-operated`,
//! `alertmanager-operated`, …): headless, shared by every workload of its
//! kind in the namespace, each of them one of its owners.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::metadata::{self, Labels, NAME_KEY, Owner, merged, non_empty};

/// The governing Service as one workload writes it.
pub struct GoverningService<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    /// The label marking the Service (`operated-prometheus`, …), set to "true".
    pub operated_label: &'a str,
    /// The pods' `app.kubernetes.io/name`.
    pub app_name: &'a str,
    pub ports: Vec<ServicePort>,
    /// Peers must find each other before they are ready (Alertmanager's mesh).
    pub publish_not_ready_addresses: bool,
    pub owner: &'a Owner,
    pub labels: &'a Labels,
    pub annotations: &'a Labels,
}

/// A port targeting the named container port `target`.
pub fn port(name: &str, number: i32, target: &str, protocol: Option<&str>) -> ServicePort {
    ServicePort {
        name: Some(name.to_owned()),
        port: number,
        target_port: Some(IntOrString::String(target.to_owned())),
        protocol: protocol.map(str::to_owned),
        ..ServicePort::default()
    }
}

impl GoverningService<'_> {
    pub fn build(self) -> Service {
        let own = Labels::from([(self.operated_label.to_owned(), "true".to_owned())]);
        Service {
            metadata: ObjectMeta {
                name: Some(self.name.to_owned()),
                namespace: Some(self.namespace.to_owned()),
                labels: Some(merged(&merged(&metadata::managed_by(), &own), self.labels)),
                annotations: non_empty(self.annotations.clone()),
                owner_references: Some(vec![self.owner.plain_ref()]),
                ..ObjectMeta::default()
            },
            spec: Some(ServiceSpec {
                cluster_ip: Some("None".to_owned()),
                publish_not_ready_addresses: self.publish_not_ready_addresses.then_some(true),
                ports: Some(self.ports),
                selector: Some(BTreeMap::from([(
                    NAME_KEY.to_owned(),
                    self.app_name.to_owned(),
                )])),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        }
    }
}

/// The Service after several workloads wrote it in turn: the last one's
/// spec and labels, every writer among the owners (each added once).
pub fn merge_owners(into: &mut Service, other: &Service) {
    let owners = into.metadata.owner_references.get_or_insert_with(Vec::new);
    for owner in other.metadata.owner_references.iter().flatten() {
        if !owners.contains(owner) {
            owners.push(owner.clone());
        }
    }
}
