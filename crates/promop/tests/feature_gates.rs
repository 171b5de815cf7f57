//! The sharding feature gates turned off change the generated configuration
//! as they change the reference's: the reference operator runs on the test
//! bed with `--feature-gates=PrometheusTopologySharding=false,
//! PrometheusShardRetentionPolicy=false` over the sharding scenarios of the
//! corpus, and promop's configuration, generated from the same flags, must
//! be the same bytes (and differ from the one with the default gates, so
//! that the comparison tests the gates). `PrometheusAgentDaemonSet` left
//! off refuses an agent in DaemonSet mode in both, with the same words (the
//! gate on is the `agent-daemonset` family of the corpus).
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use promop_core::desired::prometheus_state;
use promop_core::manifests::Loaded;
use promop_core::prometheus::Workload;
use promop_operator::Options;
use promop_testenv::corpus::{cleanup, first_difference, load_scenarios, namespaced_resources};
use promop_testenv::written::written_objects;
use promop_testenv::{ReferenceOperator, TestEnv, read_generated_config};

const GATES_OFF: &str =
    "--feature-gates=PrometheusTopologySharding=false,PrometheusShardRetentionPolicy=false";
/// Scenarios whose configuration both gates change.
const SCENARIOS: [&str; 2] = ["sharding/topology-mode", "sharding/shard-retention-policy"];
/// The reference's first generation on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// promop's configuration of every Prometheus of `manifests` with `flags`,
/// as `(namespace, name, config)`.
fn promop_configs(
    id: &str,
    manifests: &str,
    flags: &[&str],
) -> Result<Vec<(String, String, String)>> {
    let options = Options::from_args(flags)?;
    let loaded = Loaded::objects(id, manifests)?;
    let snapshot = &loaded.snapshot;
    snapshot
        .prometheuses
        .iter()
        .map(|p| {
            let workload = Workload::Prometheus(p);
            let state = prometheus_state(
                snapshot,
                workload,
                &options.scrape_scope(),
                &options.operator_options(),
            )?;
            let config = state.output.config.text();
            Ok((
                workload.namespace().to_owned(),
                workload.name().to_owned(),
                config,
            ))
        })
        .collect()
}

#[tokio::test]
async fn sharding_gates_off_match_the_reference() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    let reference = ReferenceOperator::start(&env, &[GATES_OFF]).await?;
    let scenarios = load_scenarios(&SCENARIOS.map(str::to_owned))?;
    ensure!(scenarios.len() == SCENARIOS.len(), "scenarios missing");
    let resources = namespaced_resources(&client).await?;
    for scenario in &scenarios {
        let id = &scenario.id;
        let manifests = scenario.manifests();
        let defaults = promop_configs(id, &manifests, &[])?;
        let gates_off = promop_configs(id, &manifests, &[GATES_OFF])?;
        scenario.apply(&client).await?;
        for ((ns, name, expected), (_, _, default)) in gates_off.iter().zip(&defaults) {
            ensure!(
                expected != default,
                "{id}: the gates change nothing in {ns}/{name}"
            );
            let start = Instant::now();
            loop {
                let actual = read_generated_config(&client, ns, name)
                    .await
                    .unwrap_or_default();
                if actual == *expected {
                    break;
                }
                if start.elapsed() > PATIENCE {
                    bail!(
                        "{id}: {ns}/{name}: promop differs from the reference: {}\nreference log:\n{}",
                        first_difference(&actual, expected),
                        reference.log_tail(40)
                    );
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        // The scenarios share namespace names.
        cleanup(&client, scenario, &resources).await?;
    }
    Ok(())
}

/// Without the gate, no `$(TOPOLOGY_ZONE)` is left in the configuration:
/// the pods of the StatefulSets no longer get that variable.
#[test]
fn topology_sharding_off_leaves_no_zone_variable() -> Result<()> {
    let scenario = load_scenarios(&["sharding/topology-mode".to_owned()])?
        .pop()
        .context("sharding/topology-mode")?;
    let manifests = scenario.manifests();
    let on = promop_configs(&scenario.id, &manifests, &[])?;
    ensure!(on.iter().all(|(_, _, c)| c.contains("$(TOPOLOGY_ZONE)")));
    let off = promop_configs(
        &scenario.id,
        &manifests,
        &["--feature-gates=PrometheusTopologySharding=false"],
    )?;
    for (ns, name, config) in off {
        ensure!(!config.contains("TOPOLOGY_ZONE"), "{ns}/{name}:\n{config}");
        ensure!(config.contains("$(SHARD)"), "{ns}/{name}:\n{config}");
    }
    Ok(())
}

/// The reference's reconcile error for an agent in DaemonSet mode without
/// the gate.
const DAEMON_SET_GATE_OFF: &str =
    "feature gate for Prometheus Agent's DaemonSet mode is not enabled";

#[tokio::test]
async fn daemon_set_gate_off_refuses_the_agent_as_the_reference_does() -> Result<()> {
    let scenario = load_scenarios(&["agent-daemonset/agent-basic".to_owned()])?
        .pop()
        .context("agent-daemonset/agent-basic")?;
    // promop, with the default gates: nothing but the reference's words.
    let loaded = Loaded::objects(&scenario.id, &scenario.manifests())?;
    let snapshot = &loaded.snapshot;
    let agent = snapshot.prometheus_agents.first().context("an agent")?;
    let options = Options::from_args(&[])?;
    let refused = prometheus_state(
        snapshot,
        Workload::Agent(agent),
        &options.scrape_scope(),
        &options.operator_options(),
    )
    .err()
    .context("promop accepted a DaemonSet agent without the gate")?;
    ensure!(
        refused.to_string().contains(DAEMON_SET_GATE_OFF),
        "{refused}"
    );

    // The reference, with its default gates: the same error, nothing written.
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    let reference = ReferenceOperator::start(&env, &[]).await?;
    scenario.apply(&client).await?;
    let start = Instant::now();
    while !reference.logs().contains(DAEMON_SET_GATE_OFF) {
        if start.elapsed() > PATIENCE {
            bail!("the reference did not refuse:\n{}", reference.log_tail(40));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let written = written_objects(&client, &scenario.namespaces(), &scenario.input_ids()).await?;
    ensure!(
        written.is_empty(),
        "the reference wrote {:?}",
        written.keys()
    );
    Ok(())
}
