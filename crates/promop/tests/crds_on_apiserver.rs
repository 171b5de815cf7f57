//! Our CRDs against the reference's on a real kube-apiserver: every upstream
//! example, every maximal fixture, and variants of them that break one
//! validation each (enum, pattern, minimum, required field), are accepted
//! under our CRDs exactly when they are under upstream's, and the object the
//! API server would store (after defaulting and pruning) is identical, and
//! equal to promop's offline defaulting.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::{Api, Client};
use promop_testenv::{TestEnv, install_crds, parse_yaml_documents, upstream_dir};
use serde_json::Value;

/// Objects to try: (name for messages, object).
fn inputs() -> Vec<(String, Value)> {
    let mut files = Vec::new();
    let example = upstream_dir().join("example");
    collect_yaml(&example, &mut files);
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../promop-api/tests/fixtures/maximal");
    collect_yaml(&fixtures, &mut files);
    let is_maximal = |f: &Path| f.starts_with(&fixtures);
    let mut out = Vec::new();
    for file in files
        .iter()
        .filter(|f| !f.to_string_lossy().contains("-crd"))
    {
        let text = std::fs::read_to_string(file).expect("readable fixture");
        let docs = parse_yaml_documents(&text).expect("fixture parses");
        for (i, doc) in docs.into_iter().enumerate() {
            let group = doc["apiVersion"].as_str().unwrap_or_default();
            if group.starts_with("monitoring.coreos.com/") {
                let prefix = if is_maximal(file) {
                    "maximal:"
                } else {
                    "example:"
                };
                let name = format!(
                    "{prefix}{}#{i}",
                    file.file_name().unwrap_or_default().to_string_lossy()
                );
                out.push((name, doc));
            }
        }
    }
    out
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

/// The schema of `apiVersion`/`kind` in upstream's CRDs, to derive invalid variants.
fn upstream_schemas() -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    let dir = upstream_dir().join("example/prometheus-operator-crd-full");
    let mut files = Vec::new();
    collect_yaml(&dir, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).expect("CRD file");
        for crd in parse_yaml_documents(&text).expect("CRD parses") {
            let group = crd["spec"]["group"].as_str().unwrap_or_default().to_owned();
            let kind = crd["spec"]["names"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
                let api_version =
                    format!("{group}/{}", version["name"].as_str().unwrap_or_default());
                let schema = version["schema"]["openAPIV3Schema"].clone();
                out.insert((api_version, kind.clone()), schema);
            }
        }
    }
    out
}

/// Variants of `object` that each break one validation of `schema`.
fn invalid_variants(object: &Value, schema: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    walk(
        object,
        schema,
        &mut Vec::new(),
        &mut |path, value, schema| {
            let mut broken = Vec::new();
            if schema.get("enum").is_some() {
                broken.push(("enum", Value::from("not-an-allowed-value")));
            }
            if schema.get("pattern").is_some() && value.is_string() {
                broken.push(("pattern", Value::from(" does not match ")));
            }
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                broken.push(("minimum", Value::from(min as i64 - 1)));
            }
            if schema.get("type").and_then(Value::as_str) == Some("integer") {
                broken.push(("type", Value::from("not-a-number")));
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                if let (Some(field), Value::Object(map)) = (required.as_str(), value)
                    && map.contains_key(field)
                {
                    let mut without = map.clone();
                    without.remove(field);
                    broken.push(("required", Value::Object(without)));
                }
            }
            for (what, replacement) in broken {
                let mut variant = object.clone();
                if let Some(slot) = variant.pointer_mut(&pointer(path)) {
                    *slot = replacement;
                    out.push((format!("{what} at /{}", path.join("/")), variant));
                }
            }
        },
    );
    out
}

fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn walk(
    value: &Value,
    schema: &Value,
    path: &mut Vec<String>,
    f: &mut dyn FnMut(&[String], &Value, &Value),
) {
    if path.first().is_some_and(|p| p == "spec") {
        f(path, value, schema);
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let sub = schema["properties"]
                    .get(key)
                    .or_else(|| schema.get("additionalProperties"));
                if let Some(sub) = sub.filter(|s| s.is_object()) {
                    path.push(key.clone());
                    walk(child, sub, path, f);
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            // The first item is enough to exercise the item schema.
            if let (Some(child), Some(sub)) = (items.first(), schema.get("items")) {
                path.push("0".into());
                walk(child, sub, path, f);
                path.pop();
            }
        }
        _ => {}
    }
}

/// What the API server answers to a dry-run server-side apply: the stored
/// object's spec, or the rejection.
async fn dry_run(client: &Client, object: &Value) -> Result<Value, String> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind = object["kind"].as_str().unwrap_or_default();
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let name = object["metadata"]["name"].as_str().unwrap_or("unnamed");
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    let params = PatchParams::apply("promop-crd-test").force().dry_run();
    match api.patch(name, &params, &Patch::Apply(object)).await {
        Ok(stored) => Ok(stored.data["spec"].clone()),
        // Schema violations are 422; type mismatches fail earlier, when the
        // apply patch is typed against the schema (500).
        Err(kube::Error::Api(status)) if matches!(status.code, 400 | 422 | 500) => {
            Err(status.message)
        }
        Err(other) => panic!("{kind} {namespace}/{name}: unexpected API error: {other}"),
    }
}

async fn create_namespace(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match api.create(&PostParams::default(), &namespace).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(e) => panic!("creating namespace {name}: {e}"),
    }
}

async fn env_with_crds(dir: &Path) -> TestEnv {
    let env = TestEnv::start()
        .await
        .expect("test bed starts (run testenv/install.sh)");
    install_crds(&env.client(), dir)
        .await
        .expect("CRDs install");
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_crds_accept_and_default_like_upstream() {
    let ours = tempfile::tempdir().expect("temp dir");
    for crd in promop_api::crd::all() {
        let name = format!("{}.yaml", crd.spec.names.plural);
        let yaml = serde_saphyr::to_string(&crd).expect("CRD as YAML");
        std::fs::write(ours.path().join(name), yaml).expect("write CRD");
    }
    let upstream_env =
        env_with_crds(&upstream_dir().join("example/prometheus-operator-crd-full")).await;
    let our_env = env_with_crds(ours.path()).await;

    let schemas = upstream_schemas();
    let mut cases = Vec::new();
    for (name, object) in inputs() {
        let key = (
            object["apiVersion"].as_str().unwrap_or_default().to_owned(),
            object["kind"].as_str().unwrap_or_default().to_owned(),
        );
        if let Some(schema) = schemas.get(&key) {
            for (what, variant) in invalid_variants(&object, schema) {
                cases.push((format!("{name} ({what})"), variant));
            }
        }
        cases.push((name, object));
    }

    let namespaces: std::collections::BTreeSet<&str> = cases
        .iter()
        .filter_map(|(_, o)| o["metadata"]["namespace"].as_str())
        .collect();
    for env in [&upstream_env, &our_env] {
        for namespace in &namespaces {
            create_namespace(&env.client(), namespace).await;
        }
    }

    let (mut accepted, mut rejected, mut mismatches) = (0, 0, Vec::new());
    let mut refused_offline = 0;
    let maximal: Vec<&str> = cases
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| name.starts_with("maximal:") && !name.contains(" ("))
        .collect();
    assert!(maximal.len() >= 11, "maximal fixtures missing: {maximal:?}");
    for (name, object) in &cases {
        let theirs = dry_run(&upstream_env.client(), object).await;
        let mine = dry_run(&our_env.client(), object).await;
        if maximal.contains(&name.as_str()) && theirs.is_err() {
            // A maximal fixture is meant to be valid: it exercises every field.
            mismatches.push(format!("{name}: upstream rejects it: {theirs:?}"));
        }
        match (&theirs, &mine) {
            (Ok(a), Ok(b)) if a == b => {
                // Offline defaulting (`promop render`) must give what the API server stores.
                // (v1beta1 AlertmanagerConfigs are stored as v1alpha1: without the
                // reference's conversion webhook the API server drops the fields
                // v1alpha1 lacks, which a real cluster would convert.)
                let mut offline = object.clone();
                promop_api::crd::apply_defaults(&mut offline);
                let converted = object["apiVersion"] == "monitoring.coreos.com/v1beta1";
                // No false alarm: what the API server accepts, offline validation accepts.
                let refused = promop_api::crd::validate(&offline).unwrap_or_default();
                if !refused.is_empty() {
                    mismatches.push(format!(
                        "{name}: accepted, but refused offline: {refused:?}"
                    ));
                }
                if converted || offline["spec"] == *a {
                    accepted += 1;
                } else {
                    mismatches.push(format!(
                        "{name}: offline defaulting differs\n  apiserver: {a}\n  offline:   {}",
                        offline["spec"]
                    ));
                }
            }
            (Err(_), Err(_)) => {
                rejected += 1;
                let mut offline = object.clone();
                promop_api::crd::apply_defaults(&mut offline);
                if promop_api::crd::validate(&offline).is_some_and(|v| !v.is_empty()) {
                    refused_offline += 1;
                }
            }
            _ => mismatches.push(format!(
                "{name}:\n  upstream: {theirs:?}\n  ours:     {mine:?}"
            )),
        }
    }
    println!(
        "{} cases: {accepted} accepted by both, {rejected} rejected by both \
         ({refused_offline} of them refused by offline validation too), {} differ",
        cases.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} cases differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // Only CEL rules are not evaluated offline.
    assert!(
        refused_offline * 100 >= rejected * 99,
        "offline validation caught only {refused_offline} of {rejected} rejections"
    );
    assert!(
        accepted >= 20 && rejected >= 100,
        "too few cases: {accepted} accepted, {rejected} rejected"
    );
}
