//! The reference operator (upstream v0.94.1), run against the local
//! apiserver with the upstream getting-started manifests, generates a
//! configuration that `promtool-v3 check config --syntax-only` accepts.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use promop_testenv::{
    PrometheusVersion, ReferenceOperator, TestEnv, apply_manifests, parse_yaml_documents,
    upstream_dir, wait_generated_config,
};
use serde_json::json;

fn guide(name: &str) -> Result<String> {
    let path = upstream_dir()
        .join("example/user-guides/getting-started")
        .join(name);
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// An upstream Prometheus manifest with `spec.version` pinned to `version`.
/// Unpinned, the operator generates for its default (v3.13.1), whose
/// configuration (e.g. `storage.tsdb.retention`) the packaged promtool
/// (3.5.x) does not know.
fn prometheus_pinned(name: &str, version: &str) -> Result<String> {
    let mut docs = parse_yaml_documents(&guide(name)?)?;
    ensure!(docs.len() == 1 && docs[0]["kind"] == "Prometheus", "{name}");
    docs[0]["spec"]["version"] = json!(format!("v{version}"));
    Ok(serde_json::to_string(&docs[0])?)
}

/// Waits until the generated configuration contains `needle`.
async fn wait_config_containing(
    env: &TestEnv,
    op: &ReferenceOperator,
    needle: &str,
) -> Result<String> {
    let start = Instant::now();
    loop {
        let cfg = wait_generated_config(
            &env.client(),
            "default",
            "prometheus",
            Duration::from_secs(60),
        )
        .await
        .with_context(|| format!("operator log:\n{}", op.log_tail(40)))?;
        if cfg.contains(needle) {
            return Ok(cfg);
        }
        ensure!(
            start.elapsed() < Duration::from_secs(60),
            "generated configuration never contained {needle:?}:\n{cfg}\noperator log:\n{}",
            op.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn reference_operator_generates_valid_getting_started_config() -> Result<()> {
    let t0 = Instant::now();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    for file in [
        "example-app-deployment.yaml",
        "example-app-service.yaml",
        "example-app-service-monitor.yaml",
        "example-app-pod-monitor.yaml",
        "prometheus-service.yaml",
    ] {
        apply_manifests(&client, &guide(file)?)
            .await
            .with_context(|| file.to_owned())?;
    }
    let version = PrometheusVersion::V3.installed_version()?;
    apply_manifests(
        &client,
        &prometheus_pinned("prometheus-service-monitor.yaml", &version)?,
    )
    .await?;
    let mut op = ReferenceOperator::start(&env, &[]).await?;
    eprintln!("operator ready after {:?}", t0.elapsed());

    let cfg = wait_config_containing(&env, &op, "serviceMonitor/default/example-app/0").await?;
    PrometheusVersion::V3.check_config(&cfg, &["--syntax-only"])?;
    ensure!(
        cfg.contains("role: endpoints") || cfg.contains("role: endpointslice"),
        "{cfg}"
    );
    eprintln!("ServiceMonitor config checked after {:?}", t0.elapsed());

    // Same Prometheus, now selecting PodMonitors.
    apply_manifests(
        &client,
        &prometheus_pinned("prometheus-pod-monitor.yaml", &version)?,
    )
    .await?;
    let cfg = wait_config_containing(&env, &op, "podMonitor/default/example-app/0").await?;
    PrometheusVersion::V3.check_config(&cfg, &["--syntax-only"])?;
    op.check_running()?;
    eprintln!("PodMonitor config checked after {:?}", t0.elapsed());
    Ok(())
}
