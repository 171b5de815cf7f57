//! Issue 18's watch mode end to end: promop run with
//! `--config-reloader=promop-watch` writes a Prometheus whose reloader is
//! `promop config-reloader` reading the config Secret and the rule
//! ConfigMaps from the API server, and a Role naming exactly those
//! objects; the test bed's kubelet runs that reloader (init container and
//! sidecar) with the token of the pod's ServiceAccount, never syncs the
//! volumes, and never reloads: a ServiceMonitor change and a
//! PrometheusRule change reach the running Prometheus through the reloader
//! alone. The change → served latency is printed, not asserted.

mod common;

use std::time::Duration;

use anyhow::{Result, ensure};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::Api;
use promop_testenv::reload_e2e::{NAMESPACE, PROMETHEUS, ReloadScenario, SERVICE_ACCOUNT};
use promop_testenv::{PodOptions, TestEnv};

use common::InProcess;

#[tokio::test]
async fn promop_watch_mode_reloads_prometheus_without_the_kubelet() -> Result<()> {
    let env = TestEnv::start().await?;
    let client = env.client();
    let options = promop_operator::Options::from_args(&["--config-reloader=promop-watch"])?;
    let promop = InProcess::start_with(&env, options).await?;
    let pod_options = PodOptions {
        promop_binary: Some(env!("CARGO_BIN_EXE_promop").into()),
        ..PodOptions::default()
    };
    let mut scenario = ReloadScenario::start(&env, &pod_options, InProcess::log_hint).await?;

    // The Role grants reading the config Secret and the rule ConfigMap by
    // name, and nothing else; it is bound to the pods' ServiceAccount and
    // owned by the Prometheus.
    let name = format!("prometheus-{PROMETHEUS}-config-reloader");
    let role = Api::<Role>::namespaced(client.clone(), NAMESPACE)
        .get(&name)
        .await?;
    let rules: Vec<(Vec<String>, Vec<String>, Vec<String>)> = role
        .rules
        .iter()
        .flatten()
        .map(|r| {
            (
                r.resources.clone().unwrap_or_default(),
                r.resource_names.clone().unwrap_or_default(),
                r.verbs.clone(),
            )
        })
        .collect();
    let verbs = || vec!["get".to_owned(), "list".to_owned(), "watch".to_owned()];
    ensure!(
        rules
            == [
                (
                    vec!["secrets".to_owned()],
                    vec![format!("prometheus-{PROMETHEUS}")],
                    verbs()
                ),
                (
                    vec!["configmaps".to_owned()],
                    // The rule ConfigMap and the reference's placeholders
                    // (mounted, optional, up to three), which the reloader
                    // watches too.
                    (0..3)
                        .map(|n| format!("prometheus-{PROMETHEUS}-rulefiles-{n}"))
                        .collect(),
                    verbs()
                ),
            ],
        "{rules:?}"
    );
    ensure!(
        role.metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.kind == "Prometheus")
    );
    let binding = Api::<RoleBinding>::namespaced(client.clone(), NAMESPACE)
        .get(&name)
        .await?;
    let subject = &binding.subjects.unwrap_or_default()[0];
    ensure!(
        subject.kind == "ServiceAccount" && subject.name == SERVICE_ACCOUNT,
        "{subject:?}"
    );

    // Changes arrive with no volume sync and no reload from the test.
    let mut latencies = Vec::new();
    for _ in 0..3 {
        latencies.push(scenario.change_to_served(&client).await?);
    }
    let series = scenario
        .pod
        .wait_for_query(
            r#"app_info{generation="gen-3"}"#,
            Duration::from_secs(60),
            |v| v.len() == 1,
        )
        .await?;
    ensure!(series.len() == 1, "{series:?}");
    let log = scenario
        .pod
        .sidecar_logs("config-reloader")
        .unwrap_or_default();
    ensure!(!log.contains("forbidden"), "reloader log:\n{log}");
    eprintln!("promop watch mode: change → served {latencies:?}");
    drop(scenario);
    promop.stop().await
}
