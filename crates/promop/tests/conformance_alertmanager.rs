//! The differential conformance suite for Alertmanager: for every scenario
//! whose expected outputs hold `<ns>__<name>.alertmanager.yaml` (or
//! `.alertmanager.error`, when the reference refused), promop's
//! configuration from the same manifests (the path of `promop render`) is
//! compared byte for byte. Each difference must be listed in
//! `conformance/known-differences.md` with its reason, each listed one must
//! still differ, and every configuration promop writes must pass the real
//! `amtool check-config` of the Alertmanager's version, also where the
//! reference writes one Alertmanager rejects (rows whose file ends with
//! ` (amtool)` in known-differences.md, checked by conformance_reference.rs).
use promop_testenv::corpus::{corpus_minimum, first_difference, is_selected, known_differences};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::alertmanager_config;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_testenv::AlertmanagerVersion;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

/// Marks a row of a reference output that amtool rejects.
const AMTOOL_SUFFIX: &str = " (amtool)";

/// Scenarios with an expected Alertmanager output (those `PROMOP_SCENARIO`
/// selects): (id, scenario file, expected dir).
fn scenarios() -> Vec<(String, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for family in std::fs::read_dir(corpus().join("scenarios"))
        .expect("scenarios")
        .flatten()
    {
        for scenario in std::fs::read_dir(family.path()).expect("family").flatten() {
            let path = scenario.path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let family = family.file_name().to_string_lossy().into_owned();
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let expected = corpus().join("expected").join(&family).join(&name);
            let has_alertmanager = std::fs::read_dir(&expected).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().contains(".alertmanager."))
            });
            if has_alertmanager && is_selected(&format!("{family}/{name}")) {
                out.push((format!("{family}/{name}"), path, expected));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn promop_matches_the_reference_alertmanager_configs() {
    let known = known_differences();
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, path, expected_dir) in scenarios() {
        let family = id.split('/').next().unwrap_or_default().to_owned();
        let text = std::fs::read_to_string(&path).expect("scenario readable");
        let mut loaded = Loaded::default();
        if let Err(e) = loaded.add_yaml(&id, &text, "default", Strictness::ObjectsOnly) {
            failures.push(format!("{id}: unusable scenario: {e}"));
            continue;
        }
        let snapshot = &loaded.snapshot;
        for am in &snapshot.alertmanagers {
            let stem = format!(
                "{}__{}.alertmanager",
                am.metadata.namespace.as_deref().unwrap_or_default(),
                am.metadata.name.as_deref().unwrap_or_default()
            );
            let expected = std::fs::read_to_string(expected_dir.join(format!("{stem}.yaml")));
            let refused = expected_dir.join(format!("{stem}.error")).exists();
            if expected.is_err() && !refused {
                continue;
            }
            let file = format!("{stem}.{}", if refused { "error" } else { "yaml" });
            let generated = alertmanager_config(snapshot, am, &WatchedNamespaces::all());
            if let Ok(output) = &generated {
                let version = AlertmanagerVersion::of_spec(am.spec.version.as_deref());
                if let Err(e) = version.check_config(&output.config) {
                    failures.push(format!(
                        "{id} {file}: amtool rejects promop's config: {e:#}"
                    ));
                }
            }
            // When the reference refuses, promop must refuse too (the
            // messages are the reference's reconcile errors and differ).
            let difference = match (&generated, expected) {
                (Err(_), _) if refused => None,
                (Ok(_), _) if refused => Some("the reference refuses, promop renders".to_owned()),
                (Err(e), _) => Some(format!("no config: {e}")),
                (Ok(output), Ok(expected)) if output.config == expected => None,
                (Ok(output), Ok(expected)) => Some(first_difference(&expected, &output.config)),
                (Ok(_), Err(e)) => Some(format!("expected output unreadable: {e}")),
            };
            let key = (id.clone(), file.clone());
            let counts = table.entry(family.clone()).or_default();
            match difference {
                None => {
                    counts.0 += 1;
                    if known.contains(&key) {
                        failures.push(format!(
                            "{id} {file}: identical now: remove it from known-differences.md"
                        ));
                    }
                }
                Some(why) => {
                    counts.1 += 1;
                    if !known.contains(&key) {
                        failures.push(format!("{id} {file}: differs from the reference: {why}"));
                    }
                }
            }
            seen.insert(key);
        }
    }
    for key in known
        .difference(&seen)
        .filter(|k| k.1.contains(".alertmanager.") && !k.1.ends_with(AMTOOL_SUFFIX))
        .filter(|k| is_selected(&k.0))
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
        "only {total} Alertmanager configs in the corpus"
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every AlertmanagerConfig of the corpus written as v1beta1 (the reference's
/// conversion, whenever it loses nothing) renders the same configuration as
/// its v1alpha1 form, which the test above compares with the reference's;
/// where the v1beta1 schema refuses the object (it requires a Secret's
/// `name`), promop says so and renders without it, like the API server.
#[test]
fn v1beta1_alertmanager_configs_render_like_their_v1alpha1_form() {
    use promop_api::v1beta1::alertmanager_config::conversion::{to_v1alpha1, to_v1beta1};
    use promop_core::manifests::Outcome;
    use promop_testenv::parse_yaml_documents;

    let render = |id: &str, text: &str| -> (Vec<String>, Vec<String>) {
        let mut loaded = Loaded::default();
        loaded
            .add_yaml(id, text, "default", Strictness::ObjectsOnly)
            .expect("scenario loads");
        let configs = loaded
            .snapshot
            .alertmanagers
            .iter()
            .map(|am| {
                alertmanager_config(&loaded.snapshot, am, &WatchedNamespaces::all())
                    .map_or_else(|e| format!("error: {e}"), |o| o.config)
            })
            .collect();
        let skipped = loaded
            .notes
            .iter()
            .filter(|n| n.outcome == Outcome::Skipped)
            .map(ToString::to_string)
            .collect();
        (configs, skipped)
    };
    let (mut same, mut refused, mut lossy) = (0, 0, 0);
    let mut failures = Vec::new();
    for (id, path, _) in scenarios() {
        let text = std::fs::read_to_string(&path).expect("scenario readable");
        let docs = parse_yaml_documents(&text).expect("scenario parses");
        let is_amc = |d: &serde_json::Value| d["kind"] == "AlertmanagerConfig";
        if !docs.iter().any(is_amc) {
            continue;
        }
        let converted: Vec<serde_json::Value> = docs
            .iter()
            .map(|d| if is_amc(d) { to_v1beta1(d) } else { d.clone() })
            .collect();
        // A conversion that drops a field (`optional`, `updateAlerts`, a
        // `regex` flag) may change the output: not a fair comparison.
        if docs
            .iter()
            .zip(&converted)
            .any(|(d, c)| is_amc(d) && to_v1alpha1(c) != *d)
        {
            lossy += 1;
            continue;
        }
        let beta_text: Vec<String> = converted.iter().map(ToString::to_string).collect();
        let (alpha, alpha_skipped) = render(&id, &text);
        let (beta, beta_skipped) = render(&id, &beta_text.join("\n---\n"));
        if alpha == beta {
            same += 1;
        } else if beta_skipped.len() > alpha_skipped.len() {
            refused += 1;
        } else {
            failures.push(format!(
                "{id}: v1beta1 renders differently: {}",
                first_difference(&alpha.join("\n"), &beta.join("\n"))
            ));
        }
    }
    println!(
        "v1beta1: {same} scenarios identical, {refused} refused by the v1beta1 schema, {lossy} not convertible without loss"
    );
    assert!(
        same >= corpus_minimum(100),
        "only {same} scenarios compared"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
