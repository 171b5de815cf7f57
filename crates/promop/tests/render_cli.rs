//! `promop render` as users run it: on the reference's example manifests
//! (the output must pass the real promtool), on bad input (exit codes and
//! messages), and on objects that must be skipped without losing the rest.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use promop_testenv::{AlertmanagerVersion, PrometheusVersion, upstream_dir};

fn promop(args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_promop"));
    command.args(args);
    match stdin {
        None => command.output().expect("promop runs"),
        Some(text) => {
            use std::io::Write;
            let mut child = command
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("promop runs");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
            child.wait_with_output().expect("promop ends")
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks a config with the v3 validator (`promtool check config --syntax-only`).
fn promtool_accepts(config: &str, label: &str) {
    if let Err(error) = PrometheusVersion::V3.check_config(config, &["--syntax-only"]) {
        panic!("{label}: promtool rejects the rendered config:\n{error:#}");
    }
}

fn example_sets() -> Vec<PathBuf> {
    let mut sets = Vec::new();
    let example = upstream_dir().join("example");
    let mut stack = vec![example];
    while let Some(dir) = stack.pop() {
        let mut has_yaml = false;
        for entry in std::fs::read_dir(&dir).expect("example dir").flatten() {
            let path = entry.path();
            if path.is_dir() && !path.to_string_lossy().contains("-crd") {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                has_yaml = true;
            }
        }
        if has_yaml {
            sets.push(dir);
        }
    }
    sets.sort();
    sets
}

#[test]
fn every_example_set_renders_to_a_config_promtool_accepts() {
    let mut rendered = 0;
    for set in example_sets() {
        let name = set
            .strip_prefix(upstream_dir())
            .unwrap_or(&set)
            .display()
            .to_string();
        let out_dir = tempfile::tempdir().expect("temp dir");
        let out = promop(
            &[
                "render",
                "-f",
                &set.to_string_lossy(),
                "--out-dir",
                &out_dir.path().to_string_lossy(),
            ],
            None,
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        if name.ends_with("scrapeclass") {
            // Upstream's own CRDs reject these snippets (no metadata.name, no
            // spec.selector): render says so and has nothing to render.
            assert!(
                stderr.contains("Prometheus default/: metadata.name: required"),
                "{stderr}"
            );
            assert!(
                stderr.contains(
                    "ServiceMonitor default/servicemonitor-example: spec.selector: required value"
                ),
                "{stderr}"
            );
        }
        let mut configs = Vec::new();
        collect(out_dir.path(), &mut configs);
        if configs.is_empty() {
            assert!(stderr.contains("nothing to render"), "{name}: {stderr}");
        }
        for config in configs {
            let body = std::fs::read_to_string(&config).expect("rendered file");
            let label = format!("{name}: {}", config.display());
            if config.ends_with("alertmanager.yaml") {
                // The examples' Alertmanagers set no version: the newest.
                if let Err(error) = AlertmanagerVersion::Latest.check_config(&body) {
                    panic!("{label}: amtool rejects the rendered config:\n{error:#}");
                }
            } else {
                promtool_accepts(&body, &label);
            }
            rendered += 1;
        }
    }
    assert!(rendered >= 6, "only {rendered} configs rendered");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("out dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

const GOOD: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  version: v3.5.0
  serviceMonitorSelector: {}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: good, namespace: monitoring}
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: web}]
"#;

#[test]
fn an_invalid_monitor_is_skipped_with_a_reason_and_the_rest_renders() {
    let input = format!(
        "{GOOD}---\n{}",
        r#"apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bad-regex, namespace: monitoring}
spec:
  selector: {}
  endpoints:
  - port: web
    relabelings: [{action: replace, regex: "(unclosed", targetLabel: x}]
"#
    );
    let out = promop(&["render", "-f", "-"], Some(&input));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("job_name: serviceMonitor/monitoring/good/0"),
        "{stdout}"
    );
    assert!(!stdout.contains("bad-regex"), "{stdout}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("ServiceMonitor monitoring/bad-regex: "))
        .unwrap_or_else(|| panic!("no line for the invalid monitor:\n{stderr}"));
    assert!(line.contains("relabelings"), "{line}");
    promtool_accepts(&stdout, "good monitor");
}

#[test]
fn unknown_fields_are_reported_and_defaults_applied() {
    let input = GOOD.replace(
        "endpoints: [{port: web}]",
        "endpoints: [{port: web, prot: x}]",
    );
    let out = promop(&["render", "-f", "-", "-o", "json"], Some(&input));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("ServiceMonitor monitoring/good: spec.endpoints[0].prot: unknown field"),
        "{stderr}"
    );
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    // The Prometheus CRD's default scrapeInterval (30s) reaches the config.
    assert_eq!(config["global"]["scrape_interval"], "30s");
}

#[test]
fn unusable_input_exits_2_naming_file_and_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("broken.yaml", "a: [unclosed", "not valid YAML"),
        (
            "typo.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitr\nmetadata: {name: x}\n",
            "document 1: unknown kind ServiceMonitr",
        ),
        (
            "raw.yaml",
            "- job_name: x\n",
            "document 0: not a Kubernetes object",
        ),
    ];
    for (file, body, expected) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, body).expect("write input");
        let out = promop(&["render", "-f", &path.to_string_lossy()], None);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(
            stderr.contains(file) && stderr.contains(expected),
            "{file}: {stderr}"
        );
    }
}

/// A Prometheus with a rule and a monitor whose CA comes from a Secret.
const WITH_RULES_AND_SECRET: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring, uid: 5f1c8a52-6b4e-4c7e-9a77-0d9c2b1e1a01}
spec:
  version: v3.5.0
  serviceMonitorSelector: {}
  ruleSelector: {}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: orders, namespace: monitoring}
spec:
  groups:
  - name: orders
    rules: [{alert: OrdersDown, expr: 'up{job="orders"} == 0', for: 5m}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: tls, namespace: monitoring}
spec:
  selector: {matchLabels: {app: web}}
  endpoints:
  - port: web
    scheme: https
    tlsConfig: {ca: {secret: {name: web-ca, key: ca.crt}}}
---
apiVersion: v1
kind: Secret
metadata: {name: web-ca, namespace: monitoring}
stringData:
  ca.crt: |
    CA_PEM
"#;

/// [`WITH_RULES_AND_SECRET`] with a fresh CA (a value found nowhere else).
fn with_rules_and_secret() -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let ca = rcgen::CertificateParams::new(vec!["render-test-ca".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("certificate")
        .pem();
    let indented = ca.trim_end().replace('\n', "\n    ");
    (WITH_RULES_AND_SECRET.replace("CA_PEM", &indented), ca)
}

#[test]
fn rules_are_rendered_as_the_operator_splits_them() {
    let (input, _) = with_rules_and_secret();
    let out = promop(&["render", "--rules", "-f", "-"], Some(&input));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("# rule file monitoring-orders-")
            && stdout.contains("(ConfigMap monitoring/prometheus-k8s-rulefiles-0)"),
        "{stdout}"
    );
    assert!(stdout.contains("alert: OrdersDown"), "{stdout}");
    assert!(
        stdout.contains("job_name: serviceMonitor/monitoring/tls/0"),
        "{stdout}"
    );
}

#[test]
fn objects_are_what_the_operator_writes_with_secret_values_hidden() {
    use base64::Engine as _;
    let (input, ca) = with_rules_and_secret();
    let planted = base64::engine::general_purpose::STANDARD.encode(&ca);
    let names = promop(
        &["render", "--objects", "-o", "name", "-f", "-"],
        Some(&input),
    );
    assert_eq!(names.status.code(), Some(0), "{}", text(&names.stderr));
    assert_eq!(
        text(&names.stdout),
        "secret/prometheus-k8s\nsecret/prometheus-k8s-tls-assets-0\n\
         secret/prometheus-k8s-web-config\n\
         secret/prometheus-k8s-thanos-prometheus-http-client-file\n\
         configmap/prometheus-k8s-rulefiles-0\nservice/prometheus-operated\n\
         statefulset.apps/prometheus-k8s\n"
    );

    let hidden = promop(&["render", "--objects", "-f", "-"], Some(&input));
    let hidden_text = text(&hidden.stdout);
    assert_eq!(hidden.status.code(), Some(0), "{}", text(&hidden.stderr));
    assert!(!hidden_text.contains(&planted), "{hidden_text}");
    let redacted = format!("<redacted: {} bytes; --show-secrets>", ca.len());
    assert!(hidden_text.contains(&redacted), "{hidden_text}");

    let shown = promop(
        &[
            "render",
            "--objects",
            "--show-secrets",
            "-o",
            "json",
            "-f",
            "-",
        ],
        Some(&input),
    );
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown.stderr));
    let list: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("a JSON List");
    assert_eq!(list["kind"], "List");
    let item = |kind: &str, name: &str| {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["kind"] == kind && i["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in {list:#}"))
            .clone()
    };
    assert_eq!(
        item("Secret", "prometheus-k8s-tls-assets-0")["data"]["0_monitoring_web-ca_ca.crt"],
        planted.as_str()
    );
    // The configuration in the Secret is the one `render` prints.
    let gzipped = base64::engine::general_purpose::STANDARD
        .decode(
            item("Secret", "prometheus-k8s")["data"]["prometheus.yaml.gz"]
                .as_str()
                .expect("config"),
        )
        .expect("base64");
    let mut config = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut config)
        .expect("gzip");
    let rendered = promop(&["render", "-f", "-"], Some(&input));
    assert_eq!(config, text(&rendered.stdout));
    // Owner references carry the manifest's uid; the rule file is mounted.
    let set = item("StatefulSet", "prometheus-k8s");
    assert_eq!(
        set["metadata"]["ownerReferences"][0]["uid"],
        "5f1c8a52-6b4e-4c7e-9a77-0d9c2b1e1a01"
    );
    let rules = item("ConfigMap", "prometheus-k8s-rulefiles-0");
    let file = rules["data"]
        .as_object()
        .expect("rule files")
        .values()
        .next()
        .expect("a file");
    assert!(
        file.as_str().is_some_and(|f| f.contains("OrdersDown")),
        "{rules:#}"
    );
}

#[test]
fn names_need_objects() {
    let out = promop(&["render", "-o", "name", "-f", "-"], Some(GOOD));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("add --objects"),
        "{}",
        text(&out.stderr)
    );
}

/// `render --objects` prints an agent in DaemonSet mode's DaemonSet with the
/// feature gate, and fails naming the gate without it, as the operator does.
#[test]
fn a_daemon_set_agent_renders_with_the_feature_gate_only() {
    let input = "apiVersion: monitoring.coreos.com/v1alpha1\nkind: PrometheusAgent\n\
                 metadata: {name: node, namespace: monitoring}\n\
                 spec: {version: v3.5.0, mode: DaemonSet, podMonitorSelector: {}}\n";
    let args = ["render", "--objects", "-o", "name", "-f", "-"];
    let gated = [
        &args[..],
        &["--feature-gates=PrometheusAgentDaemonSet=true"],
    ]
    .concat();
    let on = promop(&gated, Some(input));
    assert_eq!(on.status.code(), Some(0), "{}", text(&on.stderr));
    assert_eq!(
        text(&on.stdout),
        "secret/prom-agent-node\nsecret/prom-agent-node-tls-assets-0\n\
         secret/prom-agent-node-web-config\ndaemonset.apps/prom-agent-node\n"
    );
    let off = promop(&args, Some(input));
    assert_ne!(off.status.code(), Some(0));
    let stderr = text(&off.stderr);
    assert!(
        stderr.contains("PrometheusAgent monitoring/node: spec.mode: feature gate"),
        "{stderr}"
    );
}

/// A ThanosRuler renders to its remote-write file and rule files, and with
/// `--objects` to what the operator writes for it; one that queries nothing
/// is refused with the reference's reason.
#[test]
fn a_thanos_ruler_renders_its_rules_and_objects() {
    let input = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n\
                 metadata: {name: orders, namespace: monitoring, labels: {role: rules}}\n\
                 spec: {groups: [{name: orders, rules: [{alert: OrdersDown, expr: 'up == 0'}]}]}\n\
                 ---\napiVersion: monitoring.coreos.com/v1\nkind: ThanosRuler\n\
                 metadata: {name: global, namespace: monitoring}\n\
                 spec: {version: v0.42.4, queryEndpoints: [thanos-query:9090], \
                 ruleSelector: {matchLabels: {role: rules}}}\n";
    let out = promop(
        &[
            "render",
            "--rules",
            "--thanos-ruler",
            "monitoring/global",
            "-f",
            "-",
        ],
        Some(input),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("remote_write: []"), "{stdout}");
    assert!(
        stdout.contains("ConfigMap monitoring/thanos-ruler-global-rulefiles-0")
            && stdout.contains("alert: OrdersDown"),
        "{stdout}"
    );
    let objects = promop(
        &["render", "--objects", "-o", "name", "-f", "-"],
        Some(input),
    );
    assert_eq!(
        text(&objects.stdout),
        "configmap/thanos-ruler-global-rulefiles-0\nsecret/thanos-ruler-global-config\n\
         secret/thanos-ruler-global-tls-assets-0\nsecret/thanos-ruler-global-web-config\n\
         service/thanos-ruler-operated\nstatefulset.apps/thanos-ruler-global\n"
    );
    let no_query = input.replace("queryEndpoints: [thanos-query:9090], ", "");
    let refused = promop(&["render", "--objects", "-f", "-"], Some(&no_query));
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("ThanosRuler monitoring/global")
            && stderr.contains("requires query config or at least one query endpoint"),
        "{stderr}"
    );
}
