//! The governing Service of the StatefulSets (`prometheus-operated`, or
//! `prometheus-agent-operated` for agents): headless, shared by every
//! workload of its kind in the namespace, each of them one of its owners.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::k8s::metadata::{self, NAME_KEY, Owner, merged, non_empty};

/// The governing Service of one workload, as it writes it.
pub struct GoverningService<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    /// `prometheus` or `prometheus-agent`: the pods' `app.kubernetes.io/name`.
    pub app_name: &'a str,
    pub port_name: &'a str,
    /// A Thanos sidecar adds its gRPC port.
    pub thanos_grpc: bool,
    pub owner: &'a Owner,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
}

impl GoverningService<'_> {
    pub fn build(&self) -> Service {
        let port = |name: &str, number: i32| ServicePort {
            name: Some(name.to_owned()),
            port: number,
            target_port: Some(IntOrString::String(name.to_owned())),
            ..ServicePort::default()
        };
        let mut ports = vec![port(self.port_name, 9090)];
        if self.thanos_grpc {
            ports.push(port("grpc", 10901));
        }
        let own = BTreeMap::from([("operated-prometheus".to_owned(), "true".to_owned())]);
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
                ports: Some(ports),
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
