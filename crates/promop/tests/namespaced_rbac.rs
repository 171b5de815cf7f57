//! Namespace-scoped operation on the test bed: `promop run --namespaces
//! team-a` authenticated as a ServiceAccount holding only the chart's
//! `rbac.scope=namespaces` Role in team-a. promop reconciles team-a's
//! Prometheus (its namespace selector needs team-a's labels, read with a
//! GET the Role grants) and never sends a request about namespace `other`,
//! nor one the API server refuses (the audit log records every request of
//! the ServiceAccount).
mod common;

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use promop_testenv::{
    TestEnv, TestEnvOptions, apply_manifests, parse_yaml_documents, wait_generated_config,
    wait_statefulset,
};
use serde_json::Value;

use common::Operator;

const TIMEOUT: Duration = Duration::from_secs(60);
const SA_USER: &str = "system:serviceaccount:promop-system:promop";

const SETUP: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: promop-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {team: a}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: promop, namespace: promop-system}
"#;

/// team-a's Prometheus takes ServiceMonitors from every namespace labelled
/// `team: a` — `other` too, were it watched; each namespace has a monitor
/// whose basic auth is a Secret of its own.
const INPUTS: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: team-a}
spec:
  version: v3.5.0
  serviceMonitorSelector: {}
  serviceMonitorNamespaceSelector: {matchLabels: {team: a}}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: team-a}
stringData: {user: a, password: secret-a}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app, namespace: team-a}
spec:
  selector: {matchLabels: {app: app}}
  endpoints:
  - port: web
    basicAuth:
      username: {name: creds, key: user}
      password: {name: creds, key: password}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: other}
stringData: {user: o, password: secret-other}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app, namespace: other}
spec:
  selector: {matchLabels: {app: app}}
  endpoints:
  - port: web
    basicAuth:
      username: {name: creds, key: user}
      password: {name: creds, key: password}
"#;

/// The chart's RBAC objects for `rbac.scope=namespaces` and `namespaces`.
fn chart_rbac(namespaces: &str) -> Result<String> {
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/helm/promop");
    let out = Command::new(promop_testenv::binary("helm")?)
        .args(["template", "promop", chart, "--namespace", "promop-system"])
        .args(["--set", "rbac.scope=namespaces", "--set"])
        .arg(format!("operator.namespaces={{{namespaces}}}"))
        .output()?;
    ensure!(
        out.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = parse_yaml_documents(&String::from_utf8(out.stdout)?)?;
    let rbac: Vec<String> = docs
        .iter()
        .filter(|d| d["apiVersion"] == "rbac.authorization.k8s.io/v1")
        .map(Value::to_string)
        .collect();
    ensure!(!rbac.is_empty(), "no RBAC objects rendered");
    Ok(rbac.join("\n---\n"))
}

#[tokio::test]
async fn namespaced_rbac_reconciles_its_namespace_and_reads_nothing_else() -> Result<()> {
    let env = TestEnv::with_upstream_crds_and(TestEnvOptions::default().audit(true)).await?;
    let client = env.client();
    apply_manifests(&client, SETUP).await?;
    apply_manifests(&client, &chart_rbac("team-a")?).await?;
    apply_manifests(&client, INPUTS).await?;

    let kubeconfig = env
        .service_account_kubeconfig("promop-system", "promop")
        .await?;
    let operator =
        Operator::start_with(&kubeconfig, env.dir(), "promop", &["--namespaces=team-a"])?;

    let config = wait_generated_config(&client, "team-a", "main", TIMEOUT)
        .await
        .with_context(|| operator.logs())?;
    ensure!(
        config.contains("job_name: serviceMonitor/team-a/app/0"),
        "team-a's monitor (selected through team-a's labels) missing:\n{config}\n{}",
        operator.logs()
    );
    ensure!(
        !config.contains("serviceMonitor/other/"),
        "a monitor of an unwatched namespace was used:\n{config}"
    );
    wait_statefulset(&client, "team-a", "prometheus-main")
        .await
        .with_context(|| operator.logs())?;

    let requests: Vec<_> = env
        .audit_events()?
        .into_iter()
        .filter(|e| e.username == SA_USER)
        .collect();
    ensure!(
        requests
            .iter()
            .any(|e| e.resource == "namespaces" && e.verb == "get" && e.name == "team-a"),
        "team-a's labels were not read with a GET: {requests:#?}"
    );
    let outside: Vec<String> = requests
        .iter()
        .filter(|e| e.namespace == "other" || e.name == "other")
        .map(|e| format!("{} {}", e.verb, e.request_uri))
        .collect();
    ensure!(outside.is_empty(), "requests about `other`: {outside:#?}");
    let refused: Vec<String> = requests
        .iter()
        .filter(|e| e.code == Some(403))
        .map(|e| format!("{} {}", e.verb, e.request_uri))
        .collect();
    ensure!(refused.is_empty(), "refused requests: {refused:#?}");
    let logs = operator.logs();
    ensure!(
        !logs.contains("forbidden") && !logs.contains("refuses"),
        "refusals in the operator's log:\n{logs}"
    );
    Ok(())
}
