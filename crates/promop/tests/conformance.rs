//! The differential conformance suite: for every scenario of
//! `conformance/scenarios/`, promop's configuration (the same path as
//! `promop render`: manifests → selection → generation → YAML) against the
//! reference operator's, stored in `conformance/expected/` by
//! `conformance/regenerate`. Byte for byte; each difference must be listed
//! in `conformance/known-differences.md` with its reason, and each listed
//! one must still differ (so the list stays true). Every config promop
//! writes must pass the real promtool of the matching major version.
use promop_testenv::corpus::{corpus_minimum, first_difference, is_selected, known_differences};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use promop_testenv::PrometheusVersion;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

enum Outcome {
    Identical,
    Different(String),
}

fn promtool_check(config: &str, version: Option<&str>) -> Result<(), String> {
    PrometheusVersion::of_spec(version)
        .check_config(config, &["--syntax-only"])
        .map(drop)
        .map_err(|e| format!("{e:#}"))
}

#[test]
fn promop_matches_the_reference_on_the_corpus() {
    let known = known_differences();
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    let mut scenarios: Vec<PathBuf> = Vec::new();
    for family in std::fs::read_dir(corpus().join("scenarios"))
        .expect("scenarios")
        .flatten()
    {
        for scenario in std::fs::read_dir(family.path()).expect("family").flatten() {
            scenarios.push(scenario.path());
        }
    }
    scenarios.sort();
    for path in scenarios
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let family = path
            .parent()
            .and_then(Path::file_name)
            .unwrap_or_default()
            .to_string_lossy();
        let name = path.file_stem().unwrap_or_default().to_string_lossy();
        let id = format!("{family}/{name}");
        if !is_selected(&id) {
            continue;
        }
        let expected_dir = corpus().join("expected").join(&*family).join(&*name);
        let text = std::fs::read_to_string(path).expect("scenario readable");
        let mut loaded = Loaded::default();
        if let Err(e) = loaded.add_yaml(&id, &text, "default", Strictness::ObjectsOnly) {
            failures.push(format!("{id}: unusable scenario: {e}"));
            continue;
        }
        let snapshot = &loaded.snapshot;
        let workloads = snapshot
            .prometheuses
            .iter()
            .map(Workload::Prometheus)
            .chain(snapshot.prometheus_agents.iter().map(Workload::Agent));
        for workload in workloads {
            let file = format!("{}__{}.yaml", workload.namespace(), workload.name());
            let Ok(expected) = std::fs::read_to_string(expected_dir.join(&file)) else {
                continue; // the reference wrote no config for it (see rejected.txt)
            };
            let outcome = match prometheus_config(snapshot, workload, &ScrapeScope::default()) {
                Err(e) => Outcome::Different(format!("no config: {e}")),
                Ok(output) => {
                    let actual = output.config.text();
                    let version = workload.common().version.as_deref();
                    if let Err(e) = promtool_check(&actual, version) {
                        failures.push(format!(
                            "{id} {file}: promtool rejects promop's config: {e}"
                        ));
                    }
                    if actual == expected {
                        Outcome::Identical
                    } else {
                        Outcome::Different(first_difference(&expected, &actual))
                    }
                }
            };
            let key = (id.clone(), file.clone());
            let counts = table.entry(family.to_string()).or_default();
            match outcome {
                Outcome::Identical => {
                    counts.0 += 1;
                    if known.contains(&key) {
                        failures.push(format!(
                            "{id} {file}: identical now: remove it from known-differences.md"
                        ));
                    }
                }
                Outcome::Different(why) => {
                    counts.1 += 1;
                    if !known.contains(&key) {
                        failures.push(format!("{id} {file}: differs from the reference: {why}"));
                    }
                }
            }
            seen.insert(key);
        }
    }
    // Other outputs (Alertmanager configs, rule files, objects) have their
    // own tests and rows in the same file.
    let is_config = |file: &str| {
        file.strip_suffix(".yaml")
            .is_some_and(|stem| stem.contains("__") && !stem.contains('.') && !stem.contains('/'))
    };
    for key in known
        .difference(&seen)
        .filter(|k| is_config(&k.1) && is_selected(&k.0))
    {
        failures.push(format!(
            "{} {}: listed in known-differences.md but not in the corpus",
            key.0, key.1
        ));
    }
    let (identical, different) = table.values().fold((0, 0), |(a, b), (i, d)| (a + i, b + d));
    println!("{:<28} {:>9} {:>9}", "family", "identical", "different");
    for (family, (i, d)) in &table {
        println!("{family:<28} {i:>9} {d:>9}");
    }
    let total = identical + different;
    println!(
        "{:<28} {identical:>9} {different:>9}  ({:.1}% identical)",
        "total",
        100.0 * identical as f64 / total.max(1) as f64
    );
    assert!(
        total >= corpus_minimum(100),
        "only {total} configs in the corpus"
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The one deliberate difference of `--monitor-file-access` (promop's
/// default rejects tenants' monitors that read files): with `all`, the
/// reference's behaviour, the configuration is the reference's again.
#[test]
fn monitor_file_access_all_is_the_reference() {
    let id = "limits-enforcement/monitor-file-access-tenant";
    let scenario = corpus().join("scenarios").join(format!("{id}.yaml"));
    let text = std::fs::read_to_string(scenario).expect("scenario readable");
    let expected = corpus()
        .join("expected")
        .join(id)
        .join("monitoring__main.yaml");
    let expected = std::fs::read_to_string(expected).expect("expected output");
    let mut loaded = Loaded::default();
    loaded
        .add_yaml(id, &text, "default", Strictness::ObjectsOnly)
        .expect("usable scenario");
    let snapshot = &loaded.snapshot;
    let workload = Workload::Prometheus(&snapshot.prometheuses[0]);
    let render = |scope: &ScrapeScope| {
        let output = prometheus_config(snapshot, workload, scope).expect("a config");
        output.config.text()
    };
    assert_eq!(render(&ScrapeScope::reference()), expected);
    let default = render(&ScrapeScope::default());
    assert!(default.contains("serviceMonitor/monitoring/kubelet/0"));
    assert!(!default.contains("serviceMonitor/tenant-a/reads-token-file/0"));
}
