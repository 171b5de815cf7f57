//! PrometheusRules against the reference operator on the conformance corpus:
//! for every Prometheus of every scenario, promop's rule files
//! (`rules::config_maps`) are byte-identical to the reference's
//! (`expected/<id>/<ns>__<name>.rules/`), its rule ConfigMaps equal the
//! reference's (`expected/<id>/objects/ConfigMap__<ns>__<prefix>-rulefiles-N.yaml`,
//! both normalized by `promop_testenv::written::normalize`), the
//! PrometheusRules it rejects are those the reference rejects
//! (`rejected.txt`), and every rule file it writes passes the real
//! `promtool check rules`. A ThanosRuler's rule ConfigMaps are compared the
//! same way. Differences kept on purpose are rows of
//! `conformance/known-differences.md` (file `<ns>__<name>.rules/<file>`,
//! `objects/<id>.yaml` or `rejected.txt`); a listed row that no longer
//! differs fails too.
use promop_testenv::corpus::{corpus_minimum, first_difference, is_selected, known_differences};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::core::v1::ConfigMap;
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::prometheus::rules;
use promop_core::select::ScrapeScope;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::snapshot::Snapshot;
use promop_testenv::written::{differences, normalize, object_id, without_uid};
use promop_testenv::{PrometheusVersion, binary};
use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

/// Deterministic UIDs (the reference's objects have real ones; the
/// comparison drops them from keys and owner references alike).
fn give_uids(snapshot: &mut Snapshot) {
    let uid = |i: usize| Some(format!("00000000-0000-4000-8000-{i:012}"));
    for (i, rule) in snapshot.prometheus_rules.iter_mut().enumerate() {
        rule.metadata.uid = uid(i);
    }
    for (i, p) in snapshot.prometheuses.iter_mut().enumerate() {
        p.metadata.uid = uid(1000 + i);
    }
    for (i, t) in snapshot.thanos_rulers.iter_mut().enumerate() {
        t.metadata.uid = uid(2000 + i);
    }
}

/// The reference's rejected PrometheusRules for one workload, as
/// `namespace/name`, from its `skipping prometheusrule` log lines.
fn reference_rejections(expected_dir: &Path, workload_key: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(expected_dir.join("rejected.txt")).unwrap_or_default();
    let field = |line: &str, name: &str| {
        line.split(' ')
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .map(|v| v.trim_matches('"').to_owned())
    };
    text.lines()
        .filter(|l| l.contains("msg=\"skipping prometheusrule\""))
        .filter(|l| field(l, "key").as_deref() == Some(workload_key))
        .filter_map(|l| {
            Some(format!(
                "{}/{}",
                field(l, "namespace")?,
                field(l, "prometheusrule")?
            ))
        })
        .collect()
}

/// PromQL features promtool knows, as the workload enables them.
const PROMTOOL_FEATURES: [&str; 4] = [
    "promql-experimental-functions",
    "promql-delayed-name-removal",
    "promql-duration-expr",
    "promql-extended-range-selectors",
];

fn promtool_check_rules(
    tool: PrometheusVersion,
    features: &[String],
    name: &str,
    content: &str,
) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join(name);
    std::fs::write(&file, content).map_err(|e| e.to_string())?;
    let promtool = binary(tool.validator()).map_err(|e| format!("{e:#}"))?;
    let features: Vec<&str> = features
        .iter()
        .map(String::as_str)
        .filter(|f| PROMTOOL_FEATURES.contains(f))
        .collect();
    let mut command = Command::new(promtool);
    if !features.is_empty() {
        command.arg(format!("--enable-feature={}", features.join(",")));
    }
    let out = command
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[derive(Default)]
struct Tally {
    workloads_identical: usize,
    workloads: usize,
    files_identical: usize,
    files: usize,
    config_maps_identical: usize,
    config_maps: usize,
}

struct Check<'a> {
    id: String,
    expected_dir: PathBuf,
    known: &'a BTreeSet<(String, String)>,
    seen: &'a mut BTreeSet<(String, String)>,
    failures: &'a mut Vec<String>,
}

impl Check<'_> {
    /// Records a comparison of `file`: a difference must be listed, a
    /// listed file must differ.
    fn outcome(&mut self, file: &str, difference: Option<String>) {
        let key = (self.id.clone(), file.to_owned());
        let listed = self.known.contains(&key);
        self.seen.insert(key);
        match (difference, listed) {
            (None, true) => self.failures.push(format!(
                "{} {file}: identical now: remove it from known-differences.md",
                self.id
            )),
            (Some(why), false) => self.failures.push(format!("{} {file}: {why}", self.id)),
            _ => {}
        }
    }

    /// Compares the ConfigMaps with the reference's stored objects; true when
    /// all are identical (or the reference's objects were not stored).
    fn config_maps(&mut self, maps: &[ConfigMap], prefix: &str, tally: &mut Tally) -> bool {
        let objects = self.expected_dir.join("objects");
        if !objects.is_dir() {
            return true;
        }
        let mut all_same = true;
        let mut ours = BTreeSet::new();
        for cm in maps {
            let ns = cm.metadata.namespace.as_deref().unwrap_or_default();
            let name = cm.metadata.name.as_deref().unwrap_or_default();
            let file = format!("objects/{}.yaml", object_id("ConfigMap", ns, name));
            ours.insert(file.clone());
            let mut value = serde_json::to_value(cm).expect("ConfigMap as JSON");
            value["kind"] = "ConfigMap".into();
            value["apiVersion"] = "v1".into();
            let actual = normalize(value).expect("normalize");
            let difference = match std::fs::read_to_string(self.expected_dir.join(&file)) {
                Err(_) => Some("the reference wrote no such ConfigMap".to_owned()),
                Ok(text) => {
                    let expected: Value = serde_saphyr::from_str(&text).expect("stored object");
                    let diffs = differences(&expected, &actual, &[]);
                    (!diffs.is_empty()).then(|| format!("differs at {diffs:?}"))
                }
            };
            tally.config_maps += 1;
            if difference.is_none() {
                tally.config_maps_identical += 1;
            }
            all_same &= difference.is_none();
            self.outcome(&file, difference);
        }
        for entry in std::fs::read_dir(&objects).expect("objects dir").flatten() {
            let file = format!("objects/{}", entry.file_name().to_string_lossy());
            if file.starts_with(&format!("objects/ConfigMap__{prefix}-rulefiles-"))
                && !ours.contains(&file)
            {
                all_same = false;
                self.outcome(&file, Some("promop writes no such ConfigMap".into()));
            }
        }
        all_same
    }
}

#[test]
fn rule_files_and_config_maps_match_the_reference() {
    let known = known_differences();
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    let mut tally = Tally::default();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus().join("scenarios"))
        .expect("scenarios")
        .flatten()
        .flat_map(|family| std::fs::read_dir(family.path()).expect("family").flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    for path in &paths {
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
        let text = std::fs::read_to_string(path).expect("scenario");
        let mut loaded = Loaded::default();
        if loaded
            .add_yaml(&id, &text, "default", Strictness::ObjectsOnly)
            .is_err()
        {
            continue; // conformance.rs reports unusable scenarios
        }
        let mut snapshot = loaded.snapshot;
        give_uids(&mut snapshot);
        let mut check = Check {
            expected_dir: corpus().join("expected").join(&*family).join(&*name),
            id,
            known: &known,
            seen: &mut seen,
            failures: &mut failures,
        };
        for prometheus in &snapshot.prometheuses {
            let workload = Workload::Prometheus(prometheus);
            let stem = format!("{}__{}", workload.namespace(), workload.name());
            if !check.expected_dir.join(format!("{stem}.yaml")).is_file() {
                continue; // the reference refused the workload
            }
            let Ok(output) = prometheus_config(&snapshot, workload, &ScrapeScope::default()) else {
                continue; // conformance.rs reports it
            };
            let maps = rules::config_maps(&snapshot, workload, &output.selection, None)
                .expect("rule config maps");
            let ours: BTreeMap<String, String> = maps
                .config_maps
                .iter()
                .flat_map(|cm| cm.data.clone().unwrap_or_default())
                .map(|(k, v)| (without_uid(&k), v))
                .collect();
            let rules_dir = check.expected_dir.join(format!("{stem}.rules"));
            let expected: BTreeMap<String, String> = std::fs::read_dir(&rules_dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| {
                    let content = std::fs::read_to_string(e.path()).expect("rule file");
                    (e.file_name().to_string_lossy().into_owned(), content)
                })
                .collect();
            let prefix = format!("{}__prometheus-{}", workload.namespace(), workload.name());
            // Without a rule selector the reference still writes an empty
            // rulefiles-0 ConfigMap.
            let config_maps_same = check.config_maps(&maps.config_maps, &prefix, &mut tally);
            if prometheus.spec.rule_selector.is_none() && expected.is_empty() {
                continue;
            }
            tally.workloads += 1;
            let mut same = true;
            let version = PrometheusVersion::of_spec(prometheus.spec.common.version.as_deref());
            let features = prometheus
                .spec
                .common
                .enable_features
                .as_deref()
                .unwrap_or_default();
            for file in expected.keys().chain(ours.keys()).collect::<BTreeSet<_>>() {
                let difference = match (expected.get(file), ours.get(file)) {
                    (Some(e), Some(a)) if e == a => None,
                    (Some(e), Some(a)) => Some(first_difference(e, a)),
                    (Some(_), None) => Some("promop writes no such rule file".into()),
                    (None, _) => Some("the reference writes no such rule file".into()),
                };
                tally.files += 1;
                if difference.is_none() {
                    tally.files_identical += 1;
                }
                same &= difference.is_none();
                check.outcome(&format!("{stem}.rules/{file}"), difference);
            }
            for (file, content) in &ours {
                if let Err(e) = promtool_check_rules(version, features, file, content) {
                    check.failures.push(format!(
                        "{} {stem}.rules/{file}: promtool rejects it: {e}",
                        check.id
                    ));
                }
            }
            same &= config_maps_same;
            let reference = reference_rejections(
                &check.expected_dir,
                &format!("{}/{}", workload.namespace(), workload.name()),
            );
            let rejected: BTreeSet<String> = (maps.rejected.iter())
                .map(|r| format!("{}/{}", r.namespace, r.name))
                .collect();
            if reference != rejected {
                same = false;
                let reasons: Vec<String> = maps.rejected.iter().map(|r| r.to_string()).collect();
                check.outcome(
                    "rejected.txt",
                    Some(format!(
                        "the reference rejects {reference:?}, promop {reasons:?}"
                    )),
                );
            } else if !rejected.is_empty() {
                check.outcome("rejected.txt", None);
            }
            if same {
                tally.workloads_identical += 1;
            }
        }
        // The reference writes nothing for a paused ThanosRuler.
        for ruler in snapshot
            .thanos_rulers
            .iter()
            .filter(|r| r.spec.paused != Some(true))
        {
            let name = ruler.metadata.name.as_deref().unwrap_or_default();
            let namespace = ruler.metadata.namespace.as_deref().unwrap_or_default();
            let maps = match rules::thanos_ruler_config_maps(
                &snapshot,
                ruler,
                &WatchedNamespaces::all(),
            ) {
                Ok(maps) => maps,
                // The reference refused it too (e.g. an unparsable
                // version) and wrote no rule ConfigMap: compared by the
                // objects tests.
                Err(_)
                    if check
                        .expected_dir
                        .join(format!("{namespace}__{name}.thanos-ruler.error"))
                        .is_file() =>
                {
                    continue;
                }
                Err(e) => {
                    check.failures.push(format!(
                        "{} ThanosRuler {namespace}/{name}: {e:?}",
                        check.id
                    ));
                    continue;
                }
            };
            check.config_maps(
                &maps.config_maps,
                &format!("{namespace}__thanos-ruler-{name}"),
                &mut tally,
            );
        }
    }
    for key in known.difference(&seen).filter(|k| is_selected(&k.0)) {
        let ours =
            key.1.contains(".rules/") || key.1 == "rejected.txt" || key.1.contains("-rulefiles-");
        if ours {
            failures.push(format!(
                "{} {}: listed in known-differences.md but not compared",
                key.0, key.1
            ));
        }
    }
    println!(
        "rule sets: {}/{} workloads identical (rule files, rule ConfigMaps, rejections)",
        tally.workloads_identical, tally.workloads
    );
    println!(
        "rule files: {}/{} identical",
        tally.files_identical, tally.files
    );
    println!(
        "rule ConfigMaps: {}/{} identical",
        tally.config_maps_identical, tally.config_maps
    );
    assert!(
        tally.workloads >= corpus_minimum(40),
        "only {} workloads with rules in the corpus",
        tally.workloads
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
