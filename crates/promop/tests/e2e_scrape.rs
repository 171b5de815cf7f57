//! Issue 5's end-to-end acceptance for promop: its controller (in-process,
//! default options) writes the StatefulSet and Secrets of a Prometheus on
//! the local apiserver with promop's own CRDs; the test bed's kubelet runs
//! that pod's real prometheus-v3, which scrapes a ServiceMonitor's loopback
//! target; a relabeling added to the ServiceMonitor shows in the series.
//! The reference passes the same scenario in promop-testenv's
//! `tests/kubelet.rs`.

mod common;

use anyhow::{Result, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use kube::Api;
use promop_testenv::{PrometheusVersion, TestEnv, e2e};

use common::{InProcess, written_by_promop};

#[tokio::test]
async fn promop_statefulset_pod_scrapes_a_service_monitor_target() -> Result<()> {
    let env = TestEnv::start().await?;
    let client = env.client();
    let promop = InProcess::start(&env).await?;
    let timings = e2e::scrape_end_to_end(&env, PrometheusVersion::V3, InProcess::log_hint).await?;
    eprintln!("promop: {timings:?}");
    // The pod ran from promop's StatefulSet (nobody else writes one here).
    let sts = Api::<StatefulSet>::namespaced(client.clone(), e2e::NAMESPACE)
        .get(&format!("prometheus-{}", e2e::PROMETHEUS))
        .await?;
    ensure!(written_by_promop(&sts), "StatefulSet not written by promop");
    promop.stop().await
}
