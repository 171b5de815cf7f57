//! One change, one reconcile: the watch events of promop's own writes (the
//! config Secret, a rule ConfigMap) do not re-queue the workload that wrote
//! them (issue 18: each change used to cost two full generations). Counted
//! with promop's `promop_reconciles_total`, which is process-wide: this test
//! has its own binary.
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use promop_operator::telemetry;
use promop_testenv::read_generated_config;
use promop_testenv::{TestEnv, apply_manifests};
use serde_json::json;

const NS: &str = "monitoring";
const TIMEOUT: Duration = Duration::from_secs(30);
/// Long enough for the echo of a write to arrive and be acted on.
const SETTLE: Duration = Duration::from_secs(3);

const INPUTS: &str = r#"
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
  ruleSelector: {}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app, namespace: monitoring}
spec:
  selector: {matchLabels: {app: app}}
  endpoints: [{port: web}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: base, namespace: monitoring}
spec:
  groups:
  - name: base
    rules: [{record: "base:up", expr: "sum(up)"}]
"#;

/// Successful reconciles of Prometheus workloads so far.
fn reconciles(metrics: &metrics_exporter_prometheus::PrometheusHandle) -> u64 {
    let wanted = format!(
        r#"{}{{controller="prometheus",result="success"}} "#,
        telemetry::RECONCILES
    );
    metrics
        .render()
        .lines()
        .find_map(|line| line.strip_prefix(&wanted)?.trim().parse().ok())
        .unwrap_or(0)
}

/// Waits until the count stays the same over `SETTLE`; returns it.
async fn settled(metrics: &metrics_exporter_prometheus::PrometheusHandle) -> u64 {
    let mut count = reconciles(metrics);
    loop {
        tokio::time::sleep(SETTLE).await;
        let now = reconciles(metrics);
        if now == count {
            return count;
        }
        count = now;
    }
}

async fn patch<K>(client: &Client, name: &str, patch: serde_json::Value) -> Result<()>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Api::<K>::namespaced(client.clone(), NS)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("patching {name}"))?;
    Ok(())
}

#[tokio::test]
async fn a_change_costs_one_reconcile_not_two() -> Result<()> {
    let metrics = telemetry::install()?;
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, INPUTS).await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    let rules = Api::<ConfigMap>::namespaced(client.clone(), NS);
    promop_testenv::poll::until("the rule file written", TIMEOUT, || async {
        let map = rules.get_opt("prometheus-main-rulefiles-0").await?;
        Ok(map.is_some().then_some(()))
    })
    .await?;
    let before = settled(&metrics).await;

    // A ServiceMonitor change: the config Secret is written once.
    let relabel = json!({"spec": {"endpoints": [{"port": "web", "relabelings": [
        {"targetLabel": "changed", "replacement": "echo-test"}]}]}});
    patch::<promop_api::v1::ServiceMonitor>(&client, "app", relabel).await?;
    promop_testenv::poll::until("the change in the config Secret", TIMEOUT, || async {
        let config = read_generated_config(&client, NS, "main").await?;
        Ok(config.contains("echo-test").then_some(()))
    })
    .await?;
    let after_monitor = settled(&metrics).await;
    ensure!(
        after_monitor - before == 1,
        "{} reconciles for one ServiceMonitor change",
        after_monitor - before
    );

    // A PrometheusRule change: its rule ConfigMap is written once.
    let rule = json!({"spec": {"groups": [{"name": "base", "rules": [
        {"record": "base:up", "expr": "sum(up) by (echo_test)"}]}]}});
    patch::<promop_api::v1::PrometheusRule>(&client, "base", rule).await?;
    promop_testenv::poll::until("the change in the rule file", TIMEOUT, || async {
        let map = rules.get("prometheus-main-rulefiles-0").await?;
        let data = map.data.unwrap_or_default();
        Ok(data.values().any(|v| v.contains("echo_test")).then_some(()))
    })
    .await?;
    let after_rule = settled(&metrics).await;
    ensure!(
        after_rule - after_monitor == 1,
        "{} reconciles for one PrometheusRule change",
        after_rule - after_monitor
    );

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)
}
