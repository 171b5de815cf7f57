//! The kubelet endpoints controller (`--kubelet-service=NS/NAME`): a
//! headless Service and its Endpoints (and, with `--kubelet-endpointslice`,
//! EndpointSlices) listing every node's kubelet, so that a ServiceMonitor
//! can scrape kubelets and cAdvisor like any Service. Like the reference it
//! lists the Nodes every `--kubelet-sync-period` instead of watching them
//! (a Node's status is large and changes often), and writes the same
//! objects: names, labels, ports, one address per node chosen by
//! `--kubelet-node-address-priority`, the Node as target reference.
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use crate::apply::FIELD_MANAGER;
use crate::error::Error;
use crate::options::{NodeAddressPriority, Options};

/// What the EndpointSlices of the Service are found by.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// Nodes per EndpointSlice (the reference's limit).
const MAX_ENDPOINTS_PER_SLICE: usize = 512;
const PORTS: [(&str, i32); 3] = [
    ("https-metrics", 10250),
    ("cadvisor", 4194),
    ("http-metrics", 10255),
];

/// Metrics (described in telemetry.rs).
pub const SYNCS: &str = "promop_kubelet_syncs_total";
pub const SYNC_ERRORS: &str = "promop_kubelet_sync_errors_total";
pub const ADDRESS_ERRORS: &str = "promop_kubelet_node_address_errors_total";

/// The address of one node's kubelet.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NodeAddress {
    ip: String,
    node: String,
    uid: String,
    ipv4: bool,
}

impl NodeAddress {
    fn target(&self) -> Value {
        json!({"kind": "Node", "name": self.node, "uid": self.uid})
    }
}

/// The addresses of the given type of a node, in its order.
fn addresses_of<'a>(node: &'a Node, kind: &str) -> Vec<&'a str> {
    node.status
        .iter()
        .flat_map(|s| s.addresses.iter().flatten())
        .filter(|a| a.type_ == kind)
        .map(|a| a.address.as_str())
        .collect()
}

/// Whether the node's Ready condition is known (True or False).
fn ready_known(node: &Node) -> bool {
    node.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .any(|c| c.type_ == "Ready" && c.status != "Unknown")
}

/// One entry per usable node IP; errors for nodes without one. An IP that
/// a node whose Ready condition is known also has is left out for the
/// other nodes whose readiness is unknown (a replaced node keeps its IP).
fn node_addresses(
    nodes: &[Node],
    priority: NodeAddressPriority,
) -> (Vec<NodeAddress>, Vec<String>) {
    let order = match priority {
        NodeAddressPriority::Internal => ["InternalIP", "ExternalIP"],
        NodeAddressPriority::External => ["ExternalIP", "InternalIP"],
    };
    let mut all = Vec::new();
    let mut errors = Vec::new();
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    for node in nodes {
        let name = node.name_any();
        let Some(ips) = order
            .iter()
            .map(|kind| addresses_of(node, kind))
            .find(|ips| !ips.is_empty())
        else {
            errors.push(format!(
                "failed to determine hostname for node {name:?} (priority: {}): host address unknown",
                priority.as_str()
            ));
            continue;
        };
        let ready = ready_known(node);
        // Several interfaces give several addresses per family, all reaching
        // the same kubelet: the first of each family is enough.
        let (mut seen_v4, mut seen_v6) = (false, false);
        for ip in ips {
            let Ok(parsed) = ip.parse::<IpAddr>() else {
                errors.push(format!(
                    "failed to parse IP address {ip:?} for node {name:?} (priority: {})",
                    priority.as_str()
                ));
                continue;
            };
            let seen = if parsed.is_ipv4() {
                &mut seen_v4
            } else {
                &mut seen_v6
            };
            if std::mem::replace(seen, true) {
                continue;
            }
            if ready {
                known.insert(ip.to_owned(), name.clone());
            } else {
                unknown.insert(ip.to_owned());
            }
            all.push(NodeAddress {
                ip: ip.to_owned(),
                node: name.clone(),
                uid: node.uid().unwrap_or_default(),
                ipv4: parsed.is_ipv4(),
            });
        }
    }
    all.retain(|a| match known.get(&a.ip) {
        Some(owner) if unknown.contains(&a.ip) => *owner == a.node,
        _ => true,
    });
    (all, errors)
}

/// One address per node for the Endpoints object, which (unlike slices) has
/// no address family: the one of the Service's primary family, else the
/// node's first.
fn one_per_node<'a>(
    service: Option<&Service>,
    addresses: &'a [NodeAddress],
) -> Vec<&'a NodeAddress> {
    let primary_v4 = service
        .and_then(|s| s.spec.as_ref()?.ip_families.as_ref()?.first().cloned())
        .map(|family| family == "IPv4");
    let mut chosen: Vec<&NodeAddress> = Vec::new();
    for a in addresses {
        match chosen.iter_mut().find(|c| c.node == a.node) {
            None => chosen.push(a),
            Some(c) if primary_v4 == Some(a.ipv4) => *c = a,
            Some(_) => {}
        }
    }
    chosen
}

/// The controller's settings, from the operator's options.
pub struct Kubelet {
    namespace: String,
    name: String,
    selector: Option<String>,
    priority: NodeAddressPriority,
    endpoints: bool,
    endpoint_slice: bool,
    http_metrics: bool,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

impl Kubelet {
    /// `None` unless `--kubelet-service` is set.
    pub fn from_options(options: &Options) -> Option<Self> {
        let k = &options.kubelet;
        let (namespace, name) = k.service.clone()?;
        let mut labels = options.objects.labels();
        for (key, value) in [
            ("k8s-app", "kubelet"),
            ("app.kubernetes.io/name", "kubelet"),
            ("app.kubernetes.io/managed-by", "prometheus-operator"),
        ] {
            labels.insert(key.to_owned(), value.to_owned());
        }
        Some(Self {
            namespace,
            name,
            selector: k.selector.clone(),
            priority: k.node_address_priority,
            endpoints: k.endpoints,
            endpoint_slice: k.endpoint_slice,
            http_metrics: k.http_metrics,
            labels,
            annotations: options.objects.annotations(),
        })
    }

    fn ports(&self) -> Vec<Value> {
        let n = if self.http_metrics { 3 } else { 2 };
        PORTS[..n]
            .iter()
            .map(|(name, port)| json!({"name": name, "port": port}))
            .collect()
    }

    fn metadata(&self, labels: &BTreeMap<String, String>) -> Value {
        let mut meta = json!({"name": self.name, "namespace": self.namespace, "labels": labels});
        if !self.annotations.is_empty() {
            meta["annotations"] = json!(self.annotations);
        }
        meta
    }

    fn service(&self) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": self.metadata(&self.labels),
            "spec": {"type": "ClusterIP", "clusterIP": "None", "ports": self.ports()},
        })
    }

    fn endpoints(&self, addresses: &[&NodeAddress]) -> Value {
        let mut labels = self.labels.clone();
        if self.endpoint_slice {
            // The EndpointSlice mirroring controller leaves these Endpoints
            // alone: promop writes the slices itself.
            labels.insert(
                "endpointslice.kubernetes.io/skip-mirror".into(),
                "true".into(),
            );
        }
        let addresses: Vec<Value> = addresses
            .iter()
            .map(|a| json!({"ip": a.ip, "nodeName": a.node, "targetRef": a.target()}))
            .collect();
        json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": self.metadata(&labels),
            "subsets": [{"addresses": addresses, "ports": self.ports()}],
        })
    }

    /// Lists the nodes and writes the Service, Endpoints and slices.
    pub async fn sync(&self, client: &Client) {
        let nodes: Api<Node> = Api::all(client.clone());
        let mut params = ListParams::default();
        if let Some(selector) = &self.selector {
            params = params.labels(selector);
        }
        let nodes = match nodes.list(&params).await {
            Ok(list) => list.items,
            Err(error) => {
                tracing::error!(%error, "listing nodes");
                return;
            }
        };
        let (addresses, errors) = node_addresses(&nodes, self.priority);
        for error in &errors {
            tracing::warn!("{error}");
        }
        metrics::counter!(ADDRESS_ERRORS).increment(errors.len() as u64);
        let service = match self.apply::<Service>(client, &self.service()).await {
            Ok(service) => Some(service),
            Err(error) => {
                tracing::error!(%error, "writing the kubelet Service");
                None
            }
        };
        if self.endpoints {
            let endpoints = self.endpoints(&one_per_node(service.as_ref(), &addresses));
            let result = self
                .apply::<k8s_openapi::api::core::v1::Endpoints>(client, &endpoints)
                .await;
            record("endpoints", result.map(drop));
        }
        if self.endpoint_slice {
            let result = match &service {
                Some(service) => self
                    .sync_slices(client, service, &addresses)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err("no kubelet Service to own the EndpointSlices".to_owned()),
            };
            record("endpointslice", result);
        }
    }

    async fn apply<K>(&self, client: &Client, desired: &Value) -> Result<K, Error>
    where
        K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + std::fmt::Debug
            + serde::de::DeserializeOwned,
    {
        let api: Api<K> = Api::namespaced(client.clone(), &self.namespace);
        Ok(api
            .patch(
                &self.name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(desired),
            )
            .await?)
    }

    /// Keeps the existing slices (dropping gone nodes), fills them, creates
    /// new ones per address family for the rest, deletes empty ones.
    async fn sync_slices(
        &self,
        client: &Client,
        service: &Service,
        addresses: &[NodeAddress],
    ) -> Result<(), Error> {
        let api: Api<EndpointSlice> = Api::namespaced(client.clone(), &self.namespace);
        let params = ListParams::default().labels(&format!("{SERVICE_NAME_LABEL}={}", self.name));
        let slices = api.list(&params).await?.items;
        let endpoint = |a: &NodeAddress| json!({"addresses": [a.ip], "conditions": {"ready": true}, "nodeName": a.node, "targetRef": a.target()});
        let mut pending: BTreeMap<&str, &NodeAddress> =
            addresses.iter().map(|a| (a.ip.as_str(), a)).collect();
        let mut desired: Vec<(Option<String>, String, Vec<Value>)> = Vec::new();
        for slice in &slices {
            let kept = slice
                .endpoints
                .iter()
                .flatten()
                .filter(|e| e.addresses.len() == 1)
                .filter_map(|e| pending.remove(e.addresses[0].as_str()))
                .map(endpoint)
                .collect();
            desired.push((
                slice.metadata.name.clone(),
                slice.address_type.clone(),
                kept,
            ));
        }
        for a in addresses {
            if pending.remove(a.ip.as_str()).is_none() {
                continue;
            }
            let family = if a.ipv4 { "IPv4" } else { "IPv6" };
            let open = desired
                .iter_mut()
                .find(|(_, t, e)| t == family && e.len() < MAX_ENDPOINTS_PER_SLICE);
            match open {
                Some((_, _, endpoints)) => endpoints.push(endpoint(a)),
                None => desired.push((None, family.to_owned(), vec![endpoint(a)])),
            }
        }
        let mut labels = self.labels.clone();
        labels.insert(SERVICE_NAME_LABEL.into(), self.name.clone());
        labels.insert(
            "endpointslice.kubernetes.io/managed-by".into(),
            "prometheus-operator".into(),
        );
        let owner = json!([{
            "apiVersion": "v1", "kind": "Service", "name": self.name,
            "uid": service.uid().unwrap_or_default(),
            "controller": true, "blockOwnerDeletion": true,
        }]);
        for (name, family, endpoints) in desired {
            match (name, endpoints.is_empty()) {
                (Some(name), true) => {
                    api.delete(&name, &DeleteParams::default()).await?;
                }
                (None, true) => {}
                (name, false) => {
                    let mut meta = self.metadata(&labels);
                    meta["ownerReferences"] = owner.clone();
                    match &name {
                        Some(name) => meta["name"] = json!(name),
                        None => {
                            let map = meta.as_object_mut().expect("an object");
                            map.remove("name");
                            map.insert("generateName".into(), json!(format!("{}-", self.name)));
                        }
                    }
                    let slice = json!({
                        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                        "metadata": meta, "addressType": family,
                        "endpoints": endpoints, "ports": self.ports(),
                    });
                    match name {
                        Some(name) => {
                            api.patch(
                                &name,
                                &PatchParams::apply(FIELD_MANAGER).force(),
                                &Patch::Apply(&slice),
                            )
                            .await?;
                        }
                        None => {
                            let slice: EndpointSlice = serde_json::from_value(slice)?;
                            api.create(&PostParams::default(), &slice).await?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn record<E: std::fmt::Display>(resource: &'static str, result: Result<(), E>) {
    metrics::counter!(SYNCS, "resource" => resource).increment(1);
    if let Err(error) = result {
        metrics::counter!(SYNC_ERRORS, "resource" => resource).increment(1);
        tracing::error!(%error, resource, "kubelet sync failed");
    }
}

/// Syncs every `period` until `stop` resolves.
pub async fn run(
    client: Client,
    kubelet: Kubelet,
    period: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tracing::info!(
        service = format!("{}/{}", kubelet.namespace, kubelet.name),
        "kubelet endpoints controller started"
    );
    let mut stop = std::pin::pin!(stop);
    let mut tick = tokio::time::interval(period);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => kubelet.sync(&client).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, addresses: &[(&str, &str)], ready: &str) -> Node {
        serde_json::from_value(json!({
            "metadata": {"name": name, "uid": format!("uid-{name}")},
            "status": {
                "addresses": addresses.iter().map(|(t, a)| json!({"type": t, "address": a})).collect::<Vec<_>>(),
                "conditions": [{"type": "Ready", "status": ready}],
            }
        }))
        .expect("a Node")
    }

    #[test]
    fn addresses_follow_the_priority_and_skip_unknown_duplicates() {
        let nodes = [
            node(
                "a",
                &[("InternalIP", "10.0.0.1"), ("ExternalIP", "1.2.3.4")],
                "True",
            ),
            node("b", &[("ExternalIP", "1.2.3.5")], "False"),
            node("c", &[("Hostname", "c")], "True"),
            node("d", &[("InternalIP", "fd00::1")], "True"),
            // A replaced node whose IP a ready node has now.
            node("old", &[("InternalIP", "10.0.0.1")], "Unknown"),
            node("e", &[("InternalIP", "not-an-ip")], "True"),
        ];
        let (addresses, errors) = node_addresses(&nodes, NodeAddressPriority::Internal);
        let got: Vec<(&str, &str, bool)> = addresses
            .iter()
            .map(|a| (a.node.as_str(), a.ip.as_str(), a.ipv4))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "10.0.0.1", true),
                ("b", "1.2.3.5", true),
                ("d", "fd00::1", false)
            ]
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("\"c\"") && errors[1].contains("not-an-ip"));
        let (external, _) = node_addresses(&nodes[..1], NodeAddressPriority::External);
        assert_eq!(external[0].ip, "1.2.3.4");
    }

    #[test]
    fn one_address_per_family_and_one_per_node_in_endpoints() {
        let nodes = [
            node(
                "a",
                &[
                    ("InternalIP", "10.0.0.1"),
                    ("InternalIP", "10.0.1.1"),
                    ("InternalIP", "fd00::1"),
                    ("InternalIP", "fd00::2"),
                ],
                "True",
            ),
            node("b", &[("InternalIP", "fd00::3")], "True"),
        ];
        let (addresses, errors) = node_addresses(&nodes, NodeAddressPriority::Internal);
        assert!(errors.is_empty(), "{errors:?}");
        let ips = |list: &[&NodeAddress]| list.iter().map(|a| a.ip.clone()).collect::<Vec<_>>();
        assert_eq!(
            ips(&addresses.iter().collect::<Vec<_>>()),
            ["10.0.0.1", "fd00::1", "fd00::3"]
        );
        let service = |family: &str| -> Service {
            serde_json::from_value(json!({"spec": {"ipFamilies": [family]}})).expect("a Service")
        };
        assert_eq!(
            ips(&one_per_node(Some(&service("IPv6")), &addresses)),
            ["fd00::1", "fd00::3"]
        );
        assert_eq!(
            ips(&one_per_node(Some(&service("IPv4")), &addresses)),
            ["10.0.0.1", "fd00::3"]
        );
        assert_eq!(
            ips(&one_per_node(None, &addresses)),
            ["10.0.0.1", "fd00::3"]
        );
    }
}
