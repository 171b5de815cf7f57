//! Writes that converge exactly (issue 11, defects 1, 2 and 4), on the real
//! test bed with the controllers running in-process:
//!
//! * what promop stops wanting disappears: the rule file of a deleted
//!   PrometheusRule, the TLS asset of a deleted ServiceMonitor, a label taken
//!   off the Prometheus — and, once converged, nothing is written again;
//! * a StatefulSet is deleted to be recreated only when the API server says
//!   an immutable field changed, never for an admission policy's denial;
//! * the state kept about a deleted workload goes with it;
//! * a PrometheusAgent that changes mode leaves nothing of its former mode
//!   (feature gate `PrometheusAgentDaemonSet`).

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::api::events::v1::Event;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use promop_api::v1::{Prometheus, PrometheusRule, ServiceMonitor};
use promop_api::v1alpha1::PrometheusAgent;
use promop_testenv::cluster_state::written_versions;
use promop_testenv::{TestEnv, apply_manifests};

const NS: &str = "monitoring";
const TIMEOUT: Duration = Duration::from_secs(30);

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("promop_operator=debug")
        .with_test_writer()
        .try_init();
}

const PROMETHEUS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring, labels: {team: a}}
spec:
  version: v3.5.0
  serviceMonitorSelector: {}
  ruleSelector: {}
"#;

/// A Secret with a CA certificate, a ServiceMonitor using it for TLS, and
/// two PrometheusRules.
fn inputs() -> Result<String> {
    let key = rcgen::KeyPair::generate()?;
    let ca = rcgen::CertificateParams::new(vec!["ca.test".to_owned()])?.self_signed(&key)?;
    let pem = serde_json::to_string(&ca.pem())?;
    Ok(format!(
        r#"
apiVersion: v1
kind: Secret
metadata: {{name: ca, namespace: monitoring}}
stringData: {{ca.crt: {pem}}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: tls, namespace: monitoring}}
spec:
  selector: {{matchLabels: {{app: tls}}}}
  endpoints:
  - port: web
    scheme: https
    tlsConfig:
      ca: {{secret: {{name: ca, key: ca.crt}}}}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: base, namespace: monitoring}}
spec:
  groups:
  - name: base
    rules: [{{record: "base:up", expr: "sum(up)"}}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: extra, namespace: monitoring}}
spec:
  groups:
  - name: extra
    rules: [{{record: "extra:up", expr: "max(up)"}}]
"#
    ))
}

/// Polls `check` until it returns `Some`, failing with `what` after `TIMEOUT`.
async fn until<T, F, Fut>(what: &str, check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    promop_testenv::poll::until(what, TIMEOUT, check).await
}

async fn config_map_keys(client: &Client, name: &str) -> Result<Vec<String>> {
    let map = Api::<ConfigMap>::namespaced(client.clone(), NS)
        .get_opt(name)
        .await?;
    Ok(map
        .and_then(|m| m.data)
        .map(|d| d.into_keys().collect())
        .unwrap_or_default())
}

async fn secret_keys(client: &Client, name: &str) -> Result<Vec<String>> {
    let secret = Api::<Secret>::namespaced(client.clone(), NS)
        .get_opt(name)
        .await?;
    Ok(secret
        .and_then(|s| s.data)
        .map(|d| d.into_keys().collect())
        .unwrap_or_default())
}

#[tokio::test]
async fn what_promop_no_longer_wants_disappears() -> Result<()> {
    init_logs();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, PROMETHEUS).await?;
    apply_manifests(&client, &inputs()?).await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());

    let rules = "prometheus-main-rulefiles-0";
    let assets = "prometheus-main-tls-assets-0";
    until("both rule files written", || async {
        let keys = config_map_keys(&client, rules).await?;
        Ok((keys.len() == 2).then_some(()))
    })
    .await?;
    until("the CA written as a TLS asset", || async {
        let keys = secret_keys(&client, assets).await?;
        Ok(keys.iter().any(|k| k.contains("ca")).then_some(()))
    })
    .await?;
    let sets = Api::<StatefulSet>::namespaced(client.clone(), NS);
    until("the Prometheus' label on its StatefulSet", || async {
        let set = sets.get_opt("prometheus-main").await?;
        Ok(set
            .is_some_and(|s| s.labels().get("team").map(String::as_str) == Some("a"))
            .then_some(()))
    })
    .await?;

    // A deleted PrometheusRule: its file leaves the ConfigMap.
    Api::<PrometheusRule>::namespaced(client.clone(), NS)
        .delete("extra", &DeleteParams::default())
        .await?;
    let keys = until("the deleted rule's file removed", || async {
        let keys = config_map_keys(&client, rules).await?;
        Ok((!keys.iter().any(|k| k.contains("-extra-"))).then_some(keys))
    })
    .await?;
    ensure!(
        keys.len() == 1 && keys[0].contains("-base-"),
        "rule files left: {keys:?}"
    );

    // A deleted ServiceMonitor: its CA leaves the TLS assets.
    Api::<ServiceMonitor>::namespaced(client.clone(), NS)
        .delete("tls", &DeleteParams::default())
        .await?;
    until("the deleted monitor's TLS asset removed", || async {
        let keys = secret_keys(&client, assets).await?;
        Ok((!keys.iter().any(|k| k.contains("ca"))).then_some(()))
    })
    .await?;

    // A label taken off the Prometheus leaves its StatefulSet.
    let unlabel = serde_json::json!({"metadata": {"labels": {"team": null}}});
    Api::<Prometheus>::namespaced(client.clone(), NS)
        .patch("main", &PatchParams::default(), &Patch::Merge(&unlabel))
        .await?;
    until("the label removed from the StatefulSet", || async {
        let set = sets.get("prometheus-main").await?;
        Ok((!set.labels().contains_key("team")).then_some(()))
    })
    .await?;

    // Converged: comparing what we own with what we want writes nothing more.
    let before = written_versions(&client, NS).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = written_versions(&client, NS).await?;
    ensure!(before == after, "still writing:\n{before:?}\n{after:?}");

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)
}

/// Refuses StatefulSet updates to more than one replica in `monitoring`.
const POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: one-replica}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["UPDATE"]
      resources: ["statefulsets"]
  validations:
  - expression: "!has(object.spec.replicas) || object.spec.replicas <= 1"
    message: "at most one replica in this namespace"
    # As a 422, like an invalid value (the default is a 403).
    reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: one-replica}
spec:
  policyName: one-replica
  validationActions: [Deny]
"#;

/// Waits for Prometheus `main`'s `Reconciled` condition with `field` equal
/// to `value`; returns its message.
async fn reconciled_message(client: &Client, field: &str, value: &str) -> Result<String> {
    reconciled_message_of::<Prometheus>(client, field, value).await
}

/// [`reconciled_message`] of the workload `main` of kind `K`.
async fn reconciled_message_of<K>(client: &Client, field: &str, value: &str) -> Result<String>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    let prometheuses = Api::<K>::namespaced(client.clone(), NS);
    until(
        &format!("Reconciled with {field}={value} in the status"),
        || async {
            let p = serde_json::to_value(prometheuses.get("main").await?)?;
            let conditions = p["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            Ok(conditions
                .iter()
                .find(|c| c["type"] == "Reconciled" && c[field] == value)
                .and_then(|c| c["message"].as_str().map(str::to_owned)))
        },
    )
    .await
}

async fn patch_prometheus(client: &Client, spec: serde_json::Value) -> Result<()> {
    Api::<Prometheus>::namespaced(client.clone(), NS)
        .patch(
            "main",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({ "spec": spec })),
        )
        .await?;
    Ok(())
}

#[tokio::test]
async fn only_an_immutable_field_change_recreates_the_statefulset() -> Result<()> {
    init_logs();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, PROMETHEUS).await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    let sets = Api::<StatefulSet>::namespaced(client.clone(), NS);
    let first = until("the StatefulSet", || async {
        Ok(sets.get_opt("prometheus-main").await?)
    })
    .await?;
    let uid = first.uid().context("uid")?;

    apply_manifests(&client, POLICY).await?;
    // Policies take effect shortly after they are created.
    let two = serde_json::json!({"spec": {"replicas": 2}});
    let dry_run = PatchParams {
        dry_run: true,
        ..PatchParams::default()
    };
    until("the admission policy in force", || async {
        Ok(
            match sets
                .patch("prometheus-main", &dry_run, &Patch::Merge(&two))
                .await
            {
                Err(kube::Error::Api(status)) if status.code == 422 => Some(()),
                _ => None,
            },
        )
    })
    .await?;

    // Denied: the running StatefulSet stays, the status and an Event say why.
    patch_prometheus(&client, serde_json::json!({"replicas": 2})).await?;
    let message = reconciled_message(&client, "status", "False").await?;
    ensure!(
        message.contains("at most one replica"),
        "status message: {message}"
    );
    let events = Api::<Event>::namespaced(client.clone(), NS);
    until("a StatefulSetRefused Event", || async {
        let list = events.list(&ListParams::default()).await?;
        Ok(list
            .items
            .iter()
            .any(|e| e.reason.as_deref() == Some("StatefulSetRefused"))
            .then_some(()))
    })
    .await?;
    // Several retries later the same StatefulSet still runs.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let kept = sets.get("prometheus-main").await?;
    ensure!(
        kept.uid().as_deref() == Some(uid.as_str()) && kept.metadata.deletion_timestamp.is_none(),
        "the StatefulSet was deleted for a denied update"
    );

    // An immutable field (volumeClaimTemplates, from spec.storage): the
    // StatefulSet is recreated with it.
    patch_prometheus(
        &client,
        serde_json::json!({"replicas": 1, "storage": {"volumeClaimTemplate": {"spec": {
            "resources": {"requests": {"storage": "1Gi"}}}}}}),
    )
    .await?;
    // Deleted in the foreground; the test bed has no garbage collector to
    // finish that (no pods depend on it): play its part.
    until("the StatefulSet deleted", || async {
        let set = sets.get_opt("prometheus-main").await?;
        Ok(match set {
            Some(s) if s.uid().as_deref() == Some(uid.as_str()) => {
                s.metadata.deletion_timestamp.is_some().then_some(())
            }
            _ => Some(()),
        })
    })
    .await?;
    let release = serde_json::json!({"metadata": {"finalizers": null}});
    sets.patch(
        "prometheus-main",
        &PatchParams::default(),
        &Patch::Merge(&release),
    )
    .await
    .ok();
    let recreated = until("the StatefulSet recreated with its claim", || async {
        let set = sets.get_opt("prometheus-main").await?;
        Ok(set.filter(|s| {
            s.uid().as_deref() != Some(uid.as_str())
                && s.spec
                    .volume_claim_templates
                    .as_ref()
                    .is_some_and(|v| !v.is_empty())
        }))
    })
    .await?;
    ensure!(recreated.spec.replicas == Some(1));

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)
}

/// A monitor every Prometheus rejects (a relabeling regex that does not
/// compile).
const BAD_MONITOR: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bad, namespace: monitoring}
spec:
  selector: {matchLabels: {app: bad}}
  endpoints:
  - port: web
    relabelings: [{action: replace, sourceLabels: [a], regex: "([", targetLabel: b}]
"#;

async fn rejection_events(client: &Client) -> Result<usize> {
    let list = Api::<Event>::namespaced(client.clone(), NS)
        .list(&ListParams::default())
        .await?;
    Ok(list
        .items
        .iter()
        .filter(|e| {
            e.reason.as_deref() == Some("InvalidConfiguration")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("bad")
        })
        .count())
}

#[tokio::test]
async fn a_workload_created_again_starts_anew() -> Result<()> {
    init_logs();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, PROMETHEUS).await?;
    apply_manifests(&client, BAD_MONITOR).await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    until("the rejection reported", || async {
        Ok((rejection_events(&client).await? == 1).then_some(()))
    })
    .await?;

    // Deleted and created again under the same name: what was reported
    // about the old one does not silence the new one.
    let prometheuses = Api::<Prometheus>::namespaced(client.clone(), NS);
    prometheuses
        .delete("main", &DeleteParams::default())
        .await?;
    until("the Prometheus gone", || async {
        Ok(prometheuses.get_opt("main").await?.is_none().then_some(()))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    apply_manifests(&client, PROMETHEUS).await?;
    until("the rejection reported for the new Prometheus", || async {
        Ok((rejection_events(&client).await? == 2).then_some(()))
    })
    .await?;

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)
}

/// After a takeover from the reference, what promop no longer wants still
/// disappears, although the reference's writes co-own those fields; and the
/// takeover itself rolls nothing.
#[tokio::test]
async fn after_a_takeover_what_promop_no_longer_wants_disappears() -> Result<()> {
    init_logs();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, PROMETHEUS).await?;
    apply_manifests(&client, &inputs()?).await?;
    let (rules, assets) = (
        "prometheus-main-rulefiles-0",
        "prometheus-main-tls-assets-0",
    );
    let sets = Api::<StatefulSet>::namespaced(client.clone(), NS);

    let reference = promop_testenv::ReferenceOperator::start(&env, &[]).await?;
    until("the reference's rule files and TLS assets", || async {
        let rule_files = config_map_keys(&client, rules).await?.len();
        let ca = secret_keys(&client, assets)
            .await?
            .iter()
            .any(|k| k.contains("ca"));
        let set = sets.get_opt("prometheus-main").await?.is_some();
        Ok((rule_files == 2 && ca && set).then_some(()))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(reference);
    let by_reference = sets.get("prometheus-main").await?;

    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    tokio::time::sleep(Duration::from_secs(3)).await;
    Api::<PrometheusRule>::namespaced(client.clone(), NS)
        .delete("extra", &DeleteParams::default())
        .await?;
    Api::<ServiceMonitor>::namespaced(client.clone(), NS)
        .delete("tls", &DeleteParams::default())
        .await?;
    until("the deleted rule's file removed", || async {
        let keys = config_map_keys(&client, rules).await?;
        Ok((keys.len() == 1 && !keys.iter().any(|k| k.contains("-extra-"))).then_some(()))
    })
    .await?;
    until("the deleted monitor's TLS asset removed", || async {
        let keys = secret_keys(&client, assets).await?;
        Ok((!keys.iter().any(|k| k.contains("ca"))).then_some(()))
    })
    .await?;
    let ours = sets.get("prometheus-main").await?;
    ensure!(
        ours.metadata.generation == by_reference.metadata.generation,
        "the takeover changed the StatefulSet's spec: generation {:?} -> {:?}",
        by_reference.metadata.generation,
        ours.metadata.generation
    );

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)
}

/// Everything promop needs but the ScrapeConfigs.
const RBAC_WITHOUT_SCRAPE_CONFIGS: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: promop, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: promop-without-scrapeconfigs}
rules:
- apiGroups: [monitoring.coreos.com]
  resources: [prometheuses, prometheuses/status, prometheusagents, prometheusagents/status,
    alertmanagers, alertmanagers/status, alertmanagerconfigs, servicemonitors, podmonitors,
    probes, prometheusrules, thanosrulers]
  verbs: ["*"]
- apiGroups: [""]
  resources: [secrets, configmaps, services, namespaces, endpoints, events]
  verbs: ["*"]
- apiGroups: [apps]
  resources: [statefulsets]
  verbs: ["*"]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: promop-without-scrapeconfigs}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: promop-without-scrapeconfigs}
subjects: [{kind: ServiceAccount, name: promop, namespace: default}]
"#;

/// A kind whose watch the API refuses (here RBAC forbids ScrapeConfigs)
/// does not stall the workloads: they are reconciled with what promop can
/// see, and their status says what it cannot.
#[tokio::test]
async fn a_refused_watch_degrades_one_kind_only() -> Result<()> {
    init_logs();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, RBAC_WITHOUT_SCRAPE_CONFIGS).await?;
    apply_manifests(&client, PROMETHEUS).await?;
    apply_manifests(&client, BAD_MONITOR).await?;
    let limited = env.service_account_client("default", "promop").await?;
    let controller = promop_operator::spawn(limited, promop_operator::Options::default());

    let secrets = Api::<Secret>::namespaced(client.clone(), NS);
    until("the configuration written", || async {
        Ok(secrets.get_opt("prometheus-main").await?.map(|_| ()))
    })
    .await?;
    let message = reconciled_message(&client, "reason", "WatchDegraded").await?;
    ensure!(
        message.contains("ScrapeConfig"),
        "status message: {message}"
    );

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)
}

const AGENT: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: PrometheusAgent
metadata: {name: main, namespace: monitoring}
spec:
  version: v3.5.0
  mode: DaemonSet
  podMonitorSelector: {}
"#;

/// Whether the DaemonSet and the StatefulSet `prom-agent-main` exist.
async fn agent_sets(client: &Client) -> Result<(bool, bool)> {
    let name = "prom-agent-main";
    let daemon_set = Api::<DaemonSet>::namespaced(client.clone(), NS)
        .get_opt(name)
        .await?;
    let stateful_set = Api::<StatefulSet>::namespaced(client.clone(), NS)
        .get_opt(name)
        .await?;
    Ok((daemon_set.is_some(), stateful_set.is_some()))
}

async fn set_agent_mode(client: &Client, mode: &str) -> Result<()> {
    Api::<PrometheusAgent>::namespaced(client.clone(), NS)
        .patch(
            "main",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({"spec": {"mode": mode}})),
        )
        .await?;
    Ok(())
}

async fn until_agent_sets(client: &Client, want: (bool, bool)) -> Result<()> {
    until(
        &format!("(DaemonSet, StatefulSet) exist: {want:?}"),
        || async { Ok((agent_sets(client).await? == want).then_some(())) },
    )
    .await
}

#[tokio::test]
async fn an_agent_that_changes_mode_leaves_nothing_of_its_former_mode() -> Result<()> {
    init_logs();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, AGENT).await?;

    // Without the gate (the default), refused in the reference's words.
    let off = promop_operator::spawn(client.clone(), promop_operator::Options::default());
    let message = reconciled_message_of::<PrometheusAgent>(&client, "status", "False").await?;
    ensure!(
        message.contains("feature gate for Prometheus Agent's DaemonSet mode is not enabled"),
        "{message}"
    );
    ensure!(agent_sets(&client).await? == (false, false));
    off.stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;

    let options =
        promop_operator::Options::from_args(&["--feature-gates=PrometheusAgentDaemonSet=true"])?;
    let controller = promop_operator::spawn(client.clone(), options);
    until_agent_sets(&client, (true, false)).await?;
    // No governing Service in DaemonSet mode.
    let services = Api::<k8s_openapi::api::core::v1::Service>::namespaced(client.clone(), NS);
    ensure!(
        services
            .get_opt("prometheus-agent-operated")
            .await?
            .is_none()
    );
    set_agent_mode(&client, "StatefulSet").await?;
    until_agent_sets(&client, (false, true)).await?;
    set_agent_mode(&client, "DaemonSet").await?;
    until_agent_sets(&client, (true, false)).await?;
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}
