//! The Istio integration (deploy/examples/istio): lint, rendered
//! configuration, the Istio certificate sidecar of the mesh Prometheus, its
//! rules under `promtool check rules` / `promtool test rules`, the dashboard's
//! queries, and a server-side dry run against Istio's own CRDs (from the Go
//! module istio.io/api, installed by testenv/install.sh).
//!
//! Istio itself (istiod, Envoy) does not run here: the manifests are checked
//! against its CRDs' schemas, the rules against series shaped like its metrics.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::dashboards::{exprs, metric_names, recording_rules};
use super::examples::dry_run;
use super::*;

fn istio_dir() -> PathBuf {
    examples_dir().join("istio")
}

/// The folder and the Namespaces of the base stack it builds on (the
/// monitoring objects live in its `monitoring` namespace). Directories are
/// read recursively by promop, as a user would pass them.
fn istio_inputs() -> Vec<String> {
    file_args(&[examples_dir().join("namespaces.yaml"), istio_dir()])
}

fn istio_objects() -> Vec<Value> {
    objects_in(&istio_dir())
}

fn promop_ok(args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = promop(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "promop {args:?}:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// The one YAML document of `body`.
fn yaml(body: &str) -> Value {
    let mut docs = parse_yaml_documents(body).expect("YAML");
    assert_eq!(docs.len(), 1, "{body}");
    docs.remove(0)
}

fn mesh_prometheus(objects: &[Value]) -> Prometheus {
    let all = of_kind(objects, "Prometheus");
    assert_eq!(all.len(), 1, "one Prometheus in the Istio example");
    serde_json::from_value(all[0].clone()).expect("the mesh Prometheus")
}

#[test]
fn istio_example_passes_promop_lint_strictly() {
    // The folder alone, and with the base stack's Namespaces (whose
    // `monitoring` makes every monitor selectable).
    for inputs in [file_args(&[istio_dir()]), istio_inputs()] {
        let mut args = vec!["lint".to_owned(), "--strict".to_owned()];
        args.extend(inputs);
        let out = promop_ok(&args);
        let stderr = text(&out.stderr);
        assert!(stderr.contains(" 0 errors, 0 warnings"), "{stderr}");
        // The mesh Prometheus, 3 monitors, 1 PrometheusRule at least.
        assert!(!stderr.contains(" 0 objects checked"), "{stderr}");
    }
}

#[test]
fn istio_example_renders_a_config_promtool_accepts() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let mut args = vec!["render".to_owned(), "--rules".to_owned()];
    args.extend(istio_inputs());
    args.extend(["--out-dir".to_owned(), out_dir.path().display().to_string()]);
    let out = promop_ok(&args);
    assert!(
        !text(&out.stderr).contains("skipped"),
        "{}",
        text(&out.stderr)
    );

    let prometheus = mesh_prometheus(&istio_objects());
    let config = out_dir.path().join("monitoring/mesh/prometheus.yaml");
    let body = std::fs::read_to_string(&config).expect("monitoring/mesh/prometheus.yaml rendered");
    let version = PrometheusVersion::of_spec(prometheus.spec.common.version.as_deref());
    let checked = version
        .check_config(&body, &["--syntax-only"])
        .unwrap_or_else(|e| panic!("promtool rejects the mesh config:\n{e:#}"));
    println!("promtool check config --syntax-only: {}", checked.trim());

    let config = yaml(&body);
    let jobs: BTreeMap<&str, &Value> = config["scrape_configs"]
        .as_array()
        .expect("scrape_configs")
        .iter()
        .map(|job| (job["job_name"].as_str().expect("job_name"), job))
        .collect();
    assert_eq!(
        jobs.keys().copied().collect::<Vec<_>>(),
        [
            "podMonitor/monitoring/envoy-stats/0",
            "serviceMonitor/monitoring/istiod/0",
            "serviceMonitor/orders-mesh/orders-service-mtls/0",
        ]
    );
    // Envoy's stats: port http-envoy-prom, /stats/prometheus, plain HTTP.
    let envoy = jobs["podMonitor/monitoring/envoy-stats/0"];
    assert_eq!(envoy["metrics_path"], "/stats/prometheus");
    assert!(envoy.get("tls_config").is_none(), "{envoy:#}");
    let keeps_port = envoy["relabel_configs"]
        .as_array()
        .expect("relabel_configs")
        .iter()
        .any(|r| r["regex"] == "http-envoy-prom" && r["action"] == "keep");
    assert!(keeps_port, "{envoy:#}");
    // istiod: http-monitoring in istio-system.
    let istiod = jobs["serviceMonitor/monitoring/istiod/0"];
    assert_eq!(
        istiod["kubernetes_sd_configs"][0]["namespaces"]["names"][0],
        "istio-system"
    );
    assert!(
        serde_json::to_string(istiod)
            .unwrap()
            .contains("\"http-monitoring\"")
    );
    // orders-service through its sidecar: the istio-mtls scrape class gives
    // the certificates the Istio sidecar writes.
    let mtls = jobs["serviceMonitor/orders-mesh/orders-service-mtls/0"];
    assert_eq!(mtls["scheme"], "https");
    assert_eq!(
        mtls["tls_config"],
        serde_json::json!({
            "ca_file": "/etc/prom-certs/root-cert.pem",
            "cert_file": "/etc/prom-certs/cert-chain.pem",
            "key_file": "/etc/prom-certs/key.pem",
            "insecure_skip_verify": true,
        })
    );
}

/// The StatefulSet promop writes for the mesh Prometheus carries Istio's
/// certificate-writing sidecar settings and mounts the certificates where
/// the scrape class reads them.
#[test]
fn the_mesh_prometheus_pod_gets_the_istio_certificates() {
    let mut args = vec!["render".to_owned(), "--objects".to_owned()];
    args.extend(istio_inputs());
    assert_istio_certificates(&promop_ok(&args), "prometheus-mesh");
}

/// The README's patch of an existing Prometheus (section "The same on an
/// existing Prometheus"), merged into the base stack's `monitoring/orders`
/// as `kubectl patch --type merge` does: promop accepts it and its pods get
/// the same certificate sidecar settings and scrape class.
#[test]
fn the_readmes_patch_gives_an_existing_prometheus_the_istio_certificates() {
    let readme = std::fs::read_to_string(istio_dir().join("README.md")).expect("README.md");
    let patch = readme
        .split_once("<<'PATCH'\n")
        .and_then(|(_, rest)| rest.split_once("\nPATCH\n"))
        .map(|(patch, _)| patch)
        .expect("the README's patch");
    let patch = yaml(patch);
    let base = objects_of(&[examples_dir().join("prometheus.yaml")]);
    let mut prometheus = of_kind(&base, "Prometheus")[0].clone();
    assert_eq!(prometheus["metadata"]["name"], "orders");
    merge_patch(&mut prometheus, &patch);
    let dir = tempfile::tempdir().expect("temp dir");
    let patched = dir.path().join("prometheus-orders.yaml");
    std::fs::write(&patched, serde_json::to_string(&prometheus).expect("JSON"))
        .expect("patched Prometheus written");
    let inputs = file_args(&[examples_dir().join("namespaces.yaml"), patched]);
    for command in ["lint", "render"] {
        let mut args = vec![command.to_owned()];
        if command == "lint" {
            args.push("--strict".to_owned());
        } else {
            args.push("--objects".to_owned());
        }
        args.extend(inputs.iter().cloned());
        let out = promop_ok(&args);
        if command == "render" {
            assert_istio_certificates(&out, "prometheus-orders");
        }
    }
    assert_eq!(
        prometheus["spec"]["scrapeClasses"][0]["tlsConfig"]["certFile"],
        "/etc/prom-certs/cert-chain.pem"
    );
}

/// RFC 7386 JSON merge patch (what `kubectl patch --type merge` applies).
fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(patch) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    let fields = target.as_object_mut().expect("object");
    for (key, value) in patch {
        if value.is_null() {
            fields.remove(key);
        } else {
            merge_patch(fields.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// The StatefulSet `name` that `promop render --objects` printed carries
/// Istio's certificate-writing sidecar settings and mounts the certificates
/// where the scrape class reads them.
fn assert_istio_certificates(rendered: &Output, name: &str) {
    let objects = parse_yaml_documents(&text(&rendered.stdout)).expect("rendered objects");
    let sts: Vec<&Value> = of_kind(&objects, "StatefulSet")
        .into_iter()
        .filter(|s| s["metadata"]["name"] == name)
        .collect();
    assert_eq!(sts.len(), 1, "no StatefulSet {name}");
    let pod = &sts[0]["spec"]["template"];
    let annotations = &pod["metadata"]["annotations"];
    assert_eq!(
        annotations["traffic.sidecar.istio.io/includeInboundPorts"],
        ""
    );
    assert_eq!(
        annotations["traffic.sidecar.istio.io/includeOutboundIPRanges"],
        ""
    );
    let proxy_config = yaml(
        annotations["proxy.istio.io/config"]
            .as_str()
            .expect("proxy.istio.io/config"),
    );
    assert_eq!(
        proxy_config["proxyMetadata"]["OUTPUT_CERTS"],
        "/etc/istio-output-certs"
    );
    // Prometheus starts once the certificates are written (see below).
    assert_eq!(proxy_config["holdApplicationUntilProxyStarts"], true);
    let mounts: Value = serde_json::from_str(
        annotations["sidecar.istio.io/userVolumeMount"]
            .as_str()
            .expect("sidecar.istio.io/userVolumeMount"),
    )
    .expect("userVolumeMount is JSON");
    assert_eq!(
        mounts,
        serde_json::json!([{"name": "istio-certs", "mountPath": "/etc/istio-output-certs"}])
    );
    assert_eq!(pod["metadata"]["labels"]["sidecar.istio.io/inject"], "true");
    let spec = &pod["spec"];
    let volume = spec["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == "istio-certs")
        .expect("the istio-certs volume");
    assert_eq!(volume["emptyDir"]["medium"], "Memory");
    let prometheus = spec["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["name"] == "prometheus")
        .expect("the prometheus container");
    let mounted = prometheus["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .iter()
        .any(|m| m["name"] == "istio-certs" && m["mountPath"] == "/etc/prom-certs/");
    assert!(mounted, "{prometheus:#}");
}

/// The alerts of the canary test file: (test name, eval time) -> expected
/// alerts, for OrdersCanaryErrorRatioAboveStable.
fn canary_cases(test_file: &Value) -> Vec<(String, usize)> {
    let mut cases = Vec::new();
    for test in test_file["tests"].as_array().expect("tests") {
        for case in test["alert_rule_test"].as_array().into_iter().flatten() {
            if case["alertname"] == "OrdersCanaryErrorRatioAboveStable" {
                let expected = case["exp_alerts"].as_array().map_or(0, Vec::len);
                cases.push((
                    test["name"].as_str().unwrap_or_default().to_owned(),
                    expected,
                ));
            }
        }
    }
    cases
}

#[test]
fn istio_rules_pass_promtool_check_and_unit_tests() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let mut args = vec!["render".to_owned(), "--rules".to_owned()];
    args.extend(istio_inputs());
    args.extend(["--out-dir".to_owned(), out_dir.path().display().to_string()]);
    promop_ok(&args);
    // The rule file promop writes for the PrometheusRule, under the name the
    // test file loads.
    let rule_files = yaml_files(&out_dir.path().join("monitoring/mesh/rules"));
    assert_eq!(rule_files.len(), 1, "{rule_files:?}");
    let work = tempfile::tempdir().expect("temp dir");
    let rules = work.path().join("mesh-golden-signals.yaml");
    std::fs::copy(&rule_files[0], &rules).expect("rule file copied");
    let test_source = istio_dir().join("rules-tests/mesh-rules.test");
    let test_body = std::fs::read_to_string(&test_source).expect("rules-tests/mesh-rules.test");
    let test_file = work.path().join("mesh-rules.test");
    std::fs::write(&test_file, &test_body).expect("test file copied");

    // The canary alert is tested firing and silent.
    let parsed = yaml(&test_body);
    let cases = canary_cases(&parsed);
    assert!(cases.iter().any(|(_, n)| *n == 1), "never fires: {cases:?}");
    assert!(
        cases.iter().filter(|(_, n)| *n == 0).count() >= 3,
        "{cases:?}"
    );
    // Series shaped like Istio's: both metrics with their labels.
    for needle in [
        "istio_requests_total{reporter=\"destination\", source_workload=",
        "reporter=\"source\"",
        "destination_workload=\"orders-service-canary\"",
        "destination_version=\"canary\"",
        "response_code=\"500\"",
        "istio_request_duration_milliseconds_bucket{",
        "le=\"+Inf\"",
    ] {
        assert!(test_body.contains(needle), "no {needle} in the test series");
    }

    let prometheus = mesh_prometheus(&istio_objects());
    let version = PrometheusVersion::of_spec(prometheus.spec.common.version.as_deref());
    let promtool = promop_testenv::binary(version.validator()).unwrap_or_else(|e| panic!("{e:#}"));
    let check = run(Command::new(&promtool).args(["check", "rules"]).arg(&rules));
    assert!(
        check.status.success(),
        "promtool check rules:\n{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    assert!(
        text(&check.stdout).contains("SUCCESS: 10 rules found"),
        "{}",
        text(&check.stdout)
    );
    let test = run(Command::new(&promtool).current_dir(work.path()).args([
        "test",
        "rules",
        "mesh-rules.test",
    ]));
    let output = format!("{}{}", text(&test.stdout), text(&test.stderr));
    assert!(test.status.success(), "promtool test rules:\n{output}");
    assert!(output.contains("SUCCESS"), "{output}");
    println!(
        "promtool test rules ({}): {}",
        version.validator(),
        output.trim()
    );

    // Not vacuous: the same tests fail on a canary alert that compares
    // nothing (it fires whenever the canary has any traffic).
    let broken = std::fs::read_to_string(&rules)
        .expect("rule file")
        .replace("+ 0.01", "- 1");
    std::fs::write(&rules, broken).expect("rule file rewritten");
    let test = run(Command::new(&promtool).current_dir(work.path()).args([
        "test",
        "rules",
        "mesh-rules.test",
    ]));
    assert!(
        !test.status.success(),
        "the tests pass a broken canary alert"
    );
}

/// The metrics Istio exports that the dashboard may read: the standard
/// metrics of the Envoy sidecars (HTTP) and istiod's xDS pushes.
const ISTIO_METRICS: &[&str] = &[
    "istio_requests_total",
    "istio_request_duration_milliseconds_bucket",
    "istio_request_duration_milliseconds_sum",
    "istio_request_duration_milliseconds_count",
    "istio_request_bytes_bucket",
    "istio_response_bytes_bucket",
    "pilot_xds_pushes",
];

#[test]
fn istio_dashboard_queries_only_recorded_and_istio_metrics() {
    let objects = istio_objects();
    let recorded = recording_rules(&objects);
    assert!(recorded.len() >= 7, "{recorded:?}");
    let known: BTreeSet<String> = recorded
        .iter()
        .cloned()
        .chain(ISTIO_METRICS.iter().map(|m| (*m).to_owned()))
        .collect();
    let dashboards: Vec<&Value> = of_kind(&objects, "ConfigMap")
        .into_iter()
        .filter(|c| c["metadata"]["labels"]["grafana_dashboard"] == "1")
        .collect();
    assert_eq!(dashboards.len(), 1);
    let mut used = BTreeSet::new();
    for (key, json) in dashboards[0]["data"].as_object().expect("data") {
        assert!(key.ends_with(".json"), "{key}");
        let dashboard: Value = serde_json::from_str(json.as_str().expect("text"))
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        let mut all = Vec::new();
        exprs(&dashboard["panels"], &mut all);
        assert!(all.len() >= 10, "{} queries", all.len());
        for expr in all {
            let parsed =
                parse(&expr, Features::default()).unwrap_or_else(|e| panic!("{expr}: {e}"));
            let mut names = BTreeSet::new();
            metric_names(&parsed, &mut names);
            assert!(!names.is_empty(), "{expr} selects no metric");
            for n in names {
                assert!(known.contains(&n), "{expr}: unknown metric {n}");
                used.insert(n);
            }
        }
    }
    // Every golden signal per version is on the dashboard.
    for m in [
        "service_version:istio_requests:rate5m",
        "service_version:istio_requests_5xx:ratio_rate5m",
        "service_version:istio_request_duration_milliseconds:p99_5m",
        "istio_requests_total",
    ] {
        assert!(used.contains(m), "the dashboard lacks {m}");
    }
}

/// Istio's CRDs as testenv/install.sh leaves them (testenv/istio-crds.sh).
fn istio_crds_dir() -> PathBuf {
    let dir = promop_testenv::testenv_dir().join("crds/istio");
    assert!(
        dir.join("customresourcedefinitions.gen.yaml").is_file(),
        "Istio's CRDs are not in {}: run testenv/install.sh",
        dir.display()
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_manifests_pass_a_server_side_dry_run_against_istios_crds() {
    let crds = istio_crds_dir();
    let (_env, client) = test_bed_with_chart_crds().await;
    let installed = install_crds(&client, &crds)
        .await
        .expect("Istio's CRDs install");
    for crd in [
        "destinationrules.networking.istio.io",
        "virtualservices.networking.istio.io",
        "peerauthentications.security.istio.io",
        "telemetries.telemetry.istio.io",
    ] {
        assert!(
            installed.iter().any(|n| n == crd),
            "{crd} not in {installed:?}"
        );
    }
    // A dry run cannot create the Namespaces the objects go into.
    let objects = istio_objects();
    let base = objects_of(&[examples_dir().join("namespaces.yaml")]);
    let namespaces: Vec<String> = of_kind(&objects, "Namespace")
        .into_iter()
        .chain(of_kind(&base, "Namespace"))
        .map(|ns| format!("---\n{ns}\n"))
        .collect();
    promop_testenv::apply_manifests(&client, &namespaces.concat())
        .await
        .expect("namespaces created");

    let (accepted, refused) = dry_run(&client, &objects).await;
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
    assert_eq!(accepted, objects.len());
    let kinds: BTreeSet<&str> = objects.iter().map(kind).collect();
    for k in [
        "DestinationRule",
        "VirtualService",
        "PeerAuthentication",
        "Telemetry",
        "Prometheus",
        "PodMonitor",
        "ServiceMonitor",
        "PrometheusRule",
        "Deployment",
    ] {
        assert!(kinds.contains(k), "no {k} in the example");
    }
    println!("{accepted} objects accepted: {kinds:?}");

    // Istio's schemas are enforced: a VirtualService whose weight is not a
    // number and a DestinationRule with an unknown TLS mode are refused.
    let mut bad_vs = objects
        .iter()
        .find(|o| kind(o) == "VirtualService")
        .expect("the VirtualService")
        .clone();
    bad_vs["spec"]["http"][0]["route"][0]["weight"] = "ninety".into();
    let mut bad_dr = objects
        .iter()
        .find(|o| kind(o) == "DestinationRule")
        .expect("the DestinationRule")
        .clone();
    bad_dr["spec"]["trafficPolicy"]["tls"]["mode"] = "MUTUAL_PLEASE".into();
    let (accepted, refused) = dry_run(&client, &[bad_vs, bad_dr]).await;
    assert_eq!(accepted, 0, "{refused:?}");
    assert_eq!(refused.len(), 2);
}

// --- a real Prometheus scraping through the istio-mtls scrape class ----------

/// The PKI Istio's CA would issue: a root, the target workload's
/// certificate and the Prometheus pod's (SPIFFE identities, no DNS or IP
/// names), and the target's TLS configuration requiring a client
/// certificate from that root, as a sidecar under STRICT mTLS does.
struct MeshPki {
    root_pem: String,
    prometheus_chain_pem: String,
    prometheus_key_pem: String,
    target: Arc<rustls::ServerConfig>,
}

fn spiffe_cert(id: &str) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.subject_alt_names = vec![rcgen::SanType::URI(
        rcgen::string::Ia5String::try_from(id).expect("SPIFFE id"),
    )];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params
}

fn mesh_pki() -> MeshPki {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let root_key = rcgen::KeyPair::generate().expect("key");
    let mut root = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    root.distinguished_name
        .push(rcgen::DnType::OrganizationName, "cluster.local");
    root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root_cert = root.self_signed(&root_key).expect("root");
    let issuer = rcgen::Issuer::new(root, root_key);
    let target_key = rcgen::KeyPair::generate().expect("key");
    let target_cert = spiffe_cert("spiffe://cluster.local/ns/orders-mesh/sa/orders-service")
        .signed_by(&target_key, &issuer)
        .expect("target certificate");
    let prometheus_key = rcgen::KeyPair::generate().expect("key");
    let prometheus_cert = spiffe_cert("spiffe://cluster.local/ns/monitoring/sa/prometheus-mesh")
        .signed_by(&prometheus_key, &issuer)
        .expect("Prometheus' certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root_cert.der().clone()).expect("root added");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("client verifier");
    let target = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(target_cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(target_key.serialize_der())),
        )
        .expect("target TLS config");
    MeshPki {
        root_pem: root_cert.pem(),
        prometheus_chain_pem: prometheus_cert.pem(),
        prometheus_key_pem: prometheus_key.serialize_pem(),
        target: Arc::new(target),
    }
}

/// What the stand-in sidecar saw: scrapes answered to a client presenting
/// a certificate of the mesh, and refused handshakes.
#[derive(Default)]
struct Handshakes {
    served: AtomicUsize,
    refused: AtomicUsize,
}

/// orders-service's /metrics behind a TLS listener on loopback that only
/// accepts clients with a certificate of the mesh's root: what Prometheus
/// meets at an orders-service pod under STRICT mTLS. Each scrape counts
/// one more order.
async fn mtls_target(config: Arc<rustls::ServerConfig>) -> (u16, Arc<Handshakes>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let seen = Arc::new(Handshakes::default());
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let counters = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counters = counters.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                assert!(tls.get_ref().1.peer_certificates().is_some());
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16384 {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let n = counters.served.fetch_add(1, Ordering::Relaxed) + 1;
                let body =
                    format!("# TYPE orders_total counter\norders_total{{status=\"ok\"}} {n}\n");
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, seen)
}

/// The example's mesh Prometheus, its monitors and orders-service's Service
/// as the folder has them, with what the test bed needs: the installed
/// Prometheus version, EndpointSlice discovery, 1s scrapes; and an
/// EndpointSlice of orders-service pointing at the stand-in sidecar.
fn mesh_e2e_objects(version: &str, port: u16) -> Vec<Value> {
    let mut objects: Vec<Value> = istio_objects()
        .into_iter()
        .filter(|o| {
            matches!(
                kind(o),
                "Prometheus"
                    | "ServiceMonitor"
                    | "PodMonitor"
                    | "PrometheusRule"
                    | "ServiceAccount"
                    | "ClusterRole"
                    | "ClusterRoleBinding"
            ) || (kind(o) == "Service" && o["metadata"]["name"] == "orders-service")
        })
        .collect();
    for o in &mut objects {
        if kind(o) == "Prometheus" {
            let spec = &mut o["spec"];
            spec["version"] = format!("v{version}").into();
            spec["serviceDiscoveryRole"] = "EndpointSlice".into();
            spec["scrapeInterval"] = "1s".into();
            spec["evaluationInterval"] = "1s".into();
        }
        if kind(o) == "ServiceMonitor" {
            for endpoint in o["spec"]["endpoints"].as_array_mut().into_iter().flatten() {
                endpoint["interval"] = "1s".into();
            }
        }
        if kind(o) == "PodMonitor" {
            for endpoint in o["spec"]["podMetricsEndpoints"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                endpoint["interval"] = "1s".into();
            }
        }
        if kind(o) == "PrometheusRule" {
            for group in o["spec"]["groups"].as_array_mut().into_iter().flatten() {
                group["interval"] = "1s".into();
            }
        }
    }
    // The control: the same endpoint over TLS without the class, hence
    // without a client certificate.
    let mut no_class = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "orders-service-mtls")
        .expect("the orders-service-mtls ServiceMonitor")
        .clone();
    no_class["metadata"]["name"] = "orders-service-no-class".into();
    let spec = no_class["spec"].as_object_mut().expect("spec");
    spec.remove("scrapeClass");
    no_class["spec"]["endpoints"][0]["tlsConfig"] = serde_json::json!({"insecureSkipVerify": true});
    objects.push(no_class);
    objects.push(serde_json::json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "orders-service-loopback",
            "namespace": "orders-mesh",
            "labels": {"kubernetes.io/service-name": "orders-service"},
        },
        // The apiserver refuses loopback IPs in an IPv4 slice.
        "addressType": "FQDN",
        "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": true}}],
        "ports": [{"name": "http-metrics", "port": port, "protocol": "TCP"}],
    }));
    objects
}

/// What an Envoy sidecar serves on `http-envoy-prom` after `n` ticks: Istio's
/// standard metrics of orders-service (stable: 60 requests a tick, 5% 500s;
/// canary: 6, a third 500s; stable's latencies) and one of Envoy's own
/// series, which the PodMonitor's metric relabeling drops. One stand-in
/// serves both versions' series (in a cluster each pod's sidecar has its own).
fn envoy_stats(n: u64) -> String {
    let labels = |version: &str, code: &str| {
        format!(
            "reporter=\"destination\",source_workload=\"istio-ingressgateway\",\
             source_workload_namespace=\"istio-system\",\
             destination_workload=\"orders-service-{version}\",\
             destination_workload_namespace=\"orders-mesh\",\
             destination_service=\"orders-service.orders-mesh.svc.cluster.local\",\
             destination_service_name=\"orders-service\",\
             destination_service_namespace=\"orders-mesh\",destination_version=\"{version}\",\
             request_protocol=\"http\",response_code=\"{code}\",response_flags=\"-\",\
             connection_security_policy=\"mutual_tls\""
        )
    };
    let mut out = String::from("# TYPE istio_requests_total counter\n");
    for (version, code, per_tick) in [
        ("stable", "201", 57),
        ("stable", "500", 3),
        ("canary", "201", 4),
        ("canary", "500", 2),
    ] {
        out += &format!(
            "istio_requests_total{{{}}} {}\n",
            labels(version, code),
            per_tick * n
        );
    }
    out += "# TYPE istio_request_duration_milliseconds histogram\n";
    let stable = labels("stable", "201");
    for (le, per_tick) in [("250", 57), ("500", 60), ("+Inf", 60)] {
        out += &format!(
            "istio_request_duration_milliseconds_bucket{{{stable},le=\"{le}\"}} {}\n",
            per_tick * n
        );
    }
    out += &format!(
        "istio_request_duration_milliseconds_sum{{{stable}}} {}\n\
         istio_request_duration_milliseconds_count{{{stable}}} {}\n",
        6000 * n,
        60 * n
    );
    out += &format!(
        "# TYPE envoy_cluster_upstream_rq_total counter\n\
         envoy_cluster_upstream_rq_total{{envoy_cluster_name=\"inbound|8080||\"}} {}\n",
        66 * n
    );
    out
}

/// A pod of orders-service with its injected `istio-proxy` container, whose
/// port `http-envoy-prom` is the stand-in Envoy on 127.0.0.1:`port` (the
/// test sets the status a kubelet would).
async fn sidecar_pod(client: &Client, port: u16) {
    use k8s_openapi::api::core::v1::Pod;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "orders-mesh");
    let name = "orders-service-canary-5b7c9d8f6-m8r2t";
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "orders-service", "version": "canary"}},
        "spec": {"containers": [
            {"name": "orders-service", "image": "ghcr.io/promop/orders-service:0.1.0",
             "ports": [{"name": "http-metrics", "containerPort": 9090}]},
            {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.28.0",
             "ports": [{"name": "http-envoy-prom", "containerPort": port}]},
        ]},
    });
    let pp = PatchParams::apply(promop_testenv::FIELD_MANAGER).force();
    pods.patch(name, &pp, &Patch::Apply(&pod))
        .await
        .expect("pod created");
    let status = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "status": {"phase": "Running", "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}]},
    });
    pods.patch_status(name, &pp, &Patch::Apply(&status))
        .await
        .expect("pod status set");
}

/// The result of `promql` once it has series (within a minute).
async fn some_series(pod: &mut promop_testenv::RunningPod, promql: &str) -> Vec<(Value, f64)> {
    match pod
        .wait_for_query(promql, Duration::from_secs(60), |v| !v.is_empty())
        .await
    {
        Ok(series) => series,
        Err(e) => panic!("{promql}: {e:#}\n{}", pod.log_tail(30)),
    }
}

/// The real Prometheus of the mesh example, run by the test bed's kubelet
/// from the StatefulSet promop's controller writes, scrapes an mTLS-only
/// target with the certificates "istio-agent" (here: the test) writes into
/// the pod's `istio-certs` volume: the ServiceMonitor's scrape class
/// `istio-mtls` reads them at /etc/prom-certs/. Before the files exist the
/// job cannot even be created; once they are there (and Prometheus
/// reloads) it succeeds, and the target saw Prometheus' client certificate;
/// the same endpoint scraped without the class is refused. The same
/// Prometheus scrapes a stand-in Envoy through the PodMonitor and records
/// the golden signals; the canary alert goes pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mesh_prometheus_scrapes_envoy_and_mtls_targets_and_records_the_golden_signals() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("promop_operator=warn")
        .with_test_writer()
        .try_init();
    let env = TestEnv::start()
        .await
        .unwrap_or_else(|e| panic!("starting the test bed: {e:#}"));
    let client = env.client();
    let crds = promop_api::crd::all()
        .iter()
        .map(|crd| serde_json::to_string(crd).expect("CRD JSON"))
        .collect::<Vec<_>>();
    promop_testenv::apply_manifests(&client, &crds.join("\n---\n"))
        .await
        .expect("promop's CRDs");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let controller = tokio::spawn(promop_operator::run(
        client.clone(),
        promop_operator::Options::default(),
        async {
            let _ = stopped.await;
        },
    ));

    let pki = mesh_pki();
    let (port, handshakes) = mtls_target(pki.target.clone()).await;
    // The stand-in Envoy, its counters moving 4 times a second.
    let envoy = Arc::new(
        promop_testenv::MetricsServer::start(envoy_stats(0))
            .await
            .expect("the stand-in Envoy"),
    );
    let ticking = {
        let envoy = envoy.clone();
        tokio::spawn(async move {
            for n in 1.. {
                tokio::time::sleep(Duration::from_millis(250)).await;
                envoy.set_body(envoy_stats(n));
            }
        })
    };
    let version = PrometheusVersion::V3
        .installed_version()
        .unwrap_or_else(|e| panic!("{e:#}"));
    let namespaces: Vec<String> = of_kind(&istio_objects(), "Namespace")
        .into_iter()
        .chain(of_kind(
            &objects_of(&[examples_dir().join("namespaces.yaml")]),
            "Namespace",
        ))
        .map(|ns| format!("---\n{ns}\n"))
        .collect();
    let objects: Vec<String> = mesh_e2e_objects(&version, port)
        .iter()
        .map(|o| format!("---\n{o}\n"))
        .collect();
    promop_testenv::apply_manifests(&client, &(namespaces.concat() + &objects.concat()))
        .await
        .expect("the mesh objects applied");
    sidecar_pod(&client, envoy.port()).await;

    let mut pod =
        promop_testenv::run_statefulset_pod(&client, &env, "monitoring", "prometheus-mesh", 0)
            .await
            .unwrap_or_else(|e| panic!("running prometheus-mesh-0: {e:#}"));
    let job = "serviceMonitor/orders-mesh/orders-service-mtls/0";
    let target_of = |targets: &[Value]| targets.iter().find(|t| t["scrapePool"] == job).cloned();
    // No certificates yet (istio-agent has not written them): Prometheus
    // cannot create the job's scrape pool and scrapes nothing for it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pod.logs().contains(&format!(
        "unable to read file /etc/prom-certs/root-cert.pem: open /etc/prom-certs/root-cert.pem: no such file or directory\" scrape_pool={job}"
    )) {
        assert!(
            Instant::now() < deadline,
            "no error for the missing certificates:\n{}",
            pod.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let targets = pod.active_targets().await.expect("targets");
    assert!(target_of(&targets).is_none(), "{targets:#?}");
    assert_eq!(handshakes.served.load(Ordering::Relaxed), 0);

    // "istio-agent" writes the workload's certificates (OUTPUT_CERTS) into
    // the shared in-memory volume; Prometheus (re)loads its configuration
    // with them there, as it starts with holdApplicationUntilProxyStarts.
    let certs = pod
        .volume_dir("istio-certs")
        .expect("the istio-certs volume")
        .to_owned();
    let written = Instant::now();
    for (file, pem) in [
        ("root-cert.pem", &pki.root_pem),
        ("cert-chain.pem", &pki.prometheus_chain_pem),
        ("key.pem", &pki.prometheus_key_pem),
    ] {
        std::fs::write(certs.join(file), pem).expect("certificate written");
    }
    pod.reload().await.expect("Prometheus reloaded");
    // The target's series, scraped through mTLS.
    let orders = some_series(
        &mut pod,
        "orders_total{namespace=\"orders-mesh\", service=\"orders-service\"}",
    )
    .await;
    println!(
        "mTLS scrape succeeded {:?} after the certificates were written: {:?}",
        written.elapsed(),
        orders[0].0
    );
    assert_eq!(orders[0].0["status"], "ok");
    assert!(handshakes.served.load(Ordering::Relaxed) > 0);
    let targets = pod.active_targets().await.expect("targets");
    let target = target_of(&targets).expect("the mTLS target");
    assert_eq!(
        target["scrapeUrl"],
        format!("https://127.0.0.1:{port}/metrics")
    );
    // Without the class, no client certificate: the sidecar refuses.
    let control = "serviceMonitor/orders-mesh/orders-service-no-class/0";
    let refused = targets
        .iter()
        .find(|t| t["scrapePool"] == control)
        .unwrap_or_else(|| panic!("no target of {control}: {targets:#?}"));
    assert_eq!(refused["health"], "down", "{refused:#}");
    assert!(handshakes.refused.load(Ordering::Relaxed) > 0);
    println!("without the scrape class: {}", refused["lastError"]);
    println!(
        "stand-in sidecar: {} scrapes served with a mesh client certificate, {} handshakes refused",
        handshakes.served.load(Ordering::Relaxed),
        handshakes.refused.load(Ordering::Relaxed)
    );

    // The Envoy PodMonitor and the golden-signal rules, as the folder has
    // them (rule groups evaluated every second here): the canary's error
    // ratio is recorded from the scraped Istio metrics and its alert is
    // pending (it fires after 5 minutes).
    let envoy_job = "podMonitor/monitoring/envoy-stats/0";
    let ratios = pod
        .wait_for_query(
            "service_version:istio_requests_5xx:ratio_rate5m{destination_service_name=\"orders-service\"}",
            Duration::from_secs(60),
            |v| v.len() == 2,
        )
        .await
        .unwrap_or_else(|e| panic!("no error ratio recorded: {e:#}\n{}", pod.log_tail(30)));
    for (labels, ratio) in &ratios {
        let expected = if labels["destination_version"] == "canary" {
            1.0 / 3.0
        } else {
            0.05
        };
        assert!((ratio - expected).abs() < 0.01, "{labels}: {ratio}");
    }
    let pending = some_series(
        &mut pod,
        "ALERTS{alertname=\"OrdersCanaryErrorRatioAboveStable\", alertstate=\"pending\"}",
    )
    .await;
    assert_eq!(pending[0].0["destination_version"], "canary");
    let targets = pod.active_targets().await.expect("targets");
    let envoy_target = targets
        .iter()
        .find(|t| t["scrapePool"] == envoy_job)
        .unwrap_or_else(|| panic!("no target of {envoy_job}: {targets:#?}"));
    assert_eq!(
        envoy_target["scrapeUrl"],
        format!("http://127.0.0.1:{}/stats/prometheus", envoy.port())
    );
    let dropped = pod
        .query_vector("envoy_cluster_upstream_rq_total")
        .await
        .expect("query");
    assert!(dropped.is_empty(), "Envoy's own series kept: {dropped:?}");
    println!(
        "Envoy stand-in scraped {} times; recorded 5xx ratios {:?}; canary alert pending",
        envoy.scrapes(),
        ratios
            .iter()
            .map(|(l, v)| (l["destination_version"].clone(), *v))
            .collect::<Vec<_>>()
    );

    ticking.abort();
    drop(pod);
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), controller).await;
}
