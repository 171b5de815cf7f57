//! The test bed's kubelet runs the pod of the StatefulSet the reference
//! operator (upstream v0.94.1) writes: the real Prometheus of the image's
//! major version, its volumes materialized at their mountPaths, in-cluster
//! discovery through the local apiserver, scrapes a loopback target of a
//! ServiceMonitor; a relabeling added to the ServiceMonitor shows in the
//! scraped series after a reload.

use anyhow::Result;
use promop_testenv::{PrometheusVersion, ReferenceOperator, TestEnv, e2e};

async fn reference_scenario(version: PrometheusVersion) -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let operator = ReferenceOperator::start(&env, &[]).await?;
    let timings = e2e::scrape_end_to_end(&env, version, || operator.log_tail(40)).await?;
    eprintln!("reference, {version:?}: {timings:?}");
    Ok(())
}

#[tokio::test]
async fn reference_statefulset_pod_scrapes_a_service_monitor_target_v3() -> Result<()> {
    reference_scenario(PrometheusVersion::V3).await
}

/// The image tag's major version picks `prometheus-v2`.
#[tokio::test]
async fn reference_statefulset_pod_scrapes_a_service_monitor_target_v2() -> Result<()> {
    reference_scenario(PrometheusVersion::V2).await
}
