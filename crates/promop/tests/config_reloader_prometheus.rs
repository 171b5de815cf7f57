//! `promop config-reloader` with a real Prometheus (v3) behind it: in
//! watch mode, a config Secret update on the test bed's API server is what
//! Prometheus serves (`/api/v1/status/config`) moments later, and a rule
//! ConfigMap's group is loaded; with `--reload-method=signal`, a SIGHUP
//! confirmed through `/api/v1/status/runtimeinfo`. Latencies are printed
//! (not asserted).
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use promop_testenv::{
    ManagedProcess, PrometheusApi, PrometheusProcess, PrometheusVersion, ScratchDir, TestEnv,
    binary, free_port,
};
use serde_json::json;

mod reloader;

const NS: &str = "default";

fn config(version: usize, rules_dir: &Path) -> String {
    format!(
        "global:\n  external_labels:\n    replica: $(POD_NAME)\n    version: 'v{version}'\nrule_files:\n- {}/*.yaml\n",
        rules_dir.display()
    )
}

fn gzip(text: &str) -> Result<ByteString> {
    reloader::gzip(text).map(ByteString)
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(NS.into()),
        ..ObjectMeta::default()
    }
}

/// Polls Prometheus' loaded config every 5 ms until it contains `needle`.
async fn until_serving(api: &PrometheusApi, needle: &str, logs: impl Fn() -> String) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if api.loaded_config().await.is_ok_and(|c| c.contains(needle)) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bail!(
        "Prometheus does not serve {needle:?} after 30 s\n{}",
        logs()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_mode_change_reaches_a_real_prometheus() -> Result<()> {
    let env = TestEnv::start().await?;
    let client = env.client();
    let dir = ScratchDir::new("reloader-prometheus-")?;
    let rules_dir = dir.path().join("rules");
    let secrets = Api::<Secret>::namespaced(client.clone(), NS);
    let configmaps = Api::<ConfigMap>::namespaced(client.clone(), NS);
    let secret = Secret {
        metadata: meta("prometheus-main"),
        data: Some(BTreeMap::from([(
            "prometheus.yaml.gz".to_owned(),
            gzip(&config(1, &rules_dir))?,
        )])),
        ..Secret::default()
    };
    secrets.create(&PostParams::default(), &secret).await?;
    let rules = ConfigMap {
        metadata: meta("prometheus-main-rulefiles-0"),
        data: Some(BTreeMap::from([(
            "default-a.yaml".to_owned(),
            "groups: [{name: a, rules: [{record: a, expr: vector(1)}]}]\n".to_owned(),
        )])),
        ..ConfigMap::default()
    };
    configmaps.create(&PostParams::default(), &rules).await?;

    let prometheus = PrometheusProcess::start(PrometheusVersion::V3, "global: {}\n", &[]).await?;
    let mut reloader = reloader::command();
    reloader
        .arg(format!("--kubeconfig={}", env.kubeconfig_path().display()))
        .arg(format!("--watch-secret={NS}/prometheus-main"))
        .arg(format!(
            "--watch-configmap={NS}/prometheus-main-rulefiles-0={}",
            rules_dir.display()
        ))
        .arg(format!(
            "--config-envsubst-file={}",
            prometheus.config_path().display()
        ))
        .arg(format!("--reload-url={}/-/reload", prometheus.url()));
    let reloader = reloader::spawn(reloader, dir.path())?;
    let logs = || format!("{}\n{}", reloader.logs(), prometheus.logs());
    until_serving(&prometheus, "version: v1", logs).await?;
    ensure!(
        prometheus
            .loaded_config()
            .await?
            .contains("replica: prometheus-main-0"),
        "expanded"
    );

    let params = PatchParams::default();
    let mut latencies = Vec::new();
    for version in 2..=21 {
        let patch = json!({"data": {"prometheus.yaml.gz": gzip(&config(version, &rules_dir))?}});
        let start = Instant::now();
        secrets
            .patch("prometheus-main", &params, &Patch::Merge(&patch))
            .await?;
        until_serving(&prometheus, &format!("version: v{version}\n"), logs).await?;
        latencies.push(start.elapsed());
    }
    latencies.sort();
    eprintln!(
        "watch mode, Secret update → Prometheus serving it, {} updates: p50 {:?}, p99 {:?}",
        latencies.len(),
        reloader::percentile(&latencies, 50),
        reloader::percentile(&latencies, 99),
    );

    let patch = json!({"data": {"default-b.yaml": "groups: [{name: b, rules: [{record: b, expr: vector(2)}]}]\n"}});
    let start = Instant::now();
    configmaps
        .patch(
            "prometheus-main-rulefiles-0",
            &params,
            &Patch::Merge(&patch),
        )
        .await?;
    loop {
        let groups = prometheus.rules().await?.to_string();
        if groups.contains(r#""name":"b""#) && groups.contains(r#""name":"a""#) {
            break;
        }
        ensure!(
            start.elapsed() < Duration::from_secs(30),
            "group b not loaded: {groups}\n{}",
            logs()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!(
        "watch mode, rule ConfigMap update → rule group loaded: {:?}; reloader peak memory {} (this build)",
        start.elapsed(),
        reloader::peak_memory(&reloader)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn signal_method_reloads_a_real_prometheus() -> Result<()> {
    let dir = ScratchDir::new("reloader-signal-")?;
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir_all(&rules_dir)?;
    let input = dir.path().join("prometheus.yaml");
    let output = dir.path().join("prometheus.env.yaml");
    std::fs::write(&input, config(1, &rules_dir))?;
    std::fs::write(&output, config(1, &rules_dir))?;
    // A name of its own, so that no other Prometheus on the machine gets
    // the signal (the kernel names a process after the path it runs).
    let name = format!("promsig{}", std::process::id() % 100_000);
    let link = dir.path().join(&name);
    std::os::unix::fs::symlink(binary(PrometheusVersion::V3.binary())?, &link)?;
    let port = free_port()?;
    let api = PrometheusApi::new(format!("http://127.0.0.1:{port}"));
    let mut cmd = Command::new(&link);
    cmd.arg(format!("--config.file={}", output.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let mut prometheus = ManagedProcess::spawn(&name, cmd, &dir.path().join("prometheus.log"))?;
    prometheus
        .wait_ready(Duration::from_secs(30), || async {
            api.api_get("status/runtimeinfo").await.map(drop)
        })
        .await?;

    let mut reloader = reloader::command();
    reloader
        .arg("--reload-method=signal")
        .arg(format!("--process-executable-name={name}"))
        .arg(format!(
            "--runtimeinfo-url={}/api/v1/status/runtimeinfo",
            api.url()
        ))
        .arg(format!("--config-file={}", input.display()))
        .arg(format!("--config-envsubst-file={}", output.display()))
        .arg(format!("--watched-dir={}", dir.path().display()))
        .arg("--delay-interval=100ms");
    let reloader = reloader::spawn(reloader, dir.path())?;
    let logs = || format!("{}\n{}", reloader.logs(), prometheus.logs());
    until_serving(&api, "replica: prometheus-main-0", logs).await?;
    // The reloader confirms each reload once Prometheus reports it.
    let confirmed = || reloader.logs().matches("Reload triggered").count();
    let wait_confirmed = |n: usize| async move {
        let start = Instant::now();
        while confirmed() < n {
            ensure!(
                start.elapsed() < Duration::from_secs(30),
                "{} reloads confirmed\n{}",
                confirmed(),
                logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(start.elapsed())
    };
    wait_confirmed(1).await?;

    std::fs::write(&input, config(2, &rules_dir))?;
    let start = Instant::now();
    until_serving(&api, "version: v2", logs).await?;
    let serving = start.elapsed();
    wait_confirmed(2).await?;
    eprintln!(
        "signal method, file change → Prometheus serving it: {serving:?} (--delay-interval=100ms), reload confirmed after {:?}",
        start.elapsed()
    );
    Ok(())
}
