//! Issue 16's high-availability chain end to end (item 4): two Prometheus
//! replicas with their Thanos sidecars shipping blocks to a FILESYSTEM
//! bucket, Thanos Query deduplicating them, a ThanosRuler evaluating a
//! PrometheusRule through Query and alerting an Alertmanager that notifies
//! a webhook sink. The scenario is promop-testenv's
//! [`thanos_e2e::ha_chain`]; it takes the running operator as given.
//!
//! It runs against the REFERENCE operator (v0.94.1) today: promop's
//! ThanosRuler controller is not merged yet. Once it is, add
//! `promop_runs_the_ha_chain`: start promop's controller in-process with
//! promop's CRDs (as `e2e_scrape.rs` does) and call the same
//! [`thanos_e2e::ha_chain`].

use anyhow::Result;
use promop_testenv::{ReferenceOperator, TestEnv, thanos_e2e};

/// The reference operator (v0.94.1) writes the StatefulSets, Secrets and
/// ConfigMaps of the Prometheus, the Alertmanager and the ThanosRuler.
//
// TODO(promop ThanosRuler controller): add `promop_runs_the_ha_chain`
// here, the same scenario with promop's controller in-process:
//   let env = TestEnv::start().await?; /* install promop_api::crd::all() */
//   /* spawn promop_operator::run(env.client(), Options::default(), stop) */
//   thanos_e2e::ha_chain(&env, || "promop's log is in the test output".into()).await?
#[tokio::test]
async fn reference_operator_runs_the_ha_chain() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let operator = ReferenceOperator::start(&env, &[]).await?;
    let timings = thanos_e2e::ha_chain(&env, || operator.log_tail(40)).await?;
    eprintln!("reference operator, HA chain: {timings:#?}");
    Ok(())
}
