//! promop's Kubernetes objects against the reference's: for every scenario
//! of the corpus with `expected/<family>/<name>/objects/`, the objects of
//! each Prometheus, PrometheusAgent and Alertmanager as `promop render
//! --objects` prints them (the desired states the operator applies, as
//! manifests, built in process; no operator running) are sent to a real apiserver as server-side dry-run
//! creates so that it fills in its defaults exactly as it did for the
//! reference's objects, normalized like the stored ones, and compared field
//! by field. Fields listed in `conformance/known-object-differences.md` are
//! exempt, and so is the configuration in a Secret when
//! `conformance/known-differences.md` lists it for the scenario; any other
//! difference, missing or extra object fails, rule ConfigMaps included
//! (their files are also checked with promtool in `conformance_rules.rs`).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service};
use kube::api::{Api, PostParams};
use kube::{Client, Resource};
use promop_core::desired::manifests::Manifests;
use promop_core::desired::{StateError, alertmanager_state, prometheus_state, thanos_ruler_state};
use promop_core::manifests::Loaded;
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_testenv::TestEnv;
use promop_testenv::corpus::{REFERENCE_FLAGS, Scenario, conformance_dir, selected_scenarios};
use promop_testenv::written::{Exemptions, normalize, object_id};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The scenarios with stored objects (those `PROMOP_SCENARIO` selects),
/// each with its objects' directory.
fn scenarios() -> Result<Vec<(Scenario, PathBuf)>> {
    let root = conformance_dir();
    Ok(selected_scenarios()?
        .into_iter()
        .map(|s| {
            let objects = root.join("expected").join(&s.id).join("objects");
            (s, objects)
        })
        .filter(|(_, objects)| objects.is_dir())
        .collect())
}

/// The kinds whose objects are compared.
const WORKLOAD_KINDS: [&str; 4] = [
    "Prometheus",
    "PrometheusAgent",
    "Alertmanager",
    "ThanosRuler",
];

/// The reference's objects of the workloads, by `<Kind>__<ns>__<name>`,
/// but those owned only by a ThanosRuler it refused (`<ns>__<name>.thanos-ruler.error`):
/// it writes them before it fails, promop writes nothing for such a
/// workload (`conformance/known-object-differences.md`).
fn expected(dir: &Path) -> Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let id = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();

        let text = std::fs::read_to_string(&path)?;
        let object: Value =
            serde_saphyr::from_str(&text).with_context(|| path.display().to_string())?;
        let owned_by_workload = object
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|o| WORKLOAD_KINDS.iter().any(|k| o["kind"] == *k));
        let namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let owners: Vec<&Value> = object
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        let refused_ruler = |o: &&Value| {
            o["kind"] == "ThanosRuler"
                && dir
                    .parent()
                    .is_some_and(|d| d.join(refused_ruler_file(namespace, &o["name"])).is_file())
        };
        let only_refused = !owners.is_empty() && owners.iter().all(refused_ruler);
        if owned_by_workload && !only_refused {
            out.insert(id, object);
        }
    }
    Ok(out)
}

/// How the reference words a refusal for a custom governing Service that
/// is missing or does not select the workload's pods.
const CUSTOM_SERVICE: &str = "custom governing service ";

/// `<ns>__<name>.thanos-ruler.error`: the reference refused the ThanosRuler.
fn refused_ruler_file(namespace: &str, name: &Value) -> String {
    format!(
        "{namespace}__{}.thanos-ruler.error",
        name.as_str().unwrap_or_default()
    )
}

/// promop's objects of every workload of the scenario, as `promop render
/// --objects --show-secrets` prints them: the desired states the operator
/// applies, as manifests.
fn promop_objects(
    scenario: &Scenario,
    objects_dir: &Path,
    failures: &mut Vec<String>,
) -> Result<Vec<Value>> {
    // The apiserver refuses owner references without UID; any UID does.
    let mut snapshot = Loaded::objects(&scenario.id, &scenario.manifests())?.snapshot;
    for (i, p) in snapshot.prometheuses.iter_mut().enumerate() {
        p.metadata.uid = Some(format!("00000000-0000-0000-0000-{i:012}"));
    }
    for (i, a) in snapshot.prometheus_agents.iter_mut().enumerate() {
        a.metadata.uid = Some(format!("00000000-0000-0000-0001-{i:012}"));
    }
    for (i, a) in snapshot.alertmanagers.iter_mut().enumerate() {
        a.metadata.uid = Some(format!("00000000-0000-0000-0002-{i:012}"));
    }
    for (i, r) in snapshot.thanos_rulers.iter_mut().enumerate() {
        r.metadata.uid = Some(format!("00000000-0000-0000-0004-{i:012}"));
    }
    // Rule files are named after their PrometheusRule's UID.
    for (i, r) in snapshot.prometheus_rules.iter_mut().enumerate() {
        r.metadata.uid = Some(format!("00000000-0000-0000-0003-{i:012}"));
    }
    // The flags the reference ran with (its feature gates).
    let options = promop_operator::Options::from_args(REFERENCE_FLAGS)?.operator_options();
    let all = WatchedNamespaces::all();
    let mut manifests = Manifests::default();
    let servers = snapshot.prometheuses.iter().map(Workload::Prometheus);
    for workload in servers.chain(snapshot.prometheus_agents.iter().map(Workload::Agent)) {
        // Where the reference generates no configuration it writes nothing else.
        match prometheus_state(&snapshot, workload, &ScrapeScope::default(), &options) {
            Ok(state) => manifests.add_prometheus(&state)?,
            Err(StateError::Pipeline(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for am in &snapshot.alertmanagers {
        match alertmanager_state(&snapshot, am, &all, &options) {
            Ok(state) => manifests.add_alertmanager(&state)?,
            Err(StateError::Pipeline(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // The operator leaves a paused ruler alone (it writes nothing).
    let active = snapshot
        .thanos_rulers
        .iter()
        .filter(|r| r.spec.paused != Some(true));
    for ruler in active {
        let namespace = ruler.metadata.namespace.as_deref().unwrap_or_default();
        let name = ruler.metadata.name.as_deref().unwrap_or_default();
        let refusal = objects_dir
            .parent()
            .map(|d| d.join(refused_ruler_file(namespace, &Value::from(name))))
            .and_then(|f| std::fs::read_to_string(f).ok());
        match (
            thanos_ruler_state(&snapshot, ruler, &all, &options),
            refusal,
        ) {
            (Ok(state), None) => manifests.add_thanos_ruler(&state)?,
            (Err(_), Some(_)) => {}
            // The custom Service is checked by the running operator, which
            // reads it (operator_differential); the objects are not built
            // from it.
            (Ok(_), Some(why)) if why.starts_with(CUSTOM_SERVICE) => {}
            (Ok(_), Some(why)) => failures.push(format!(
                "{}: promop accepts ThanosRuler {namespace}/{name}, the reference refuses it: {}",
                scenario.id,
                why.trim()
            )),
            (Err(e), None) => failures.push(format!(
                "{}: promop refuses ThanosRuler {namespace}/{name}, the reference accepts it: {e}",
                scenario.id
            )),
        }
    }
    Ok(manifests.into_values(true)?)
}

/// Whether `key` is a rule ConfigMap of a Prometheus that got no
/// configuration (`<ns>__<name>.error` next to the objects): the reference
/// writes those before it fails, promop writes nothing for such a workload
/// (`conformance/known-object-differences.md`).
fn rules_of_failed_workload(objects_dir: &Path, key: &str) -> bool {
    let Some(rest) = key.strip_prefix("ConfigMap__") else {
        return false;
    };
    let Some((namespace, name)) = rest.split_once("__") else {
        return false;
    };
    let Some(workload) = name
        .strip_prefix("prometheus-")
        .and_then(|n| n.rsplit_once("-rulefiles-"))
        .map(|(workload, _)| workload)
    else {
        return false;
    };
    let error = format!("{namespace}__{workload}.error");
    objects_dir
        .parent()
        .is_some_and(|dir| dir.join(error).is_file())
}

/// The object as the apiserver would store it, normalized.
async fn dry_run<K>(client: &Client, object: Value) -> Result<(String, Value)>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let object: K = serde_json::from_value(object)?;
    let kind = K::kind(&K::DynamicType::default()).to_string();
    let namespace = object.meta().namespace.clone().unwrap_or_default();
    let name = object.meta().name.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(client.clone(), &namespace);
    let params = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let created = api
        .create(&params, &object)
        .await
        .with_context(|| format!("dry-run create of {kind} {namespace}/{name}"))?;
    let mut value = serde_json::to_value(&created)?;
    if let Value::Object(map) = &mut value {
        map.insert("kind".into(), Value::String(kind.clone()));
        map.insert(
            "apiVersion".into(),
            Value::String(K::api_version(&K::DynamicType::default()).into()),
        );
    }
    Ok((object_id(&kind, &namespace, &name), normalize(value)?))
}

async fn create_namespace(client: &Client, name: &str) -> Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    let mut ns = Namespace::default();
    ns.metadata.name = Some(name.to_owned());
    match api.create(&PostParams::default(), &ns).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promop_objects_match_the_reference() -> Result<()> {
    let scenarios = scenarios()?;
    assert!(
        !scenarios.is_empty(),
        "no selected scenario has expected objects (PROMOP_SCENARIO, conformance/regenerate)"
    );
    let env = TestEnv::start()
        .await
        .context("test bed (run testenv/install.sh first)")?;
    let client = env.client();
    let exemptions = Exemptions::load()?;
    // family → (identical, different) objects and scenarios
    let mut table: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    let mut failures = Vec::new();
    for (scenario, objects_dir) in &scenarios {
        let id = &scenario.id;
        let family = id.split('/').next().unwrap_or_default().to_owned();
        let expected = expected(objects_dir)?;
        if expected.is_empty() {
            continue; // only ThanosRuler objects
        }
        let objects = promop_objects(scenario, objects_dir, &mut failures)?;
        let mut namespaces: Vec<String> = objects
            .iter()
            .filter_map(|o| o["metadata"]["namespace"].as_str().map(str::to_owned))
            .chain(
                expected
                    .keys()
                    .filter_map(|k| k.split("__").nth(1).map(str::to_owned)),
            )
            .collect();
        namespaces.sort();
        namespaces.dedup();
        for ns in &namespaces {
            create_namespace(&client, ns).await?;
        }
        let mut actual = BTreeMap::new();
        for object in objects {
            let (id, value) = match object["kind"].as_str() {
                Some("Secret") => dry_run::<Secret>(&client, object).await?,
                Some("Service") => dry_run::<Service>(&client, object).await?,
                Some("StatefulSet") => dry_run::<StatefulSet>(&client, object).await?,
                Some("DaemonSet") => dry_run::<DaemonSet>(&client, object).await?,
                Some("ConfigMap") => dry_run::<ConfigMap>(&client, object).await?,
                other => anyhow::bail!("{id}: render printed an object of kind {other:?}"),
            };
            actual.insert(id, value);
        }
        let mut scenario_ok = true;
        let counts = table.entry(family).or_default();
        for key in expected
            .keys()
            .chain(actual.keys().filter(|k| !expected.contains_key(*k)))
        {
            let diff = match (expected.get(key), actual.get(key)) {
                (Some(e), Some(a)) => exemptions.differences(id, key, e, a),
                (Some(_), None) if rules_of_failed_workload(objects_dir, key) => continue,
                (Some(_), None) => vec!["missing in promop's objects".to_owned()],
                (None, _) => vec!["not written by the reference".to_owned()],
            };
            if diff.is_empty() {
                counts[0] += 1;
            } else {
                counts[1] += 1;
                scenario_ok = false;
                let detail: Vec<String> = diff
                    .iter()
                    .take(6)
                    .map(|p| {
                        let at = |v: Option<&Value>| {
                            v.and_then(|v| v.pointer(p))
                                .map_or("-".to_owned(), |x| x.to_string())
                        };
                        format!(
                            "{p}: reference {} promop {}",
                            at(expected.get(key)),
                            at(actual.get(key))
                        )
                    })
                    .collect();
                failures.push(format!("{id} {key}:\n    {}", detail.join("\n    ")));
            }
        }
        counts[if scenario_ok { 2 } else { 3 }] += 1;
    }
    println!(
        "{:<28} {:>9} {:>9} {:>11} {:>11}",
        "family", "identical", "different", "scen. ident", "scen. diff"
    );
    let mut total = [0; 4];
    for (family, c) in &table {
        println!(
            "{family:<28} {:>9} {:>9} {:>11} {:>11}",
            c[0], c[1], c[2], c[3]
        );
        for (t, v) in total.iter_mut().zip(c) {
            *t += v;
        }
    }
    println!(
        "{:<28} {:>9} {:>9} {:>11} {:>11}",
        "total", total[0], total[1], total[2], total[3]
    );
    assert!(
        failures.is_empty(),
        "{} objects differ from the reference's (list a deliberate difference in \
         conformance/known-object-differences.md):\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}
