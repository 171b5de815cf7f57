//! `promop explain` on manifests: each config object of each workload is
//! "used" or "not used" with the reason the selection gives (selector,
//! namespace selector, invalid field), objects the API server's schema
//! would refuse are listed apart, and with an OBJECT argument the exit
//! status tells whether any workload uses it (0) or none does (1).
//!
//! On a live cluster (the test bed's apiserver holding the same objects),
//! `explain --kubeconfig` answers exactly what `explain -f` answers, the
//! Secrets the monitors reference included; kinds the API server does not
//! serve or forbids are reported as not readable.
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, ensure};
use promop_testenv::{TestEnv, apply_manifests, install_crds, parse_yaml_documents, upstream_dir};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/explain")
}

/// (exit code, stdout lines) of `promop explain -f tests/explain ARGS`.
fn explain(args: &[&str]) -> (i32, Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_promop"))
        .arg("explain")
        .arg("-f")
        .arg(fixtures())
        .args(args)
        .output()
        .expect("promop runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    (
        out.status.code().unwrap_or(-1),
        stdout.lines().map(str::to_owned).collect(),
    )
}

#[test]
fn every_object_of_every_workload_is_explained() {
    let (code, lines) = explain(&[]);
    assert_eq!(code, 0, "{lines:#?}");
    let expected = [
        "Prometheus monitoring/main",
        "  ServiceMonitor other/elsewhere: not used: namespace other does not match serviceMonitorNamespaceSelector team=shop",
        "  ServiceMonitor shop/orders: used",
        "  ServiceMonitor shop/unlabelled: not used: labels do not match serviceMonitorSelector release=main",
        "Alertmanager monitoring/main",
        "  AlertmanagerConfig shop/dangling: not used: rejected: spec: receiver \"missing\" not found",
        "  AlertmanagerConfig shop/pager: used",
        "  AlertmanagerConfig shop/quiet: not used: labels do not match alertmanagerConfigSelector route=yes",
        "Refused by the API server's schema (no workload sees them):",
    ];
    for line in expected {
        assert!(
            lines.iter().any(|l| l == line),
            "no line {line:?} in {lines:#?}"
        );
    }
    let rejected = lines
        .iter()
        .find(|l| l.starts_with("  ServiceMonitor shop/bad-regex: "))
        .expect("the invalid monitor is explained");
    assert!(
        rejected.contains("not used: rejected: spec.endpoints[0].relabelings[0]: invalid regex ("),
        "{rejected}"
    );
    let refused = lines
        .iter()
        .find(|l| l.starts_with("  ServiceMonitor shop/schema: "))
        .expect("the refused monitor is listed");
    assert!(refused.contains("spec.endpoints[0].scheme"), "{refused}");
}

#[test]
fn one_object_exits_0_when_used_and_1_when_not() {
    assert_eq!(
        explain(&["servicemonitor/shop/orders"]),
        (
            0,
            vec![
                "Prometheus monitoring/main".to_owned(),
                "  ServiceMonitor shop/orders: used".to_owned()
            ]
        )
    );
    let (code, lines) = explain(&["smon/unlabelled", "-n", "shop"]);
    assert_eq!(code, 1);
    assert_eq!(
        lines[1],
        "  ServiceMonitor shop/unlabelled: not used: labels do not match serviceMonitorSelector release=main"
    );
    let (code, lines) = explain(&["amcfg/shop/pager"]);
    assert_eq!((code, lines.len()), (0, 2), "{lines:#?}");
    let (code, lines) = explain(&["smon/shop/schema"]);
    assert_eq!(code, 1);
    assert_eq!(
        lines[0],
        "Refused by the API server's schema (no workload sees them):"
    );
    let (code, lines) = explain(&["probe/shop/none"]);
    assert_eq!(
        (code, lines),
        (1, vec!["Probe shop/none: not in the input".to_owned()])
    );
}

#[test]
fn a_workload_filter_and_a_bad_object_name() {
    let (code, lines) = explain(&["--alertmanager", "monitoring/main"]);
    assert_eq!(code, 0);
    assert!(
        !lines.iter().any(|l| l.contains("Prometheus ")),
        "{lines:#?}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_promop"))
        .args(["explain", "-f"])
        .arg(fixtures())
        .arg("deployment/shop/x")
        .output()
        .expect("promop runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("deployment/shop/x: unknown kind"));
}

/// `-o json`: workloads → kinds → objects, each used or not and why.
#[test]
fn a_json_report_for_programs() {
    let json = |args: &[&str]| -> (i32, Value) {
        let (code, lines) = explain(&[&["-o", "json"], args].concat());
        let text = lines.join("\n");
        let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (code, value)
    };
    let (code, all) = json(&[]);
    assert_eq!((code, &all["source"]), (0, &Value::from("manifests")));
    let prometheus = &all["workloads"][0];
    assert_eq!(
        (&prometheus["kind"], &prometheus["name"]),
        (&Value::from("Prometheus"), &Value::from("main"))
    );
    let monitors = prometheus["kinds"]["ServiceMonitor"]
        .as_array()
        .expect("ServiceMonitors");
    assert!(
        monitors
            .contains(&serde_json::json!({"namespace": "shop", "name": "orders", "used": true})),
        "{monitors:#?}"
    );
    assert_eq!(prometheus["kinds"]["PodMonitor"], serde_json::json!([]));
    assert_eq!(all["refused"][0]["field"], "spec.endpoints[0].scheme");
    let (code, one) = json(&["smon", "unlabelled", "-n", "shop"]);
    assert_eq!(code, 1);
    assert_eq!(
        one["object"],
        serde_json::json!({"kind": "ServiceMonitor", "namespace": "shop", "name": "unlabelled",
            "found": true, "used": false})
    );
    assert_eq!(
        one["workloads"][0]["kinds"]["ServiceMonitor"][0]["reason"],
        "labels do not match serviceMonitorSelector release=main"
    );
    assert_eq!(
        one["workloads"].as_array().map(Vec::len),
        Some(1),
        "{one:#}"
    );
}

/// `promop explain SOURCE… ARGS` (SOURCE: `-f DIR` or `--kubeconfig KC`).
fn promop_explain<S: AsRef<OsStr>>(source: &[S], args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_promop"));
    command.arg("explain").args(source).args(args);
    // Only the cluster named here is read.
    command.env_remove("KUBECONFIG").env("HOME", "/nonexistent");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("promop runs")
}

/// (exit code, stdout, stderr)
fn answer(out: &Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts exit code and stdout; stderr is shown when they differ.
fn assert_answer(actual: &(i32, String, String), expected: (i32, &str)) {
    assert_eq!(
        (actual.0, actual.1.as_str()),
        expected,
        "stderr: {}",
        actual.2
    );
}

/// Creates every object of the fixtures (Namespaces first) in the
/// apiserver; writes those it accepts to `dir/accepted.yaml` and returns
/// `Kind namespace/name` of those it refuses.
async fn create_fixtures(env: &TestEnv, dir: &Path) -> Result<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    let mut docs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        docs.extend(parse_yaml_documents(&text).with_context(|| file.display().to_string())?);
    }
    docs.sort_by_key(|d| d["kind"] != "Namespace");
    let (mut accepted, mut refused) = (Vec::new(), Vec::new());
    for doc in docs {
        let json = serde_json::to_string(&doc)?;
        match apply_manifests(&env.client(), &json).await {
            Ok(_) => accepted.push(json),
            Err(_) => refused.push(format!(
                "{} {}/{}",
                text(&doc, "/kind"),
                text(&doc, "/metadata/namespace"),
                text(&doc, "/metadata/name")
            )),
        }
    }
    std::fs::write(dir.join("accepted.yaml"), accepted.join("\n---\n"))?;
    Ok(refused)
}

fn text<'a>(doc: &'a Value, pointer: &str) -> &'a str {
    doc.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `explain --kubeconfig KC ARGS` and `explain -f DIR ARGS` agree; the
/// cluster's answer is returned.
fn same_answer(kubeconfig: &Path, manifests: &Path, args: &[&str]) -> (i32, String, String) {
    let cluster = answer(&promop_explain(
        &[OsStr::new("--kubeconfig"), kubeconfig.as_os_str()],
        args,
        &[],
    ));
    let files = answer(&promop_explain(
        &[OsStr::new("-f"), manifests.as_os_str()],
        args,
        &[],
    ));
    assert_eq!(
        (cluster.0, &cluster.1),
        (files.0, &files.1),
        "explain {args:?}: cluster (left) and manifests (right) differ; stderr: {} / {}",
        cluster.2,
        files.2
    );
    cluster
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_is_explained_like_its_manifests() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let dir = tempfile::tempdir()?;
    let refused = create_fixtures(&env, dir.path()).await?;
    assert_eq!(refused, ["ServiceMonitor shop/schema"]);
    let kubeconfig = env.kubeconfig_path();
    let (code, report, stderr) = same_answer(kubeconfig, dir.path(), &[]);
    assert_eq!(code, 0, "{report}{stderr}");
    for line in [
        "  ServiceMonitor shop/orders: used",
        // The Secret's content was read: both keys found, one missing.
        "  ServiceMonitor shop/with-auth: used",
        "  ServiceMonitor shop/wrong-key: not used: rejected: spec.endpoints[0].basicAuth.password: \
         failed to get basic auth password: key \"passwd\" in secret \"scrape-auth\" not found",
        "  AlertmanagerConfig shop/pager: used",
    ] {
        assert!(
            report.lines().any(|l| l == line),
            "no {line:?} in\n{report}"
        );
    }
    assert!(!report.contains("not-a-real-password") && !stderr.contains("not-a-real-password"));
    for (args, expected) in [
        (&["servicemonitor/orders", "-n", "shop"][..], 0),
        (&["smon", "unlabelled", "-n", "shop"], 1),
        (&["smon/shop/with-auth"], 0),
        (&["servicemonitors", "wrong-key", "--namespace", "shop"], 1),
        (&["amcfg/shop/quiet"], 1),
        (
            &["amcfg/shop/pager", "--alertmanager", "monitoring/main"],
            0,
        ),
        (&["--prometheus", "monitoring/main"], 0),
    ] {
        let (code, out, _) = same_answer(kubeconfig, dir.path(), args);
        assert_eq!(code, expected, "explain {args:?}:\n{out}");
    }
    // The same as JSON, but for where the objects come from.
    let json = |source: &[&OsStr]| -> Value {
        let out = answer(&promop_explain(source, &["-o", "json"], &[]));
        assert_eq!(out.0, 0, "{}", out.2);
        let mut value: Value = serde_json::from_str(&out.1).unwrap_or_default();
        value["source"].take();
        value
    };
    assert_eq!(
        json(&[OsStr::new("--kubeconfig"), kubeconfig.as_os_str()]),
        json(&[OsStr::new("-f"), dir.path().as_os_str()])
    );
    // Without -f and --kubeconfig: the inferred configuration ($KUBECONFIG
    // here), with a context by name.
    let manifests = [OsStr::new("-f"), dir.path().as_os_str()];
    let files = answer(&promop_explain(&manifests, &["smon/shop/orders"], &[]));
    for source in [&["--context", "promop-testenv"][..], &[]] {
        let inferred = promop_explain(source, &["smon/shop/orders"], &[("KUBECONFIG", kubeconfig)]);
        assert_answer(&answer(&inferred), (files.0, &files.1));
    }
    Ok(())
}

/// Read access to everything explain reads but PodMonitors.
const NO_POD_MONITORS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: explain-no-podmonitors}
rules:
- apiGroups: [""]
  resources: [namespaces, secrets, configmaps]
  verbs: [get, list]
- apiGroups: [monitoring.coreos.com]
  resources: [prometheuses, prometheusagents, alertmanagers, thanosrulers, servicemonitors,
    probes, scrapeconfigs, prometheusrules, alertmanagerconfigs]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: explain-no-podmonitors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: explain-no-podmonitors}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: explainer}]
"#;

/// The test bed's kubeconfig, acting as `user` (impersonation).
fn kubeconfig_as(env: &TestEnv, user: &str, dir: &Path) -> Result<PathBuf> {
    let text = std::fs::read_to_string(env.kubeconfig_path())?;
    let mut config: Value = serde_saphyr::from_str(&text)?;
    let users = config["users"].as_array_mut().context("kubeconfig users")?;
    ensure!(users.len() == 1, "one user expected in {text}");
    users[0]["user"]["as"] = Value::from(user);
    let path = dir.join(format!("kubeconfig-{user}"));
    std::fs::write(&path, serde_json::to_string(&config)?)?;
    Ok(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinds_not_served_or_forbidden_are_reported_and_the_rest_explained() -> Result<()> {
    let env = TestEnv::start().await?;
    let dir = tempfile::tempdir()?;
    // Every CRD but ScrapeConfig's.
    let crds = dir.path().join("crds");
    std::fs::create_dir(&crds)?;
    let upstream = upstream_dir().join("example/prometheus-operator-crd");
    for entry in std::fs::read_dir(&upstream).with_context(|| upstream.display().to_string())? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default();
        if !name.to_string_lossy().contains("scrapeconfigs") {
            std::fs::copy(&path, crds.join(name))?;
        }
    }
    install_crds(&env.client(), &crds).await?;
    create_fixtures(&env, dir.path()).await?;
    apply_manifests(&env.client(), NO_POD_MONITORS).await?;
    let accepted = dir.path().join("accepted.yaml");
    let manifests = [OsStr::new("-f"), accepted.as_os_str()];
    let files = answer(&promop_explain(&manifests, &[], &[]));
    assert_eq!(files.0, 0, "{}", files.2);

    let not_served =
        "ScrapeConfig: not readable (not served by the API server: CRD not installed)\n";
    let admin = [
        OsStr::new("--kubeconfig"),
        env.kubeconfig_path().as_os_str(),
    ];
    let cluster = answer(&promop_explain(&admin, &[], &[]));
    assert_answer(&cluster, (0, &format!("{not_served}{}", files.1)));

    let explainer = kubeconfig_as(&env, "explainer", dir.path())?;
    let limited = [OsStr::new("--kubeconfig"), explainer.as_os_str()];
    let cluster = answer(&promop_explain(&limited, &[], &[]));
    let caveats = format!("PodMonitor: not readable (forbidden)\n{not_served}");
    assert_answer(&cluster, (0, &format!("{caveats}{}", files.1)));
    // One object: still explained, the caveats first.
    let cluster = answer(&promop_explain(&limited, &["smon/shop/orders"], &[]));
    let files = answer(&promop_explain(&manifests, &["smon/shop/orders"], &[]));
    assert_answer(&cluster, (0, &format!("{caveats}{}", files.1)));
    let cluster = answer(&promop_explain(&limited, &["pmon/shop/web"], &[]));
    let not_in = "PodMonitor shop/web: not in the cluster\n";
    assert_answer(&cluster, (1, &format!("{caveats}{not_in}")));
    Ok(())
}

/// A ThanosRuler explains the PrometheusRules it selects like a Prometheus,
/// and `--thanos-ruler` limits the report to it.
#[test]
fn a_thanos_ruler_explains_its_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n\
        metadata: {name: orders, namespace: shop, labels: {role: rules}}\n\
        spec: {groups: [{name: orders, rules: [{alert: OrdersDown, expr: 'up == 0'}]}]}\n\
        ---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n\
        metadata: {name: other, namespace: shop}\n\
        spec: {groups: [{name: other, rules: [{record: r, expr: up}]}]}\n\
        ---\napiVersion: monitoring.coreos.com/v1\nkind: ThanosRuler\n\
        metadata: {name: global, namespace: shop}\n\
        spec: {version: v0.42.4, queryEndpoints: [q:9090], ruleSelector: {matchLabels: {role: rules}}}\n";
    std::fs::write(dir.path().join("ruler.yaml"), manifest).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_promop"))
        .args([
            OsStr::new("explain"),
            OsStr::new("-f"),
            dir.path().as_os_str(),
        ])
        .args([
            "--thanos-ruler",
            "shop/global",
            "prometheusrule/shop/orders",
        ])
        .output()
        .expect("promop runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "ThanosRuler shop/global",
            "  PrometheusRule shop/orders: used"
        ]
    );
    let out = Command::new(env!("CARGO_BIN_EXE_promop"))
        .args([
            OsStr::new("explain"),
            OsStr::new("-f"),
            dir.path().as_os_str(),
        ])
        .arg("prometheusrule/shop/other")
        .output()
        .expect("promop runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "PrometheusRule shop/other: not used: labels do not match ruleSelector role=rules"
        ),
        "{stdout}"
    );
}
