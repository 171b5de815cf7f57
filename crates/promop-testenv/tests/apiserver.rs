//! The local kube-apiserver: answers `/version`, accepts the upstream CRDs
//! and every object of the upstream user guides (server-side apply).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{Patch, PatchParams};
use promop_testenv::{TestEnv, apply_manifests, install_crds, parse_yaml_documents, upstream_dir};
use serde_json::json;

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(yaml_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[tokio::test]
async fn apiserver_accepts_upstream_crds_and_user_guides() -> Result<()> {
    let t0 = Instant::now();
    let env = TestEnv::start().await?;
    let client = env.client();
    let started = t0.elapsed();

    let version = client.apiserver_version().await?;
    ensure!(version.major == "1", "{version:?}");
    eprintln!(
        "kube-apiserver {} started in {started:?}",
        version.git_version
    );

    let crds = install_crds(
        &client,
        &upstream_dir().join("example/prometheus-operator-crd"),
    )
    .await?;
    ensure!(crds.len() == 10, "{crds:?}");
    ensure!(crds.contains(&"prometheuses.monitoring.coreos.com".to_owned()));
    eprintln!("CRDs established after {:?}", t0.elapsed());

    let guides = upstream_dir().join("example/user-guides");
    let mut applied = 0;
    let mut not_objects = Vec::new();
    let mut unnamed = Vec::new();
    let mut rejected = Vec::new();
    for file in yaml_files(&guides)? {
        let text = std::fs::read_to_string(&file)?;
        let rel = file.strip_prefix(&guides)?.display().to_string();
        // alerting/alertmanager.yaml is an Alertmanager configuration file,
        // not a Kubernetes object.
        let docs = parse_yaml_documents(&text)?;
        if docs.iter().all(|d| d.get("kind").is_none()) {
            not_objects.push(rel);
            continue;
        }
        // The scrapeclass examples are snippets without metadata.name: name
        // them after their file (JSON is YAML, so they can go through
        // apply_manifests as they are otherwise).
        let mut text_to_apply = String::new();
        for mut doc in docs.clone() {
            if doc.pointer("/metadata/name").is_none() {
                let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
                doc.as_object_mut()
                    .context("document is not a mapping")?
                    .entry("metadata")
                    .or_insert_with(|| json!({}))["name"] = json!(stem);
                unnamed.push(rel.clone());
            }
            text_to_apply.push_str(&serde_json::to_string(&doc)?);
            text_to_apply.push_str("\n---\n");
        }
        match apply_manifests(&client, &text_to_apply).await {
            Ok(objs) => {
                ensure!(
                    objs.len() == docs.len(),
                    "{rel}: {} of {}",
                    objs.len(),
                    docs.len()
                );
                applied += objs.len();
            }
            Err(e) => rejected.push((rel, format!("{e:#}"))),
        }
    }
    eprintln!("named after their file: {unnamed:?}");
    // The upstream scrapeclass PodMonitor/ServiceMonitor snippets have no
    // spec.selector, which the upstream CRDs require: the apiserver enforces
    // the schema.
    let rejected_files: Vec<&str> = rejected.iter().map(|(f, _)| f.as_str()).collect();
    ensure!(
        rejected_files
            == [
                "scrapeclass/scrapeclass-example-podmonitor.yaml",
                "scrapeclass/scrapeclass-example-servicemonitor.yaml"
            ]
            && rejected
                .iter()
                .all(|(_, e)| e.contains("spec.selector: Required value")),
        "unexpected rejections: {rejected:#?}"
    );
    ensure!(applied == 18, "{applied} objects applied, expected 18");
    ensure!(
        not_objects == ["alerting/alertmanager.yaml"],
        "{not_objects:?}"
    );

    // Pods can be created without a ServiceAccount controller, and their
    // status (the kubelet's part) can be set by the test.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "testenv-pod", "labels": {"app": "testenv"}},
        "spec": {"containers": [{"name": "c", "image": "example.invalid/none"}]}
    });
    let pp = PatchParams::apply(promop_testenv::FIELD_MANAGER).force();
    pods.patch("testenv-pod", &pp, &Patch::Apply(&pod)).await?;
    let status = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "testenv-pod"},
        "status": {"phase": "Running", "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}]}
    });
    pods.patch_status("testenv-pod", &pp, &Patch::Apply(&status))
        .await?;
    let got = pods.get("testenv-pod").await?;
    ensure!(got.status.and_then(|s| s.pod_ip).as_deref() == Some("127.0.0.1"));

    eprintln!(
        "{applied} user-guide objects applied; total {:?}",
        t0.elapsed()
    );
    Ok(())
}
