//! The generated Prometheus configuration against the reference operator's
//! output for the conformance corpus (`conformance/scenarios/<family>/*.yaml`,
//! expected outputs in `conformance/expected/<family>/<scenario>/<ns>__<name>.yaml`,
//! produced by Prometheus Operator v0.93.0 on the test bed).
//!
//! Selection is naive here (every config object of the scenario, sorted by
//! namespace/name): the families below are about generation, not selection.
//! Each family test fails on any scenario that differs from the reference,
//! unless it is listed in `KNOWN_DIFFERENCES` with the reason.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use promop_api::object::{MonitoringObject, decode_object};
use promop_core::prometheus::{ConfigInput, Workload, generate};
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::select::{KindSelection, select_for_agent, select_for_prometheus};
use promop_core::snapshot::{ObjectKey, Snapshot};
use promop_core::yaml;
use serde_json::Value;

/// Scenarios whose output is knowingly different, with the reason.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Families about selection: they use the real selection.
const SELECTION_FAMILIES: &[&str] = &["selectors", "namespace-selectors"];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

/// The scenario's objects, defaulted like the API server defaults them.
fn load_snapshot(path: &Path) -> Snapshot {
    let text = std::fs::read_to_string(path).expect("scenario readable");
    let docs: Vec<Value> =
        serde_saphyr::from_str_multiple::<Value, _>(&text).expect("scenario is YAML");
    let mut snapshot = Snapshot::default();
    for mut doc in docs.into_iter().filter(|d| !d.is_null()) {
        let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
        match kind.as_str() {
            "Namespace" => {
                let ns: Namespace = serde_json::from_value(doc).expect("Namespace");
                let name = ns.metadata.name.clone().unwrap_or_default();
                snapshot.namespaces.insert(name, ns);
            }
            "Secret" => {
                let s: Secret = serde_json::from_value(doc).expect("Secret");
                snapshot.secrets.insert(key(&s.metadata), s);
            }
            "ConfigMap" => {
                let c: ConfigMap = serde_json::from_value(doc).expect("ConfigMap");
                snapshot.config_maps.insert(key(&c.metadata), c);
            }
            _ => {
                if promop_api::crd::apply_defaults(&mut doc).is_none() {
                    continue;
                }
                let decoded = decode_object(doc).expect("monitoring object decodes");
                match decoded.object {
                    MonitoringObject::Prometheus(p) => snapshot.prometheuses.push(*p),
                    MonitoringObject::PrometheusAgent(p) => snapshot.prometheus_agents.push(*p),
                    MonitoringObject::ServiceMonitor(m) => snapshot.service_monitors.push(*m),
                    MonitoringObject::PodMonitor(m) => snapshot.pod_monitors.push(*m),
                    MonitoringObject::Probe(m) => snapshot.probes.push(*m),
                    MonitoringObject::ScrapeConfig(m) => snapshot.scrape_configs.push(*m),
                    _ => {}
                }
            }
        }
    }
    snapshot
}

fn key(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> ObjectKey {
    ObjectKey::new(
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

fn sorted<T>(
    items: &[T],
    meta: impl Fn(&T) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Vec<&T> {
    let mut refs: Vec<&T> = items.iter().collect();
    refs.sort_by_key(|o| key(meta(o)));
    refs
}

/// Generates every workload of a scenario; returns the differences.
fn check_scenario(family: &str, path: &Path) -> Result<usize, String> {
    let scenario = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let expected_dir = corpus().join("expected").join(family).join(scenario);
    let snapshot = load_snapshot(path);
    let sms = sorted(&snapshot.service_monitors, |o| &o.metadata);
    let pms = sorted(&snapshot.pod_monitors, |o| &o.metadata);
    let probes = sorted(&snapshot.probes, |o| &o.metadata);
    let scs = sorted(&snapshot.scrape_configs, |o| &o.metadata);
    let workloads = snapshot
        .prometheuses
        .iter()
        .map(Workload::Prometheus)
        .chain(snapshot.prometheus_agents.iter().map(Workload::Agent));
    // Scenarios about selection, or where the reference rejected objects,
    // go through `promop_core::select`; the others use every object.
    let real_selection =
        SELECTION_FAMILIES.contains(&family) || expected_dir.join("rejected.txt").exists();
    let mut checked = 0;
    let mut diffs = Vec::new();
    for workload in workloads {
        let file = expected_dir.join(format!(
            "{}__{}.yaml",
            workload.namespace(),
            workload.name()
        ));
        let Ok(expected) = std::fs::read_to_string(&file) else {
            continue;
        };
        let rule_maps: Vec<String> = match workload {
            Workload::Prometheus(p) if p.spec.rule_selector.is_some() => {
                vec![format!("prometheus-{}-rulefiles-0", workload.name())]
            }
            _ => Vec::new(),
        };
        let selection = if real_selection {
            let watched = WatchedNamespaces::all();
            let selection = match workload {
                Workload::Prometheus(p) => select_for_prometheus(&snapshot, p, &watched),
                Workload::Agent(a) => select_for_agent(&snapshot, a, &watched),
            };
            match selection {
                Ok(s) => Some(s),
                Err(e) => {
                    diffs.push(format!("{}: selection error: {e}", file.display()));
                    continue;
                }
            }
        } else {
            None
        };
        let sel_sms = pick(selection.as_ref().map(|s| &s.service_monitors), &sms);
        let sel_pms = pick(selection.as_ref().map(|s| &s.pod_monitors), &pms);
        let sel_probes = pick(selection.as_ref().map(|s| &s.probes), &probes);
        let sel_scs = pick(selection.as_ref().map(|s| &s.scrape_configs), &scs);
        let mut input = ConfigInput::new(workload, &snapshot);
        input.service_monitors = &sel_sms;
        input.pod_monitors = &sel_pms;
        input.probes = &sel_probes;
        input.scrape_configs = &sel_scs;
        input.rule_config_maps = &rule_maps;
        checked += 1;
        match generate(&input) {
            Ok(node) => {
                let actual = yaml::to_string(&node);
                if actual != expected {
                    diffs.push(format!(
                        "{}: {}",
                        file.display(),
                        first_difference(&expected, &actual)
                    ));
                }
            }
            Err(e) => diffs.push(format!("{}: error: {e}", file.display())),
        }
    }
    if diffs.is_empty() {
        Ok(checked)
    } else {
        Err(diffs.join("\n"))
    }
}

/// The selected objects, or all of them without a selection.
fn pick<'a, T>(selection: Option<&KindSelection<'a, T>>, all: &[&'a T]) -> Vec<&'a T> {
    match selection {
        Some(s) => s.selected.iter().map(|o| o.object).collect(),
        None => all.to_vec(),
    }
}

fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let line = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    format!(
        "line {}: expected {:?}, got {:?}",
        line + 1,
        e.get(line).unwrap_or(&"<end>"),
        a.get(line).unwrap_or(&"<end>")
    )
}

/// Checks every scenario of a family that has a reference output.
fn check_family(family: &str) {
    let dir = corpus().join("scenarios").join(family);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    let known: BTreeMap<&str, &str> = KNOWN_DIFFERENCES.iter().copied().collect();
    let (mut identical, mut failures) = (Vec::new(), Vec::new());
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let name = format!(
            "{family}/{}",
            path.file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
        );
        match check_scenario(family, path) {
            Ok(0) => {}
            Ok(_) => identical.push(name),
            Err(diff) if known.contains_key(name.as_str()) => {
                eprintln!(
                    "known difference {name} ({}):\n{diff}",
                    known[name.as_str()]
                );
            }
            Err(diff) => failures.push(format!("{name}:\n{diff}")),
        }
    }
    eprintln!("{family}: {} identical: {identical:?}", identical.len());
    assert!(
        failures.is_empty(),
        "{} scenario(s) differ from the reference:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn service_monitor() {
    check_family("service-monitor");
}

#[test]
fn pod_monitor() {
    check_family("pod-monitor");
}

#[test]
fn probe() {
    check_family("probe");
}

#[test]
fn sharding() {
    check_family("sharding");
}

#[test]
fn limits_enforcement() {
    check_family("limits-enforcement");
}

#[test]
fn scrape_classes() {
    check_family("scrape-classes");
}

#[test]
fn auth_tls() {
    check_family("auth-tls");
}

#[test]
fn version_gates() {
    check_family("version-gates");
}

#[test]
fn additional_scrape_configs() {
    check_family("additional-scrape-configs");
}

#[test]
fn selectors() {
    check_family("selectors");
}

#[test]
fn namespace_selectors() {
    check_family("namespace-selectors");
}

#[test]
fn global() {
    check_family("global");
}
