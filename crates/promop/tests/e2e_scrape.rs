//! Issue 5's end-to-end acceptance for promop: its controller (in-process,
//! default options) writes the StatefulSet and Secrets of a Prometheus on
//! the local apiserver with promop's own CRDs; the test bed's kubelet runs
//! that pod's real prometheus-v3, which scrapes a ServiceMonitor's loopback
//! target; a relabeling added to the ServiceMonitor shows in the series.
//! The reference passes the same scenario in promop-testenv's
//! `tests/kubelet.rs`.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use promop_testenv::{FIELD_MANAGER, PrometheusVersion, TestEnv, e2e, wait_crd_established};

#[tokio::test]
async fn promop_statefulset_pod_scrapes_a_service_monitor_target() -> Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("promop_operator=info")
        .with_test_writer()
        .try_init();
    let env = TestEnv::start().await?;
    let client = env.client();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in promop_api::crd::all() {
        let name = crd.metadata.name.clone().context("CRD without a name")?;
        crds.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&crd),
        )
        .await
        .with_context(|| format!("applying CRD {name}"))?;
        wait_crd_established(&client, &name, Duration::from_secs(60)).await?;
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let controller = tokio::spawn(promop_operator::run(
        client.clone(),
        promop_operator::Options::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let timings = e2e::scrape_end_to_end(&env, PrometheusVersion::V3, || {
        "promop's log is in the test output (RUST_LOG-style filter promop_operator=info)".into()
    })
    .await?;
    eprintln!("promop: {timings:?}");
    // The pod ran from promop's StatefulSet (nobody else writes one here).
    let sts = Api::<StatefulSet>::namespaced(client.clone(), e2e::NAMESPACE)
        .get(&format!("prometheus-{}", e2e::PROMETHEUS))
        .await?;
    let managers: Vec<_> = sts
        .managed_fields()
        .iter()
        .filter_map(|f| f.manager.as_deref())
        .collect();
    ensure!(
        managers.contains(&promop_operator::FIELD_MANAGER),
        "StatefulSet managers: {managers:?}"
    );

    stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(10), controller)
        .await
        .context("controller did not stop on shutdown")??;
    Ok(())
}
