//! promop's Kubernetes objects against the reference's, offline: for every
//! scenario of the corpus with `expected/<family>/<name>/objects/`, the
//! objects of each Prometheus and PrometheusAgent are built from the
//! scenario's manifests (`promop_core::desired::prometheus_objects`, no
//! operator running), sent to a real apiserver as server-side dry-run
//! creates so that it fills in its defaults exactly as it did for the
//! reference's objects, normalized like the stored ones, and compared field
//! by field. Fields listed in `conformance/known-object-differences.md` are
//! exempt; any other difference, missing or extra object fails. Rule
//! ConfigMaps (`*-rulefiles-*`) are compared elsewhere.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, Secret, Service};
use kube::api::{Api, PostParams};
use kube::{Client, Resource};
use promop_core::desired::{OperatorOptions, PrometheusObjects, prometheus_objects};
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::prometheus::rules::config_maps;
use promop_core::prometheus::service::merge_owners;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_testenv::TestEnv;
use promop_testenv::corpus::{conformance_dir, load_scenarios};
use promop_testenv::written::{differences, known_object_differences, normalize, object_id};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `(family/name, scenario file, objects dir)` of the scenarios with stored objects.
fn scenarios() -> Result<Vec<(String, PathBuf, PathBuf)>> {
    let root = conformance_dir();
    Ok(load_scenarios(&[])?
        .into_iter()
        .map(|s| {
            let file = root.join("scenarios").join(format!("{}.yaml", s.id));
            let objects = root.join("expected").join(&s.id).join("objects");
            (s.id, file, objects)
        })
        .filter(|(_, _, objects)| objects.is_dir())
        .collect())
}

/// The reference's objects of Prometheus and PrometheusAgent workloads, by
/// `<Kind>__<ns>__<name>`, without the rule ConfigMaps.
fn expected(dir: &Path) -> Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let id = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if id.starts_with("ConfigMap__") && id.contains("-rulefiles-") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let object: Value =
            serde_saphyr::from_str(&text).with_context(|| path.display().to_string())?;
        let owned_by_prometheus = object
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|o| o["kind"] == "Prometheus" || o["kind"] == "PrometheusAgent");
        if owned_by_prometheus {
            out.insert(id, object);
        }
    }
    Ok(out)
}

/// promop's objects of every workload of the scenario; the governing
/// Service is shared, each workload adds itself as owner.
fn promop_objects(id: &str, text: &str) -> Result<(Vec<Secret>, Vec<Service>, Vec<StatefulSet>)> {
    let mut loaded = Loaded::default();
    loaded.add_yaml(id, text, "default", Strictness::ObjectsOnly)?;
    // The apiserver refuses owner references without UID; any UID does.
    let mut snapshot = loaded.snapshot;
    for (i, p) in snapshot.prometheuses.iter_mut().enumerate() {
        p.metadata.uid = Some(format!("00000000-0000-0000-0000-{i:012}"));
    }
    for (i, a) in snapshot.prometheus_agents.iter_mut().enumerate() {
        a.metadata.uid = Some(format!("00000000-0000-0000-0001-{i:012}"));
    }
    let workloads: Vec<Workload<'_>> = snapshot
        .prometheuses
        .iter()
        .map(Workload::Prometheus)
        .chain(snapshot.prometheus_agents.iter().map(Workload::Agent))
        .collect();
    let (mut secrets, mut services, mut sets) = (Vec::new(), Vec::<Service>::new(), Vec::new());
    let options = OperatorOptions::default();
    for workload in workloads {
        // Where the reference generates no configuration it writes nothing else.
        let Ok(output) = prometheus_config(&snapshot, workload, &WatchedNamespaces::all()) else {
            continue;
        };
        let config = promop_core::yaml::to_string(&output.config);
        let rules = config_maps(&snapshot, workload, &output.selection)
            .map(|m| m.names)
            .unwrap_or_default();
        let objects: PrometheusObjects =
            prometheus_objects(&snapshot, workload, &config, &rules, &options)?;
        secrets.extend(objects.secrets().cloned());
        sets.extend(objects.stateful_sets);
        if let Some(service) = objects.service {
            let same = |s: &Service| {
                s.metadata.name == service.metadata.name
                    && s.metadata.namespace == service.metadata.namespace
            };
            match services.iter_mut().find(|s| same(s)) {
                Some(existing) => merge_owners(existing, &service),
                None => services.push(service),
            }
        }
    }
    Ok((secrets, services, sets))
}

/// The object as the apiserver would store it, normalized.
async fn dry_run<K>(client: &Client, object: &K) -> Result<(String, Value)>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let kind = K::kind(&K::DynamicType::default()).to_string();
    let namespace = object.meta().namespace.clone().unwrap_or_default();
    let name = object.meta().name.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(client.clone(), &namespace);
    let params = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let created = api
        .create(&params, object)
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
        "no scenario has expected objects: run conformance/regenerate"
    );
    let env = TestEnv::start()
        .await
        .context("test bed (run testenv/install.sh first)")?;
    let client = env.client();
    let known = known_object_differences()?;
    // family → (identical, different) objects and scenarios
    let mut table: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    let mut failures = Vec::new();
    for (id, file, objects_dir) in &scenarios {
        let family = id.split('/').next().unwrap_or_default().to_owned();
        let text = std::fs::read_to_string(file)?;
        let expected = expected(objects_dir)?;
        if expected.is_empty() {
            continue; // only Alertmanager or ThanosRuler objects
        }
        let (secrets, services, sets) = promop_objects(id, &text)?;
        let mut namespaces: Vec<String> = secrets
            .iter()
            .filter_map(|s| s.metadata.namespace.clone())
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
        for s in &secrets {
            actual.extend([dry_run(&client, s).await?]);
        }
        for s in &services {
            actual.extend([dry_run(&client, s).await?]);
        }
        for s in &sets {
            actual.extend([dry_run(&client, s).await?]);
        }
        let mut scenario_ok = true;
        let counts = table.entry(family).or_default();
        for key in expected
            .keys()
            .chain(actual.keys().filter(|k| !expected.contains_key(*k)))
        {
            let kind = key.split("__").next().unwrap_or_default();
            let exempt: Vec<&str> = known
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| d.pointer.as_str())
                .collect();
            let diff = match (expected.get(key), actual.get(key)) {
                (Some(e), Some(a)) => differences(e, a, &exempt),
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
