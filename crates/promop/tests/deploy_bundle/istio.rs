//! The Istio integration (deploy/examples/istio): lint, rendered
//! configuration, the Istio certificate sidecar of the mesh Prometheus, its
//! rules under `promtool check rules` / `promtool test rules`, the dashboard's
//! queries, and a server-side dry run against Istio's own CRDs (from the Go
//! module istio.io/api, installed by testenv/install.sh).
//!
//! Istio itself (istiod, Envoy) does not run here: the manifests are checked
//! against its CRDs' schemas, the rules against series shaped like its metrics.
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

pub(super) fn istio_objects() -> Vec<Value> {
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
    let namespaces = of_kind(&objects, "Namespace")
        .into_iter()
        .chain(of_kind(&base, "Namespace"));
    create_namespaces(&client, namespaces).await;

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
