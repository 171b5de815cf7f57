//! `promop run` as users start it: its flags (documented, checked, exit 2
//! on bad values), and on the real test bed its web endpoints, leader
//! election across processes, and a graceful SIGTERM that releases the Lease.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use kube::Api;
use promop_testenv::{TestEnv, apply_manifests, upstream_dir};

mod common;
use common::{
    Operator, alertmanager_configs, apply_through_webhook, curl, lease_holder, lease_spec,
};

/// Short durations (same ratios as client-go's 15 s / 10 s / 2 s) keep the
/// takeover test short.
const LEASE_FLAGS: [&str; 3] = [
    "--leader-elect-lease-duration=8s",
    "--leader-elect-renew-deadline=6s",
    "--leader-elect-retry-period=1s",
];
const LEASE_DURATION: Duration = Duration::from_secs(8);
const RETRY_PERIOD: Duration = Duration::from_secs(1);
/// Start-up, scheduling and apiserver latency on a loaded machine.
const SLACK: Duration = Duration::from_secs(10);

fn promop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promop"))
        .args(args)
        .output()
        .expect("running promop")
}

#[test]
fn help_documents_every_flag() {
    let out = promop(&["run", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--kubeconfig",
        "--log-level",
        "--log-format",
        "--namespaces",
        "--deny-namespaces",
        "--prometheus-instance-namespaces",
        "--alertmanager-instance-namespaces",
        "--alertmanager-config-namespaces",
        "--thanos-ruler-instance-namespaces",
        "--prometheus-instance-selector",
        "--secret-field-selector",
        "--secret-label-selector",
        "--configmap-field-selector",
        "--configmap-label-selector",
        "--labels",
        "--annotations",
        "--controller-id",
        "--cluster-domain",
        "--prometheus-config-reloader",
        "--config-reloader-cpu-request",
        "--config-reloader-cpu-limit",
        "--config-reloader-memory-request",
        "--config-reloader-memory-limit",
        "--kubelet-service",
        "--web.listen-address",
        "--web.enable-tls",
        "--web.cert-file",
        "--web.key-file",
        "--webhook.listen-address",
        "--webhook.cert-file",
        "--webhook.key-file",
        "--webhook.tls-min-version",
        "--leader-elect",
        "--leader-election-namespace",
        "--leader-election-id",
        // Every flag of the reference, refused ones included.
        "--web.tls-reload-interval",
        "--web.enable-http2",
        "--web.tls-cipher-suites",
        "--web.tls-curves",
        "--apiserver",
        "--as",
        "--cert-file",
        "--key-file",
        "--ca-file",
        "--tls-insecure",
        "--auto-gomemlimit-ratio",
        "--repair-policy-for-statefulsets",
        "--watch-referenced-objects-in-all-namespaces",
        "--thanos-ruler-instance-selector",
        "--feature-gates",
        "--version",
        "--short-version",
    ] {
        let documented = help.lines().any(|line| {
            line.trim() == flag
                || line.trim_start().starts_with(&format!("{flag} "))
                || line.trim_start().starts_with(&format!("{flag}["))
        });
        assert!(documented, "{flag} is not documented in:\n{help}");
    }
    // The reference's defaults are shown.
    for default in [
        "[default: :8080]",
        "[default: 10m]",
        "[default: 50Mi]",
        "prometheus-config-reloader:v0.94.1",
        "[default: promop]",
    ] {
        assert!(help.contains(default), "{default} missing from:\n{help}");
    }
}

#[test]
fn bad_flag_values_exit_2_with_a_message() {
    for (args, expected) in [
        (
            &["--config-reloader-cpu-request=ten"][..],
            "--config-reloader-cpu-request",
        ),
        (
            &["--secret-label-selector=a=b=c"],
            "--secret-label-selector",
        ),
        (&["--secret-field-selector=type"], "--secret-field-selector"),
        (&["--labels=team"], "invalid key=value pair"),
        (&["--web.listen-address=8080"], "--web.listen-address"),
        // The webhook listener is TLS only: no start without its files.
        (&["--webhook.listen-address=:8443"], "--webhook.cert-file"),
        (&["--webhook.cert-file=tls.crt"], "--webhook.listen-address"),
        (&["--kubelet-service=kube-system"], "namespace/name"),
        (
            &["--namespaces=a", "--deny-namespaces=b"],
            "--deny-namespaces",
        ),
        (&["--feature-gates=NoSuchGate=true"], "unknown feature gate"),
        (&["--leader-elect=maybe"], "--leader-elect"),
        (&["--leader-elect-retry-period=2"], "invalid duration"),
        (
            &["--leader-elect", "--leader-elect-lease-duration=5s"],
            "--leader-elect-renew-deadline",
        ),
        // Less than two retry periods between the renew deadline and the
        // lease's end: two replicas could write at once.
        (
            &["--leader-elect", "--leader-elect-lease-duration=13s"],
            "by at least twice --leader-elect-retry-period",
        ),
        (&["--no-such-flag"], "--no-such-flag"),
        // The reference's flags and gate values promop does not implement.
        (
            &["--repair-policy-for-statefulsets=delete"],
            "--repair-policy-for-statefulsets is not supported",
        ),
        (
            &["--web.enable-http2"],
            "--web.enable-http2 is not supported",
        ),
        (&["--apiserver=https://10.0.0.1"], "--kubeconfig"),
    ] {
        let mut full = vec!["run"];
        full.extend_from_slice(args);
        let out = promop(&full);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: {expected:?} not in: {stderr}"
        );
    }
}

/// A Deployment passing the reference's default values of the flags promop
/// refuses otherwise gets past the flag checks (to the missing kubeconfig).
#[test]
fn the_references_default_values_start() {
    let out = promop(&[
        "run",
        "--web.listen-address=127.0.0.1:0",
        "--kubeconfig=/nonexistent/kubeconfig",
        "--apiserver=",
        "--tls-insecure=false",
        "--auto-gomemlimit-ratio=0",
        "--thanos-ruler-instance-namespaces=",
        "--repair-policy-for-statefulsets=none",
        "--web.enable-http2=false",
        "--web.tls-reload-interval=1m",
        "--feature-gates=PrometheusAgentDaemonSet=false,RemoteWriteCustomResourceDefinition=false",
        "--feature-gates=PrometheusTopologySharding=false,PrometheusShardRetentionPolicy=false",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/kubeconfig"), "{stderr}");
}

/// The reference's `--version` and `--short-version`.
#[test]
fn version_flags_print_the_version() {
    let version = env!("CARGO_PKG_VERSION");
    let out = promop(&["run", "--short-version"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{version}\n"));
    let out = promop(&["run", "--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("promop, version {version}\n")
    );
}

#[test]
fn unreadable_tls_files_stop_the_start() {
    let out = promop(&[
        "run",
        "--web.listen-address=127.0.0.1:0",
        "--web.enable-tls",
        "--web.cert-file=/nonexistent/tls.crt",
        "--web.key-file=/nonexistent/tls.key",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/tls."), "{stderr}");
}

/// The value of an unlabelled sample (or the first sample) of `name`.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| line.starts_with(name) && line[name.len()..].starts_with([' ', '{']))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

/// `promop_prometheus_status_condition` follows a Prometheus' conditions
/// and goes away with it (v0.94's status-condition metrics).
async fn workload_conditions_are_metrics(client: &kube::Client, op: &Operator) -> Result<()> {
    apply_manifests(
        client,
        r#"
apiVersion: v1
kind: Namespace
metadata: {name: conditions}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: conditions}
spec: {serviceMonitorSelector: {}}
"#,
    )
    .await?;
    let series = r#"promop_prometheus_status_condition{name="main",namespace="conditions",condition="Reconciled",status="True"} 1"#;
    let wait_for = |present: bool| async move {
        let start = Instant::now();
        loop {
            let (_, metrics) = op.get("/metrics")?;
            if metrics.contains(series) == present {
                return Ok::<_, anyhow::Error>(());
            }
            ensure!(
                start.elapsed() < 3 * SLACK,
                "{series} present: {}, wanted {present}\n{metrics}",
                !present
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    wait_for(true).await?;
    Api::<promop_api::v1::Prometheus>::namespaced(client.clone(), "conditions")
        .delete("main", &Default::default())
        .await?;
    wait_for(false).await
}

async fn test_bed() -> Result<(TestEnv, tempfile::TempDir)> {
    let env = TestEnv::with_upstream_crds().await?;
    Ok((env, tempfile::tempdir()?))
}

#[tokio::test]
async fn serves_probes_and_metrics_and_releases_its_lease_on_sigterm() -> Result<()> {
    let (env, dir) = test_bed().await?;
    let client = env.client();
    let mut op = Operator::start(
        &env,
        dir.path(),
        "promop-0",
        &[
            "--leader-elect",
            "--leader-election-namespace=default",
            "--leader-election-id=promop-run-test",
        ],
    )?;

    op.wait_status("/healthz", 200, SLACK).await?;
    // Alone, it takes the Lease at once; then it is ready once its caches
    // are synced (a replica still waiting for the Lease is ready at once).
    let start = Instant::now();
    while lease_holder(&client, "promop-run-test").await?.as_deref() != Some("promop-0") {
        ensure!(
            start.elapsed() < SLACK,
            "promop-0 did not take the Lease; log:\n{}",
            op.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    op.wait_status("/readyz", 200, 3 * SLACK).await?;

    let metrics = op.wait_status("/metrics", 200, SLACK).await?;
    ensure!(sample(&metrics, "promop_leader") == Some(1.0), "{metrics}");
    ensure!(
        sample(&metrics, "promop_caches_synced") == Some(1.0),
        "{metrics}"
    );
    ensure!(
        metrics.contains(&format!(
            "promop_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )),
        "{metrics}"
    );
    ensure!(metrics.contains("# TYPE promop_leader gauge"), "{metrics}");
    workload_conditions_are_metrics(&client, &op).await?;

    op.signal(libc::SIGTERM);
    let status = op.wait_exit(SLACK).await?;
    ensure!(
        status.code() == Some(0),
        "exit {status}; log:\n{}",
        op.logs()
    );
    ensure!(
        lease_holder(&client, "promop-run-test").await?.is_none(),
        "the Lease still has a holder after SIGTERM; log:\n{}",
        op.logs()
    );
    ensure!(
        op.get("/healthz").is_err(),
        "the web server outlived the process"
    );
    Ok(())
}

#[tokio::test]
async fn a_killed_leader_is_replaced_by_the_other_replica() -> Result<()> {
    let (env, dir) = test_bed().await?;
    let client = env.client();
    let lease = "promop-takeover-test";
    let flags = |extra: &'static [&'static str]| {
        let mut all = vec![
            "--leader-elect",
            "--leader-election-namespace=default",
            "--leader-election-id=promop-takeover-test",
        ];
        all.extend(LEASE_FLAGS);
        all.extend(extra);
        all
    };
    let mut a = Operator::start(&env, dir.path(), "promop-a", &flags(&[]))?;
    let mut b = Operator::start(&env, dir.path(), "promop-b", &flags(&[]))?;
    a.wait_status("/healthz", 200, SLACK).await?;
    b.wait_status("/healthz", 200, SLACK).await?;

    let start = Instant::now();
    let holder = loop {
        if let Some(holder) = lease_holder(&client, lease).await? {
            break holder;
        }
        ensure!(start.elapsed() < SLACK, "no replica took the Lease");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (mut leader, mut standby) = match holder.as_str() {
        "promop-a" => (a, b),
        "promop-b" => (b, a),
        other => bail!("unexpected holder {other}"),
    };
    // The standby is ready (rolling updates proceed) and not leading.
    standby.wait_status("/readyz", 200, SLACK).await?;
    let metrics = standby.wait_status("/metrics", 200, SLACK).await?;
    ensure!(sample(&metrics, "promop_leader") == Some(0.0), "{metrics}");
    leader.wait_status("/readyz", 200, 3 * SLACK).await?;

    leader.signal(libc::SIGKILL);
    let killed = Instant::now();
    leader.wait_exit(SLACK).await?;
    // The dead leader's last renewal, as it wrote it.
    let last_renew = lease_spec(&client, lease)
        .await?
        .renew_time
        .context("no renewTime")?
        .0;
    let deadline = LEASE_DURATION + RETRY_PERIOD + SLACK;
    let taken = loop {
        let spec = lease_spec(&client, lease).await?;
        if spec.holder_identity.as_deref() == Some(standby.name.as_str()) {
            break spec;
        }
        ensure!(
            killed.elapsed() < deadline,
            "no takeover within {deadline:?} ({spec:?}); log:\n{}",
            standby.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let took = killed.elapsed();
    // Not before the killed leader's Lease expired (timestamps written by
    // the two replicas on this machine's clock).
    let acquired = taken.acquire_time.context("no acquireTime")?.0;
    let expiry = last_renew + k8s_openapi::jiff::SignedDuration::try_from(LEASE_DURATION)?;
    ensure!(
        acquired >= expiry,
        "taken over at {acquired}, before the lease expired at {expiry}"
    );
    let metrics = standby.wait_status("/metrics", 200, SLACK).await?;
    ensure!(sample(&metrics, "promop_leader") == Some(1.0), "{metrics}");
    standby.signal(libc::SIGTERM);
    let status = standby.wait_exit(SLACK).await?;
    ensure!(status.code() == Some(0), "exit {status}");
    eprintln!("takeover {took:?} after SIGKILL (lease {LEASE_DURATION:?})");
    Ok(())
}

/// A CA, a serving certificate for 127.0.0.1 and a client certificate, as
/// PEM files in `dir`: (ca, server cert, server key, client cert, client key).
fn tls_files(dir: &Path) -> Result<[PathBuf; 5]> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    // Distinct subjects: a leaf named like its issuer looks self-signed.
    let params = |names: Vec<String>, common_name: &str| -> Result<CertificateParams> {
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        Ok(params)
    };
    let ca_key = KeyPair::generate()?;
    let mut ca = params(Vec::new(), "promop test CA")?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate()?;
    let server = params(vec!["127.0.0.1".to_owned()], "promop")?.signed_by(&server_key, &issuer)?;
    let client_key = KeyPair::generate()?;
    let client = params(vec!["scraper".to_owned()], "scraper")?.signed_by(&client_key, &issuer)?;
    let mut paths = Vec::new();
    for (name, pem) in [
        ("ca.crt", ca_cert.pem()),
        ("tls.crt", server.pem()),
        ("tls.key", server_key.serialize_pem()),
        ("client.crt", client.pem()),
        ("client.key", client_key.serialize_pem()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, pem)?;
        paths.push(path);
    }
    paths.try_into().map_err(|_| anyhow::anyhow!("five files"))
}

#[tokio::test]
async fn serves_over_tls_and_requires_client_certificates_when_a_client_ca_exists() -> Result<()> {
    let (env, dir) = test_bed().await?;
    let [ca, cert, key, client_cert, client_key] = tls_files(dir.path())?;
    let flag = |name: &str, path: &Path| format!("--web.{name}={}", path.display());
    let op = Operator::start(
        &env,
        dir.path(),
        "promop-tls",
        &[
            "--web.enable-tls",
            "--web.tls-min-version=VersionTLS12",
            &flag("cert-file", &cert),
            &flag("key-file", &key),
            &flag("client-ca-file", &ca),
        ],
    )?;
    let url = format!("https://127.0.0.1:{}/healthz", op.port);
    let ca = ca.display().to_string();
    let (client_cert, client_key) = (
        client_cert.display().to_string(),
        client_key.display().to_string(),
    );
    let with_client = [
        "--cacert",
        &ca,
        "--cert",
        &client_cert,
        "--key",
        &client_key,
    ];
    let start = Instant::now();
    let body = loop {
        match curl(&with_client, &url) {
            Ok(body) => break body,
            Err(e) if start.elapsed() > SLACK => bail!("{e:#}; log:\n{}", op.logs()),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    ensure!(body == "ok\n", "{body:?}");
    // Without a client certificate the handshake is refused; plain HTTP
    // gets no answer.
    ensure!(
        curl(&["--cacert", &ca], &url).is_err(),
        "served without a client certificate"
    );
    ensure!(
        !matches!(op.get("/healthz"), Ok((200, _))),
        "plain HTTP served on the TLS port"
    );
    Ok(())
}

/// The API server converts v1beta1 AlertmanagerConfigs through promop's
/// `/convert` (the full upstream CRD, `strategy: Webhook`): a v1beta1 object
/// is stored as v1alpha1, the Alertmanager controller uses it, and reading
/// it back as v1beta1 gives what was written.
#[tokio::test]
async fn converts_v1beta1_alertmanager_configs_for_the_api_server() -> Result<()> {
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        CustomResourceConversion, CustomResourceDefinition, WebhookClientConfig, WebhookConversion,
    };
    use promop_testenv::{AlertmanagerVersion, apply_manifests, parse_yaml_documents, secret_gz};

    const WITHIN: Duration = Duration::from_secs(30);
    let (env, dir) = test_bed().await?;
    let client = env.client();
    let [ca, cert, key, _, _] = tls_files(dir.path())?;
    let flag = |name: &str, path: &Path| format!("--web.{name}={}", path.display());
    let op = Operator::start(
        &env,
        dir.path(),
        "promop-convert",
        &[
            "--web.enable-tls",
            &flag("cert-file", &cert),
            &flag("key-file", &key),
        ],
    )?;
    let crd_file = upstream_dir().join(
        "example/prometheus-operator-crd-full/monitoring.coreos.com_alertmanagerconfigs.yaml",
    );
    let mut crd: CustomResourceDefinition = serde_json::from_value(
        parse_yaml_documents(&std::fs::read_to_string(&crd_file)?)?
            .pop()
            .context("no CRD")?,
    )?;
    crd.spec.conversion = Some(CustomResourceConversion {
        strategy: "Webhook".to_owned(),
        webhook: Some(WebhookConversion {
            client_config: Some(WebhookClientConfig {
                url: Some(format!("https://127.0.0.1:{}/convert", op.port)),
                ca_bundle: Some(ByteString(std::fs::read(&ca)?)),
                service: None,
            }),
            conversion_review_versions: vec!["v1".to_owned()],
        }),
    });
    apply_manifests(&client, &serde_json::to_string(&crd)?).await?;

    let beta_spec = serde_json::json!({
        "route": {
            "receiver": "pager",
            "matchers": [{"name": "severity", "value": "critical", "matchType": "="}],
            "muteTimeIntervals": ["night"]
        },
        "receivers": [{"name": "pager", "webhookConfigs": [{"url": "http://127.0.0.1:9/hook"}]}],
        "timeIntervals": [{"name": "night", "timeIntervals": [{"times": [{"startTime": "00:00", "endTime": "06:00"}]}]}]
    });
    let manifests = serde_json::json!([
        {"apiVersion": "monitoring.coreos.com/v1beta1", "kind": "AlertmanagerConfig",
         "metadata": {"name": "pager", "namespace": "shop", "labels": {"team": "shop"}},
         "spec": beta_spec},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Alertmanager",
         "metadata": {"name": "main", "namespace": "shop"},
         "spec": {"replicas": 1, "alertmanagerConfigSelector": {"matchLabels": {"team": "shop"}}}}
    ]);
    let yaml: Vec<String> = manifests
        .as_array()
        .into_iter()
        .flatten()
        .map(serde_json::Value::to_string)
        .collect();
    apply_through_webhook(&client, &yaml.join("\n---\n"), &op, WITHIN).await?;

    // Both versions read back: the stored v1alpha1 and the served v1beta1.
    let version = |v: &str| alertmanager_configs(&client, "shop", v);
    let alpha = version("v1alpha1").get("pager").await?;
    ensure!(
        alpha.data["spec"]["muteTimeIntervals"][0]["name"] == "night"
            && alpha.data["spec"].get("timeIntervals").is_none(),
        "stored as v1alpha1: {}",
        alpha.data
    );
    let beta = version("v1beta1").get("pager").await?;
    ensure!(
        beta.data["spec"] == beta_spec,
        "read back as v1beta1: {}",
        beta.data
    );

    // The controller generates the Alertmanager configuration from it.
    let secrets = Api::<Secret>::namespaced(client.clone(), "shop");
    let start = Instant::now();
    let config = loop {
        let found = match secrets.get_opt("alertmanager-main-generated").await? {
            Some(s) => secret_gz(&s, "alertmanager.yaml.gz")?,
            None => None,
        };
        if let Some(text) = found.filter(|t| t.contains("shop/pager/night")) {
            break text;
        }
        if start.elapsed() > WITHIN {
            bail!(
                "no configuration with shop/pager/night; log:\n{}",
                op.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    ensure!(
        config.contains("receiver: shop/pager/pager")
            && config.contains("- name: shop/pager/night"),
        "{config}"
    );
    AlertmanagerVersion::of_spec(None).check_config(&config)?;
    let metrics = curl(
        &["--cacert", &ca.display().to_string()],
        &format!("https://127.0.0.1:{}/metrics", op.port),
    )?;
    ensure!(
        metrics.contains("promop_conversions_total{result=\"success\"}"),
        "{metrics}"
    );
    Ok(())
}
