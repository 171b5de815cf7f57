//! Dereference first: on every scenario of the corpus, what the desired
//! state of each Prometheus, PrometheusAgent and Alertmanager reads is
//! among the Secrets and ConfigMaps the dereference step names beforehand
//! — so the operator fetches them in one go and a generation never finds a
//! reference the fetch missed. Checked with every referenced object present
//! and, as on a cold cache, with none.
use anyhow::Result;
use promop_core::desired::{OperatorOptions, alertmanager_state, prometheus_state};
use promop_core::manifests::Loaded;
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use promop_core::select::dereference::{alertmanager_references, prometheus_references};
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::snapshot::{ReadKeys, Snapshot};
use promop_testenv::corpus::{Scenario, corpus_minimum, selected_scenarios};

fn snapshot(scenario: &Scenario) -> Result<Snapshot> {
    Ok(Loaded::objects(&scenario.id, &scenario.manifests())?.snapshot)
}

/// What `read` names that `named` does not, as `kind ns/name` lines.
fn unnamed(named: &ReadKeys, read: &ReadKeys) -> Vec<String> {
    let secrets = (read.secrets.difference(&named.secrets)).map(|k| format!("Secret {k}"));
    let maps = (read.config_maps.difference(&named.config_maps)).map(|k| format!("ConfigMap {k}"));
    secrets.chain(maps).collect()
}

/// The reads of each workload's desired state that dereferencing missed.
fn misses(scenario: &Scenario, input: &Snapshot) -> Vec<String> {
    let (all, options) = (WatchedNamespaces::all(), OperatorOptions::default());
    let scope = ScrapeScope::default();
    let mut out = Vec::new();
    let mut check = |workload: String, named: ReadKeys, generation: &Snapshot| {
        for miss in unnamed(&named, &generation.reads.keys()) {
            out.push(format!("{} {workload}: reads {miss}", scenario.id));
        }
    };
    let servers = input.prometheuses.iter().map(Workload::Prometheus);
    for workload in servers.chain(input.prometheus_agents.iter().map(Workload::Agent)) {
        let named = prometheus_references(&input.clone(), workload, &scope);
        let generation = input.clone();
        let _ = prometheus_state(&generation, workload, &scope, &options);
        let id = format!(
            "{} {}/{}",
            workload.kind(),
            workload.namespace(),
            workload.name()
        );
        check(id, named, &generation);
    }
    for am in &input.alertmanagers {
        let named = alertmanager_references(&input.clone(), am, &all);
        let generation = input.clone();
        let _ = alertmanager_state(&generation, am, &all, &options);
        let meta = &am.metadata;
        let id = format!(
            "Alertmanager {}/{}",
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default()
        );
        check(id, named, &generation);
    }
    out
}

#[test]
fn dereferencing_names_everything_a_generation_reads() -> Result<()> {
    let scenarios = selected_scenarios()?;
    assert!(
        scenarios.len() >= corpus_minimum(400),
        "only {} scenarios",
        scenarios.len()
    );
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let full = snapshot(scenario)?;
        let mut cold = full.clone();
        cold.secrets.clear();
        cold.config_maps.clear();
        failures.extend(misses(scenario, &full));
        failures.extend(
            misses(scenario, &cold)
                .into_iter()
                .map(|m| format!("{m} (cold)")),
        );
    }
    println!("{} scenarios checked", scenarios.len());
    assert!(
        failures.is_empty(),
        "{} misses:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}
