//! `promop lint` as a CI job runs it: exact finding lines and exit codes
//! per check, the reference's examples and accepted scenarios lint without
//! errors, and every object the reference rejected in the conformance
//! corpus is reported as an error.
//!
//! Expected messages are those of the reference (its `rejected.txt` log
//! lines in conformance/expected, quoted where a test uses one) behind the
//! field path; the lines' layout is promop's.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use promop_core::lint::{Severity, lint};
use promop_core::manifests::{Loaded, Strictness};
use promop_testenv::corpus::conformance_dir;
use promop_testenv::upstream_dir;

fn promop(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_promop"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promop runs");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("promop ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Lints `manifests` from stdin: (exit code, stdout lines).
fn lint_stdin(manifests: &str, extra: &[&str]) -> (i32, Vec<String>) {
    let mut args = vec!["lint", "-f", "-"];
    args.extend(extra);
    let out = promop(&args, Some(manifests));
    let lines = text(&out.stdout).lines().map(str::to_owned).collect();
    (out.status.code().unwrap_or(-1), lines)
}

fn assert_lint(manifests: &str, code: i32, expected: &[&str]) {
    let (actual_code, lines) = lint_stdin(manifests, &[]);
    assert_eq!(lines, expected, "findings");
    assert_eq!(
        actual_code,
        code,
        "exit code; findings:\n{}",
        lines.join("\n")
    );
}

const SELECTING_PROMETHEUS: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  version: v2.55.0
  arbitraryFSAccessThroughSMs: {deny: true}
  serviceMonitorSelector: {}
  ruleSelector: {}
"#;

// ---- PrometheusRules -------------------------------------------------------

#[test]
fn promql_that_does_not_parse_is_an_error() {
    // The reference: `group "mixed", rule 2, "Bad": could not parse
    // expression: ...` (conformance rules/invalid-promql-next-to-good).
    assert_lint(
        r#"
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: bad, namespace: monitoring}
spec:
  groups:
  - name: g
    rules:
    - {alert: Good, expr: up == 0}
    - {alert: Bad, expr: rate(up)}
"#,
        1,
        &[
            r#"-:0: error: PrometheusRule monitoring/bad: spec.groups[0].rules[1].expr: group "g", rule 2, "Bad": could not parse expression: expected type matrix in call to function 'rate', got vector"#,
        ],
    );
}

#[test]
fn duplicate_group_names_are_an_error() {
    // The CRD lists groups by name: the API server refuses the object.
    assert_lint(
        r#"
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: dup, namespace: monitoring}
spec:
  groups:
  - {name: same, rules: [{record: a, expr: up}]}
  - {name: same, rules: [{record: b, expr: up}]}
"#,
        1,
        &[
            r#"-:0: error: PrometheusRule monitoring/dup: spec.groups: duplicate entry "same" (the API server refuses the object)"#,
        ],
    );
}

#[test]
fn durations_are_checked() {
    // An empty query offset passes the schema; the reference then says
    // `empty duration string` (conformance rules/empty-query-offset).
    assert_lint(
        r#"
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: offset, namespace: monitoring}
spec:
  groups:
  - {name: g, query_offset: "", rules: [{record: a, expr: up}]}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: for, namespace: monitoring}
spec:
  groups:
  - {name: g, rules: [{alert: A, expr: up == 0, for: 5 minutes}]}
"#,
        1,
        &[
            r#"-:0: error: PrometheusRule monitoring/offset: spec.groups[0].query_offset: empty duration string"#,
            r#"-:1: error: PrometheusRule monitoring/for: spec.groups[0].rules[0].for: "5 minutes" does not match "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$" (the API server refuses the object)"#,
        ],
    );
}

#[test]
fn label_and_annotation_templates_are_checked() {
    // The reference: `annotation "summary": template: __alert_A:1: function
    // "humanise" not defined` (conformance rules/invalid-templates).
    assert_lint(
        r#"
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: tmpl, namespace: monitoring}
spec:
  groups:
  - name: a
    rules:
    - alert: A
      expr: up == 0
      annotations: {summary: "{{ humanise $value }}"}
"#,
        1,
        &[
            r#"-:0: error: PrometheusRule monitoring/tmpl: spec.groups[0].rules[0].annotations: group "a", rule 1, "A": annotation "summary": template: __alert_A:1: function "humanise" not defined"#,
        ],
    );
}

#[test]
fn rules_are_checked_with_the_selecting_prometheus_version() {
    // Dotted label names are valid from Prometheus 3 (the default) but not
    // for a v2 Prometheus that selects the rule (conformance
    // rules/v2-invalid-names: `invalid label name: team.name`).
    let rule = r#"
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: dotted, namespace: monitoring}
spec:
  groups:
  - {name: b, rules: [{alert: B, expr: up == 0, labels: {team.name: x}}]}
"#;
    assert_lint(rule, 0, &[]);
    assert_lint(
        &format!("{SELECTING_PROMETHEUS}{rule}"),
        1,
        &[
            r#"-:1: error: PrometheusRule monitoring/dotted: spec.groups[0].rules[0].labels: group "b", rule 1, "B": invalid label name: team.name (with the settings of Prometheus monitoring/main)"#,
        ],
    );
}

// ---- Monitors --------------------------------------------------------------

const FILE_READING_MONITOR: &str = r#"
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: reads-token-file, namespace: monitoring}
spec:
  selector: {matchLabels: {app: x}}
  endpoints:
  - {port: web, bearerTokenFile: /var/run/secrets/token}
"#;

#[test]
fn forbidden_file_references_follow_the_selecting_prometheus() {
    // A default Prometheus allows file access; one with
    // `arbitraryFSAccessThroughSMs.deny` rejects the monitor (conformance
    // limits-enforcement/arbitrary-fs-access-deny).
    assert_lint(FILE_READING_MONITOR, 0, &[]);
    assert_lint(
        &format!("{SELECTING_PROMETHEUS}{FILE_READING_MONITOR}"),
        1,
        &[
            "-:1: error: ServiceMonitor monitoring/reads-token-file: spec.endpoints[0].bearerTokenFile: it accesses file system via bearer token file which Prometheus specification prohibits (with the settings of Prometheus monitoring/main)",
        ],
    );
}

#[test]
fn invalid_relabelings_and_regexes_are_errors() {
    // `"1invalid" is invalid 'target_label' for replace action` is the
    // reference's (limits-enforcement/invalid-relabel-rejected, a v2
    // Prometheus); the regex is compiled like Prometheus does.
    assert_lint(
        &format!(
            "{SELECTING_PROMETHEUS}{}",
            r#"
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: label, namespace: monitoring}
spec:
  selector: {matchLabels: {app: x}}
  endpoints:
  - port: web
    relabelings: [{action: replace, targetLabel: 1invalid, sourceLabels: [a]}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: regex, namespace: monitoring}
spec:
  selector: {matchLabels: {app: x}}
  endpoints:
  - port: web
    metricRelabelings: [{action: replace, targetLabel: ok, regex: "(", sourceLabels: [a]}]
"#
        ),
        1,
        &[
            r#"-:1: error: ServiceMonitor monitoring/label: spec.endpoints[0].relabelings[0]: "1invalid" is invalid 'target_label' for replace action (with the settings of Prometheus monitoring/main)"#,
            "-:2: error: ServiceMonitor monitoring/regex: spec.endpoints[0].metricRelabelings[0]: invalid regex ( for relabel configuration: regex parse error:     ^(?s:()$      ^ error: unclosed group (with the settings of Prometheus monitoring/main)",
        ],
    );
}

#[test]
fn selectors_and_port_names_are_warnings_that_strict_makes_fail() {
    let monitors = r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: everything, namespace: monitoring}
spec:
  selector: {}
  endpoints:
  - port: Web_Port
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: pods, namespace: monitoring}
spec:
  selector: {matchLabels: {app: x}}
  podMetricsEndpoints:
  - port: http-metrics-long
  - path: /metrics
"#;
    let expected = [
        r#"-:0: warning: ServiceMonitor monitoring/everything: spec.endpoints[0].port: "Web_Port" is not a valid Service port name (an RFC 1123 label)"#,
        "-:0: warning: ServiceMonitor monitoring/everything: spec.selector: empty selector: every Service of the monitor's namespaces is selected",
        "-:1: warning: PodMonitor monitoring/pods: spec.podMetricsEndpoints[0].port: \"http-metrics-long\" is not a valid container port name (an IANA service name: at most 15 characters, a-z, 0-9 and inner single '-', one letter at least)",
        "-:1: warning: PodMonitor monitoring/pods: spec.podMetricsEndpoints[1]: none of port, portNumber and targetPort: every port of the selected Pods is scraped",
    ];
    assert_lint(monitors, 0, &expected);
    let (code, lines) = lint_stdin(monitors, &["--strict"]);
    assert_eq!((code, lines.len()), (1, expected.len()));
}

#[test]
fn references_missing_from_the_input_are_warnings_and_the_rest_is_checked() {
    // The reference rejects the monitor when the Secret is missing from the
    // cluster (auth-tls/service-monitor-missing-secret); manifests in Git
    // rarely carry Secrets, so lint warns, then checks the rest.
    let monitor = r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: auth, namespace: monitoring}
spec:
  selector: {matchLabels: {app: x}}
  endpoints:
  - port: web
    basicAuth:
      username: {name: scrape-auth, key: user}
      password: {name: scrape-auth, key: pass}
  - port: web
    scrapeTimeout: 1m
    interval: 30s
"#;
    assert_lint(
        monitor,
        1,
        &[
            r#"-:0: warning: ServiceMonitor monitoring/auth: spec.endpoints[0].basicAuth.username: failed to get basic auth username: unable to get secret "scrape-auth": secrets "scrape-auth" not found (not in the input)"#,
            r#"-:0: error: ServiceMonitor monitoring/auth: spec.endpoints[1]: scrapeTimeout "1m" greater than scrapeInterval "30s""#,
        ],
    );
    // The Secret is in the input but lacks a key: an error.
    let secret = r#"
---
apiVersion: v1
kind: Secret
metadata: {name: scrape-auth, namespace: monitoring}
stringData: {pass: p}
"#;
    let (code, lines) = lint_stdin(&format!("{monitor}{secret}"), &[]);
    assert_eq!(code, 1);
    assert!(
        lines.contains(&r#"-:0: error: ServiceMonitor monitoring/auth: spec.endpoints[0].basicAuth.username: failed to get basic auth username: key "user" in secret "scrape-auth" not found"#.to_owned()),
        "{lines:#?}"
    );
}

// ---- AlertmanagerConfigs ---------------------------------------------------

fn alertmanager_config(name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: monitoring.coreos.com/v1alpha1\nkind: AlertmanagerConfig\nmetadata: {{name: {name}, namespace: team-a}}\nspec:\n{spec}"
    )
}

#[test]
fn routes_must_name_existing_receivers_and_time_intervals() {
    // The reference: `receiver "nope" not found` and `mute time interval
    // "ti" not found` (am-routing/unknown-receiver-rejected,
    // am-time-intervals/unknown-interval-rejected).
    let input = [
        alertmanager_config(
            "receiver",
            "  route: {receiver: nope}\n  receivers: [{name: r}]\n",
        ),
        alertmanager_config(
            "interval",
            "  route: {receiver: r, muteTimeIntervals: [ti]}\n  receivers: [{name: r}]\n",
        ),
    ]
    .concat();
    assert_lint(
        &input,
        1,
        &[
            r#"-:0: error: AlertmanagerConfig team-a/receiver: spec: receiver "nope" not found"#,
            r#"-:1: error: AlertmanagerConfig team-a/interval: spec: mute time interval "ti" not found"#,
        ],
    );
}

#[test]
fn matchers_are_checked() {
    let input = [
        // The schema requires a name.
        alertmanager_config(
            "empty-name",
            "  route: {receiver: r, matchers: [{name: \"\", value: x}]}\n  receivers: [{name: r}]\n",
        ),
        // The reference accepts it; Alertmanager refuses the result.
        alertmanager_config(
            "bad-regex",
            "  route: {receiver: r, matchers: [{name: sev, value: \"(\", matchType: \"=~\"}]}\n  receivers: [{name: r}]\n",
        ),
    ]
    .concat();
    assert_lint(
        &input,
        1,
        &[
            "-:0: error: AlertmanagerConfig team-a/empty-name: spec.route.matchers[0].name: must be at least 1 characters long (the API server refuses the object)",
            r#"-:1: error: AlertmanagerConfig team-a/bad-regex: spec.route.matchers[0].value: invalid regex "(": regex parse error: ^(?:()$ ^ error: unclosed group; Alertmanager would refuse the generated configuration"#,
        ],
    );
}

#[test]
fn required_fields_of_integrations_are_checked() {
    let input = alertmanager_config(
        "pagerduty",
        "  route: {receiver: r}\n  receivers:\n  - name: r\n    pagerdutyConfigs: [{url: \"https://example.com\"}]\n",
    );
    assert_lint(
        &input,
        1,
        &[
            r#"-:0: error: AlertmanagerConfig team-a/pagerduty: spec: failed to validate receiver "r": 'pagerdutyConfigs'[0]: one of 'routingKey' or 'serviceKey' is required"#,
        ],
    );
}

// ---- Input, output, exit codes ---------------------------------------------

#[test]
fn a_broken_file_among_good_ones_is_the_only_one_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = conformance_dir().join("scenarios/rules/alerting-templates.yaml");
    std::fs::copy(scenario, dir.path().join("alerting-templates.yaml")).expect("copy");
    let thanos = upstream_dir().join("example/thanos");
    for entry in std::fs::read_dir(&thanos).expect("example").flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    std::fs::write(
        dir.path().join("broken.yaml"),
        alertmanager_config(
            "broken",
            "  route: {receiver: nope}\n  receivers: [{name: r}]\n",
        ),
    )
    .expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let out = promop(&["lint", "-f", &path], None);
    assert_eq!(
        text(&out.stdout),
        format!(
            "{path}/broken.yaml:0: error: AlertmanagerConfig team-a/broken: spec: receiver \"nope\" not found\n"
        )
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unusable_input_exits_2_and_the_rest_is_still_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "key: [unclosed\n").expect("write");
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        alertmanager_config(
            "broken",
            "  route: {receiver: nope}\n  receivers: [{name: r}]\n",
        ),
    )
    .expect("write");
    let out = promop(
        &[
            "lint",
            "-f",
            &bad.to_string_lossy(),
            "-f",
            &broken.to_string_lossy(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("{}:0: error: not valid YAML: ", bad.display())),
        "{stdout}"
    );
    assert!(
        lines[1].ends_with("receiver \"nope\" not found"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(2));
    // A named file must hold Kubernetes objects.
    let (code, lines) = lint_stdin("just: a mapping\n", &[]);
    assert_eq!(code, 2);
    assert_eq!(lines, ["-:0: error: missing apiVersion or kind"]);
}

#[test]
fn json_output_names_every_part_of_a_finding() {
    let input = alertmanager_config("x", "  route: {receiver: nope}\n  receivers: [{name: r}]\n");
    let out = promop(&["lint", "-f", "-", "-o", "json"], Some(&input));
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        report,
        serde_json::json!({
            "objects": 1,
            "errors": 1,
            "warnings": 0,
            "findings": [{
                "file": "-",
                "document": 0,
                "severity": "error",
                "kind": "AlertmanagerConfig",
                "namespace": "team-a",
                "name": "x",
                "field": "spec",
                "message": "receiver \"nope\" not found",
            }],
        })
    );
}

// ---- The reference's examples and the conformance corpus --------------------

/// Directories of the upstream examples holding manifests (CRDs aside).
fn example_sets() -> Vec<PathBuf> {
    let mut sets = Vec::new();
    let mut stack = vec![upstream_dir().join("example")];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).expect("example dir");
        let mut has_yaml = false;
        for path in entries.flatten().map(|e| e.path()) {
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
fn the_reference_examples_lint_without_errors() {
    let sets = example_sets();
    assert!(sets.len() >= 8, "examples found: {sets:?}");
    for set in sets {
        let path = set.to_string_lossy().into_owned();
        let out = promop(&["lint", "-f", &path], None);
        let stdout = text(&out.stdout);
        if set.ends_with("user-guides/scrapeclass") {
            // Documentation snippets, not objects the API server accepts.
            let expected = [
                format!(
                    "{path}/scrapeclass-example-definition.yaml:0: error: Prometheus default/: metadata.name: required (the API server refuses the object)"
                ),
                format!(
                    "{path}/scrapeclass-example-podmonitor.yaml:0: error: PodMonitor default/: metadata.name: required (the API server refuses the object)"
                ),
                format!(
                    "{path}/scrapeclass-example-servicemonitor.yaml:0: error: ServiceMonitor default/servicemonitor-example: spec.selector: required value (the API server refuses the object)"
                ),
            ];
            assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
            assert_eq!(out.status.code(), Some(1));
            continue;
        }
        assert!(
            !stdout.contains(": error: "),
            "{path}: errors in the reference's examples:\n{stdout}"
        );
        assert_eq!(out.status.code(), Some(0), "{path}:\n{stdout}");
    }
}

/// A scenario of the corpus and what the reference did with it.
struct Scenario {
    id: String,
    file: PathBuf,
    expected: PathBuf,
}

fn scenarios() -> Vec<Scenario> {
    let root = conformance_dir();
    let mut out = Vec::new();
    let families = std::fs::read_dir(root.join("scenarios")).expect("scenarios");
    for family in families.flatten().map(|e| e.path()) {
        let family_name = family
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for file in std::fs::read_dir(&family)
            .expect("family")
            .flatten()
            .map(|e| e.path())
        {
            let stem = file
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            out.push(Scenario {
                id: format!("{family_name}/{stem}"),
                expected: root.join("expected").join(&family_name).join(&stem),
                file,
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Lints a scenario in process (the binary's code path, minus file reading).
fn lint_scenario(scenario: &Scenario) -> Vec<promop_core::lint::Finding> {
    let text = std::fs::read_to_string(&scenario.file).expect("scenario");
    let mut loaded = Loaded::default();
    loaded
        .add_yaml(&scenario.id, &text, "default", Strictness::ObjectsOnly)
        .expect("scenarios are Kubernetes objects");
    lint(&loaded, &Default::default())
}

fn has_file_ending(dir: &Path, suffix: &str) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with(suffix))
}

#[test]
fn scenarios_the_reference_accepted_lint_without_errors() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for scenario in scenarios() {
        if !scenario.expected.is_dir()
            || SILENT_DROPS.iter().any(|(id, _)| *id == scenario.id)
            || scenario.expected.join("rejected.txt").exists()
            || has_file_ending(&scenario.expected, ".error")
        {
            continue;
        }
        checked += 1;
        let refused_by_promop: Vec<&str> = PROMOP_REJECTS
            .iter()
            .filter(|(id, _)| *id == scenario.id)
            .map(|(_, object)| *object)
            .collect();
        let mut reported = BTreeSet::new();
        for finding in lint_scenario(&scenario) {
            if finding.severity != Severity::Error {
                continue;
            }
            let line = finding.to_string();
            match refused_by_promop
                .iter()
                .find(|object| line.contains(&format!(": {object}: ")))
            {
                Some(object) => _ = reported.insert(*object),
                None => failures.push(line),
            }
        }
        for object in refused_by_promop.iter().filter(|o| !reported.contains(*o)) {
            failures.push(format!("{}: no error for {object}", scenario.id));
        }
    }
    eprintln!("{checked} accepted scenarios linted");
    assert!(checked >= 400, "only {checked} accepted scenarios");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The objects a reference log names as skipped: `Kind namespace/name`.
fn rejected_objects(log: &str) -> BTreeSet<String> {
    let field = |line: &str, name: &str| {
        line.split(' ')
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .map(|v| v.trim_matches('"').to_owned())
    };
    let mut out = BTreeSet::new();
    for line in log.lines() {
        let object = if line.contains("msg=\"skipping alertmanagerconfig\"") {
            field(line, "alertmanagerconfig").map(|o| format!("AlertmanagerConfig {o}"))
        } else if line.contains("msg=\"skipping prometheusrule\"") {
            field(line, "namespace")
                .zip(field(line, "prometheusrule"))
                .map(|(ns, name)| format!("PrometheusRule {ns}/{name}"))
        } else if line.contains("msg=\"skipping object\"") {
            field(line, "kind")
                .zip(field(line, "object"))
                .map(|(kind, o)| format!("{kind} {o}"))
        } else {
            None
        };
        out.extend(object);
    }
    out
}

/// Objects the reference drops without a log line (known differences):
/// with `enforcedNamespaceLabel` a PrometheusRule whose PromQL does not
/// parse is left out of the rule files silently.
const SILENT_DROPS: [(&str, &str); 2] = [
    ("rules/enforce-invalid-promql", "PrometheusRule app/broken"),
    (
        "rules/experimental-functions-enforced",
        "PrometheusRule app/experimental",
    ),
];

/// Objects the reference accepts and promop rejects on purpose
/// (conformance/known-differences.md): lint must report them as errors.
const PROMOP_REJECTS: [(&str, &str); 3] = [
    (
        "am-selection/templated-url",
        "AlertmanagerConfig team-a/tpl",
    ),
    (
        "limits-enforcement/monitor-file-access-tenant",
        "ServiceMonitor tenant-a/reads-token-file",
    ),
    (
        "limits-enforcement/monitor-file-access-tenant",
        "ServiceMonitor tenant-a/reads-tls-key",
    ),
];

/// Rejections that lint reports as warnings by design: the Secret is not
/// in the scenario, and manifests in Git rarely carry their Secrets.
const MISSING_SECRETS: [&str; 2] = [
    "am-receivers/webhook-missing-secret: AlertmanagerConfig team-a/cfg",
    "am-selection/invalid-next-to-valid: AlertmanagerConfig team-b/bad",
];

#[test]
fn objects_the_reference_rejected_are_errors() {
    let (mut total, mut caught) = (0, 0);
    let mut missed = Vec::new();
    for scenario in scenarios() {
        let log = std::fs::read_to_string(scenario.expected.join("rejected.txt"));
        let mut rejected = log.as_deref().map(rejected_objects).unwrap_or_default();
        for (id, object) in SILENT_DROPS {
            if id == scenario.id {
                rejected.insert(object.to_owned());
            }
        }
        if rejected.is_empty() {
            continue;
        }
        let findings = lint_scenario(&scenario);
        let flagged = |severity: Severity| -> BTreeSet<String> {
            findings
                .iter()
                .filter(|f| f.severity == severity)
                .filter_map(|f| f.object.as_ref().map(ToString::to_string))
                .collect()
        };
        let (errors, warnings) = (flagged(Severity::Error), flagged(Severity::Warning));
        for object in rejected {
            total += 1;
            let id = format!("{}: {object}", scenario.id);
            if errors.contains(&object) {
                caught += 1;
            } else if warnings.contains(&object) && MISSING_SECRETS.contains(&id.as_str()) {
                // Told, as a warning.
            } else {
                missed.push(id);
            }
        }
    }
    eprintln!(
        "lint reports {caught}/{total} objects the reference rejected as errors, {} as missing-Secret warnings",
        MISSING_SECRETS.len()
    );
    assert!(total >= 40, "only {total} rejected objects in the corpus");
    assert!(missed.is_empty(), "not reported:\n{}", missed.join("\n"));
    assert_eq!(caught + MISSING_SECRETS.len(), total);
}

/// Scenarios whose workload the reference refuses for an object of the
/// cluster that lint does not read.
const CLUSTER_REFUSALS: &[&str] = &["thanos-ruler/custom-service-name"];

#[test]
fn workloads_the_reference_refused_to_configure_have_errors() {
    // `<ns>__<name>.error` / `.alertmanager.error`: the reference wrote no
    // configuration for the workload; lint must fail such input too.
    let (mut total, mut missed) = (0, Vec::new());
    for scenario in scenarios() {
        if !has_file_ending(&scenario.expected, ".error") {
            continue;
        }
        // Refused for the cluster's Service (spec.serviceName), which the
        // operator reads; manifests tell nothing about it.
        if CLUSTER_REFUSALS.contains(&scenario.id.as_str()) {
            continue;
        }
        total += 1;
        let findings = lint_scenario(&scenario);
        if !findings.iter().any(|f| f.severity == Severity::Error) {
            missed.push(scenario.id);
        }
    }
    eprintln!(
        "lint fails {}/{total} scenarios whose workload the reference refused",
        total - missed.len()
    );
    assert!(total >= 10, "only {total} refused workloads in the corpus");
    assert!(missed.is_empty(), "no error for:\n{}", missed.join("\n"));
}
