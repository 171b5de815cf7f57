//! Issue 11's fault-injection suite: `promop run` (the real binary) on the
//! real test bed, with the environment broken on purpose — the API server
//! stopped, watches expired, promop killed mid-reconcile, the leader
//! partitioned from the API server.
//!
//! Each test states its fault, changes inputs around it, waits until the
//! configuration equals what `promop render` makes of the final inputs, and
//! then checks that the cluster holds exactly what a fresh promop writes for
//! those inputs: promop is stopped, everything it wrote is deleted, a new
//! promop starts, and its objects must equal the survivor's (nothing lost,
//! nothing stale). A line `fault | survived | converged in | lost or stale`
//! per test is printed for the issue's table.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use common::{Operator, lease_holder};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{ApiResource, DeleteParams, DynamicObject, ListParams};
use kube::{Api, Client, ResourceExt};
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use promop_testenv::cluster_state::{MANAGED_BY, written_objects};
use promop_testenv::proxy::TcpProxy;
use promop_testenv::{TestEnv, TestEnvOptions, apply_manifests, read_generated_config};
use serde_json::Value;

const NS: &str = "monitoring";
const NAME: &str = "main";
/// Generous: a loaded 2-core machine runs several test beds at once.
const CONVERGE: Duration = Duration::from_secs(90);

fn prometheus(shards: u32) -> String {
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: monitoring}}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: main, namespace: monitoring}}
spec:
  version: v3.5.0
  shards: {shards}
  serviceMonitorSelector: {{}}
  ruleSelector: {{}}
"#
    )
}

fn monitor(name: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: {name}, namespace: monitoring}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  endpoints:
  - port: web{extra}
"#
    )
}

/// A monitor whose endpoint uses basic auth from Secret `<name>-auth`.
fn monitor_with_auth(name: &str) -> String {
    monitor(
        name,
        &format!(
            "\n    basicAuth:\n      username: {{name: {name}-auth, key: user}}\n      password: {{name: {name}-auth, key: pass}}"
        ),
    )
}

fn auth_secret(name: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Secret
metadata: {{name: {name}-auth, namespace: monitoring}}
stringData: {{user: scraper, pass: s3cr3t}}
"#
    )
}

fn rule(name: &str, expr: &str) -> String {
    format!(
        r#"
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: {name}, namespace: monitoring}}
spec:
  groups:
  - name: {name}
    rules: [{{record: "{name}:value", expr: "{expr}"}}]
"#
    )
}

/// The inputs in the cluster, by a name of ours, to render and to apply.
#[derive(Default)]
struct Inputs(BTreeMap<&'static str, String>);

impl Inputs {
    async fn set(&mut self, client: &Client, key: &'static str, yaml: String) -> Result<()> {
        apply_manifests(client, &yaml).await?;
        self.0.insert(key, yaml);
        Ok(())
    }

    /// Deletes the object of `key` from the cluster and the inputs.
    async fn delete(&mut self, client: &Client, key: &'static str) -> Result<()> {
        let yaml = self.0.remove(key).context("no such input")?;
        let doc: Value = serde_saphyr::from_str(yaml.trim())?;
        let kind = doc["kind"].as_str().unwrap_or_default();
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        let (group, version) = match doc["apiVersion"].as_str().unwrap_or_default() {
            "v1" => ("", "v1"),
            other => other.split_once('/').unwrap_or(("", other)),
        };
        let plural = format!("{}s", kind.to_lowercase());
        let resource = ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: doc["apiVersion"].as_str().unwrap_or_default().into(),
            kind: kind.into(),
            plural,
        };
        Api::<DynamicObject>::namespaced_with(client.clone(), NS, &resource)
            .delete(name, &DeleteParams::default())
            .await?;
        Ok(())
    }

    /// What `promop render` makes of the inputs for Prometheus `main`: its
    /// configuration and the contents of its rule files, sorted (their names
    /// hold the rules' uids, which manifests lack).
    fn rendered(&self) -> Result<(String, Vec<String>)> {
        let mut loaded = Loaded::default();
        for (key, text) in &self.0 {
            loaded.add_yaml(key, text, "default", Strictness::ObjectsOnly)?;
        }
        let prometheus = loaded
            .snapshot
            .prometheuses
            .iter()
            .find(|p| p.name_any() == NAME)
            .context("no Prometheus in the inputs")?;
        let workload = Workload::Prometheus(prometheus);
        let output = prometheus_config(&loaded.snapshot, workload, &ScrapeScope::default())?;
        let rules = promop_core::prometheus::rules::config_maps(
            &loaded.snapshot,
            workload,
            &output.selection,
            None,
        )?;
        let mut files: Vec<String> = rules
            .config_maps
            .into_iter()
            .flat_map(|m| m.data.unwrap_or_default().into_values())
            .collect();
        files.sort();
        Ok((output.config.text(), files))
    }
}

/// Polls the generated configuration and rule files until they equal what
/// the inputs render to; returns how long that took.
async fn wait_config(client: &Client, inputs: &Inputs) -> Result<Duration> {
    let want = inputs.rendered()?;
    let start = Instant::now();
    loop {
        let config = read_generated_config(client, NS, NAME).await.ok();
        let files = rule_files(client).await?;
        if config.as_deref() == Some(want.0.as_str()) && files == want.1 {
            return Ok(start.elapsed());
        }
        if start.elapsed() > CONVERGE {
            bail!(
                "after {CONVERGE:?}, configuration\n{config:#?}\nrule files {files:#?}\nwanted\n{}\n{:#?}",
                want.0,
                want.1
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The contents of the rule ConfigMaps' files, sorted.
async fn rule_files(client: &Client) -> Result<Vec<String>> {
    let maps = Api::<ConfigMap>::namespaced(client.clone(), NS)
        .list(&ListParams::default().labels(MANAGED_BY))
        .await?;
    let prefix = format!("prometheus-{NAME}-rulefiles-");
    let mut files: Vec<String> = maps
        .into_iter()
        .filter(|m| m.name_any().starts_with(&prefix))
        .flat_map(|m| m.data.unwrap_or_default().into_values())
        .collect();
    files.sort();
    Ok(files)
}

/// Polls until `check` holds.
async fn wait_until<F, Fut>(what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let start = Instant::now();
    while !check().await? {
        ensure!(start.elapsed() < CONVERGE, "after {CONVERGE:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Stops `survivor`, deletes what it wrote, starts a fresh promop and
/// requires the same objects; returns how many objects differ (0).
async fn compare_with_fresh(env: &TestEnv, dir: &Path, mut survivor: Operator) -> Result<usize> {
    let client = env.client();
    survivor.signal(libc::SIGTERM);
    survivor.wait_exit(Duration::from_secs(30)).await?;
    let survived = written_objects(&client, NS).await?;
    delete_written(&client).await?;
    let fresh = Operator::start(env, dir, "fresh", &[])?;
    let start = Instant::now();
    loop {
        let now = written_objects(&client, NS).await?;
        let differing = differences(&survived, &now);
        if differing.is_empty() {
            drop(fresh);
            return Ok(0);
        }
        if start.elapsed() > CONVERGE {
            bail!(
                "{} objects differ from what a fresh promop writes: {differing:#?}\nfresh log:\n{}",
                differing.len(),
                fresh.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn delete_written(client: &Client) -> Result<()> {
    for resource in [
        ApiResource::erase::<Secret>(&()),
        ApiResource::erase::<ConfigMap>(&()),
        ApiResource::erase::<k8s_openapi::api::core::v1::Service>(&()),
        ApiResource::erase::<StatefulSet>(&()),
    ] {
        let api = Api::<DynamicObject>::namespaced_with(client.clone(), NS, &resource);
        for object in api.list(&ListParams::default().labels(MANAGED_BY)).await? {
            api.delete(&object.name_any(), &DeleteParams::default())
                .await?;
        }
    }
    Ok(())
}

/// The objects present on one side only or different, by key.
fn differences(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Vec<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| match (a.get(k), b.get(k)) {
            (Some(_), None) => format!("{k}: stale (a fresh promop does not write it)"),
            (None, Some(_)) => format!("{k}: lost (a fresh promop writes it)"),
            (Some(x), Some(y)) => format!("{k}: differs\n  survivor {x}\n  fresh    {y}"),
            (None, None) => unreachable!(),
        })
        .collect()
}

fn report(fault: &str, converged: Duration, lost_or_stale: usize) {
    eprintln!(
        "FAULT | {fault} | survived | {:.1} s | {lost_or_stale}",
        converged.as_secs_f64()
    );
}

/// The inputs every test starts from: two monitors (one with basic auth
/// from a Secret), two rules.
async fn base_inputs(client: &Client, shards: u32) -> Result<Inputs> {
    let mut inputs = Inputs::default();
    inputs.set(client, "prometheus", prometheus(shards)).await?;
    inputs.set(client, "secret-b", auth_secret("b")).await?;
    inputs.set(client, "monitor-a", monitor("a", "")).await?;
    inputs
        .set(client, "monitor-b", monitor_with_auth("b"))
        .await?;
    inputs.set(client, "rule-1", rule("one", "sum(up)")).await?;
    inputs.set(client, "rule-2", rule("two", "max(up)")).await?;
    Ok(inputs)
}

#[tokio::test]
async fn the_api_server_stopped_for_20_seconds() -> Result<()> {
    let mut env = TestEnv::with_upstream_crds().await?;
    let dir = tempfile::tempdir()?;
    let client = env.client();
    let mut inputs = base_inputs(&client, 1).await?;
    let mut promop = Operator::start(&env, dir.path(), "promop", &[])?;
    wait_config(&client, &inputs).await?;

    // A change just before the outage, another right after it.
    inputs.set(&client, "monitor-c", monitor("c", "")).await?;
    env.stop_apiserver().await?;
    tokio::time::sleep(Duration::from_secs(20)).await;
    env.start_apiserver().await?;
    inputs.delete(&client, "monitor-a").await?;
    inputs
        .set(&client, "rule-2", rule("two", "min(up)"))
        .await?;
    let converged = wait_config(&client, &inputs).await?;
    ensure!(promop.is_running(), "promop exited:\n{}", promop.logs());

    let lost = compare_with_fresh(&env, dir.path(), promop).await?;
    report("kube-apiserver stopped 20 s, restarted", converged, lost);
    Ok(())
}

#[tokio::test]
async fn watches_expired_with_objects_deleted_meanwhile() -> Result<()> {
    let mut env = TestEnv::with_upstream_crds().await?;
    let dir = tempfile::tempdir()?;
    let client = env.client();
    let mut inputs = base_inputs(&client, 1).await?;
    let proxy = TcpProxy::start(env.apiserver_addr()).await?;
    let kubeconfig = env.kubeconfig_via(proxy.addr())?;
    let mut promop = Operator::start_with(&kubeconfig, dir.path(), "promop", &[])?;
    wait_config(&client, &inputs).await?;

    // promop sees nothing while a ServiceMonitor and the Secret of another
    // are deleted, and its watches' resourceVersions are compacted away:
    // they resume with 410 Gone and relist.
    proxy.cut();
    inputs.delete(&client, "monitor-a").await?;
    inputs.delete(&client, "secret-b").await?;
    env.expire_watches().await?;
    proxy.reset();
    proxy.restore();
    let converged = wait_config(&client, &inputs).await?;
    ensure!(promop.is_running(), "promop exited:\n{}", promop.logs());

    let lost = compare_with_fresh(&env, dir.path(), promop).await?;
    report(
        "watch expiry (etcd compacted, 410 Gone) with a ServiceMonitor and a Secret deleted",
        converged,
        lost,
    );
    Ok(())
}

#[tokio::test]
async fn promop_killed_between_the_writes_of_a_reconcile() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let dir = tempfile::tempdir()?;
    let client = env.client();
    let mut inputs = base_inputs(&client, 2).await?;
    let proxy = TcpProxy::start(env.apiserver_addr()).await?;
    let kubeconfig = env.kubeconfig_via(proxy.addr())?;
    let mut promop = Operator::start_with(&kubeconfig, dir.path(), "promop", &[])?;
    wait_config(&client, &inputs).await?;
    let sets = Api::<StatefulSet>::namespaced(client.clone(), NS);
    wait_until("the second shard's StatefulSet", || async {
        Ok(sets.get_opt("prometheus-main-shard-1").await?.is_some())
    })
    .await?;

    // Slow writes, then a change that removes a shard and a rule: promop is
    // killed right after it wrote the new configuration Secret, before the
    // StatefulSets and the removals.
    proxy.set_latency(Duration::from_millis(300));
    let before = read_generated_config(&client, NS, NAME).await?;
    inputs.set(&client, "prometheus", prometheus(1)).await?;
    inputs.delete(&client, "rule-2").await?;
    let start = Instant::now();
    while read_generated_config(&client, NS, NAME).await? == before {
        ensure!(
            start.elapsed() < CONVERGE,
            "the new configuration never came"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    promop.kill()?;
    ensure!(
        sets.get_opt("prometheus-main-shard-1").await?.is_some(),
        "the reconcile was not interrupted: the shard was already removed"
    );

    let restarted = Instant::now();
    let promop = Operator::start(&env, dir.path(), "restarted", &[])?;
    wait_config(&client, &inputs).await?;
    wait_until("the removed shard's StatefulSet deleted", || async {
        Ok(sets.get_opt("prometheus-main-shard-1").await?.is_none())
    })
    .await?;
    let converged = restarted.elapsed();

    let lost = compare_with_fresh(&env, dir.path(), promop).await?;
    report(
        "SIGKILL after the config Secret, before the StatefulSets and removals",
        converged,
        lost,
    );
    Ok(())
}

/// client-go's ratios, shorter.
const LEASE_FLAGS: [&str; 4] = [
    "--leader-elect",
    "--leader-elect-lease-duration=8s",
    "--leader-elect-renew-deadline=6s",
    "--leader-elect-retry-period=1s",
];

#[tokio::test]
async fn the_leader_slowed_then_cut_off_never_writes_beside_the_new_one() -> Result<()> {
    let env = TestEnv::start_with(TestEnvOptions::default().audit(true)).await?;
    promop_testenv::install_crds(
        &env.client(),
        &promop_testenv::upstream_dir().join("example/prometheus-operator-crd"),
    )
    .await?;
    let dir = tempfile::tempdir()?;
    let client = env.client();
    let mut inputs = base_inputs(&client, 1).await?;
    let mut replicas = Vec::new();
    for name in ["replica-a", "replica-b"] {
        let proxy = TcpProxy::start(env.apiserver_addr()).await?;
        let kubeconfig = env.kubeconfig_via(proxy.addr())?;
        let operator = Operator::start_with(&kubeconfig, dir.path(), name, &LEASE_FLAGS)?;
        replicas.push((operator, proxy));
    }
    let start = Instant::now();
    let leader_name = loop {
        if let Some(holder) = lease_holder(&client, "promop").await? {
            break holder;
        }
        ensure!(start.elapsed() < CONVERGE, "no leader after {CONVERGE:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let leader_index = replicas
        .iter()
        .position(|(op, _)| op.name == leader_name)
        .context("the leader is not one of ours")?;
    let (mut leader, leader_proxy) = replicas.swap_remove(leader_index);
    let (follower, _follower_proxy) = replicas.remove(0);
    wait_config(&client, &inputs).await?;

    // Every second a change, so that both replicas would write if they
    // could; the leader's link gets slow, then is cut.
    leader_proxy.set_latency(Duration::from_millis(1500));
    for i in 0..6 {
        inputs
            .set(&client, "rule-2", rule("two", &format!("max(up) + {i}")))
            .await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    leader_proxy.cut();
    let cut = Instant::now();
    for i in 0..12 {
        inputs
            .set(&client, "rule-2", rule("two", &format!("min(up) + {i}")))
            .await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    wait_until("the follower leads", || async {
        Ok(lease_holder(&client, "promop").await?.as_deref() == Some(follower.name.as_str()))
    })
    .await?;
    wait_config(&client, &inputs).await?;
    let converged = cut.elapsed();
    // The cut-off leader stops (leadership lost); what it still had in
    // flight never arrives (the partition does not heal before it exits).
    let status = leader.wait_exit(CONVERGE).await?;
    ensure!(!status.success(), "the old leader exited with {status}");
    leader_proxy.reset();

    // The audit log: every write of each replica (but the Lease's), from
    // the API server's receipt to its response.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let events = env.audit_events()?;
    let writes = |who: &str| -> Vec<(k8s_openapi::jiff::Timestamp, k8s_openapi::jiff::Timestamp)> {
        events
            .iter()
            .filter(|e| e.user_agent.contains(&format!("({who})")) && e.resource != "leases")
            .map(|e| (e.request_received, e.stage_timestamp))
            .collect()
    };
    let (old, new) = (writes(&leader.name), writes(&follower.name));
    ensure!(
        !old.is_empty() && !new.is_empty(),
        "writes: old leader {}, new leader {}",
        old.len(),
        new.len()
    );
    let old_last = old.iter().map(|(_, end)| *end).max().context("no writes")?;
    let new_first = new
        .iter()
        .map(|(start, _)| *start)
        .min()
        .context("no writes")?;
    ensure!(
        old_last < new_first,
        "overlapping writers: the old leader's last write ended at {old_last}, the new leader's first began at {new_first}"
    );
    eprintln!(
        "old leader: {} writes, last ended {old_last}; new leader: {} writes, first began {new_first} ({:.1} s later)",
        old.len(),
        new.len(),
        new_first.duration_since(old_last).as_secs_f64()
    );

    let lost = compare_with_fresh(&env, dir.path(), follower).await?;
    report(
        "leader behind a proxy: +1.5 s latency each way, then cut off",
        converged,
        lost,
    );
    Ok(())
}
