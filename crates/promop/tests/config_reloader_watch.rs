//! `promop config-reloader`'s watch mode on the test bed: the config Secret
//! and a rule ConfigMap read from a real kube-apiserver with nothing but a
//! Role granting get/list/watch on those two names, written where the
//! server reads them, and a reload POSTed at once after each change. The
//! update → reload latency is printed (not asserted).
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use promop_testenv::{
    ManagedProcess, ScratchDir, TestEnv, WebhookSink, apply_manifests, free_port,
};
use serde_json::json;

mod reloader;

const NS: &str = "monitoring";
const SECRET: &str = "prometheus-main";
const RULES: &str = "prometheus-main-rulefiles-0";

/// The pod's ServiceAccount may read its own config Secret and rule
/// ConfigMap, and nothing else.
const RBAC: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: prometheus-main, namespace: monitoring}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: prometheus-main-config-reloader, namespace: monitoring}
rules:
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [prometheus-main]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [prometheus-main-rulefiles-0]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: prometheus-main-config-reloader, namespace: monitoring}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: prometheus-main-config-reloader}
subjects:
- {kind: ServiceAccount, name: prometheus-main, namespace: monitoring}
"#;

fn config(version: usize) -> String {
    format!(
        "global:\n  external_labels:\n    prometheus_replica: $(POD_NAME)\n    version: '{version}'\n"
    )
}

fn gzip(text: &str) -> Result<ByteString> {
    reloader::gzip(text).map(ByteString)
}

fn secret(version: usize) -> Result<Secret> {
    Ok(Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(SECRET.into()),
            namespace: Some(NS.into()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            "prometheus.yaml.gz".to_owned(),
            gzip(&config(version))?,
        )])),
        ..Secret::default()
    })
}

fn expected(version: usize) -> String {
    config(version).replace("$(POD_NAME)", "prometheus-main-0")
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) -> Result<Duration> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if check() {
            return Ok(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("after 30 s: {what}")
}

/// The time from sending `update` to the next reload POST.
async fn timed_reload<T>(
    sink: &WebhookSink,
    update: impl Future<Output = kube::Result<T>>,
) -> Result<Duration> {
    let reloads = sink.requests().len();
    let start = Instant::now();
    update.await?;
    wait_for("a reload after the update", || {
        sink.requests().len() > reloads
    })
    .await?;
    Ok(start.elapsed())
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_mode_writes_and_reloads_on_secret_and_configmap_changes() -> Result<()> {
    let params = PatchParams::default();
    let env = TestEnv::start().await?;
    let client = env.client();
    apply_manifests(&client, RBAC).await?;
    let secrets = Api::<Secret>::namespaced(client.clone(), NS);
    let configmaps = Api::<ConfigMap>::namespaced(client.clone(), NS);
    secrets.create(&PostParams::default(), &secret(1)?).await?;
    let rules = ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(RULES.into()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            "a.yaml".to_owned(),
            "groups: []\n".to_owned(),
        )])),
        ..ConfigMap::default()
    };
    configmaps.create(&PostParams::default(), &rules).await?;
    let kubeconfig = env
        .service_account_kubeconfig(NS, "prometheus-main")
        .await?;

    let dir = ScratchDir::new("reloader-watch-")?;
    let out = dir.path().join("config_out/prometheus.env.yaml");
    let rules_dir = dir.path().join("rules/prometheus-main-rulefiles-0");
    std::fs::create_dir_all(out.parent().context("parent")?)?;
    let sink = WebhookSink::start().await?;
    let args = |extra: &[&str]| {
        let mut cmd = reloader::command();
        cmd.args(extra)
            .arg(format!("--kubeconfig={}", kubeconfig.display()))
            .arg(format!("--watch-secret={NS}/{SECRET}"))
            .arg(format!(
                "--watch-configmap={NS}/{RULES}={}",
                rules_dir.display()
            ))
            .arg(format!("--config-envsubst-file={}", out.display()))
            .arg(format!("--reload-url=http://{}/-/reload", sink.addr()));
        cmd
    };

    // The init container: the files once, no reload.
    let mut init = args(&["--watch-interval=0"]);
    let status = tokio::task::spawn_blocking(move || init.output()).await??;
    ensure!(status.status.success(), "init: {status:?}");
    ensure!(read(&out) == expected(1), "init wrote {:?}", read(&out));
    ensure!(
        files(&rules_dir) == ["a.yaml"],
        "init: {:?}",
        files(&rules_dir)
    );
    ensure!(sink.requests().is_empty(), "init reloaded");
    std::fs::remove_file(&out)?;
    std::fs::remove_dir_all(&rules_dir)?;

    let listen = free_port()?;
    let reloader = ManagedProcess::spawn(
        "promop config-reloader",
        args(&[&format!("--listen-address=127.0.0.1:{listen}")]),
        &dir.path().join("reloader.log"),
    )?;
    let logs = || reloader.logs();
    wait_for("first reload", || sink.requests().len() == 1)
        .await
        .with_context(logs)?;
    ensure!(read(&out) == expected(1), "{:?}\n{}", read(&out), logs());
    ensure!(files(&rules_dir) == ["a.yaml"], "{:?}", files(&rules_dir));

    // Secret updates: each one written and reloaded, timed from the update.
    let mut latencies = Vec::new();
    for version in 2..=21 {
        let patch = json!({"data": {"prometheus.yaml.gz": gzip(&config(version))?}});
        let patch = Patch::Merge(&patch);
        let update = secrets.patch(SECRET, &params, &patch);
        latencies.push(timed_reload(&sink, update).await.with_context(logs)?);
        ensure!(read(&out) == expected(version), "{:?}", read(&out));
    }
    ensure!(
        sink.requests().len() == 21,
        "one reload per update: {}",
        sink.requests().len()
    );

    // A rule file replaced by another: the directory mirrors the ConfigMap.
    let patch = json!({"data": {"a.yaml": null, "b.yaml": "groups: [{name: b, rules: []}]\n"}});
    let patch = Patch::Merge(&patch);
    let update = configmaps.patch(RULES, &params, &patch);
    let rule_latency = timed_reload(&sink, update).await.with_context(logs)?;
    ensure!(files(&rules_dir) == ["b.yaml"], "{:?}", files(&rules_dir));

    latencies.sort();
    eprintln!(
        "watch mode, Secret update → reload POST over {} updates: p50 {:?}, p99 {:?}, max {:?}; ConfigMap update → reload {rule_latency:?}",
        latencies.len(),
        reloader::percentile(&latencies, 50),
        reloader::percentile(&latencies, 99),
        latencies[latencies.len() - 1],
    );
    let metrics = tokio::process::Command::new("curl")
        .args(["-sf", &format!("http://127.0.0.1:{listen}/metrics")])
        .output()
        .await?;
    let metrics = String::from_utf8(metrics.stdout)?;
    ensure!(metrics.contains("reloader_reloads_total 22"), "{metrics}");
    Ok(())
}
