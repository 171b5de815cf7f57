//! The conformance corpus is complete and its expected outputs are valid:
//! every scenario (`conformance/scenarios/<family>/<name>.yaml`) is
//! well-formed, decodes into promop's types with no unknown field (a field
//! the API server would prune silently would make the scenario test
//! nothing), and has the reference operator's output for each of its
//! Prometheus/PrometheusAgent objects under `conformance/expected/`; every
//! stored configuration passes `promtool check config --syntax-only` of the
//! scenario's Prometheus major version, and every stored rule file
//! `promtool check rules`. No server is needed: the outputs were generated
//! by `conformance/regenerate`.
//!
//! The byte-for-byte comparison with promop's own output joins this file
//! when `promop render` exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use promop_testenv::{PrometheusVersion, binary, parse_yaml_documents};
use serde_json::Value;

const WORKLOAD_KINDS: [&str; 2] = ["Prometheus", "PrometheusAgent"];

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

struct Scenario {
    family: String,
    name: String,
    path: PathBuf,
    docs: Vec<Value>,
}

impl Scenario {
    fn id(&self) -> String {
        format!("{}/{}", self.family, self.name)
    }

    fn expected_dir(&self) -> PathBuf {
        conformance_dir()
            .join("expected")
            .join(&self.family)
            .join(&self.name)
    }

    /// `(namespace, name, spec.version)` of each Prometheus/PrometheusAgent.
    fn workloads(&self) -> Result<Vec<(String, String, String)>> {
        let mut out = Vec::new();
        for doc in &self.docs {
            if !WORKLOAD_KINDS.iter().any(|k| doc["kind"] == *k) {
                continue;
            }
            let field = |ptr: &str| {
                doc.pointer(ptr)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .with_context(|| format!("{}: {} without {ptr}", self.id(), doc["kind"]))
            };
            out.push((
                field("/metadata/namespace")?,
                field("/metadata/name")?,
                field("/spec/version")?,
            ));
        }
        ensure!(
            !out.is_empty(),
            "{}: no Prometheus or PrometheusAgent",
            self.id()
        );
        Ok(out)
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    Ok(entries)
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

fn load_scenarios() -> Result<Vec<Scenario>> {
    let mut out = Vec::new();
    for family in sorted_entries(&conformance_dir().join("scenarios"))? {
        if !family.is_dir() {
            continue;
        }
        for path in sorted_entries(&family)? {
            ensure!(
                path.extension().is_some_and(|e| e == "yaml"),
                "{}: scenarios are *.yaml files",
                path.display()
            );
            let text = std::fs::read_to_string(&path)?;
            ensure!(
                text.starts_with("# "),
                "{}: the first line must be a comment saying what the scenario covers",
                path.display()
            );
            let docs = parse_yaml_documents(&text).with_context(|| path.display().to_string())?;
            out.push(Scenario {
                family: file_stem(&family),
                name: file_stem(&path),
                path,
                docs,
            });
        }
    }
    Ok(out)
}

fn promtool_for(version: &str) -> PrometheusVersion {
    PrometheusVersion::of_spec(Some(version))
}

/// Runs `promtool check rules` on one rule file.
fn check_rules(tool: PrometheusVersion, file: &Path) -> Result<()> {
    let out = Command::new(binary(tool.validator())?)
        .args(["check", "rules"])
        .arg(file)
        .output()?;
    if !out.status.success() {
        bail!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Per family: scenarios, configurations and rule files checked, scenarios
/// with recorded rejections.
#[derive(Default)]
struct Counts {
    scenarios: usize,
    configs: usize,
    /// Workloads for which the reference generated no config (`.error`).
    refused: usize,
    rule_files: usize,
    rejected: usize,
}

/// Checks one scenario; returns the problems found.
fn check_scenario(scenario: &Scenario, counts: &mut Counts) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let id = scenario.id();
    for (i, doc) in scenario.docs.iter().enumerate() {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        if !promop_api::object::is_monitoring_kind(api_version, kind) {
            continue;
        }
        match promop_api::object::decode_object(doc.clone()) {
            Ok(decoded) if decoded.unknown_fields.is_empty() => {}
            Ok(decoded) => problems.push(format!(
                "{id}: document {i} ({kind}) has fields the CRD does not know: {:?}",
                decoded.unknown_fields
            )),
            Err(e) => problems.push(format!("{id}: document {i} ({kind}): {e}")),
        }
    }
    let dir = scenario.expected_dir();
    let mut expected_files: BTreeSet<String> = if dir.is_dir() {
        sorted_entries(&dir)?
            .iter()
            .map(|p| {
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    } else {
        BTreeSet::new()
    };
    if expected_files.remove("rejected.txt") {
        counts.rejected += 1;
    }
    for (ns, name, version) in scenario.workloads()? {
        let tool = promtool_for(&version);
        let config = dir.join(format!("{ns}__{name}.yaml"));
        expected_files.remove(&format!("{ns}__{name}.yaml"));
        // The reference refused to generate a config (its error is stored).
        if expected_files.remove(&format!("{ns}__{name}.error")) {
            if config.is_file() {
                problems.push(format!("{id}: both a config and an error for {ns}/{name}"));
            }
            counts.refused += 1;
            continue;
        }
        if !config.is_file() {
            problems.push(format!(
                "{id}: no expected output {} (run conformance/regenerate {id})",
                config.display()
            ));
            continue;
        }
        match tool.check_config_file(&config, &["--syntax-only"]) {
            Ok(_) => counts.configs += 1,
            Err(e) => problems.push(format!(
                "{id}: {} rejects {}: {e:#}",
                tool.validator(),
                config.display()
            )),
        }
        let rules = dir.join(format!("{ns}__{name}.rules"));
        expected_files.remove(&format!("{ns}__{name}.rules"));
        if rules.is_dir() {
            for file in sorted_entries(&rules)? {
                match check_rules(tool, &file) {
                    Ok(()) => counts.rule_files += 1,
                    Err(e) => problems.push(format!(
                        "{id}: {} rejects {}: {e:#}",
                        tool.validator(),
                        file.display()
                    )),
                }
            }
        }
    }
    for stray in expected_files {
        problems.push(format!(
            "{id}: expected/{id}/{stray} belongs to no workload of the scenario"
        ));
    }
    Ok(problems)
}

#[test]
fn every_scenario_has_a_promtool_valid_reference_output() -> Result<()> {
    let scenarios = load_scenarios()?;
    ensure!(
        !scenarios.is_empty(),
        "no scenario under {}",
        conformance_dir().display()
    );
    let mut table: BTreeMap<String, Counts> = BTreeMap::new();
    let mut problems = Vec::new();
    for scenario in &scenarios {
        let counts = table.entry(scenario.family.clone()).or_default();
        counts.scenarios += 1;
        problems.extend(
            check_scenario(scenario, counts)
                .with_context(|| scenario.path.display().to_string())?,
        );
    }

    // Expected outputs of scenarios that no longer exist.
    let known: BTreeSet<String> = scenarios.iter().map(Scenario::id).collect();
    let expected_root = conformance_dir().join("expected");
    if expected_root.is_dir() {
        for family in sorted_entries(&expected_root)? {
            for dir in sorted_entries(&family)? {
                let id = format!("{}/{}", file_stem(&family), file_stem(&dir));
                if !known.contains(&id) {
                    problems.push(format!("expected/{id} has no scenario"));
                }
            }
        }
    }

    println!(
        "{:<28} {:>9} {:>8} {:>7} {:>10} {:>9}",
        "family", "scenarios", "configs", "refused", "rule files", "rejected"
    );
    let mut total = Counts::default();
    for (family, c) in &table {
        println!(
            "{family:<28} {:>9} {:>8} {:>7} {:>10} {:>9}",
            c.scenarios, c.configs, c.refused, c.rule_files, c.rejected
        );
        total.scenarios += c.scenarios;
        total.configs += c.configs;
        total.refused += c.refused;
        total.rule_files += c.rule_files;
        total.rejected += c.rejected;
    }
    println!(
        "{:<28} {:>9} {:>8} {:>7} {:>10} {:>9}",
        "total", total.scenarios, total.configs, total.refused, total.rule_files, total.rejected
    );
    ensure!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    Ok(())
}
