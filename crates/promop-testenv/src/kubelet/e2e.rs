//! Issue 5's end-to-end scenario, shared by the reference's and promop's
//! tests: a metrics endpoint on 127.0.0.1 behind a Service and an
//! EndpointSlice, a ServiceMonitor selecting it, a Prometheus selecting the
//! ServiceMonitor; the operator under test (already running) writes the
//! StatefulSet, its Secrets and the rule ConfigMap, the kubelet runs the
//! pod, the target is scraped and a PrometheusRule's recording rule
//! evaluated; a relabeling added to the ServiceMonitor reaches the series.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::apiserver::TestEnv;
use crate::kubelet::run_statefulset_pod;
use crate::manifests::apply_manifests;
use crate::metrics_server::MetricsServer;
use crate::prometheus::PrometheusVersion;
use crate::reference::read_generated_config;

pub const NAMESPACE: &str = "monitoring";
/// The Prometheus; its StatefulSet is `prometheus-main`, its pod
/// `prometheus-main-0`.
pub const PROMETHEUS: &str = "main";
/// The ServiceMonitor (and the Service and the job label it yields).
pub const MONITOR: &str = "app";
/// The scrape pool of the ServiceMonitor's first endpoint.
pub const SCRAPE_POOL: &str = "serviceMonitor/monitoring/app/0";
/// Recorded by the PrometheusRule (the rule file is a ConfigMap volume).
pub const RECORDED: &str = "app:info:sum";

const TIMEOUT: Duration = Duration::from_secs(90);

/// How long each phase took, from the start of [`scrape_end_to_end`].
#[derive(Debug)]
pub struct ScrapeTimings {
    pub pod_ready: Duration,
    pub target_up: Duration,
    pub relabeled: Duration,
}

/// The scenario's objects. Prometheus discovers EndpointSlices (the
/// apiserver accepts 127.0.0.1 only in a slice of addressType FQDN); its
/// `spec.version` is the installed binary's, so that the configuration is
/// generated for the binary that runs it.
fn objects(port: u16, version: &str, relabeled: bool) -> String {
    let relabelings =
        relabeled.then_some("[{action: replace, targetLabel: team, replacement: platform}]");
    objects_of(port, version, relabelings, RECORDED, None)
}

/// The scenario's objects, varied: the ServiceMonitor endpoint's
/// `relabelings` (a YAML flow list), the recording rule's name and the
/// ServiceAccount of the Prometheus (created here).
pub(crate) fn objects_of(
    port: u16,
    version: &str,
    relabelings: Option<&str>,
    record: &str,
    service_account: Option<&str>,
) -> String {
    let relabelings = relabelings
        .map(|r| format!("\n    relabelings: {r}"))
        .unwrap_or_default();
    let (account, account_field) = match service_account {
        Some(name) => (
            format!(
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {name}, namespace: {NAMESPACE}}}\n---\n"
            ),
            format!("\n  serviceAccountName: {name}"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
{account}apiVersion: v1
kind: Service
metadata: {{name: {MONITOR}, namespace: {NAMESPACE}, labels: {{app: {MONITOR}}}}}
spec:
  ports: [{{name: web, port: {port}, protocol: TCP}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {MONITOR}-fqdn
  namespace: {NAMESPACE}
  labels: {{kubernetes.io/service-name: {MONITOR}}}
addressType: FQDN
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
ports: [{{name: web, port: {port}, protocol: TCP}}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: {MONITOR}, namespace: {NAMESPACE}}}
spec:
  selector: {{matchLabels: {{app: {MONITOR}}}}}
  endpoints:
  - port: web{relabelings}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: {MONITOR}, namespace: {NAMESPACE}}}
spec:
  groups:
  - name: {MONITOR}
    rules: [{{record: "{record}", expr: sum(app_info)}}]
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: {PROMETHEUS}, namespace: {NAMESPACE}}}
spec:
  version: v{version}{account_field}
  serviceDiscoveryRole: EndpointSlice
  scrapeInterval: 1s
  evaluationInterval: 1s
  serviceMonitorSelector: {{}}
  ruleSelector: {{}}
"#
    )
}

/// Runs the scenario against the operator already running on `env` (with
/// the CRDs installed), for a Prometheus of the installed `version`;
/// `operator_log` explains failures.
pub async fn scrape_end_to_end(
    env: &TestEnv,
    version: PrometheusVersion,
    operator_log: impl Fn() -> String,
) -> Result<ScrapeTimings> {
    let t0 = Instant::now();
    let client = env.client();
    let target = MetricsServer::start("# TYPE app_info gauge\napp_info 1\n").await?;
    let version = version.installed_version()?;
    apply_manifests(&client, &objects(target.port(), &version, false)).await?;

    let mut pod = run_statefulset_pod(
        &client,
        env,
        NAMESPACE,
        &format!("prometheus-{PROMETHEUS}"),
        0,
    )
    .await
    .with_context(|| format!("operator log:\n{}", operator_log()))?;
    let pod_ready = t0.elapsed();
    let build = pod.api_get("status/buildinfo").await?;
    ensure!(
        build["version"]
            .as_str()
            .is_some_and(|v| v.starts_with(&version)),
        "the pod runs {build}, not {version}"
    );

    // The job label is the Service's name (the operator's relabeling); the
    // scrape pool is the ServiceMonitor's job_name.
    let up = format!(r#"up{{job="{MONITOR}", namespace="{NAMESPACE}", endpoint="web"}}"#);
    pod.wait_for_query(&up, TIMEOUT, |v| v.iter().any(|(_, x)| *x == 1.0))
        .await
        .with_context(|| format!("operator log:\n{}", operator_log()))?;
    let target_up = t0.elapsed();
    let targets = pod.active_targets().await?;
    let ours: Vec<&Value> = targets
        .iter()
        .filter(|t| t["scrapePool"] == SCRAPE_POOL)
        .collect();
    ensure!(
        ours.len() == 1 && ours[0]["health"] == "up",
        "targets of {SCRAPE_POOL}: {targets:?}"
    );
    ensure!(
        ours[0]["labels"]["instance"] == format!("127.0.0.1:{}", target.port()),
        "{:?}",
        ours[0]
    );
    // The reloader's substitution: `$(POD_NAME)` in the external labels.
    let config = pod.loaded_config().await?;
    ensure!(
        config.contains(&format!("prometheus_replica: {}", pod.pod_name())),
        "loaded configuration:\n{config}"
    );
    pod.wait_for_query(RECORDED, TIMEOUT, |v| v.iter().any(|(_, x)| *x == 1.0))
        .await
        .with_context(|| format!("operator log:\n{}", operator_log()))?;
    let before = pod.query_vector("app_info").await?;
    ensure!(
        before.len() == 1 && before[0].0["team"].is_null(),
        "{before:?}"
    );

    apply_manifests(&client, &objects(target.port(), &version, true)).await?;
    wait_config_containing(env, "replacement: platform", &operator_log).await?;
    pod.reload().await?;
    let relabeled = pod
        .wait_for_query(r#"app_info{team="platform"}"#, TIMEOUT, |v| v.len() == 1)
        .await?;
    ensure!(relabeled[0].0["job"] == MONITOR, "{relabeled:?}");
    Ok(ScrapeTimings {
        pod_ready,
        target_up,
        relabeled: t0.elapsed(),
    })
}

/// Waits until the operator's configuration Secret contains `needle`.
async fn wait_config_containing(
    env: &TestEnv,
    needle: &str,
    operator_log: &impl Fn() -> String,
) -> Result<()> {
    let start = Instant::now();
    loop {
        let config = read_generated_config(&env.client(), NAMESPACE, PROMETHEUS)
            .await
            .ok();
        if config.as_deref().is_some_and(|c| c.contains(needle)) {
            return Ok(());
        }
        ensure!(
            start.elapsed() < TIMEOUT,
            "the configuration never contained {needle:?}:\n{}\noperator log:\n{}",
            config.unwrap_or_default(),
            operator_log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
