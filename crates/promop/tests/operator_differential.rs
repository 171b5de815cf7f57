//! Differential test of the operator: scenarios of the conformance corpus are
//! applied to a real apiserver that has the reference's own CRDs installed,
//! promop's controllers (the code `promop run` runs) write their objects,
//! and every StatefulSet, DaemonSet, Service, Secret and ConfigMap written is compared,
//! field by field after normalization, with what the reference operator
//! wrote for the same scenario on the same kind of apiserver
//! (`conformance/expected/<family>/<name>/objects/`, produced by
//! `conformance/regenerate`). Fields listed in
//! `conformance/known-object-differences.md` are exempt, and so is the
//! configuration in a Secret when `conformance/known-differences.md` lists
//! it for the scenario; any other difference, missing or extra object fails.
//!
//! Scenarios: the first of each family (sorted by name) and every third of
//! the families about the written objects (`statefulset`,
//! `am-statefulset`, `agent-daemonset`); `PROMOP_SCENARIO=<substring>,…` selects others (e.g.
//! `PROMOP_SCENARIO=/` for the whole corpus).
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use promop_testenv::TestEnv;
use promop_testenv::corpus::{
    REFERENCE_FLAGS, Scenario, cleanup, conformance_dir, is_selected, load_scenarios,
    namespaced_resources, scenario_filter,
};
use promop_testenv::written::{Exemptions, written_objects};
use serde_json::Value;

/// Objects must stay unchanged this long to count as final.
const STABLE_FOR: Duration = Duration::from_secs(2);
const TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);

fn selected(all: Vec<Scenario>) -> Vec<Scenario> {
    if !scenario_filter().is_empty() {
        return all.into_iter().filter(|s| is_selected(&s.id)).collect();
    }
    let mut per_family: BTreeMap<String, usize> = BTreeMap::new();
    all.into_iter()
        .filter(|s| {
            let family = s.id.split('/').next().unwrap_or_default().to_owned();
            let seen = per_family.entry(family.clone()).or_default();
            *seen += 1;
            let objects_family = matches!(
                family.as_str(),
                "statefulset" | "am-statefulset" | "agent-daemonset"
            );
            *seen == 1 || (objects_family && (*seen).is_multiple_of(3))
        })
        .collect()
}

/// The reference's objects for a scenario, by `<Kind>__<ns>__<name>`.
fn expected_objects(scenario: &Scenario) -> Result<BTreeMap<String, Value>> {
    let dir = conformance_dir()
        .join("expected")
        .join(&scenario.id)
        .join("objects");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
        let path = entry?.path();
        let text = std::fs::read_to_string(&path)?;
        let value: Value =
            serde_saphyr::from_str(&text).with_context(|| path.display().to_string())?;
        let id = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        out.insert(id, value);
    }
    Ok(out)
}

/// `object` with its owner references sorted by kind and name. Several
/// workloads own a shared governing Service in the order their first
/// reconciles ran, which races in either running operator; the appended
/// order itself is compared offline (`conformance_objects.rs`).
fn owners_sorted(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(Value::Array(owners)) = object.pointer_mut("/metadata/ownerReferences") {
        owners.sort_by_key(|o| (o["kind"].to_string(), o["name"].to_string()));
    }
    object
}

/// Waits until promop has written every object the reference wrote (or the
/// timeout) and nothing changed for [`STABLE_FOR`].
async fn settled_objects(
    client: &kube::Client,
    scenario: &Scenario,
    expected: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>> {
    let (namespaces, inputs) = (scenario.namespaces(), scenario.input_ids());
    let start = Instant::now();
    let mut last = BTreeMap::new();
    let mut changed_at = Instant::now();
    loop {
        let now = written_objects(client, &namespaces, &inputs).await?;
        if now != last {
            last = now;
            changed_at = Instant::now();
        }
        let complete = expected.keys().all(|id| last.contains_key(id));
        if (complete && changed_at.elapsed() >= STABLE_FOR) || start.elapsed() > TIMEOUT {
            return Ok(last);
        }
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promop_writes_what_the_reference_writes() -> Result<()> {
    // The controller's logs (RUST_LOG=promop_operator=debug), for failures.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let exemptions = Exemptions::load()?;
    let scenarios: Vec<Scenario> = selected(load_scenarios(&[])?)
        .into_iter()
        .filter(|s| {
            conformance_dir()
                .join("expected")
                .join(&s.id)
                .join("objects")
                .is_dir()
        })
        .collect();
    ensure!(
        scenarios.len() >= 20 || !scenario_filter().is_empty(),
        "only {} scenarios with objects",
        scenarios.len()
    );
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    let resources = namespaced_resources(&client).await?;
    // The flags the reference ran with (its feature gates).
    let options = promop_operator::Options::from_args(REFERENCE_FLAGS)?;
    let controller = promop_operator::spawn(client.clone(), options);

    let mut problems = Vec::new();
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for scenario in &scenarios {
        let expected = expected_objects(scenario)?;
        scenario
            .apply(&client)
            .await
            .with_context(|| scenario.id.clone())?;
        let actual = settled_objects(&client, scenario, &expected).await?;
        let family = scenario.id.split('/').next().unwrap_or_default().to_owned();
        let counts = table.entry(family).or_default();
        let ids: BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
        for id in ids {
            match (expected.get(id), actual.get(id)) {
                (Some(e), Some(a)) => {
                    let (e, a) = (&owners_sorted(e), &owners_sorted(a));
                    let diff = exemptions.differences(&scenario.id, id, e, a);
                    if diff.is_empty() {
                        counts.0 += 1;
                    } else {
                        counts.1 += 1;
                        let shown: Vec<String> = diff
                            .iter()
                            .map(|at| {
                                let value = |v: &Value| {
                                    let text =
                                        v.pointer(at).map(Value::to_string).unwrap_or_default();
                                    text.chars().take(600).collect::<String>()
                                };
                                format!("{at}: reference {} / promop {}", value(e), value(a))
                            })
                            .collect();
                        problems.push(format!(
                            "{} {id}: differs at {}",
                            scenario.id,
                            shown.join("; ")
                        ));
                    }
                }
                (Some(_), None) => {
                    counts.1 += 1;
                    problems.push(format!("{} {id}: not written by promop", scenario.id));
                }
                _ => {
                    counts.1 += 1;
                    problems.push(format!("{} {id}: written by promop only", scenario.id));
                }
            }
        }
        cleanup(&client, scenario, &resources).await?;
    }
    controller
        .stop(Duration::from_secs(10))
        .await
        .map_err(anyhow::Error::msg)?;

    println!("{:<28} {:>9} {:>9}", "family", "identical", "different");
    for (family, (same, different)) in &table {
        println!("{family:<28} {same:>9} {different:>9}");
    }
    let (same, different) = table.values().fold((0, 0), |(s, d), (a, b)| (s + a, d + b));
    println!(
        "{:<28} {same:>9} {different:>9}  ({} scenarios)",
        "total",
        scenarios.len()
    );
    ensure!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
    Ok(())
}
