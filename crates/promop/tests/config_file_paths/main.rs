//! A generated configuration never names a file that is not there: for
//! every Prometheus, PrometheusAgent and Alertmanager of the conformance
//! corpus, every path under a key ending in `_file` (`ca_file`,
//! `bearer_token_file`, `password_file`, …) and every entry of a file list
//! (`rule_files`, `scrape_config_files`, `templates`, `file_sd_configs`'
//! `files`) of its configuration, and of the other configuration files
//! written for it (web configuration, cluster TLS configuration, …), is
//! looked up in the file system of the container that reads it, as the
//! kubelet would build it from the StatefulSet: the volume mounted there
//! (longest mount path first, `subPath` included), and the Secret or
//! ConfigMap behind it, the ones written for the workload (TLS assets, web
//! configuration, rule ConfigMaps, …) or the user's own
//! (`spec.secrets`, `spec.configMaps`, `volumes`). The service-account files
//! are there unless the pod opts out of them; a log file Prometheus writes
//! needs its directory. A path not found is allowed only when the user
//! wrote it verbatim in the scenario's manifests (`bearerTokenFile`,
//! `tlsConfig.caFile`, an additional scrape configuration, …): that file is
//! the user's business.
//!
//! Two checks, offline (no apiserver, no binary):
//! - promop's outputs (configuration from `promop_core::pipeline`, objects
//!   from `promop_core::desired`): no path may be missing;
//! - the reference's stored outputs (`expected/`): the configurations
//!   naming a file the reference never writes are exactly those listed in
//!   `conformance/known-differences.md` as `<file> (files)` rows, where the
//!   reason says what promop does instead.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};
use promop_core::desired::{alertmanager_objects, prometheus_objects};
use promop_core::manifests::Loaded;
use promop_core::pipeline::{alertmanager_config, prometheus_config};
use promop_core::prometheus::Workload as PromWorkload;
use promop_core::prometheus::rules::config_maps;
use promop_core::select::ScrapeScope;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_testenv::corpus::{
    REFERENCE_FLAGS, Scenario, Workload, conformance_dir, known_differences, load_scenarios,
};
use promop_testenv::written::normalize;
use serde::Serialize;
use serde_json::{Map, Value};

/// Marks a row of a reference output that names files the reference never
/// writes.
const FILES_SUFFIX: &str = " (files)";
/// Where Kubernetes mounts the service account's token, CA and namespace.
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
const SERVICE_ACCOUNT_FILES: [&str; 3] = ["token", "ca.crt", "namespace"];
/// Keys whose value is a file the program writes (its directory must exist).
const WRITTEN_FILE_KEYS: [&str; 2] = ["query_log_file", "scrape_failure_log_file"];
/// Keys whose value is a list of files or globs.
const FILE_LIST_KEYS: [&str; 4] = ["rule_files", "scrape_config_files", "templates", "files"];

mod named;
mod objects;
mod pod;
use named::*;
use objects::*;
use pod::*;

// ---------------------------------------------------------------------------
// Checking a workload's outputs.

/// A named file that is not there.
struct Unbacked {
    scenario: String,
    workload: String,
    /// The configuration file that names it.
    file: String,
    container: String,
    at: String,
    path: String,
    why: String,
}

impl fmt::Display for Unbacked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} ({}): {}: {}: {}",
            self.scenario, self.workload, self.file, self.container, self.at, self.path, self.why
        )
    }
}

#[derive(Default)]
struct Tally {
    /// Paths found, by what provides them.
    backed: BTreeMap<String, usize>,
    /// Paths not found that the user wrote.
    users: BTreeMap<String, usize>,
    unbacked: Vec<Unbacked>,
}

impl Tally {
    fn print(&self, title: &str) {
        println!("{title}: paths found, by what provides them");
        for (what, n) in &self.backed {
            println!("  {n:>5}  {what}");
        }
        println!("{title}: paths the user wrote, not in any volume (the user's files)");
        for (path, n) in &self.users {
            println!("  {n:>5}  {path}");
        }
        println!("{title}: {} paths not found", self.unbacked.len());
    }
}

/// What provides a file, as a family: the volume's name without what
/// names one workload (`tls-assets`, `web-config`, `rules`, …).
fn family(source: &str) -> String {
    let volume = source
        .strip_prefix("volume ")
        .and_then(|s| s.split([' ', ',']).next())
        .unwrap_or(source);
    if volume.contains("-rulefiles-") {
        return "rule ConfigMaps".into();
    }
    for prefix in [
        "secret-",
        "configmap-",
        "web-config",
        "tls-assets",
        "cluster-tls",
        "config",
    ] {
        if volume.starts_with(prefix) {
            return format!("volume {}", prefix.trim_end_matches('-'));
        }
    }
    if source == "service account" {
        return source.to_owned();
    }
    "the user's volumes".into()
}

/// One configuration file and the containers that read it.
struct ConfigFile<'a> {
    /// How failures name it.
    name: String,
    doc: Value,
    containers: Vec<&'a Container<'a>>,
}

struct Check<'a> {
    scenario: &'a str,
    workload: String,
    user: &'a BTreeSet<String>,
}

impl Check<'_> {
    fn file(&self, config: &ConfigFile<'_>, tally: &mut Tally) {
        for named in named_files(&config.doc) {
            for container in &config.containers {
                let target = match named.usage {
                    Use::Read => named.path.clone(),
                    usage => directory(&named.path, usage).to_owned(),
                };
                let found = match (container.lookup(&target), named.usage) {
                    (Lookup::File(source), Use::Read) => Ok(source),
                    (Lookup::Dir(source), Use::Glob | Use::Write) => Ok(source),
                    (Lookup::Dir(_), Use::Read) => Err("a directory, not a file".to_owned()),
                    (Lookup::File(_), _) => Err(format!("{target} is a file, not a directory")),
                    (Lookup::Missing(why), _) => Err(why),
                };
                match found {
                    Ok(source) => *tally.backed.entry(family(&source)).or_default() += 1,
                    Err(_) if self.user.contains(&named.path) => {
                        *tally.users.entry(named.path.clone()).or_default() += 1;
                    }
                    Err(why) => tally.unbacked.push(Unbacked {
                        scenario: self.scenario.to_owned(),
                        workload: self.workload.clone(),
                        file: config.name.clone(),
                        container: container.name.clone(),
                        at: named.at.clone(),
                        path: named.path.clone(),
                        why,
                    }),
                }
            }
        }
    }
}

/// The name of the container that reads the configuration.
fn main_container(workload: &Workload) -> &'static str {
    if workload.is_alertmanager() {
        "alertmanager"
    } else {
        "prometheus"
    }
}

/// Checks the configuration `config` of `workload` and the other
/// configuration files in the Secrets written for it, against `objects`
/// (inputs and written objects).
fn check_workload(
    scenario: &str,
    workload: &Workload,
    config: &str,
    objects: &Objects,
    user: &BTreeSet<String>,
    tally: &mut Tally,
) -> Result<()> {
    let check = Check {
        scenario,
        workload: format!("{} {}/{}", workload.kind, workload.namespace, workload.name),
        user,
    };
    // A PrometheusAgent in DaemonSet mode has a DaemonSet instead.
    let sets: Vec<&Value> = objects
        .owned_by("StatefulSet", workload)
        .chain(objects.owned_by("DaemonSet", workload))
        .collect();
    let pods: Vec<Vec<Container<'_>>> = sets.iter().map(|s| containers(s, objects)).collect();
    let all: Vec<&Container<'_>> = pods.iter().flatten().collect();
    let doc: Value = serde_saphyr::from_str(config)
        .with_context(|| format!("{scenario}: configuration of {}", check.workload))?;
    let main = ConfigFile {
        name: format!("{}.yaml", workload.stem()),
        doc,
        containers: all
            .iter()
            .filter(|c| c.name == main_container(workload))
            .copied()
            .collect(),
    };
    anyhow::ensure!(
        !main.containers.is_empty(),
        "{scenario}: {}: no {} container",
        check.workload,
        main_container(workload)
    );
    check.file(&main, tally);
    // The other configuration files: YAML documents in the Secrets written
    // for the workload, read by the containers that mount them.
    for secret in objects.owned_by("Secret", workload) {
        let name = secret
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let readers: Vec<&Container<'_>> = all
            .iter()
            .filter(|c| {
                c.mounts.iter().any(|m| {
                    let volume = m["name"].as_str().and_then(|v| c.volumes.get(v));
                    volume.is_some_and(|v| mounts_secret(v, name))
                })
            })
            .copied()
            .collect();
        for (key, value) in secret
            .get("data")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if key == workload.config_key() {
                continue;
            }
            let Some(doc) = value
                .as_str()
                .and_then(|t| serde_saphyr::from_str::<Value>(t).ok())
                .filter(Value::is_object)
            else {
                continue;
            };
            let file = ConfigFile {
                name: format!("Secret {name} key {key}"),
                doc,
                containers: readers.clone(),
            };
            check.file(&file, tally);
        }
    }
    Ok(())
}

/// Whether a volume brings the Secret `name`.
fn mounts_secret(volume: &Value, name: &str) -> bool {
    volume.pointer("/secret/secretName") == Some(&Value::String(name.to_owned()))
        || volume
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|s| s.pointer("/secret/name") == Some(&Value::String(name.to_owned())))
}

/// A typed object as the stored ones are: with kind and apiVersion,
/// normalized.
fn stored<K>(object: &K) -> Result<Value>
where
    K: kube::Resource + Serialize,
    K::DynamicType: Default,
{
    let mut value = serde_json::to_value(object)?;
    if let Value::Object(map) = &mut value {
        let dt = K::DynamicType::default();
        map.insert("kind".into(), Value::String(K::kind(&dt).into()));
        map.insert(
            "apiVersion".into(),
            Value::String(K::api_version(&dt).into()),
        );
    }
    normalize(value)
}

// ---------------------------------------------------------------------------
// The two checks.

/// promop's configuration of each workload of the scenario and the objects
/// it writes for it, but for the workloads it generates no configuration
/// for (refused, like the reference). Objects that cannot be built (a
/// configuration naming a TLS asset that is not written, …) fail.
fn promop_outputs(scenario: &Scenario) -> Result<Vec<(Workload, String, Objects)>> {
    let file = conformance_dir()
        .join("scenarios")
        .join(format!("{}.yaml", scenario.id));
    let text = std::fs::read_to_string(&file)?;
    let loaded = Loaded::objects(&scenario.id, &text)?;
    let snapshot = &loaded.snapshot;
    // The reference ran with the same gates (the agent-daemonset family).
    let options = promop_operator::Options::from_args(REFERENCE_FLAGS)?.operator_options();
    let mut out = Vec::new();
    let find = |kind: &str, ns: &str, name: &str| {
        scenario
            .workloads()
            .into_iter()
            .find(|w| w.kind == kind && w.namespace == ns && w.name == name)
    };
    let servers = snapshot
        .prometheuses
        .iter()
        .map(PromWorkload::Prometheus)
        .chain(snapshot.prometheus_agents.iter().map(PromWorkload::Agent));
    for workload in servers {
        let Ok(output) = prometheus_config(snapshot, workload, &ScrapeScope::default()) else {
            continue;
        };
        let config = output.config.text();
        let rules = config_maps(snapshot, workload, &output.selection, None).ok();
        let names = rules.as_ref().map(|r| r.names.clone()).unwrap_or_default();
        let written = prometheus_objects(snapshot, workload, &[&config], None, &names, &options)
            .with_context(|| format!("{}: objects", scenario.id))?;
        let mut objects = Objects::inputs(scenario)?;
        for secret in written.secrets() {
            objects.insert(stored(secret)?);
        }
        for sts in &written.stateful_sets {
            objects.insert(stored(sts)?);
        }
        if let Some(set) = &written.daemon_set {
            objects.insert(stored(set)?);
        }
        for map in rules.iter().flat_map(|r| &r.config_maps) {
            objects.insert(stored(map)?);
        }
        let w = find(workload.kind(), workload.namespace(), workload.name())
            .context("workload of the scenario")?;
        out.push((w, config, objects));
    }
    for am in &snapshot.alertmanagers {
        let Ok(output) = alertmanager_config(snapshot, am, &WatchedNamespaces::all()) else {
            continue;
        };
        let written = alertmanager_objects(snapshot, am, &output.config, &options)
            .with_context(|| format!("{}: objects", scenario.id))?;
        let mut objects = Objects::inputs(scenario)?;
        for secret in written.secrets() {
            objects.insert(stored(secret)?);
        }
        objects.insert(stored(&written.stateful_set)?);
        let ns = am.metadata.namespace.as_deref().unwrap_or_default();
        let name = am.metadata.name.as_deref().unwrap_or_default();
        let w = find("Alertmanager", ns, name).context("workload of the scenario")?;
        out.push((w, output.config, objects));
    }
    Ok(out)
}

#[test]
fn promop_configs_name_only_files_that_are_there() -> Result<()> {
    let mut tally = Tally::default();
    let mut workloads = 0;
    for scenario in load_scenarios(&[])? {
        let user = user_strings(&scenario, &Objects::inputs(&scenario)?);
        for (workload, config, objects) in promop_outputs(&scenario)? {
            workloads += 1;
            check_workload(
                &scenario.id,
                &workload,
                &config,
                &objects,
                &user,
                &mut tally,
            )?;
        }
    }
    tally.print(&format!("promop ({workloads} workloads)"));
    assert!(workloads > 500, "only {workloads} workloads checked");
    assert!(
        tally.unbacked.is_empty(),
        "{} paths in promop's configurations name files that are not there \
         (scenario workload file (container): config path: path: why):\n{}",
        tally.unbacked.len(),
        tally
            .unbacked
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}

/// The reference's stored objects of a scenario (all of them, rule
/// ConfigMaps included), and the scenario's inputs.
fn reference_objects(scenario: &Scenario, dir: &Path) -> Result<Objects> {
    let mut objects = Objects::inputs(scenario)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let text = std::fs::read_to_string(&path)?;
        let object: Value =
            serde_saphyr::from_str(&text).with_context(|| path.display().to_string())?;
        objects.insert(object);
    }
    Ok(objects)
}

#[test]
fn reference_configs_naming_missing_files_are_listed() -> Result<()> {
    let listed: BTreeSet<(String, String)> = known_differences()
        .into_iter()
        .filter(|(_, file)| file.ends_with(FILES_SUFFIX))
        .collect();
    let mut tally = Tally::default();
    let mut workloads = 0;
    let mut seen = BTreeSet::new();
    let mut unlisted = Vec::new();
    for scenario in load_scenarios(&[])? {
        let expected = conformance_dir().join("expected").join(&scenario.id);
        let objects_dir = expected.join("objects");
        if !objects_dir.is_dir() {
            continue;
        }
        let objects = reference_objects(&scenario, &objects_dir)?;
        let user = user_strings(&scenario, &Objects::inputs(&scenario)?);
        // A ThanosRuler has no configuration file of its own to check.
        for workload in scenario
            .workloads()
            .into_iter()
            .filter(|w| !w.is_thanos_ruler())
        {
            let file = format!("{}.yaml", workload.stem());
            let Ok(config) = std::fs::read_to_string(expected.join(&file)) else {
                continue; // the reference refused it
            };
            workloads += 1;
            let before = tally.unbacked.len();
            check_workload(
                &scenario.id,
                &workload,
                &config,
                &objects,
                &user,
                &mut tally,
            )?;
            if tally.unbacked.len() > before {
                let row = (scenario.id.clone(), format!("{file}{FILES_SUFFIX}"));
                if !listed.contains(&row) {
                    unlisted.extend(tally.unbacked[before..].iter().map(ToString::to_string));
                }
                seen.insert(row);
            }
        }
    }
    tally.print(&format!("reference ({workloads} workloads)"));
    for u in &tally.unbacked {
        println!("  {u}");
    }
    assert!(workloads > 500, "only {workloads} workloads checked");
    let stale: Vec<String> = listed
        .difference(&seen)
        .map(|(id, file)| format!("{id} {file}"))
        .collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "reference outputs naming files it never writes, not listed in \
         known-differences.md as `<file> (files)`:\n{}\nlisted but naming no missing file \
         now (remove the row):\n{}",
        unlisted.join("\n"),
        stale.join("\n")
    );
    Ok(())
}

/// The checker itself: mounts, `subPath`, `items`, projected volumes, the
/// service account, globs and written files.
#[test]
fn the_file_system_of_a_container_follows_its_mounts() -> Result<()> {
    let mut objects = Objects::default();
    for (kind, name, keys) in [
        (
            "Secret",
            "certs",
            serde_json::json!({"ca.crt": "x", "tls.key": "k"}),
        ),
        (
            "ConfigMap",
            "conf",
            serde_json::json!({"a.yaml": "x", "b.yaml": "y"}),
        ),
    ] {
        objects.insert(serde_json::json!({
            "kind": kind, "metadata": {"name": name, "namespace": "ns"}, "data": keys}));
    }
    let sts = serde_json::json!({
        "kind": "StatefulSet",
        "metadata": {"name": "prometheus-p", "namespace": "ns"},
        "spec": {"template": {"spec": {
            "automountServiceAccountToken": true,
            "volumes": [
                {"name": "certs", "secret": {"secretName": "certs"}},
                {"name": "picked", "configMap": {"name": "conf",
                    "items": [{"key": "a.yaml", "path": "dir/a.yaml"}]}},
                {"name": "all", "projected": {"sources": [
                    {"secret": {"name": "certs"}}, {"configMap": {"name": "missing"}}]}},
                {"name": "logs", "emptyDir": {}}],
            "containers": [{"name": "prometheus", "volumeMounts": [
                {"name": "certs", "mountPath": "/etc/certs"},
                {"name": "certs", "mountPath": "/etc/one/ca.pem", "subPath": "ca.crt"},
                {"name": "picked", "mountPath": "/etc/picked"},
                {"name": "all", "mountPath": "/etc/all"},
                {"name": "logs", "mountPath": "/var/log/p"}]}]}}}
    });
    let containers = containers(&sts, &objects);
    let c = &containers[0];
    let is = |path: &str| match c.lookup(path) {
        Lookup::File(_) => "file",
        Lookup::Dir(_) => "dir",
        Lookup::Missing(_) => "missing",
    };
    assert_eq!(is("/etc/certs/ca.crt"), "file");
    assert_eq!(is("/etc/certs/tls.crt"), "missing");
    assert_eq!(is("/etc/certs"), "dir");
    assert_eq!(is("/etc/one/ca.pem"), "file");
    assert_eq!(is("/etc/picked/dir/a.yaml"), "file");
    assert_eq!(is("/etc/picked/dir"), "dir");
    assert_eq!(is("/etc/picked/b.yaml"), "missing");
    assert_eq!(is("/etc/all/tls.key"), "file");
    assert_eq!(is("/var/log/p"), "dir");
    assert_eq!(is("/var/log/p/query.log"), "missing");
    assert_eq!(
        is("/var/run/secrets/kubernetes.io/serviceaccount/token"),
        "file"
    );
    assert_eq!(is("/etc/certsx/ca.crt"), "missing");

    let config: Value = serde_saphyr::from_str(
        "global:\n  query_log_file: /var/log/p/query.log\n\
         rule_files:\n- /etc/picked/dir/*.yaml\n- /etc/nowhere/*.yaml\n\
         scrape_configs:\n- tls_config:\n    ca_file: /etc/certs/ca.crt\n    cert_file: /etc/mine.crt\n\
         \x20   key_file: /etc/certs/nope.key\n",
    )?;
    let named: Vec<(String, &str)> = named_files(&config)
        .into_iter()
        .map(|n| {
            let kind = match n.usage {
                Use::Read => "read",
                Use::Glob => "glob",
                Use::Write => "write",
            };
            (n.at, kind)
        })
        .collect();
    assert_eq!(
        named,
        [
            ("global.query_log_file".to_owned(), "write"),
            ("rule_files[0]".to_owned(), "glob"),
            ("rule_files[1]".to_owned(), "glob"),
            ("scrape_configs[0].tls_config.ca_file".to_owned(), "read"),
            ("scrape_configs[0].tls_config.cert_file".to_owned(), "read"),
            ("scrape_configs[0].tls_config.key_file".to_owned(), "read"),
        ]
    );
    let user = BTreeSet::from(["/etc/mine.crt".to_owned()]);
    let check = Check {
        scenario: "t",
        workload: "Prometheus ns/p".into(),
        user: &user,
    };
    let mut tally = Tally::default();
    let file = ConfigFile {
        name: "ns__p.yaml".into(),
        doc: config,
        containers: vec![c],
    };
    check.file(&file, &mut tally);
    let missing: Vec<&str> = tally.unbacked.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(missing, ["/etc/nowhere/*.yaml", "/etc/certs/nope.key"]);
    assert_eq!(tally.users.keys().collect::<Vec<_>>(), ["/etc/mine.crt"]);
    Ok(())
}
