//! The generated Prometheus configuration against the reference operator's
//! output for the families of generator part 2: ScrapeConfig jobs,
//! alerting, remote write/read, OTLP, tracing and TSDB
//! (`conformance/scenarios/<family>/*.yaml`, expected outputs in
//! `conformance/expected/<family>/<scenario>/<ns>__<name>.yaml`, produced by
//! Prometheus Operator v0.93.0 on the test bed).
//!
//! Every config object of a scenario is used (sorted by namespace/name):
//! these families are about generation, not selection. Scenarios whose
//! reference output does not exist yet are skipped.
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use promop_api::object::{MonitoringObject, decode_object};
use promop_core::prometheus::{ConfigInput, Workload, generate};
use promop_core::snapshot::{ObjectKey, Snapshot};
use promop_core::yaml;
use serde_json::Value;

/// Scenarios whose output is knowingly different, with the reason.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

fn key(meta: &ObjectMeta) -> ObjectKey {
    ObjectKey::new(
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// The scenario's objects, defaulted like the API server defaults them.
fn load_snapshot(path: &Path) -> Snapshot {
    let text = std::fs::read_to_string(path).expect("scenario readable");
    let docs: Vec<Value> =
        serde_saphyr::from_str_multiple::<Value, _>(&text).expect("scenario is YAML");
    let mut snapshot = Snapshot::default();
    for mut doc in docs.into_iter().filter(|d| !d.is_null()) {
        match doc["kind"].as_str().unwrap_or_default() {
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
                match decode_object(doc)
                    .expect("monitoring object decodes")
                    .object
                {
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

fn sorted<T>(items: &[T], meta: impl Fn(&T) -> &ObjectMeta) -> Vec<&T> {
    let mut refs: Vec<&T> = items.iter().collect();
    refs.sort_by_key(|o| key(meta(o)));
    refs
}

/// Compares every workload of a scenario that has a reference output;
/// returns how many were compared and how many of those only job by job,
/// or the differences.
fn check_scenario(family: &str, path: &Path) -> Result<(usize, usize), String> {
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
    let (mut checked, mut partial, mut diffs) = (0, 0, Vec::new());
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
        let mut input = ConfigInput::new(workload, &snapshot);
        input.service_monitors = &sms;
        input.pod_monitors = &pms;
        input.probes = &probes;
        input.scrape_configs = &scs;
        input.rule_config_maps = &rule_maps;
        checked += 1;
        match generate(&input) {
            Ok(node) => {
                let actual = yaml::to_string(&node);
                match compare(&expected, &actual) {
                    Ok(true) => {}
                    Ok(false) => partial += 1,
                    Err(diff) => diffs.push(format!("{}: {diff}", file.display())),
                }
            }
            Err(e) => diffs.push(format!("{}: error: {e}", file.display())),
        }
    }
    if diffs.is_empty() {
        Ok((checked, partial))
    } else {
        Err(diffs.join("\n"))
    }
}

/// The whole document must be identical, except when the reference's
/// output holds jobs of objects that are not in the scenario (objects left
/// over from earlier scenarios when the corpus was generated): then every
/// section but `scrape_configs` must be identical, and each generated job
/// must equal the reference's job of the same name when it has one (the
/// leftovers can also make the reference reject the scenario's objects).
fn compare(expected: &str, actual: &str) -> Result<bool, String> {
    if expected == actual {
        return Ok(true);
    }
    let (exp_jobs, exp_rest) = split_jobs(expected);
    let (act_jobs, act_rest) = split_jobs(actual);
    let foreign: Vec<&String> = exp_jobs
        .keys()
        .filter(|k| !act_jobs.contains_key(*k))
        .collect();
    if foreign.is_empty() {
        return Err(first_difference(expected, actual));
    }
    if exp_rest != act_rest {
        return Err(first_difference(&exp_rest, &act_rest));
    }
    let mut compared = 0;
    for (name, job) in &act_jobs {
        if let Some(exp) = exp_jobs.get(name) {
            compared += 1;
            if exp != job {
                return Err(format!("job {name}: {}", first_difference(exp, job)));
            }
        }
    }
    eprintln!(
        "  reference output has {} foreign job(s); {compared}/{} generated job(s) compared",
        foreign.len(),
        act_jobs.len()
    );
    if compared == 0 {
        return Err("no generated job found in the reference output".to_owned());
    }
    Ok(false)
}

/// The text of each top-level `scrape_configs` item by job name, and the
/// document without them.
fn split_jobs(doc: &str) -> (std::collections::BTreeMap<String, String>, String) {
    let mut jobs = std::collections::BTreeMap::new();
    let mut rest = String::new();
    let mut current: Option<(String, String)> = None;
    for line in doc.lines() {
        if let Some(name) = line.strip_prefix("- job_name: ") {
            if let Some((n, t)) = current.take() {
                jobs.insert(n, t);
            }
            current = Some((name.to_owned(), format!("{line}\n")));
        } else if current.is_some() && line.starts_with("  ") {
            if let Some((_, t)) = current.as_mut() {
                t.push_str(line);
                t.push('\n');
            }
        } else {
            if let Some((n, t)) = current.take() {
                jobs.insert(n, t);
            }
            rest.push_str(line);
            rest.push('\n');
        }
    }
    if let Some((n, t)) = current {
        jobs.insert(n, t);
    }
    (jobs, rest)
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

/// Checks every scenario of a family that has a reference output; fails on
/// an unlisted difference and on a listed scenario that became identical.
fn check_family(family: &str) {
    let dir = corpus().join("scenarios").join(family);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    paths.sort();
    let (mut identical, mut job_by_job, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    for path in &paths {
        let name = format!(
            "{family}/{}",
            path.file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
        );
        let known = KNOWN_DIFFERENCES.iter().find(|(n, _)| *n == name);
        match (check_scenario(family, path), known) {
            (Ok((0, _)), _) => {}
            (Ok((_, 0)), None) => identical.push(name),
            (Ok(_), None) => job_by_job.push(name),
            (Ok(_), Some(_)) => failures.push(format!("{name}: listed as different but identical")),
            (Err(diff), Some((_, why))) => eprintln!("known difference {name} ({why}):\n{diff}"),
            (Err(diff), None) => failures.push(format!("{name}:\n{diff}")),
        }
    }
    eprintln!(
        "{family}: {} byte-identical, {} identical job by job (reference output has foreign jobs), of {} scenarios",
        identical.len(),
        job_by_job.len(),
        paths.len()
    );
    assert!(
        failures.is_empty(),
        "{} scenario(s) differ from the reference:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn scrape_config() {
    check_family("scrape-config");
}

#[test]
fn alerting() {
    check_family("alerting");
}

#[test]
fn remote_write() {
    check_family("remote-write");
}

#[test]
fn remote_read() {
    check_family("remote-read");
}

#[test]
fn otlp_tracing_tsdb() {
    check_family("otlp-tracing-tsdb");
}
