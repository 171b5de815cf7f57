//! The ThanosRuler controller on the test bed: the controller, run
//! in-process against a local kube-apiserver, writes the StatefulSet, the
//! rule ConfigMap (with the selected PrometheusRule, without it once it is
//! deleted), the governing Service, the status and its condition metric.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::api::DeleteParams;
use kube::{Api, Client};
use promop_api::v1::{PrometheusRule, ThanosRuler};
use promop_testenv::{TestEnv, apply_manifests};

const NS: &str = "monitoring";

const RULER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: monitoring.coreos.com/v1
kind: ThanosRuler
metadata: {name: main, namespace: monitoring}
spec:
  queryEndpoints: [thanos-query:9090]
  ruleSelector: {matchLabels: {role: rules}}
"#;

const RULE: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: alerts, namespace: monitoring, labels: {role: rules}}
spec:
  groups:
  - name: load
    rules:
    - alert: HighLoad
      expr: up == 0
"#;

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("promop_operator=debug")
        .with_test_writer()
        .try_init();
}

/// Polls `check` until it yields a value (20 s at most).
async fn until<T, F, Fut>(what: &str, check: F) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if start.elapsed() > Duration::from_secs(20) {
            bail!("{what}: not seen after 20s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The Reconciled condition of ThanosRuler `main`, as (reason, message).
async fn reconciled(client: &Client) -> Result<Option<(String, String)>> {
    let rulers: Api<ThanosRuler> = Api::namespaced(client.clone(), NS);
    let status = serde_json::to_value(rulers.get("main").await?)?["status"].clone();
    let condition = status["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Reconciled").cloned());
    Ok(condition.filter(|c| c["status"] == "True").map(|c| {
        let text = |field: &str| c[field].as_str().unwrap_or_default().to_owned();
        (text("reason"), text("message"))
    }))
}

/// The data keys of the rule ConfigMap and whether one holds `alert`.
async fn rule_files(client: &Client) -> Result<Option<(Vec<String>, bool)>> {
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    Ok(maps
        .get_opt("thanos-ruler-main-rulefiles-0")
        .await?
        .map(|map| {
            let data = map.data.unwrap_or_default();
            let has = data.values().any(|v| v.contains("HighLoad"));
            (data.into_keys().collect(), has)
        }))
}

#[tokio::test]
async fn a_thanos_ruler_gets_its_objects_rules_and_status() -> Result<()> {
    init_logs();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, RULER).await?;
    let controller = promop_operator::spawn(client.clone(), promop_operator::Options::default());

    until("Reconciled=True NoSelectedResources", || async {
        Ok(reconciled(&client).await?.filter(|(reason, message)| {
            reason == "NoSelectedResources" && message == "No PrometheusRule have been selected."
        }))
    })
    .await?;
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), NS);
    let set = sets.get("thanos-ruler-main").await?;
    let labels = set.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("prometheus-operator")
    );
    let services: Api<Service> = Api::namespaced(client.clone(), NS);
    services.get("thanos-ruler-operated").await?;
    // Without rules, one empty rule ConfigMap, labelled with the ruler.
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    let map = maps.get("thanos-ruler-main-rulefiles-0").await?;
    assert_eq!(
        map.metadata
            .labels
            .unwrap_or_default()
            .get("thanos-ruler-name")
            .map(String::as_str),
        Some("main")
    );
    assert!(map.data.unwrap_or_default().is_empty());

    apply_manifests(&client, RULE).await?;
    let keys = until("the rule in the rule ConfigMap", || async {
        Ok(rule_files(&client)
            .await?
            .and_then(|(keys, has)| has.then_some(keys)))
    })
    .await?;
    assert!(
        keys.len() == 1 && keys[0].starts_with("monitoring-alerts-"),
        "{keys:?}"
    );
    until("Reconciled=True without a reason", || async {
        Ok(reconciled(&client)
            .await?
            .filter(|(reason, _)| reason.is_empty()))
    })
    .await?;
    let metrics = promop_operator::telemetry::conditions::render();
    assert!(
        metrics.contains(
            r#"promop_thanos_ruler_status_condition{name="main",namespace="monitoring",condition="Reconciled",status="True"} 1"#
        ),
        "{metrics}"
    );

    // The rule deleted: the ConfigMap no longer holds it.
    let rules: Api<PrometheusRule> = Api::namespaced(client.clone(), NS);
    rules.delete("alerts", &DeleteParams::default()).await?;
    until("the rule gone from the rule ConfigMap", || async {
        Ok(rule_files(&client)
            .await?
            .and_then(|(keys, has)| (keys.is_empty() && !has).then_some(())))
    })
    .await?;

    // The ruler deleted (no garbage collector on the test bed: its objects
    // stay): the controller forgets it, its condition series go.
    let rulers: Api<ThanosRuler> = Api::namespaced(client.clone(), NS);
    rulers.delete("main", &DeleteParams::default()).await?;
    until("the condition series gone", || async {
        let metrics = promop_operator::telemetry::conditions::render();
        Ok(
            (!metrics.contains(r#"promop_thanos_ruler_status_condition{name="main""#))
                .then_some(()),
        )
    })
    .await?;

    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;
    // In the same test: the condition metric renders the caches registered
    // first in the process.
    the_instance_selector_leaves_other_rulers_alone().await?;
    bindings_with_the_status_gate().await
}

/// With `StatusForConfigurationResources`, a ThanosRuler carries the
/// status-cleanup finalizer and binds the PrometheusRules it selects.
async fn bindings_with_the_status_gate() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, RULER).await?;
    apply_manifests(&client, RULE).await?;
    let mut options = promop_operator::Options::default();
    options.objects.feature_gates = vec![("StatusForConfigurationResources".into(), true)];
    let controller = promop_operator::spawn(client.clone(), options);
    let rules: Api<PrometheusRule> = Api::namespaced(client.clone(), NS);
    let binding = until("the PrometheusRule bound to the ruler", || async {
        let rule = serde_json::to_value(rules.get("alerts").await?)?;
        Ok(rule
            .pointer("/status/bindings/0")
            .filter(|b| b["resource"] == "thanosrulers")
            .cloned())
    })
    .await?;
    assert_eq!(binding["name"], "main", "{binding}");
    assert_eq!(
        binding.pointer("/conditions/0/status"),
        Some(&serde_json::json!("True")),
        "{binding}"
    );
    let rulers: Api<ThanosRuler> = Api::namespaced(client.clone(), NS);
    let finalizers = rulers.get("main").await?.metadata.finalizers;
    assert_eq!(
        finalizers,
        Some(vec!["monitoring.coreos.com/status-cleanup".to_owned()])
    );
    // Deleted: the binding goes, then the finalizer (the ruler is gone).
    rulers.delete("main", &DeleteParams::default()).await?;
    until("the ruler gone, its binding removed", || async {
        let rule = serde_json::to_value(rules.get("alerts").await?)?;
        let bound = rule
            .pointer("/status/bindings")
            .and_then(|b| b.as_array())
            .is_some_and(|b| !b.is_empty());
        Ok((!bound && rulers.get_opt("main").await?.is_none()).then_some(()))
    })
    .await?;
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)
}

/// `--thanos-ruler-instance-selector`: a ruler whose labels do not match is
/// left alone.
async fn the_instance_selector_leaves_other_rulers_alone() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, RULER).await?;
    apply_manifests(
        &client,
        r#"
apiVersion: monitoring.coreos.com/v1
kind: ThanosRuler
metadata: {name: ours, namespace: monitoring, labels: {team: a}}
spec:
  queryEndpoints: [thanos-query:9090]
"#,
    )
    .await?;
    let mut options = promop_operator::Options::default();
    options.selectors.thanos_ruler_instance_labels = Some("team=a".into());
    let controller = promop_operator::spawn(client.clone(), options);
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), NS);
    until("StatefulSet thanos-ruler-ours", || async {
        Ok(sets.get_opt("thanos-ruler-ours").await?.map(|_| ()))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(sets.get_opt("thanos-ruler-main").await?.is_none());
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)
}
