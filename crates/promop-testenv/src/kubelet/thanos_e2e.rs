//! Issue 16's high-availability chain end to end, shared by the
//! reference's and promop's tests (the operator under test runs already,
//! see [`ha_chain`]):
//!
//! * a Prometheus with `replicas: 2` and `spec.thanos.objectStorageConfig`
//!   (a Thanos FILESYSTEM bucket in a scratch directory) scrapes a loopback
//!   target; the kubelet runs both pods, each with its `thanos-sidecar`;
//! * Thanos Query over both sidecars' StoreAPI, deduplicating on
//!   `prometheus_replica`, returns the target's series once (twice without
//!   deduplication, the two differing only by `prometheus_replica`);
//! * `spec.thanos.blockSize` ([`BLOCK_SIZE`]) makes Prometheus cut blocks
//!   quickly (Prometheus 3.5 < 3.9: compaction disabled, min = max block
//!   duration = blockSize) and the sidecars upload them: a block directory
//!   with its `meta.json` appears in the bucket;
//! * a ThanosRuler evaluating a PrometheusRule through Thanos Query
//!   (`queryEndpoints`) sends its alert to an Alertmanager run from the
//!   operator's StatefulSet `alertmanager-<name>` (`alertmanagersUrl`),
//!   which routes it (an AlertmanagerConfig) to a webhook sink.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::alertmanager::AlertmanagerVersion;
use crate::apiserver::TestEnv;
use crate::kubelet::thanos::{self, SIDECAR_CONTAINER, ThanosQuery, run_thanos_ruler_pod};
use crate::kubelet::{RunningPod, run_alertmanager_pod, run_statefulset_pod};
use crate::manifests::apply_manifests;
use crate::metrics_server::MetricsServer;
use crate::process::ScratchDir;
use crate::prometheus::PrometheusVersion;
use crate::sink::WebhookSink;

pub const NAMESPACE: &str = "monitoring";
/// The Prometheus, the Alertmanager and the ThanosRuler: StatefulSets
/// `prometheus-main`, `alertmanager-main`, `thanos-ruler-main`.
pub const NAME: &str = "main";
/// The gauge the target exposes, and the alert's threshold on it.
pub const METRIC: &str = "queue_depth";
pub const THRESHOLD: f64 = 100.0;
pub const ALERT: &str = "QueueDepthHigh";
/// Prometheus' external label telling the replicas apart.
pub const REPLICA_LABEL: &str = "prometheus_replica";
/// The ThanosRuler's replica label, dropped from the alerts it sends.
pub const RULER_REPLICA_LABEL: &str = "thanos_ruler_replica";
/// `spec.thanos.blockSize`, Prometheus' `--storage.tsdb.min-block-duration`
/// and `--storage.tsdb.max-block-duration` (with Prometheus 3.5 the
/// operators disable compaction instead of delaying it). Prometheus cuts
/// the head into a block once it spans 1.5 times this (15 s, plus up to
/// 10 s of range alignment); the sidecar's shipper syncs on start and then
/// every 30 s (hard-coded in Thanos), so the first block lands in the
/// bucket ~30 s after the sidecars start: the shipper's period, not the
/// block size, is the bound.
pub const BLOCK_SIZE: &str = "10s";
const OBJSTORE_SECRET: &str = "thanos-objstore";

const TIMEOUT: Duration = Duration::from_secs(120);
/// Until the first block is in the bucket (head span + shipper period).
const BLOCK_TIMEOUT: Duration = Duration::from_secs(180);

/// How long each phase took.
#[derive(Debug)]
pub struct HaTimings {
    /// From the start until both Prometheus pods and their sidecars are
    /// ready.
    pub pods_ready: Duration,
    /// From the start until Thanos Query returns the series deduplicated.
    pub deduplicated: Duration,
    /// From the Prometheus pods' start until the first block (with its
    /// `meta.json`) is in the bucket (the scenario waits for a block of
    /// each replica).
    pub first_block: Duration,
    /// From the target's value crossing the threshold until the sink
    /// received the firing alert.
    pub threshold_to_sink: Duration,
    /// The whole scenario.
    pub total: Duration,
}

fn exposition(value: f64) -> String {
    format!("# TYPE {METRIC} gauge\n{METRIC} {value}\n")
}

/// `thanos` is `spec.thanos.version` (and the ThanosRuler's
/// `spec.version`): the installed Thanos' tag, so that the operator
/// generates flags for the binary the kubelet runs (whatever the tag).
///
/// Everything but the ThanosRuler (which needs Query's and the
/// Alertmanager's addresses): the bucket Secret, the target behind a
/// Service, an EndpointSlice and a ServiceMonitor, the Prometheus, the
/// Alertmanager and its AlertmanagerConfig, the ruler's PrometheusRule
/// (which the Prometheus does not select: it has no ruleSelector).
fn objects(
    target_port: u16,
    thanos: &str,
    prometheus_version: &str,
    alertmanager_version: &str,
    bucket: &Path,
    sink: &str,
) -> String {
    let bucket = bucket.display();
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: {OBJSTORE_SECRET}, namespace: {NAMESPACE}}}
stringData:
  objstore.yaml: |
    type: FILESYSTEM
    config:
      directory: {bucket}
---
apiVersion: v1
kind: Service
metadata: {{name: queue, namespace: {NAMESPACE}, labels: {{app: queue}}}}
spec:
  ports: [{{name: web, port: {target_port}, protocol: TCP}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: queue-fqdn
  namespace: {NAMESPACE}
  labels: {{kubernetes.io/service-name: queue}}
addressType: FQDN
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
ports: [{{name: web, port: {target_port}, protocol: TCP}}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: queue, namespace: {NAMESPACE}}}
spec:
  selector: {{matchLabels: {{app: queue}}}}
  endpoints: [{{port: web}}]
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: {NAME}, namespace: {NAMESPACE}}}
spec:
  version: v{prometheus_version}
  replicas: 2
  serviceDiscoveryRole: EndpointSlice
  scrapeInterval: 1s
  evaluationInterval: 1s
  serviceMonitorSelector: {{}}
  thanos:
    version: {thanos}
    blockSize: {BLOCK_SIZE}
    objectStorageConfig: {{name: {OBJSTORE_SECRET}, key: objstore.yaml}}
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {{name: {NAME}, namespace: {NAMESPACE}}}
spec:
  version: v{alertmanager_version}
  replicas: 1
  alertmanagerConfigSelector: {{matchLabels: {{alertmanager: {NAME}}}}}
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata: {{name: routing, namespace: {NAMESPACE}, labels: {{alertmanager: {NAME}}}}}
spec:
  route:
    receiver: sink
    groupBy: [alertname]
    groupWait: 1s
    groupInterval: 1s
    repeatInterval: 1h
  receivers:
  - name: sink
    webhookConfigs: [{{url: "{sink}", sendResolved: true}}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: queue, namespace: {NAMESPACE}, labels: {{role: thanos-rules}}}}
spec:
  groups:
  - name: queue
    rules:
    - alert: {ALERT}
      expr: "{METRIC} > {THRESHOLD}"
      labels: {{severity: page, team: storage}}
"#
    )
}

/// The ThanosRuler: rules through Query's HTTP API, alerts to the
/// Alertmanager the kubelet runs.
fn thanos_ruler(thanos: &str, query: &str, alertmanager: &str) -> String {
    format!(
        r#"apiVersion: monitoring.coreos.com/v1
kind: ThanosRuler
metadata: {{name: {NAME}, namespace: {NAMESPACE}}}
spec:
  version: {thanos}
  evaluationInterval: 1s
  queryEndpoints: ["{query}"]
  alertmanagersUrl: ["{alertmanager}"]
  ruleSelector: {{matchLabels: {{role: thanos-rules}}}}
"#
    )
}

/// The block directories (`<ULID>/meta.json`) in the bucket.
fn uploaded_blocks(bucket: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(bucket) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("meta.json").is_file())
        .collect()
}

/// The labels of a query result without `drop`.
fn labels_without(labels: &Value, drop: &str) -> Value {
    let mut labels = labels.clone();
    if let Some(m) = labels.as_object_mut() {
        m.remove(drop);
    }
    labels
}

/// Runs the scenario against the operator already running on `env` (CRDs
/// installed): the reference operator today; promop's controller once it
/// reconciles ThanosRulers (`promop_runs_the_ha_chain`, with
/// `operator_log` explaining failures the same way).
pub async fn ha_chain(env: &TestEnv, operator_log: impl Fn() -> String) -> Result<HaTimings> {
    let t0 = Instant::now();
    let client = env.client();
    let bucket = ScratchDir::new("promop-bucket-")?;
    let sink = WebhookSink::start().await?;
    let target = MetricsServer::start(exposition(0.0)).await?;
    let prometheus_version = PrometheusVersion::V3.installed_version()?;
    let alertmanager_version =
        crate::paths::installed_release(AlertmanagerVersion::Latest.binary())?;
    let thanos = format!("v{}", crate::paths::installed_release(thanos::BINARY)?);
    apply_manifests(
        &client,
        &objects(
            target.port(),
            &thanos,
            &prometheus_version,
            &alertmanager_version,
            bucket.path(),
            &sink.url(),
        ),
    )
    .await?;

    // Both replicas with their sidecars, and the Alertmanager.
    let sts = format!("prometheus-{NAME}");
    let am_sts = format!("alertmanager-{NAME}");
    let (mut prom0, mut prom1, am) = tokio::try_join!(
        run_statefulset_pod(&client, env, NAMESPACE, &sts, 0),
        run_statefulset_pod(&client, env, NAMESPACE, &sts, 1),
        run_alertmanager_pod(&client, env, NAMESPACE, &am_sts, 0),
    )
    .with_context(|| format!("operator log:\n{}", operator_log()))?;
    let pods_started = Instant::now();
    let pods_ready = t0.elapsed();
    let mut grpc = Vec::new();
    for pod in [&prom0, &prom1] {
        grpc.push(
            pod.sidecar_grpc()
                .with_context(|| format!("pod {} has no thanos-sidecar", pod.pod_name()))?
                .to_owned(),
        );
    }
    // The generated flags: equal block durations of blockSize.
    let flags = prom0.api_get("status/flags").await?;
    for flag in [
        "storage.tsdb.min-block-duration",
        "storage.tsdb.max-block-duration",
    ] {
        ensure!(flags[flag] == BLOCK_SIZE, "Prometheus' flags: {flags}");
    }

    // Query over both sidecars: the target's series once, deduplicated.
    let grpc: Vec<&str> = grpc.iter().map(String::as_str).collect();
    let mut query = ThanosQuery::start(&grpc, REPLICA_LABEL)
        .await
        .with_context(|| {
            format!(
                "sidecar logs:\n{}\n{}",
                prom0
                    .sidecar_log_tail(SIDECAR_CONTAINER, 20)
                    .unwrap_or_default(),
                prom1
                    .sidecar_log_tail(SIDECAR_CONTAINER, 20)
                    .unwrap_or_default()
            )
        })?;
    let raw = wait_query(&mut query, METRIC, false, 2).await?;
    let (a, b) = (&raw[0].0, &raw[1].0);
    ensure!(
        a[REPLICA_LABEL] != b[REPLICA_LABEL]
            && labels_without(a, REPLICA_LABEL) == labels_without(b, REPLICA_LABEL),
        "the replicas' series differ otherwise than by {REPLICA_LABEL}: {raw:?}"
    );
    let replicas: BTreeSet<&str> = raw
        .iter()
        .filter_map(|(l, _)| l[REPLICA_LABEL].as_str())
        .collect();
    ensure!(
        replicas == BTreeSet::from([prom0.pod_name(), prom1.pod_name()]),
        "replica labels {replicas:?}"
    );
    let deduplicated = wait_query(&mut query, METRIC, true, 1).await?;
    ensure!(
        deduplicated[0].0 == labels_without(a, REPLICA_LABEL),
        "deduplicated: {deduplicated:?}, raw: {raw:?}"
    );
    let dedup_time = t0.elapsed();

    // The ThanosRuler over Query, alerting the Alertmanager.
    let am_url = am.url().to_owned();
    apply_manifests(
        &client,
        &thanos_ruler(&thanos, query.http_address(), &am_url),
    )
    .await?;
    let mut ruler =
        run_thanos_ruler_pod(&client, env, NAMESPACE, &format!("thanos-ruler-{NAME}"), 0)
            .await
            .with_context(|| format!("operator log:\n{}", operator_log()))?;
    // The rule is loaded and evaluated healthy below the threshold.
    wait_rule_evaluated(&mut ruler).await?;
    ensure!(sink.received().is_empty(), "{:?}", sink.received());

    target.set_body(exposition(THRESHOLD * 1.5));
    let crossed = Instant::now();
    let firing = wait_firing(&sink, &mut ruler, &am).await?;
    let threshold_to_sink = crossed.elapsed();
    let alerts = firing["alerts"].as_array().cloned().unwrap_or_default();
    ensure!(
        alerts.len() == 1,
        "one alert expected (the replicas deduplicated): {firing}"
    );
    let labels = &alerts[0]["labels"];
    for (name, value) in [
        ("alertname", ALERT),
        ("severity", "page"),
        ("team", "storage"),
        ("namespace", NAMESPACE),
    ] {
        ensure!(labels[name] == value, "alert labels: {labels}");
    }
    for dropped in [RULER_REPLICA_LABEL, REPLICA_LABEL] {
        ensure!(labels[dropped].is_null(), "alert labels: {labels}");
    }
    eprintln!("alert delivered: {labels}");

    // Both replicas ship their blocks to the bucket.
    let mut first_block = None;
    loop {
        let mut replicas = BTreeSet::new();
        for block in uploaded_blocks(bucket.path()) {
            let meta: Value = serde_json::from_slice(&std::fs::read(block.join("meta.json"))?)
                .with_context(|| format!("{}/meta.json", block.display()))?;
            ensure!(
                meta["thanos"]["source"] == "sidecar"
                    && meta["thanos"]["labels"]["prometheus"] == format!("{NAMESPACE}/{NAME}"),
                "meta.json of {}: {meta}",
                block.display()
            );
            if let Some(replica) = meta["thanos"]["labels"][REPLICA_LABEL].as_str() {
                first_block.get_or_insert_with(|| {
                    eprintln!("first block {}: {meta}", block.display());
                    pods_started.elapsed()
                });
                replicas.insert(replica.to_owned());
            }
        }
        if replicas.len() == 2 {
            break;
        }
        for pod in [&mut prom0, &mut prom1] {
            pod.check_running()?;
        }
        if pods_started.elapsed() > BLOCK_TIMEOUT {
            bail!(
                "blocks of {replicas:?} only in the bucket {} after {BLOCK_TIMEOUT:?}; \
                 sidecar logs:\n{}\n{}",
                bucket.path().display(),
                prom0
                    .sidecar_log_tail(SIDECAR_CONTAINER, 20)
                    .unwrap_or_default(),
                prom1
                    .sidecar_log_tail(SIDECAR_CONTAINER, 20)
                    .unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    query.check_running()?;
    ruler.check_running()?;
    Ok(HaTimings {
        pods_ready,
        deduplicated: dedup_time,
        first_block: first_block.unwrap_or_default(),
        threshold_to_sink,
        total: t0.elapsed(),
    })
}

/// Polls Query until `promql` returns `n` series (deduplicated or not).
async fn wait_query(
    query: &mut ThanosQuery,
    promql: &str,
    dedup: bool,
    n: usize,
) -> Result<Vec<(Value, f64)>> {
    let start = Instant::now();
    loop {
        query.check_running()?;
        let last = query.query_vector(promql, dedup).await;
        if let Ok(v) = &last
            && v.len() == n
        {
            return last;
        }
        if start.elapsed() > TIMEOUT {
            bail!(
                "Thanos Query {promql:?} (dedup={dedup}): not {n} series after {TIMEOUT:?}: \
                 {last:?}\nquery log:\n{}",
                query.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until the ruler evaluated the alerting rule with no error.
async fn wait_rule_evaluated(ruler: &mut RunningPod<crate::ThanosRulerApi>) -> Result<()> {
    let start = Instant::now();
    loop {
        ruler.check_running()?;
        let rules = ruler.rules().await.unwrap_or(Value::Null);
        let evaluated = rules["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .any(|r| {
                r["name"] == ALERT
                    && r["health"] == "ok"
                    && r["lastEvaluation"]
                        .as_str()
                        .is_some_and(|t| !t.starts_with("0001"))
            });
        if evaluated {
            return Ok(());
        }
        if start.elapsed() > TIMEOUT {
            bail!(
                "the ThanosRuler never evaluated {ALERT}: {rules}\n{}",
                ruler.log_tail(30)
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until the sink received a firing notification; returns it.
async fn wait_firing(
    sink: &WebhookSink,
    ruler: &mut RunningPod<crate::ThanosRulerApi>,
    am: &RunningPod<crate::AlertmanagerApi>,
) -> Result<Value> {
    let start = Instant::now();
    loop {
        let got = sink.received();
        if let Some(m) = got.iter().find(|m| m["status"] == "firing") {
            return Ok(m.clone());
        }
        ruler.check_running()?;
        let left = TIMEOUT.checked_sub(start.elapsed()).with_context(|| {
            format!(
                "no firing notification after {TIMEOUT:?}: {got:?}\nruler log:\n{}\n\
                 Alertmanager log:\n{}",
                ruler.log_tail(30),
                am.log_tail(30)
            )
        })?;
        let _ = sink
            .wait_for(got.len() + 1, left.min(Duration::from_secs(1)))
            .await;
    }
}
