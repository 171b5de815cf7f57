//! The governing Service of a workload's StatefulSets (`prometheus-operated`,
//! `alertmanager-operated`, …): headless, shared by every workload of its
//! kind in the namespace, each of them one of its owners.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
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
    merge_owner_references(
        owners,
        other
            .metadata
            .owner_references
            .as_deref()
            .unwrap_or_default(),
    );
}

/// The owners a shared object gets when one more workload writes it, as the
/// reference merges them: the existing ones in their order, then each new
/// one that is not among them. An owner with the UID of an existing one
/// replaces it in place (the API refuses two owners with one UID); without
/// UIDs (manifests) owners are the same when equal.
pub fn merge_owner_references(owners: &mut Vec<OwnerReference>, new: &[OwnerReference]) {
    let same = |a: &OwnerReference, b: &OwnerReference| match a.uid.is_empty() || b.uid.is_empty() {
        true => a == b,
        false => a.uid == b.uid,
    };
    for owner in new {
        match owners.iter_mut().find(|o| same(o, owner)) {
            Some(existing) => *existing = owner.clone(),
            None => owners.push(owner.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(name: &str, uid: &str) -> OwnerReference {
        OwnerReference {
            api_version: "monitoring.coreos.com/v1".into(),
            kind: "Prometheus".into(),
            name: name.into(),
            uid: uid.into(),
            ..OwnerReference::default()
        }
    }

    #[test]
    fn existing_owners_keep_their_order_and_new_ones_follow() {
        let mut owners = vec![owner("b", "2"), owner("a", "1")];
        merge_owner_references(&mut owners, &[owner("c", "0"), owner("a", "1")]);
        let names: Vec<&str> = owners.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "c"], "appended, not sorted by UID");
    }

    #[test]
    fn an_owner_with_a_known_uid_replaces_it_in_place() {
        let mut owners = vec![owner("a", "1"), owner("b", "2")];
        let updated = OwnerReference {
            block_owner_deletion: Some(true),
            ..owner("a", "1")
        };
        merge_owner_references(&mut owners, std::slice::from_ref(&updated));
        assert_eq!(owners, [updated, owner("b", "2")]);
    }

    #[test]
    fn without_uids_equal_owners_are_one() {
        let mut owners = vec![owner("a", "")];
        merge_owner_references(&mut owners, &[owner("a", ""), owner("b", "")]);
        assert_eq!(owners, [owner("a", ""), owner("b", "")]);
    }
}
