//! End to end on the real test bed: the controller, run in-process against a
//! local kube-apiserver, writes Secret `prometheus-<name>` with exactly the
//! configuration `promop_core` renders for the same objects, and rewrites it
//! when a ServiceMonitor changes.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, ResourceExt};
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_testenv::{TestEnv, apply_manifests, install_crds, read_generated_config, upstream_dir};

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

/// What `promop render` produces for the same manifests.
fn rendered(manifests: &[&str]) -> Result<String> {
    let mut loaded = Loaded::default();
    for (i, text) in manifests.iter().enumerate() {
        loaded.add_yaml(&format!("manifest {i}"), text, "default", Strictness::ObjectsOnly)?;
    }
    ensure!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let prometheus = loaded
        .snapshot
        .prometheuses
        .first()
        .context("no Prometheus in the manifests")?;
    let output = prometheus_config(
        &loaded.snapshot,
        Workload::Prometheus(prometheus),
        &WatchedNamespaces::all(),
    )?;
    Ok(promop_core::yaml::to_string(&output.config))
}

/// Polls the generated configuration until it equals `want`.
async fn wait_config(client: &Client, want: &str, timeout: Duration) -> Result<String> {
    let start = Instant::now();
    loop {
        let got = read_generated_config(client, NAMESPACE, PROMETHEUS).await.ok();
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
    let env = TestEnv::start().await?;
    let client = env.client();
    install_crds(&client, &upstream_dir().join("example/prometheus-operator-crd")).await?;
    apply_manifests(&client, WORKLOAD).await?;
    apply_manifests(&client, MONITOR).await?;

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let controller = tokio::spawn(promop_operator::run(client.clone(), async {
        let _ = stopped.await;
    }));

    let want = rendered(&[WORKLOAD, MONITOR])?;
    ensure!(want.contains("job_name: serviceMonitor/monitoring/app/0"), "{want}");
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
    ensure!(owners[0].uid == prometheus.uid().unwrap_or_default(), "{owners:?}");
    ensure!(owners[0].kind == "Prometheus" && owners[0].controller == Some(true), "{owners:?}");
    let manager = secret
        .managed_fields()
        .iter()
        .any(|f| f.manager.as_deref() == Some(promop_operator::FIELD_MANAGER));
    ensure!(manager, "no field manager {}", promop_operator::FIELD_MANAGER);

    // A relabeling added to the ServiceMonitor reaches the Secret.
    apply_manifests(&client, MONITOR_RELABELED).await?;
    let want_relabeled = rendered(&[WORKLOAD, MONITOR_RELABELED])?;
    ensure!(want_relabeled != want && want_relabeled.contains("replacement: platform"));
    wait_config(&client, &want_relabeled, Duration::from_secs(30)).await?;

    // Unchanged inputs: no further write (the resourceVersion stays).
    let version = secrets.get("prometheus-main").await?.resource_version();
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(secrets.get("prometheus-main").await?.resource_version() == version);

    stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(10), controller)
        .await
        .context("controller did not stop on shutdown")??;
    Ok(())
}
