//! Issue 16's high-availability chain end to end (item 4): two Prometheus
//! replicas with their Thanos sidecars shipping blocks to a FILESYSTEM
//! bucket, Thanos Query deduplicating them, a ThanosRuler evaluating a
//! PrometheusRule through Query and alerting an Alertmanager that notifies
//! a webhook sink. The scenario is promop-testenv's
//! [`thanos_e2e::ha_chain`]; it takes the running operator as given.
//!
//! It runs with promop's controller in-process on promop's CRDs, and with
//! the reference operator (v0.94.1) on its own as the oracle: the same
//! scenario passes with either.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use promop_testenv::{FIELD_MANAGER, ReferenceOperator, TestEnv, thanos_e2e, wait_crd_established};

/// promop writes every object of the chain: the Prometheus StatefulSet with
/// its sidecars, the Alertmanager's and the ThanosRuler's.
#[tokio::test]
async fn promop_runs_the_ha_chain() -> Result<()> {
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
    let timings = thanos_e2e::ha_chain(&env, || {
        "promop's log is in the test output (filter promop_operator=info)".into()
    })
    .await?;
    eprintln!("promop, HA chain: {timings:#?}");
    // The pods ran from promop's StatefulSets (nobody else writes them here).
    for name in ["prometheus-main", "alertmanager-main", "thanos-ruler-main"] {
        let sts = Api::<StatefulSet>::namespaced(client.clone(), thanos_e2e::NAMESPACE)
            .get(name)
            .await
            .with_context(|| format!("StatefulSet {name}"))?;
        let managers: Vec<_> = sts
            .managed_fields()
            .iter()
            .filter_map(|f| f.manager.as_deref())
            .collect();
        ensure!(
            managers.contains(&promop_operator::FIELD_MANAGER),
            "StatefulSet {name} managers: {managers:?}"
        );
    }
    stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(10), controller)
        .await
        .context("controller did not stop on shutdown")??;
    Ok(())
}

/// The reference operator (v0.94.1) writes the StatefulSets, Secrets and
/// ConfigMaps of the Prometheus, the Alertmanager and the ThanosRuler.
#[tokio::test]
async fn reference_operator_runs_the_ha_chain() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let operator = ReferenceOperator::start(&env, &[]).await?;
    let timings = thanos_e2e::ha_chain(&env, || operator.log_tail(40)).await?;
    eprintln!("reference operator, HA chain: {timings:#?}");
    Ok(())
}
