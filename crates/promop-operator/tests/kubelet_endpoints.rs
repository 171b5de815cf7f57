//! The kubelet endpoints controller on the real test bed, against the
//! reference: both operators run in turn on the same apiserver with the same
//! Nodes and `--kubelet-service=kube-system/kubelet --kubelet-endpointslice`,
//! and write the same Service, Endpoints and EndpointSlices (field by field
//! after normalization; slices by content, their names are generated). Then
//! a Node that goes away leaves promop's Endpoints at the next sync.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::core::v1::{Endpoints, Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use promop_testenv::written::normalize;
use promop_testenv::{ReferenceOperator, TestEnv};
use serde_json::{Value, json};

const NAMESPACE: &str = "kube-system";
const SERVICE: &str = "kubelet";
const WITHIN: Duration = Duration::from_secs(30);

/// Nodes of every case the controller handles: internal and external
/// addresses, IPv6, readiness unknown, no address at all. The addresses are
/// documentation ranges (RFC 5737, RFC 3849): data only, nothing connects
/// to them, and the API server refuses loopback ones in Endpoints.
async fn create_nodes(client: &Client) -> Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let cases = [
        (
            "node-a",
            json!([{"type": "InternalIP", "address": "192.0.2.1"}, {"type": "ExternalIP", "address": "198.51.100.1"}, {"type": "Hostname", "address": "node-a"}]),
            "True",
        ),
        (
            "node-b",
            json!([{"type": "ExternalIP", "address": "198.51.100.2"}]),
            "False",
        ),
        (
            "node-c",
            json!([{"type": "InternalIP", "address": "2001:db8::3"}]),
            "True",
        ),
        (
            "node-d",
            json!([{"type": "Hostname", "address": "node-d"}]),
            "True",
        ),
        (
            "node-e",
            json!([{"type": "InternalIP", "address": "192.0.2.5"}]),
            "Unknown",
        ),
        // Several interfaces: two addresses per family, one kubelet (v0.93.1
        // keeps the first of each family, v0.94 one per node in Endpoints).
        (
            "node-f",
            json!([
                {"type": "InternalIP", "address": "192.0.2.6"},
                {"type": "InternalIP", "address": "2001:db8::6"},
                {"type": "InternalIP", "address": "192.0.2.16"},
                {"type": "InternalIP", "address": "2001:db8::16"},
            ]),
            "True",
        ),
    ];
    for (name, addresses, ready) in cases {
        let node: Node = serde_json::from_value(json!({"metadata": {"name": name}}))?;
        nodes.create(&PostParams::default(), &node).await?;
        let status = json!({"status": {
            "addresses": addresses,
            "conditions": [{"type": "Ready", "status": ready, "reason": "Test", "lastHeartbeatTime": null}],
        }});
        nodes
            .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
            .await?;
    }
    Ok(())
}

/// The Service, Endpoints and EndpointSlices written for the kubelets,
/// normalized (slices by address type, without their generated names).
async fn written(client: &Client) -> Result<Option<BTreeMap<String, Value>>> {
    let mut out = BTreeMap::new();
    let service = Api::<Service>::namespaced(client.clone(), NAMESPACE)
        .get_opt(SERVICE)
        .await?;
    let endpoints = Api::<Endpoints>::namespaced(client.clone(), NAMESPACE)
        .get_opt(SERVICE)
        .await?;
    let slices = Api::<EndpointSlice>::namespaced(client.clone(), NAMESPACE)
        .list(&ListParams::default().labels(&format!("kubernetes.io/service-name={SERVICE}")))
        .await?
        .items;
    let (Some(service), Some(endpoints)) = (service, endpoints) else {
        return Ok(None);
    };
    let object = |kind: &str, v: Value| -> Result<Value> {
        let mut v = v;
        v["kind"] = json!(kind);
        normalize(v)
    };
    out.insert(
        "Service".into(),
        object("Service", serde_json::to_value(service)?)?,
    );
    out.insert(
        "Endpoints".into(),
        object("Endpoints", serde_json::to_value(endpoints)?)?,
    );
    for slice in slices {
        let mut v = object("EndpointSlice", serde_json::to_value(slice)?)?;
        let family = v["addressType"].as_str().unwrap_or_default().to_owned();
        if let Some(meta) = v["metadata"].as_object_mut() {
            meta.remove("name");
        }
        out.insert(format!("EndpointSlice {family}"), v);
    }
    Ok(Some(out))
}

/// Polls until the objects exist with at least two slices (IPv4 and IPv6).
async fn wait_written(client: &Client) -> Result<BTreeMap<String, Value>> {
    let start = Instant::now();
    loop {
        if let Some(objects) = written(client).await?
            && objects.len() == 4
        {
            return Ok(objects);
        }
        if start.elapsed() > WITHIN {
            bail!("no kubelet Service, Endpoints and two EndpointSlices after {WITHIN:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn delete_written(client: &Client) -> Result<()> {
    let dp = DeleteParams::default();
    Api::<Service>::namespaced(client.clone(), NAMESPACE)
        .delete(SERVICE, &dp)
        .await?;
    Api::<Endpoints>::namespaced(client.clone(), NAMESPACE)
        .delete(SERVICE, &dp)
        .await?;
    Api::<EndpointSlice>::namespaced(client.clone(), NAMESPACE)
        .delete_collection(
            &dp,
            &ListParams::default().labels(&format!("kubernetes.io/service-name={SERVICE}")),
        )
        .await?;
    Ok(())
}

fn ips(endpoints: &Value) -> Vec<String> {
    endpoints["subsets"][0]["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["ip"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn promop_writes_the_kubelet_objects_the_reference_writes() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    create_nodes(&client).await?;
    let flags = [
        "--kubelet-service=kube-system/kubelet",
        "--kubelet-endpointslice=true",
        "--kubelet-sync-period=1s",
    ];

    let reference = ReferenceOperator::start(&env, &flags).await?;
    let theirs = wait_written(&client)
        .await
        .with_context(|| reference.log_tail(30))?;
    drop(reference);
    delete_written(&client).await?;

    let mut options = promop_operator::Options::default();
    options.kubelet.service = Some((NAMESPACE.into(), SERVICE.into()));
    options.kubelet.endpoint_slice = true;
    options.kubelet.sync_period = Duration::from_secs(1);
    let controller = promop_operator::spawn(client.clone(), options);
    let ours = wait_written(&client).await?;
    ensure!(
        ips(&ours["Endpoints"])
            == [
                "192.0.2.1",
                "198.51.100.2",
                "2001:db8::3",
                "192.0.2.5",
                "192.0.2.6"
            ],
        "{:#}",
        ours["Endpoints"]
    );
    for (key, expected) in &theirs {
        ensure!(
            ours.get(key) == Some(expected),
            "{key} differs:\nreference {expected:#}\npromop    {:#}",
            ours.get(key).unwrap_or(&Value::Null)
        );
    }

    // A node that goes away leaves the Endpoints at the next sync.
    Api::<Node>::all(client.clone())
        .delete("node-b", &DeleteParams::default())
        .await?;
    let start = Instant::now();
    loop {
        let now = written(&client).await?.context("objects gone")?;
        if !ips(&now["Endpoints"]).contains(&"198.51.100.2".to_owned()) {
            break;
        }
        if start.elapsed() > WITHIN {
            bail!("node-b still in {:#}", now["Endpoints"]);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}
