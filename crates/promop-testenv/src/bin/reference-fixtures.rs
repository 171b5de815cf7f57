//! Generates the expected outputs of the conformance corpus by running the
//! reference operator (upstream v0.93.0) on every scenario.
//!
//! ```text
//! cargo run -p promop-testenv --bin reference-fixtures -- [FILTER...]
//! ```
//!
//! One apiserver and one reference operator serve the whole run. For each
//! `conformance/scenarios/<family>/<name>.yaml` whose `<family>/<name>`
//! contains one of the FILTERs (or every one), the scenario is applied (workloads last, so the operator
//! usually writes once), the config Secret of every Prometheus,
//! PrometheusAgent and Alertmanager and every object the operator wrote
//! (StatefulSets, Services, Secrets, ConfigMaps; see
//! `promop_testenv::written`) are read once they have stayed unchanged for
//! a while, and stored under `conformance/expected/<family>/<name>/`. The scenario's
//! namespaces are then emptied and removed (there is no controller-manager:
//! this program does the namespace controller's part) so that the next
//! scenario starts from a clean cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use flate2::read::GzDecoder;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::discovery::{Discovery, Scope, verbs};
use kube::{Api, Client};
use promop_testenv::written::{WRITTEN_KINDS, object_id, without_uid, written_objects};
use promop_testenv::{
    ReferenceOperator, TestEnv, apply_manifests, install_crds, parse_yaml_documents, upstream_dir,
};
use serde_json::{Value, json};

/// How long a generated config must stay unchanged to count as final: the
/// operator rewrites it as the objects of a scenario reach its informers.
const STABLE_FOR: Duration = Duration::from_secs(2);
/// How long to wait for a config Secret to appear and settle.
const CONFIG_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);
/// Namespaces a scenario may not use: the cleanup deletes every namespace a
/// scenario touches.
const RESERVED_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

const WORKLOAD_KINDS: [&str; 3] = ["Prometheus", "PrometheusAgent", "Alertmanager"];
fn is_workload(doc: &Value) -> bool {
    WORKLOAD_KINDS.iter().any(|k| doc["kind"] == *k)
}

const MONITOR_SELECTORS: [&str; 4] = [
    "serviceMonitorSelector",
    "podMonitorSelector",
    "probeSelector",
    "scrapeConfigSelector",
];

/// A Prometheus, PrometheusAgent or Alertmanager of a scenario.
struct Workload {
    kind: String,
    namespace: String,
    name: String,
}

impl Workload {
    /// The reference's name prefix of the objects it generates.
    fn prefix(&self) -> &'static str {
        match self.kind.as_str() {
            "PrometheusAgent" => "prom-agent",
            "Alertmanager" => "alertmanager",
            _ => "prometheus",
        }
    }

    fn is_alertmanager(&self) -> bool {
        self.kind == "Alertmanager"
    }

    fn config_secret(&self) -> String {
        if self.is_alertmanager() {
            format!("alertmanager-{}-generated", self.name)
        } else {
            format!("{}-{}", self.prefix(), self.name)
        }
    }

    fn config_key(&self) -> &'static str {
        if self.is_alertmanager() {
            "alertmanager.yaml.gz"
        } else {
            "prometheus.yaml.gz"
        }
    }

    fn rulefiles_prefix(&self) -> String {
        format!("{}-{}-rulefiles-", self.prefix(), self.name)
    }

    /// File stem of the stored outputs: `<ns>__<name>`, and
    /// `<ns>__<name>.alertmanager` for an Alertmanager.
    fn stem(&self) -> String {
        if self.is_alertmanager() {
            format!("{}__{}.alertmanager", self.namespace, self.name)
        } else {
            format!("{}__{}", self.namespace, self.name)
        }
    }
}

/// What the reference generated for one workload.
#[derive(PartialEq)]
enum Generated {
    Config {
        config: String,
        /// Rule ConfigMaps' keys and contents (all rulefiles ConfigMaps
        /// merged).
        rules: BTreeMap<String, String>,
    },
    /// No config: the reconcile fails with this error (e.g. a setting the
    /// workload's version does not support).
    Refused(String),
}

/// The last `sync "<ns>/<name>" failed: <why>` error the operator logged for
/// the workload, as `<why>`.
fn sync_error(log: &str, w: &Workload) -> Option<String> {
    let marker = format!("sync \\\"{}/{}\\\" failed: ", w.namespace, w.name);
    let line = log.lines().rev().find(|l| l.contains(&marker))?;
    let why = &line[line.find(&marker)? + marker.len()..];
    Some(why.strip_suffix('"').unwrap_or(why).replace("\\\"", "\""))
}

struct Scenario {
    /// `<family>/<name>`
    id: String,
    docs: Vec<Value>,
}

impl Scenario {
    fn namespaces(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for doc in &self.docs {
            if doc["kind"] == "Namespace" {
                if let Some(n) = doc.pointer("/metadata/name").and_then(Value::as_str) {
                    out.insert(n.to_owned());
                }
            } else if let Some(n) = doc.pointer("/metadata/namespace").and_then(Value::as_str) {
                out.insert(n.to_owned());
            }
        }
        out
    }

    /// `<Kind>__<ns>__<name>` of the scenario's own objects of the kinds
    /// operators write, which are inputs, not outputs.
    fn input_ids(&self) -> BTreeSet<String> {
        self.docs
            .iter()
            .filter(|d| WRITTEN_KINDS.iter().any(|k| d["kind"] == *k))
            .map(|d| {
                object_id(
                    d["kind"].as_str().unwrap_or_default(),
                    d.pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    d.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    fn workloads(&self) -> Vec<Workload> {
        self.docs
            .iter()
            .filter(|d| is_workload(d))
            .map(|d| Workload {
                kind: d["kind"].as_str().unwrap_or_default().to_owned(),
                namespace: d
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    .to_owned(),
                name: d
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect()
    }

    /// Checks what the generator relies on: every namespaced object names
    /// its (non-reserved) namespace, and there is at least one workload.
    fn check(&self) -> Result<()> {
        for (i, doc) in self.docs.iter().enumerate() {
            let kind = doc["kind"]
                .as_str()
                .with_context(|| format!("document {i}: no kind"))?;
            ensure!(
                doc.pointer("/metadata/name").is_some(),
                "document {i} ({kind}): no metadata.name"
            );
            if kind != "Namespace" {
                ensure!(
                    doc.pointer("/metadata/namespace").is_some(),
                    "document {i} ({kind}): no metadata.namespace (scenarios name their namespaces)"
                );
            }
        }
        for doc in self.docs.iter().filter(|d| d["kind"] == "Prometheus") {
            // Without any of these selectors the reference leaves the
            // config Secret alone ("unmanaged configuration"): nothing to
            // compare.
            ensure!(
                MONITOR_SELECTORS
                    .iter()
                    .any(|s| doc["spec"].get(s).is_some()),
                "Prometheus {}: set one of {MONITOR_SELECTORS:?} (an empty one is fine)",
                doc["metadata"]["name"]
            );
        }
        for doc in self.docs.iter().filter(|d| is_workload(d)) {
            ensure!(
                doc.pointer("/spec/version").is_some(),
                "{} {}: set spec.version (the default is newer than the installed promtool)",
                doc["kind"],
                doc["metadata"]["name"]
            );
        }
        for ns in self.namespaces() {
            ensure!(
                !RESERVED_NAMESPACES.contains(&ns.as_str()),
                "namespace {ns} is reserved"
            );
        }
        ensure!(
            !self.workloads().is_empty(),
            "no Prometheus, PrometheusAgent or Alertmanager"
        );
        Ok(())
    }
}

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

/// Scenarios whose `<family>/<name>` contains one of `filters` (all when
/// empty).
fn load_scenarios(filters: &[String]) -> Result<Vec<Scenario>> {
    let root = conformance_dir().join("scenarios");
    let mut out = Vec::new();
    let mut families: Vec<_> = std::fs::read_dir(&root)
        .with_context(|| format!("reading {}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    families.sort();
    for family in families {
        let mut files: Vec<_> = std::fs::read_dir(&family)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let id = format!(
                "{}/{}",
                family.file_name().unwrap_or_default().to_string_lossy(),
                file.file_stem().unwrap_or_default().to_string_lossy()
            );
            if !filters.is_empty() && !filters.iter().any(|f| id.contains(f.as_str())) {
                continue;
            }
            let text = std::fs::read_to_string(&file)?;
            let docs = parse_yaml_documents(&text).with_context(|| id.clone())?;
            let scenario = Scenario { id, docs };
            scenario
                .check()
                .with_context(|| format!("scenario {}", scenario.id))?;
            out.push(scenario);
        }
    }
    Ok(out)
}

fn to_yaml_stream(docs: &[&Value]) -> Result<String> {
    // JSON is YAML: apply_manifests parses either.
    let parts: Result<Vec<String>> = docs.iter().map(|d| Ok(serde_json::to_string(d)?)).collect();
    Ok(parts?.join("\n---\n"))
}

async fn read_generated(client: &Client, w: &Workload) -> Result<Option<Generated>> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &w.namespace);
    let Some(secret) = secrets.get_opt(&w.config_secret()).await? else {
        return Ok(None);
    };
    // The reference first writes the Secret with an empty key, then the
    // gzipped configuration.
    let Some(gz) = secret
        .data
        .as_ref()
        .and_then(|d| d.get(w.config_key()))
        .filter(|gz| !gz.0.is_empty())
    else {
        return Ok(None);
    };
    let mut config = String::new();
    GzDecoder::new(gz.0.as_slice())
        .read_to_string(&mut config)
        .with_context(|| format!("gunzipping {}/{}", w.namespace, w.config_secret()))?;
    if config.trim().is_empty() {
        return Ok(None);
    }
    if w.is_alertmanager() {
        return Ok(Some(Generated::Config {
            config,
            rules: BTreeMap::new(),
        }));
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &w.namespace);
    let mut rules = BTreeMap::new();
    for cm in cms.list(&ListParams::default()).await? {
        let name = cm.metadata.name.unwrap_or_default();
        if name.starts_with(&w.rulefiles_prefix()) {
            rules.extend(cm.data.unwrap_or_default());
        }
    }
    Ok(Some(Generated::Config { config, rules }))
}

/// Polls until every workload's output exists and has not changed for
/// [`STABLE_FOR`].
async fn wait_stable(
    client: &Client,
    op: &ReferenceOperator,
    log_offset: usize,
    scenario: &Scenario,
) -> Result<(Vec<Generated>, Objects)> {
    let workloads = scenario.workloads();
    let (namespaces, inputs) = (scenario.namespaces(), scenario.input_ids());
    let start = Instant::now();
    let mut last: Vec<Option<Generated>> = workloads.iter().map(|_| None).collect();
    let mut last_objects = Objects::new();
    let mut changed_at = Instant::now();
    loop {
        let objects = written_objects(client, &namespaces, &inputs).await?;
        let mut now = Vec::new();
        let log = op.logs();
        let log = log.get(log_offset..).unwrap_or_default();
        for w in &workloads {
            let generated = match read_generated(client, w).await? {
                Some(g) => Some(g),
                None => sync_error(log, w).map(Generated::Refused),
            };
            now.push(generated);
        }
        if now != last || objects != last_objects {
            last = now;
            last_objects = objects;
            changed_at = Instant::now();
        } else if last.iter().all(Option::is_some) && changed_at.elapsed() >= STABLE_FOR {
            return Ok((last.into_iter().flatten().collect(), last_objects));
        }
        if start.elapsed() > CONFIG_TIMEOUT {
            let missing: Vec<String> = workloads
                .iter()
                .zip(&last)
                .filter(|(_, g)| g.is_none())
                .map(|(w, _)| format!("{}/{}", w.namespace, w.config_secret()))
                .collect();
            bail!(
                "no stable generated configuration after {CONFIG_TIMEOUT:?}; missing: {missing:?}"
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// What the reference wrote, by `<Kind>__<ns>__<name>`, normalized.
type Objects = BTreeMap<String, Value>;

/// Operator log lines about objects it rejected, for the scenario's
/// namespaces, without timestamps: `level=WARN msg="skipping object" ...`.
fn rejections(log: &str, namespaces: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = log
        .lines()
        .filter(|l| l.contains("skipping") || l.contains("rejected") || l.contains("invalid"))
        .filter(|l| namespaces.iter().any(|ns| l.contains(&format!("{ns}/"))))
        .map(strip_log_noise)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Drops the fields that vary between runs (time, source position).
fn strip_log_noise(line: &str) -> String {
    let mut fields = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        // logfmt: key=value or key="quoted value"
        let Some(eq) = rest.find('=') else {
            fields.push(rest.to_owned());
            break;
        };
        let key = &rest[..eq];
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.unwrap_or(q.len());
            // `after` = `"` + q: the value with its quotes is after[..end + 2].
            (
                after.get(..end + 2).unwrap_or(after),
                q.get(end + 1..).unwrap_or(""),
            )
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if !matches!(key, "time" | "ts" | "caller" | "source") {
            fields.push(format!("{key}={value}"));
        }
        rest = next.trim_start();
    }
    fields.join(" ")
}

/// The monitoring.coreos.com resources the cleanup must know before the
/// first scenario: discovery can lag behind freshly established CRDs.
const MONITORING_PLURALS: [&str; 9] = [
    "prometheuses",
    "alertmanagers",
    "alertmanagerconfigs",
    "prometheusagents",
    "servicemonitors",
    "podmonitors",
    "probes",
    "scrapeconfigs",
    "prometheusrules",
];

/// Every namespaced resource type that can be emptied with deletecollection
/// (each kind once, in its most stable version: v1alpha1 kinds such as
/// ScrapeConfig are not in their group's preferred version).
async fn namespaced_resources(client: &Client) -> Result<Vec<ApiResource>> {
    let start = Instant::now();
    loop {
        let discovery = Discovery::new(client.clone()).run_aggregated().await?;
        let mut out = Vec::new();
        for group in discovery.groups() {
            for (ar, caps) in group.resources_by_stability() {
                if caps.scope == Scope::Namespaced
                    && caps.supports_operation(verbs::DELETE_COLLECTION)
                {
                    out.push(ar);
                }
            }
        }
        let complete = MONITORING_PLURALS.iter().all(|p| {
            out.iter()
                .any(|ar| ar.group == "monitoring.coreos.com" && ar.plural == *p)
        });
        if complete {
            return Ok(out);
        }
        ensure!(
            start.elapsed() < Duration::from_secs(30),
            "discovery does not list every monitoring.coreos.com resource: {:?}",
            out.iter()
                .filter(|ar| ar.group == "monitoring.coreos.com")
                .map(|ar| format!("{}/{}", ar.version, ar.plural))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Removes a scenario: its workloads first (so the operator stops writing),
/// then each namespace with all its content, finalized by hand.
async fn cleanup(client: &Client, scenario: &Scenario, resources: &[ApiResource]) -> Result<()> {
    let dp = DeleteParams::default();
    for doc in scenario.docs.iter().filter(|d| is_workload(d)) {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let plural = match kind {
            "Prometheus" => "prometheuses",
            "Alertmanager" => "alertmanagers",
            _ => "prometheusagents",
        };
        let ar = ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: api_version.into(),
            kind: kind.into(),
            plural: plural.into(),
        };
        let ns = doc
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
        if api.get_opt(name).await?.is_some() {
            api.delete(name, &dp).await?;
        }
    }
    let ns_api: Api<Namespace> = Api::all(client.clone());
    for ns in scenario.namespaces() {
        if ns_api.get_opt(&ns).await?.is_none() {
            continue;
        }
        // Terminating first: the apiserver then refuses new objects in it.
        ns_api.delete(&ns, &dp).await?;
        for ar in resources {
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, ar);
            api.delete_collection(&dp, &ListParams::default())
                .await
                .with_context(|| format!("emptying {} in {ns}", ar.plural))?;
        }
        // Objects the operator marked with finalizers would stay; drop them.
        for ar in resources {
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, ar);
            for obj in api.list(&ListParams::default()).await? {
                let name = obj.metadata.name.clone().unwrap_or_default();
                let patch = json!({"metadata": {"finalizers": null}});
                api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .ok();
            }
        }
        if let Some(mut namespace) = ns_api.get_opt(&ns).await? {
            if let Some(spec) = namespace.spec.as_mut() {
                spec.finalizers = Some(Vec::new());
            }
            namespace.metadata.managed_fields = None;
            ns_api
                .replace_subresource("finalize", &ns, &PostParams::default(), &namespace)
                .await
                .with_context(|| format!("finalizing namespace {ns}"))?;
        }
        let start = Instant::now();
        while ns_api.get_opt(&ns).await?.is_some() {
            ensure!(
                start.elapsed() < Duration::from_secs(30),
                "namespace {ns} not gone after 30s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Objects left in etcd would come back with the next namespace of
        // the same name and leak into the next scenario.
        for ar in resources {
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, ar);
            let left = api.list(&ListParams::default()).await?;
            ensure!(
                left.items.is_empty(),
                "{} left in deleted namespace {ns}",
                ar.plural
            );
        }
    }
    Ok(())
}

fn write_expected(
    scenario: &Scenario,
    workloads: &[Workload],
    generated: &[Generated],
    objects: &Objects,
    rejected: &[String],
) -> Result<()> {
    let dir = conformance_dir().join("expected").join(&scenario.id);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    for (w, g) in workloads.iter().zip(generated) {
        let (config, rules) = match g {
            Generated::Config { config, rules } => (config, rules),
            Generated::Refused(why) => {
                std::fs::write(dir.join(format!("{}.error", w.stem())), format!("{why}\n"))?;
                continue;
            }
        };
        std::fs::write(dir.join(format!("{}.yaml", w.stem())), config)?;
        if !rules.is_empty() {
            let rules_dir = dir.join(format!("{}.rules", w.stem()));
            std::fs::create_dir_all(&rules_dir)?;
            for (key, content) in rules {
                let key = without_uid(key);
                std::fs::write(rules_dir.join(key), content)?;
            }
        }
    }
    if !objects.is_empty() {
        let objects_dir = dir.join("objects");
        std::fs::create_dir_all(&objects_dir)?;
        for (id, object) in objects {
            let yaml = serde_saphyr::to_string(object).with_context(|| id.clone())?;
            std::fs::write(objects_dir.join(format!("{id}.yaml")), yaml)?;
        }
    }
    if !rejected.is_empty() {
        std::fs::write(dir.join("rejected.txt"), rejected.join("\n") + "\n")?;
    }
    Ok(())
}

async fn run_scenario(
    client: &Client,
    op: &ReferenceOperator,
    scenario: &Scenario,
    resources: &[ApiResource],
) -> Result<()> {
    let log_offset = op.logs().len();
    let (workload_docs, other_docs): (Vec<&Value>, Vec<&Value>) =
        scenario.docs.iter().partition(|d| is_workload(d));
    let result = async {
        apply_manifests(client, &to_yaml_stream(&other_docs)?).await?;
        apply_manifests(client, &to_yaml_stream(&workload_docs)?).await?;
        let workloads = scenario.workloads();
        let (generated, objects) = wait_stable(client, op, log_offset, scenario).await?;
        let log = op.logs();
        let rejected = rejections(
            log.get(log_offset..).unwrap_or(&log),
            &scenario.namespaces(),
        );
        write_expected(scenario, &workloads, &generated, &objects, &rejected)
    }
    .await;
    let result = result.map_err(|e| {
        // Why the reference wrote nothing is in its log.
        let log = op.logs();
        let errors: Vec<&str> = log
            .get(log_offset..)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("level=error"))
            .collect();
        let last = errors.len().saturating_sub(3);
        e.context(format!("operator errors:\n{}", errors[last..].join("\n")))
    });
    let cleaned = cleanup(client, scenario, resources).await;
    result.and(cleaned)
}

#[tokio::main]
async fn main() -> Result<()> {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    let scenarios = load_scenarios(&filters)?;
    ensure!(!scenarios.is_empty(), "no scenario matches {filters:?}");
    let t0 = Instant::now();
    let env = TestEnv::start().await?;
    let client = env.client();
    install_crds(
        &client,
        &upstream_dir().join("example/prometheus-operator-crd"),
    )
    .await?;
    let resources = namespaced_resources(&client).await?;
    let mut op = ReferenceOperator::start(&env, &[]).await?;
    eprintln!(
        "test bed and reference operator ready after {:.1?}",
        t0.elapsed()
    );

    let mut failed = Vec::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        let t = Instant::now();
        match run_scenario(&client, &op, scenario, &resources).await {
            Ok(()) => eprintln!(
                "[{}/{}] {} ({:.1?})",
                i + 1,
                scenarios.len(),
                scenario.id,
                t.elapsed()
            ),
            Err(e) => {
                eprintln!(
                    "[{}/{}] {} FAILED: {e:#}",
                    i + 1,
                    scenarios.len(),
                    scenario.id
                );
                failed.push(scenario.id.clone());
            }
        }
        op.check_running()
            .with_context(|| format!("reference operator died; log tail:\n{}", op.log_tail(40)))?;
    }
    eprintln!(
        "{} scenarios in {:.1?}, {} failed",
        scenarios.len(),
        t0.elapsed(),
        failed.len()
    );
    if !failed.is_empty() {
        eprintln!("operator log tail:\n{}", op.log_tail(30));
        bail!("failed scenarios: {failed:?}");
    }
    Ok(())
}
