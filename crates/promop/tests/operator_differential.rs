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
//! `am-statefulset`, `agent-daemonset`, `thanos-ruler`); `PROMOP_SCENARIO=<substring>,…` selects others (e.g.
//! `PROMOP_SCENARIO=/` for the whole corpus).
//!
//! A ThanosRuler the reference refuses (`<ns>__<name>.thanos-ruler.error`)
//! must be refused by promop too: its Reconciled condition is False with
//! the reference's reason in its message. The objects the reference wrote
//! for it before failing are not expected from promop, which writes nothing
//! for a refused workload (`conformance/known-object-differences.md`).
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
                "statefulset" | "am-statefulset" | "agent-daemonset" | "thanos-ruler"
            );
            *seen == 1 || (objects_family && (*seen).is_multiple_of(3))
        })
        .collect()
}

/// `(namespace, name, the reference's reason)` of each ThanosRuler the
/// reference refused in the scenario.
fn refused_rulers(scenario: &Scenario) -> Vec<(String, String, String)> {
    let dir = conformance_dir().join("expected").join(&scenario.id);
    scenario
        .workloads()
        .into_iter()
        .filter(|w| w.is_thanos_ruler())
        .filter_map(|w| {
            let file = dir.join(format!("{}.error", w.stem()));
            let why = std::fs::read_to_string(file).ok()?;
            Some((w.namespace, w.name, why.trim().to_owned()))
        })
        .collect()
}

/// Whether `object` is owned by refused rulers only.
fn owned_by_refused(object: &Value, refused: &[(String, String, String)]) -> bool {
    let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default();
    let owners = object["metadata"]["ownerReferences"].as_array();
    owners.is_some_and(|owners| {
        !owners.is_empty()
            && owners.iter().all(|o| {
                o["kind"] == "ThanosRuler"
                    && refused
                        .iter()
                        .any(|(ns, name, _)| ns == namespace && o["name"] == name.as_str())
            })
    })
}

/// Why promop's Reconciled condition of ThanosRuler `namespace/name` does
/// not tell the reference's refusal `why`, if it does not.
async fn refusal_mismatch(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    why: &str,
) -> Result<Option<String>> {
    let api: kube::Api<promop_api::v1::ThanosRuler> =
        kube::Api::namespaced(client.clone(), namespace);
    let start = Instant::now();
    loop {
        let ruler = api.get(name).await?;
        let reconciled = ruler
            .status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .find(|c| c.type_ == "Reconciled")
            .map(|c| (c.status.clone(), c.message.clone().unwrap_or_default()));
        // The reference's reason, without the step it names first.
        let reason = why.rsplit(": ").next().unwrap_or(why);
        match reconciled {
            Some((status, message)) if status == "False" && message.contains(reason) => {
                return Ok(None);
            }
            other if start.elapsed() > TIMEOUT => {
                return Ok(Some(format!(
                    "ThanosRuler {namespace}/{name}: reference refuses it ({why}); promop's Reconciled condition: {other:?}"
                )));
            }
            _ => tokio::time::sleep(POLL).await,
        }
    }
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
        let refused = refused_rulers(scenario);
        let mut expected = expected_objects(scenario)?;
        expected.retain(|_, object| !owned_by_refused(object, &refused));
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
        for (namespace, name, why) in &refused {
            if let Some(problem) = refusal_mismatch(&client, namespace, name, why).await? {
                problems.push(format!("{} {problem}", scenario.id));
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
