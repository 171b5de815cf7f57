//! End to end on the real test bed: the controller, run in-process against a
//! local kube-apiserver, writes Secret `prometheus-<name>` with exactly the
//! configuration `promop_core` renders for the same objects, and rewrites it
//! when a ServiceMonitor changes; the workloads' status conditions.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use kube::{Api, Client, ResourceExt};
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use promop_testenv::{
    ReferenceOperator, TestEnv, apply_manifests, read_generated_config, wait_generated_config,
};

const NAMESPACE: &str = "monitoring";
const PROMETHEUS: &str = "main";

const WORKLOAD: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  version: v3.5.0
  serviceMonitorSelector: {}
"#;

const MONITOR: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app, namespace: monitoring, labels: {team: a}}
spec:
  selector: {matchLabels: {app: app}}
  endpoints:
  - port: web
"#;

const MONITOR_RELABELED: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app, namespace: monitoring, labels: {team: a}}
spec:
  selector: {matchLabels: {app: app}}
  endpoints:
  - port: web
    relabelings:
    - action: replace
      targetLabel: team
      replacement: platform
"#;

/// The controller's logs, shown for failed tests.
fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("promop_operator=debug")
        .with_test_writer()
        .try_init();
}

/// A local apiserver with the reference's CRDs (promop must work with them).
async fn test_bed() -> Result<(TestEnv, Client)> {
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    Ok((env, client))
}

/// What `promop render` produces for Prometheus `main` of the manifests.
fn rendered(manifests: &[&str]) -> Result<String> {
    rendered_for(manifests, PROMETHEUS)
}

fn rendered_for(manifests: &[&str], name: &str) -> Result<String> {
    let mut loaded = Loaded::default();
    for (i, text) in manifests.iter().enumerate() {
        loaded.add_yaml(
            &format!("manifest {i}"),
            text,
            "default",
            Strictness::ObjectsOnly,
        )?;
    }
    ensure!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let prometheus = loaded
        .snapshot
        .prometheuses
        .iter()
        .find(|p| p.name_any() == name)
        .with_context(|| format!("no Prometheus {name} in the manifests"))?;
    let output = prometheus_config(
        &loaded.snapshot,
        Workload::Prometheus(prometheus),
        &ScrapeScope::default(),
    )?;
    Ok(output.config.text())
}

/// Polls the generated configuration until it equals `want`.
async fn wait_config(client: &Client, want: &str, timeout: Duration) -> Result<String> {
    let start = Instant::now();
    loop {
        let got = read_generated_config(client, NAMESPACE, PROMETHEUS)
            .await
            .ok();
        if got.as_deref() == Some(want) {
            return Ok(want.to_owned());
        }
        if start.elapsed() > timeout {
            bail!("after {timeout:?}, configuration\n{got:#?}\nwanted\n{want}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn controller_writes_and_updates_the_configuration_secret() -> Result<()> {
    init_logs();
    let (_env, client) = test_bed().await?;
    apply_manifests(&client, WORKLOAD).await?;
    apply_manifests(&client, MONITOR).await?;

    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());

    let want = rendered(&[WORKLOAD, MONITOR])?;
    ensure!(
        want.contains("job_name: serviceMonitor/monitoring/app/0"),
        "{want}"
    );
    wait_config(&client, &want, Duration::from_secs(30)).await?;

    // The metadata the reference puts on the Secret.
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NAMESPACE);
    let secret = secrets.get("prometheus-main").await?;
    for key in ["managed-by", "app.kubernetes.io/managed-by"] {
        ensure!(
            secret.labels().get(key).map(String::as_str) == Some("prometheus-operator"),
            "label {key}: {:?}",
            secret.labels()
        );
    }
    let prometheus = kube::Api::<promop_api::v1::Prometheus>::namespaced(client.clone(), NAMESPACE)
        .get(PROMETHEUS)
        .await?;
    let owners = secret.owner_references();
    ensure!(owners.len() == 1, "{owners:?}");
    ensure!(
        owners[0].uid == prometheus.uid().unwrap_or_default(),
        "{owners:?}"
    );
    ensure!(
        owners[0].kind == "Prometheus" && owners[0].controller == Some(true),
        "{owners:?}"
    );
    let manager = secret
        .managed_fields()
        .iter()
        .any(|f| f.manager.as_deref() == Some(promop_operator::FIELD_MANAGER));
    ensure!(
        manager,
        "no field manager {}",
        promop_operator::FIELD_MANAGER
    );

    // A relabeling added to the ServiceMonitor reaches the Secret.
    apply_manifests(&client, MONITOR_RELABELED).await?;
    let want_relabeled = rendered(&[WORKLOAD, MONITOR_RELABELED])?;
    ensure!(want_relabeled != want && want_relabeled.contains("replacement: platform"));
    wait_config(&client, &want_relabeled, Duration::from_secs(30)).await?;

    // Unchanged inputs: no further write (the resourceVersion stays).
    let version = secrets.get("prometheus-main").await?.resource_version();
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(secrets.get("prometheus-main").await?.resource_version() == version);

    // A deleted Secret is written again.
    secrets
        .delete("prometheus-main", &Default::default())
        .await?;
    wait_config(&client, &want_relabeled, Duration::from_secs(30)).await?;

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

/// Secrets are cached as metadata only, and the API server is asked for
/// metadata only: 8 Secrets of 512 KiB each (4 MiB of data) that nothing
/// references never cross the wire, counted at a TCP proxy in front of the
/// API server.
#[tokio::test]
async fn unreferenced_secret_data_is_never_downloaded() -> Result<()> {
    init_logs();
    let (env, client) = test_bed().await?;
    apply_manifests(&client, WORKLOAD).await?;
    apply_manifests(&client, MONITOR).await?;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NAMESPACE);
    const SIZE: usize = 512 * 1024;
    for i in 0..8 {
        let secret = Secret {
            metadata: kube::api::ObjectMeta {
                name: Some(format!("bulky-{i}")),
                ..Default::default()
            },
            data: Some([("blob".to_owned(), k8s_openapi::ByteString(vec![b'x'; SIZE]))].into()),
            ..Default::default()
        };
        secrets.create(&Default::default(), &secret).await?;
    }
    let proxy = promop_testenv::proxy::TcpProxy::start(env.apiserver_addr()).await?;
    let proxied = Client::try_from(env.client_config(Some(proxy.addr())).await?)?;
    let controller = promop_operator::spawn(proxied, promop_operator::Options::default());
    wait_config(
        &client,
        &rendered(&[WORKLOAD, MONITOR])?,
        Duration::from_secs(30),
    )
    .await?;
    let served = proxy.served();
    ensure!(
        served < (SIZE as u64) * 2,
        "promop downloaded {served} bytes: Secret data was listed"
    );
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

/// Takeover: the reference writes the Secret, stops, and promop starts. Its
/// configuration is byte-identical to promop's, so promop leaves the Secret
/// alone; its next write (after a change) keeps the reference's labels and
/// owner references.
#[tokio::test]
async fn takeover_from_the_reference_keeps_the_secret() -> Result<()> {
    init_logs();
    let (env, client) = test_bed().await?;
    apply_manifests(&client, WORKLOAD).await?;
    apply_manifests(&client, MONITOR).await?;

    let want = rendered(&[WORKLOAD, MONITOR])?;
    let reference = ReferenceOperator::start(&env, &[]).await?;
    let by_reference =
        wait_generated_config(&client, NAMESPACE, PROMETHEUS, Duration::from_secs(60)).await?;
    ensure!(
        by_reference == want,
        "reference:\n{by_reference}\npromop:\n{want}"
    );
    // Let the reference settle (it may write more than once), then stop it.
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), NAMESPACE);
    let start = Instant::now();
    while sets.get_opt("prometheus-main").await?.is_none() {
        ensure!(
            start.elapsed() < Duration::from_secs(30),
            "no StatefulSet from the reference"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(reference);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NAMESPACE);
    let reference_secret = secrets.get("prometheus-main").await?;
    let reference_set = sets.get("prometheus-main").await?;

    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = secrets.get("prometheus-main").await?;
    ensure!(
        after.resource_version() == reference_secret.resource_version(),
        "promop rewrote an identical configuration"
    );
    // No rollout: the pod template is the reference's, and the StatefulSet's
    // spec did not change (its generation counts spec changes).
    let ours = sets.get("prometheus-main").await?;
    let template = |s: &StatefulSet| serde_json::to_value(&s.spec.template).unwrap_or_default();
    ensure!(
        template(&ours) == template(&reference_set),
        "pod template changed:\nreference {:#}\npromop {:#}",
        template(&reference_set),
        template(&ours)
    );
    ensure!(
        ours.metadata.generation == reference_set.metadata.generation,
        "StatefulSet spec changed: generation {:?} -> {:?}",
        reference_set.metadata.generation,
        ours.metadata.generation
    );

    apply_manifests(&client, MONITOR_RELABELED).await?;
    wait_config(
        &client,
        &rendered(&[WORKLOAD, MONITOR_RELABELED])?,
        Duration::from_secs(30),
    )
    .await?;
    let ours = secrets.get("prometheus-main").await?;
    ensure!(
        ours.labels() == reference_secret.labels(),
        "labels: promop {:?}, reference {:?}",
        ours.labels(),
        reference_secret.labels()
    );
    ensure!(ours.annotations() == reference_secret.annotations());
    ensure!(
        ours.owner_references() == reference_secret.owner_references(),
        "owner references: promop {:?}, reference {:?}",
        ours.owner_references(),
        reference_secret.owner_references()
    );

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

const UNMANAGED_AND_BAD: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: unmanaged, namespace: monitoring}
spec:
  version: v3.5.0
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bad, namespace: monitoring}
spec:
  selector: {matchLabels: {app: bad}}
  endpoints:
  - port: web
    relabelings:
    - sourceLabels: [__meta_kubernetes_pod_name]
      regex: "(unclosed"
      targetLabel: pod
"#;

/// A Prometheus without any monitor selector gets an empty Secret (the
/// reference creates it for the user to fill: `unmanagedPrometheusConfiguration`
/// in its server operator); a ServiceMonitor with an invalid regex is
/// skipped while the valid one stays in the configuration.
#[tokio::test]
async fn unmanaged_prometheus_and_invalid_monitor() -> Result<()> {
    init_logs();
    let (_env, client) = test_bed().await?;
    apply_manifests(&client, WORKLOAD).await?;
    apply_manifests(&client, MONITOR).await?;
    apply_manifests(&client, UNMANAGED_AND_BAD).await?;

    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());

    let manifests = [WORKLOAD, MONITOR, UNMANAGED_AND_BAD];
    let want = rendered(&manifests)?;
    ensure!(
        want.contains("serviceMonitor/monitoring/app/0")
            && !want.contains("serviceMonitor/monitoring/bad/0"),
        "{want}"
    );
    wait_config(&client, &want, Duration::from_secs(30)).await?;

    let secrets: Api<Secret> = Api::namespaced(client.clone(), NAMESPACE);
    let start = Instant::now();
    let unmanaged = loop {
        if let Some(secret) = secrets.get_opt("prometheus-unmanaged").await? {
            break secret;
        }
        ensure!(
            start.elapsed() < Duration::from_secs(30),
            "no Secret prometheus-unmanaged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let data = unmanaged.data.unwrap_or_default();
    ensure!(
        data.get("prometheus.yaml.gz")
            .is_some_and(|v| v.0.is_empty())
            && data.len() == 1,
        "{data:?}"
    );

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

const STRICT_AND_BAD: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  version: v3.5.0
  serviceMonitorSelector: {}
  arbitraryFSAccessThroughSMs: {deny: true}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bad-regex, namespace: monitoring}
spec:
  selector: {matchLabels: {app: bad}}
  endpoints:
  - port: web
    relabelings:
    - sourceLabels: [__meta_kubernetes_pod_name]
      regex: "(unclosed"
      targetLabel: pod
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: token-file, namespace: monitoring}
spec:
  selector: {matchLabels: {app: file}}
  endpoints:
  - port: web
    bearerTokenFile: /etc/hostname
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: missing-secret, namespace: monitoring}
spec:
  selector: {matchLabels: {app: secret}}
  endpoints:
  - port: web
    basicAuth:
      username: {name: nope, key: user}
      password: {name: nope, key: password}
"#;

/// Invalid monitors — an invalid regex, a token file where
/// `arbitraryFSAccessThroughSMs.deny` forbids files, a missing Secret — are
/// left out of the configuration with a Warning event each, while the valid
/// monitor keeps being scraped; the controller keeps running.
#[tokio::test]
async fn bad_objects_are_skipped_with_an_event() -> Result<()> {
    init_logs();
    let (_env, client) = test_bed().await?;
    apply_manifests(&client, STRICT_AND_BAD).await?;
    apply_manifests(&client, MONITOR).await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());

    let want = rendered(&[STRICT_AND_BAD, MONITOR])?;
    ensure!(
        want.contains("serviceMonitor/monitoring/app/0")
            && !want.contains("bad-regex")
            && !want.contains("token-file")
            && !want.contains("missing-secret"),
        "{want}"
    );
    wait_config(&client, &want, Duration::from_secs(30)).await?;

    let warned = invalid_configuration_events(
        &client,
        NAMESPACE,
        &["bad-regex", "token-file", "missing-secret"],
    )
    .await?;
    ensure!(
        !warned
            .iter()
            .any(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("app")),
        "{warned:?}"
    );
    ensure!(controller.is_running(), "the controller stopped");
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

/// Waits for a Warning `InvalidConfiguration` Event about each object of
/// `names` in `namespace`, and returns every such Event there.
async fn invalid_configuration_events(
    client: &Client,
    namespace: &str,
    names: &[&str],
) -> Result<Vec<Event>> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let start = Instant::now();
    loop {
        let warned: Vec<Event> = events
            .list(&Default::default())
            .await?
            .items
            .into_iter()
            .filter(|e| {
                e.type_.as_deref() == Some("Warning")
                    && e.reason.as_deref() == Some("InvalidConfiguration")
            })
            .collect();
        let about = |name: &&str| {
            warned
                .iter()
                .any(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(*name))
        };
        if names.iter().all(about) {
            return Ok(warned);
        }
        ensure!(
            start.elapsed() < Duration::from_secs(30),
            "events for {names:?} awaited, got {warned:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// kube-prometheus' kubelet monitor reads the Prometheus' token in its own
/// namespace and is kept; a tenant's monitors reading files are rejected
/// (`--monitor-file-access=own-namespace`, promop's default) with an Event
/// naming the field and the flag.
#[tokio::test]
async fn tenant_monitors_reading_files_are_rejected_with_an_event() -> Result<()> {
    init_logs();
    let (_env, client) = test_bed().await?;
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/scenarios/limits-enforcement/monitor-file-access-tenant.yaml"
    );
    let manifests = std::fs::read_to_string(scenario)?;
    apply_manifests(&client, &manifests).await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    let want = rendered(&[&manifests])?;
    ensure!(
        want.contains("serviceMonitor/monitoring/kubelet/0")
            && want.contains("serviceMonitor/tenant-a/well-behaved/0")
            && !want.contains("reads-"),
        "{want}"
    );
    wait_config(&client, &want, Duration::from_secs(30)).await?;
    let names = ["reads-token-file", "reads-tls-key"];
    let warned = invalid_configuration_events(&client, "tenant-a", &names).await?;
    for (name, field) in names.iter().zip([
        "spec.endpoints[0].bearerTokenFile",
        "spec.endpoints[0].tlsConfig.certFile",
    ]) {
        let note = warned
            .iter()
            .find(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(*name))
            .and_then(|e| e.note.clone())
            .unwrap_or_default();
        ensure!(
            note.contains(field) && note.contains("--monitor-file-access=own-namespace"),
            "{name}: {note}"
        );
    }
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

/// The condition `type_` of a workload's status (`null` when absent).
fn condition(w: &impl serde::Serialize, type_: &str) -> serde_json::Value {
    let status = serde_json::to_value(w).unwrap_or_default()["status"].clone();
    status["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_).cloned())
        .unwrap_or_default()
}

/// Polls workload `main` until `check` holds; how long it took.
async fn wait_status<K>(api: &Api<K>, what: &str, check: impl Fn(&K) -> bool) -> Result<Duration>
where
    K: Clone + std::fmt::Debug + serde::de::DeserializeOwned + serde::Serialize,
{
    let start = Instant::now();
    loop {
        let w = api.get(PROMETHEUS).await?;
        if check(&w) {
            return Ok(start.elapsed());
        }
        if start.elapsed() > Duration::from_secs(20) {
            let status = serde_json::to_value(&w).unwrap_or_default()["status"].clone();
            bail!("{what} not seen; status: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The status follows the StatefulSet's status at once (its change re-queues
/// the owner; no periodic refresh is needed): `Available` goes from
/// `NoPodReady` to `True` when the StatefulSet reports its pod available,
/// with the replica counts, and `Reconciled` is `True`.
#[tokio::test]
async fn status_follows_the_statefulset_status() -> Result<()> {
    use kube::api::{Patch, PatchParams};
    use serde_json::json;

    init_logs();
    let (_env, client) = test_bed().await?;
    apply_manifests(&client, WORKLOAD).await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    let prometheuses: Api<promop_api::v1::Prometheus> = Api::namespaced(client.clone(), NAMESPACE);
    wait_status(&prometheuses, "Available=False NoPodReady", |p| {
        let a = condition(p, "Available");
        a["status"] == "False"
            && a["reason"] == "NoPodReady"
            && condition(p, "Reconciled")["status"] == "True"
    })
    .await?;

    // What the StatefulSet controller writes once the pod is ready.
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), NAMESPACE);
    let name = format!("prometheus-{PROMETHEUS}");
    let generation = sets.get(&name).await?.metadata.generation;
    sets.patch_status(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {
            "observedGeneration": generation, "replicas": 1, "readyReplicas": 1,
            "availableReplicas": 1, "updatedReplicas": 1, "currentReplicas": 1,
        }})),
    )
    .await?;
    let took = wait_status(
        &prometheuses,
        "Available=True with 1 available replica",
        |p| {
            let s = serde_json::to_value(p).unwrap_or_default()["status"].clone();
            condition(p, "Available")["status"] == "True"
                && s["availableReplicas"] == 1
                && s["replicas"] == 1
                && s["shardStatuses"][0]["availableReplicas"] == 1
        },
    )
    .await?;
    eprintln!("status updated {took:?} after the StatefulSet's");
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

/// An Alertmanager's zero durations are not passed to it (it would refuse
/// them) and are named in `Reconciled` (reason `IgnoredFields`, the
/// reference v0.94's), until they are set right.
#[tokio::test]
async fn ignored_alertmanager_fields_are_reported() -> Result<()> {
    use kube::api::{Patch, PatchParams};
    use promop_api::v1::Alertmanager;
    use serde_json::json;

    init_logs();
    let (_env, client) = test_bed().await?;
    apply_manifests(
        &client,
        r#"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main, namespace: monitoring}
spec: {version: v0.33.1, retention: 0s, clusterPeerTimeout: "0", clusterGossipInterval: 1s}
"#,
    )
    .await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    let alertmanagers: Api<Alertmanager> = Api::namespaced(client.clone(), NAMESPACE);
    wait_status(&alertmanagers, "Reconciled=True IgnoredFields", |a| {
        let r = condition(a, "Reconciled");
        r["status"] == "True"
            && r["reason"] == "IgnoredFields"
            && r["message"]
                == "The following fields were ignored: retention (zero value not supported), \
                    clusterPeerTimeout (zero value not supported)"
    })
    .await?;
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), NAMESPACE);
    let set = sets.get("alertmanager-main").await?;
    let args =
        serde_json::to_value(&set)?["spec"]["template"]["spec"]["containers"][0]["args"].clone();
    ensure!(
        args.as_array()
            .is_some_and(|a| a.contains(&json!("--data.retention=120h"))
                && !a
                    .iter()
                    .any(|x| x.as_str().is_some_and(|x| x.contains("peer-timeout")))),
        "{args}"
    );
    alertmanagers
        .patch(
            PROMETHEUS,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"retention": "24h", "clusterPeerTimeout": "15s"}})),
        )
        .await?;
    wait_status(&alertmanagers, "Reconciled=True without a reason", |a| {
        let r = condition(a, "Reconciled");
        r["status"] == "True" && r.get("reason").is_none()
    })
    .await?;
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}
