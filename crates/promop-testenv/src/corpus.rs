//! The conformance corpus (`conformance/scenarios/<family>/<name>.yaml`) on a
//! live apiserver: loading and checking scenarios, applying them, and
//! removing them with everything written in their namespaces (there is no
//! controller-manager: this does the namespace controller's part). Shared
//! by the reference's fixture generator and promop's differential tests.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::discovery::{Discovery, Scope, verbs};
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::written::{WRITTEN_KINDS, object_id};
use crate::{apply_manifests, parse_yaml_documents};

/// Namespaces a scenario may not use: the cleanup deletes every namespace a
/// scenario touches.
pub const RESERVED_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

pub const WORKLOAD_KINDS: [&str; 4] = [
    "Prometheus",
    "PrometheusAgent",
    "Alertmanager",
    "ThanosRuler",
];
pub fn is_workload(doc: &Value) -> bool {
    WORKLOAD_KINDS.iter().any(|k| doc["kind"] == *k)
}

pub const MONITOR_SELECTORS: [&str; 4] = [
    "serviceMonitorSelector",
    "podMonitorSelector",
    "probeSelector",
    "scrapeConfigSelector",
];

/// A Prometheus, PrometheusAgent, Alertmanager or ThanosRuler of a
/// scenario.
pub struct Workload {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `spec.paused: true`: the reference writes nothing for it.
    pub paused: bool,
}

impl Workload {
    /// The reference's name prefix of the objects it generates.
    pub fn prefix(&self) -> &'static str {
        match self.kind.as_str() {
            "PrometheusAgent" => "prom-agent",
            "Alertmanager" => "alertmanager",
            "ThanosRuler" => "thanos-ruler",
            _ => "prometheus",
        }
    }

    pub fn is_alertmanager(&self) -> bool {
        self.kind == "Alertmanager"
    }

    /// A ThanosRuler has no gzipped configuration: the reference's outputs
    /// for it are the objects it writes (`objects/`), or its refusal.
    pub fn is_thanos_ruler(&self) -> bool {
        self.kind == "ThanosRuler"
    }

    /// The StatefulSet the reference writes for the workload
    /// (`<prefix>-<name>`; a PrometheusAgent in DaemonSet mode has a
    /// DaemonSet of that name instead).
    pub fn stateful_set(&self) -> String {
        format!("{}-{}", self.prefix(), self.name)
    }

    /// The Secret holding the workload's configuration:
    /// `alertmanager-<name>-generated`, `<prefix>-<name>`, or for a
    /// ThanosRuler `thanos-ruler-<name>-config` (its remote-write
    /// configuration, not gzipped: see [`Workload::config_key`]).
    pub fn config_secret(&self) -> String {
        if self.is_alertmanager() {
            format!("alertmanager-{}-generated", self.name)
        } else if self.is_thanos_ruler() {
            format!("thanos-ruler-{}-config", self.name)
        } else {
            format!("{}-{}", self.prefix(), self.name)
        }
    }

    /// The key of [`Workload::config_secret`]: gzipped, except a
    /// ThanosRuler's `remote-write.yaml`.
    pub fn config_key(&self) -> &'static str {
        if self.is_alertmanager() {
            "alertmanager.yaml.gz"
        } else if self.is_thanos_ruler() {
            "remote-write.yaml"
        } else {
            "prometheus.yaml.gz"
        }
    }

    pub fn rulefiles_prefix(&self) -> String {
        format!("{}-{}-rulefiles-", self.prefix(), self.name)
    }

    /// File stem of the stored outputs: `<ns>__<name>`,
    /// `<ns>__<name>.alertmanager` for an Alertmanager and
    /// `<ns>__<name>.thanos-ruler` for a ThanosRuler (which only ever has
    /// `<stem>.error`).
    pub fn stem(&self) -> String {
        if self.is_alertmanager() {
            format!("{}__{}.alertmanager", self.namespace, self.name)
        } else if self.is_thanos_ruler() {
            format!("{}__{}.thanos-ruler", self.namespace, self.name)
        } else {
            format!("{}__{}", self.namespace, self.name)
        }
    }
}

pub struct Scenario {
    /// `<family>/<name>`
    pub id: String,
    pub docs: Vec<Value>,
}

impl Scenario {
    pub fn namespaces(&self) -> BTreeSet<String> {
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
    pub fn input_ids(&self) -> BTreeSet<String> {
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

    pub fn workloads(&self) -> Vec<Workload> {
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
                paused: d.pointer("/spec/paused") == Some(&Value::Bool(true)),
            })
            .collect()
    }

    /// Checks what the generator relies on: every namespaced object names
    /// its (non-reserved) namespace, and there is at least one workload.
    pub fn check(&self) -> Result<()> {
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
                "{} {}: set spec.version (the default is newer than the installed validators; \
                 a ThanosRuler's pins its image, gates and version label)",
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
            "no Prometheus, PrometheusAgent, Alertmanager or ThanosRuler"
        );
        Ok(())
    }
}

/// The reference operator's flags for the corpus: the feature gates whose
/// objects the corpus covers (the `agent-daemonset` family), on. promop's
/// comparisons turn the same gates on.
pub const REFERENCE_FLAGS: &[&str] = &["--feature-gates=PrometheusAgentDaemonSet=true"];

pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

/// `PROMOP_SCENARIO`: comma-separated parts of scenario ids
/// (`family/name`); the conformance tests then run only the scenarios whose
/// id contains one of them (`PROMOP_SCENARIO=rules/,am-base/global`).
pub fn scenario_filter() -> Vec<String> {
    std::env::var("PROMOP_SCENARIO")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `PROMOP_SCENARIO` selects the scenario `id` (every one when unset).
pub fn is_selected(id: &str) -> bool {
    let filter = scenario_filter();
    filter.is_empty() || filter.iter().any(|part| id.contains(part.as_str()))
}

/// How many outputs a test over the whole corpus must have compared at
/// least (it would pass on a broken corpus otherwise); none when
/// `PROMOP_SCENARIO` selects some scenarios.
pub fn corpus_minimum(whole: usize) -> usize {
    if scenario_filter().is_empty() {
        whole
    } else {
        0
    }
}

/// The scenarios `PROMOP_SCENARIO` selects (all when unset).
pub fn selected_scenarios() -> Result<Vec<Scenario>> {
    load_scenarios(&scenario_filter())
}

/// Scenarios whose `<family>/<name>` contains one of `filters` (all when
/// empty).
pub fn load_scenarios(filters: &[String]) -> Result<Vec<Scenario>> {
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

impl Scenario {
    /// The scenario's objects as one multi-document stream (each document
    /// in JSON, which is YAML), as promop reads manifests.
    pub fn manifests(&self) -> String {
        let docs: Vec<String> = self.docs.iter().map(Value::to_string).collect();
        docs.join("\n---\n")
    }

    /// Applies the scenario: workloads last, so that an operator usually
    /// generates once, from complete inputs.
    pub async fn apply(&self, client: &Client) -> Result<()> {
        let (workloads, others): (Vec<&Value>, Vec<&Value>) =
            self.docs.iter().partition(|d| is_workload(d));
        apply_manifests(client, &to_yaml_stream(&others)?).await?;
        apply_manifests(client, &to_yaml_stream(&workloads)?).await?;
        Ok(())
    }
}

fn to_yaml_stream(docs: &[&Value]) -> Result<String> {
    // JSON is YAML: apply_manifests parses either.
    let parts: Result<Vec<String>> = docs.iter().map(|d| Ok(serde_json::to_string(d)?)).collect();
    Ok(parts?.join("\n---\n"))
}

/// The monitoring.coreos.com resources the cleanup must know before the
/// first scenario: discovery can lag behind freshly established CRDs.
const MONITORING_PLURALS: [&str; 10] = [
    "prometheuses",
    "alertmanagers",
    "alertmanagerconfigs",
    "prometheusagents",
    "servicemonitors",
    "podmonitors",
    "probes",
    "scrapeconfigs",
    "prometheusrules",
    "thanosrulers",
];

/// Every namespaced resource type that can be emptied with deletecollection
/// (each kind once, in its most stable version: v1alpha1 kinds such as
/// ScrapeConfig are not in their group's preferred version).
pub async fn namespaced_resources(client: &Client) -> Result<Vec<ApiResource>> {
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
pub async fn cleanup(
    client: &Client,
    scenario: &Scenario,
    resources: &[ApiResource],
) -> Result<()> {
    let dp = DeleteParams::default();
    for doc in scenario.docs.iter().filter(|d| is_workload(d)) {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let plural = match kind {
            "Prometheus" => "prometheuses",
            "Alertmanager" => "alertmanagers",
            "ThanosRuler" => "thanosrulers",
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

/// `(scenario id, file)` of the rows of `conformance/known-differences.md`:
/// outputs allowed to differ from the reference's, each with its reason.
pub fn known_differences() -> BTreeSet<(String, String)> {
    let path = conformance_dir().join("known-differences.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let listed = cells.len() >= 3 && cells[0].contains('/') && !cells[2].is_empty();
            listed.then(|| {
                (
                    cells[0].trim_matches('`').to_owned(),
                    cells[1].trim_matches('`').to_owned(),
                )
            })
        })
        .collect()
}

/// The first line where two texts differ, for a failure message.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let line = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    format!(
        "line {}: expected {:?}, promop {:?}",
        line + 1,
        e.get(line).unwrap_or(&"<end>"),
        a.get(line).unwrap_or(&"<end>")
    )
}
