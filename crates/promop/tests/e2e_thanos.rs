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

mod common;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use kube::Api;
use promop_testenv::{ReferenceOperator, TestEnv, thanos_e2e};

use common::{InProcess, written_by_promop};

/// promop writes every object of the chain: the Prometheus StatefulSet with
/// its sidecars, the Alertmanager's and the ThanosRuler's.
#[tokio::test]
async fn promop_runs_the_ha_chain() -> Result<()> {
    let env = TestEnv::start().await?;
    let promop = InProcess::start(&env).await?;
    let timings = thanos_e2e::ha_chain(&env, InProcess::log_hint).await?;
    eprintln!("promop, HA chain: {timings:#?}");
    // The pods ran from promop's StatefulSets (nobody else writes them here).
    for name in ["prometheus-main", "alertmanager-main", "thanos-ruler-main"] {
        let sts = Api::<StatefulSet>::namespaced(env.client(), thanos_e2e::NAMESPACE)
            .get(name)
            .await
            .with_context(|| format!("StatefulSet {name}"))?;
        ensure!(
            written_by_promop(&sts),
            "StatefulSet {name} not written by promop"
        );
    }
    promop.stop().await
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
