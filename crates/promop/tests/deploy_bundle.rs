//! The deployment bundle of deploy/: the Helm chart (CRDs identical to
//! `promop crds`, `helm lint`, `helm template`), the example stack (renders,
//! promtool/amtool accept every generated configuration, `promop lint`
//! passes), both accepted by a server-side dry run on a real kube-apiserver,
//! the Grafana dashboards' PromQL, the Argo CD objects and the deploy script.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kube::api::{DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use kube::{Api, Client};
use promop_api::v1::{Prometheus, PrometheusRule};
use promop_core::prometheus::rules::promql::{Features, parse};
use promop_core::prometheus::rules::{RuleContext, rule_file};
use promop_testenv::{
    AlertmanagerVersion, PrometheusVersion, TestEnv, install_crds, parse_yaml_documents,
};
use promql_parser::parser::Expr;
use serde_json::Value;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn chart_dir() -> PathBuf {
    deploy_dir().join("helm/promop")
}

fn examples_dir() -> PathBuf {
    deploy_dir().join("examples")
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {:?}: {e}", cmd.get_program()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn promop(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_promop")).args(args))
}

/// `helm <args>` from the test bed; panics naming testenv/install.sh when
/// helm is not installed, and with helm's output when it fails.
fn helm(args: &[&str]) -> String {
    let helm = promop_testenv::binary("helm").unwrap_or_else(|e| panic!("{e:#}"));
    let out = run(Command::new(helm).args(args));
    assert!(
        out.status.success(),
        "helm {args:?} failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The chart rendered as the release `promop` in `promop-system`.
fn template(extra: &[&str]) -> Vec<Value> {
    let chart = chart_dir();
    let mut args = vec![
        "template",
        "promop",
        chart.to_str().expect("UTF-8 path"),
        "--namespace",
        "promop-system",
    ];
    args.extend_from_slice(extra);
    parse_yaml_documents(&helm(&args)).expect("helm template prints YAML")
}

/// Every YAML file under `dir` (sorted), recursively.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every object of the YAML files under `dir`.
fn objects_in(dir: &Path) -> Vec<Value> {
    yaml_files(dir)
        .iter()
        .flat_map(|file| {
            let body = std::fs::read_to_string(file).expect("readable manifest");
            parse_yaml_documents(&body).unwrap_or_else(|e| panic!("{}: {e:#}", file.display()))
        })
        .collect()
}

fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

fn name(object: &Value) -> String {
    format!(
        "{} {}/{}",
        kind(object),
        object["metadata"]["namespace"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap_or_default()
    )
}

fn of_kind<'a>(objects: &'a [Value], wanted: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| kind(o) == wanted).collect()
}

// --- the chart --------------------------------------------------------------

#[test]
fn chart_crds_are_what_promop_crds_prints() {
    let fresh = tempfile::tempdir().expect("temp dir");
    let out = promop(&["crds", "--out-dir", &fresh.path().to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let names = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .expect("CRD directory")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    };
    let chart_crds = chart_dir().join("crds");
    assert_eq!(
        names(&chart_crds),
        names(fresh.path()),
        "deploy/helm/promop/crds holds other files than `promop crds --out-dir`"
    );
    assert_eq!(names(fresh.path()).len(), 10);
    for file in names(fresh.path()) {
        let want = std::fs::read(fresh.path().join(&file)).expect("generated CRD");
        let have = std::fs::read(chart_crds.join(&file)).expect("chart CRD");
        assert!(
            want == have,
            "deploy/helm/promop/crds/{file} is stale: run `cargo run -q -p promop -- crds --out-dir deploy/helm/promop/crds`"
        );
    }
}

#[test]
fn helm_lint_passes_for_one_and_several_replicas() {
    let chart = chart_dir();
    let chart = chart.to_str().expect("UTF-8 path");
    helm(&["lint", "--strict", chart]);
    helm(&["lint", "--strict", chart, "--set", "replicaCount=3"]);
}

fn container(objects: &[Value]) -> &Value {
    let deployments = of_kind(objects, "Deployment");
    assert_eq!(deployments.len(), 1);
    &deployments[0]["spec"]["template"]["spec"]["containers"][0]
}

fn args(objects: &[Value]) -> Vec<String> {
    container(objects)["args"]
        .as_array()
        .expect("container args")
        .iter()
        .filter_map(|a| a.as_str().map(String::from))
        .collect()
}

#[test]
fn leader_election_and_its_role_only_with_several_replicas() {
    let single = template(&[]);
    assert!(
        args(&single)
            .iter()
            .all(|a| !a.starts_with("--leader-elect")),
        "{:?}",
        args(&single)
    );
    assert!(of_kind(&single, "Role").is_empty());
    assert!(of_kind(&single, "RoleBinding").is_empty());

    let ha = template(&["--set", "replicaCount=2"]);
    assert_eq!(of_kind(&ha, "Deployment")[0]["spec"]["replicas"], 2);
    let ha_args = args(&ha);
    assert_eq!(ha_args[0], "run");
    for want in [
        "--leader-elect=true",
        "--leader-election-namespace=promop-system",
        "--leader-election-id=promop",
    ] {
        assert!(ha_args.iter().any(|a| a == want), "{want} in {ha_args:?}");
    }
    let role = of_kind(&ha, "Role")[0];
    let rules = role["rules"].as_array().expect("rules");
    assert!(
        rules
            .iter()
            .all(|r| r["apiGroups"] == serde_json::json!(["coordination.k8s.io"]))
    );
    // get/update are limited to the Lease's name; only create is not.
    for rule in rules {
        let verbs = rule["verbs"].as_array().expect("verbs");
        if verbs.iter().any(|v| v == "get" || v == "update") {
            assert_eq!(rule["resourceNames"], serde_json::json!(["promop"]));
        }
    }
}

#[test]
fn deployment_runs_non_root_with_probes_and_pod_identity() {
    let objects = template(&[]);
    let c = container(&objects);
    assert_eq!(c["image"], "ghcr.io/promop/promop:0.1.0");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    let pod = &of_kind(&objects, "Deployment")[0]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let env: BTreeMap<&str, &str> = c["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or_default(),
                e["valueFrom"]["fieldRef"]["fieldPath"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(env.get("POD_NAME"), Some(&"metadata.name"));
    assert_eq!(env.get("POD_NAMESPACE"), Some(&"metadata.namespace"));
    assert!(args(&objects).contains(&"--web.listen-address=:8080".to_owned()));
    // The Service and ServiceMonitor reach the container's port by name.
    assert_eq!(
        of_kind(&objects, "Service")[0]["spec"]["ports"][0]["targetPort"],
        "http"
    );
    assert_eq!(
        of_kind(&objects, "ServiceMonitor")[0]["spec"]["endpoints"][0]["port"],
        "http"
    );
    // The test hook curls /readyz through the Service.
    let hook = of_kind(&objects, "Pod")[0];
    assert_eq!(hook["metadata"]["annotations"]["helm.sh/hook"], "test");
    let curl = hook["spec"]["containers"][0]["args"].to_string();
    assert!(
        curl.contains("http://promop.promop-system.svc:8080/readyz"),
        "{curl}"
    );
}

const KUBELET_VALUES: &[&str] = &[
    "--set",
    "kubelet.service=kube-system/kubelet",
    "--set",
    "kubelet.endpointSlice=true",
];

/// The kubelet endpoints controller: off (no flag, no rule on nodes) by
/// default; when enabled, its flags and the rules kubelet.rs needs — Nodes
/// listed cluster-wide, Services/Endpoints/EndpointSlices in the Service's
/// namespace only.
#[test]
fn the_kubelet_controller_gets_its_flags_and_rules_when_enabled() {
    let default = template(&[]);
    assert!(!args(&default).iter().any(|a| a.starts_with("--kubelet")));
    assert!(!serde_json::to_string(&default).unwrap().contains("nodes"));

    let objects = template(KUBELET_VALUES);
    let args = args(&objects);
    for want in [
        "--kubelet-service=kube-system/kubelet",
        "--kubelet-endpointslice=true",
    ] {
        assert!(args.iter().any(|a| a == want), "{want} in {args:?}");
    }
    let cluster_role = of_kind(&objects, "ClusterRole")
        .into_iter()
        .find(|r| r["metadata"]["name"] == "promop-kubelet")
        .expect("a ClusterRole for the kubelet controller");
    assert_eq!(
        cluster_role["rules"],
        serde_json::json!([{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}])
    );
    let role = of_kind(&objects, "Role")
        .into_iter()
        .find(|r| r["metadata"]["name"] == "promop-kubelet")
        .expect("a Role for the kubelet controller");
    assert_eq!(role["metadata"]["namespace"], "kube-system");
    assert_eq!(
        role["rules"],
        serde_json::json!([
            {"apiGroups": [""], "resources": ["services", "endpoints"], "verbs": ["create", "patch"]},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "create", "patch", "delete"]},
        ])
    );
}

/// The ClusterRole grants what promop calls and nothing of the reference's
/// wildcards: no `*`, no update of Secrets/ConfigMaps, no pods or nodes.
#[test]
fn cluster_role_is_narrower_than_the_reference() {
    let objects = template(&[]);
    let role = of_kind(&objects, "ClusterRole")[0];
    let mut grants: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for rule in role["rules"].as_array().expect("rules") {
        let strings = |key: &str| -> Vec<String> {
            rule[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        for group in strings("apiGroups") {
            for resource in strings("resources") {
                grants
                    .entry((group.clone(), resource))
                    .or_default()
                    .extend(strings("verbs"));
            }
        }
    }
    for ((group, resource), verbs) in &grants {
        assert!(!verbs.contains("*"), "{group}/{resource}: *");
        assert!(!verbs.contains("deletecollection"), "{group}/{resource}");
        assert_ne!(resource, "*", "{group}: every resource");
    }
    let verbs = |group: &str, resource: &str| -> BTreeSet<&str> {
        grants
            .get(&(group.to_owned(), resource.to_owned()))
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    };
    let set = |v: &[&'static str]| v.iter().copied().collect::<BTreeSet<_>>();
    let rw = set(&["get", "list", "watch", "create", "patch", "delete"]);
    assert_eq!(verbs("", "secrets"), rw);
    assert_eq!(verbs("", "configmaps"), rw);
    assert_eq!(
        verbs("apps", "statefulsets"),
        set(&["list", "watch", "create", "patch", "delete"])
    );
    assert_eq!(verbs("", "namespaces"), set(&["list", "watch"]));
    assert_eq!(verbs("events.k8s.io", "events"), set(&["create", "patch"]));
    assert_eq!(
        verbs("monitoring.coreos.com", "servicemonitors"),
        set(&["list", "watch"])
    );
    assert_eq!(
        verbs("monitoring.coreos.com", "prometheuses/status"),
        set(&["patch"])
    );
    for absent in ["pods", "nodes", "endpoints"] {
        assert!(verbs("", absent).is_empty(), "{absent} granted");
    }
    // Leases are not in the ClusterRole (a Role in one namespace).
    assert!(verbs("coordination.k8s.io", "leases").is_empty());
}

// --- the example stack ------------------------------------------------------

/// Renders deploy/examples into a temporary directory; returns the files.
fn render_examples() -> (tempfile::TempDir, Vec<PathBuf>, String) {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let out = promop(&[
        "render",
        "-f",
        &examples_dir().to_string_lossy(),
        "--out-dir",
        &out_dir.path().to_string_lossy(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "promop render: {stderr}");
    let files = yaml_files(out_dir.path());
    (out_dir, files, stderr)
}

#[test]
fn examples_render_to_configs_that_promtool_and_amtool_accept() {
    let objects = objects_in(&examples_dir());
    let (dir, files, stderr) = render_examples();
    // Nothing selected was skipped as invalid.
    assert!(!stderr.contains("skipped"), "{stderr}");
    let rendered: BTreeSet<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(dir.path())
                .expect("under out dir")
                .display()
                .to_string()
        })
        .collect();
    let mut expected = BTreeSet::new();
    for p in of_kind(&objects, "Prometheus") {
        expected.insert(format!(
            "{}/{}/prometheus.yaml",
            p["metadata"]["namespace"].as_str().expect("namespace"),
            p["metadata"]["name"].as_str().expect("name")
        ));
    }
    for a in of_kind(&objects, "Alertmanager") {
        expected.insert(format!(
            "{}/{}/alertmanager.yaml",
            a["metadata"]["namespace"].as_str().expect("namespace"),
            a["metadata"]["name"].as_str().expect("name")
        ));
    }
    assert_eq!(rendered, expected, "one configuration per workload");

    let prometheus: Prometheus = serde_json::from_value(of_kind(&objects, "Prometheus")[0].clone())
        .expect("the example Prometheus");
    let prom_version = PrometheusVersion::of_spec(prometheus.spec.common.version.as_deref());
    for file in &files {
        let body = std::fs::read_to_string(file).expect("rendered config");
        if file.ends_with("alertmanager.yaml") {
            let version = of_kind(&objects, "Alertmanager")[0]["spec"]["version"]
                .as_str()
                .map(String::from);
            AlertmanagerVersion::of_spec(version.as_deref())
                .check_config(&body)
                .unwrap_or_else(|e| panic!("amtool rejects {}:\n{e:#}", file.display()));
            // Critical alerts page, the rest goes to Slack.
            assert!(
                body.contains("routing_key: REPLACE_WITH_PAGERDUTY_ROUTING_KEY"),
                "{body}"
            );
            assert!(body.contains("severity=\"critical\""), "{body}");
            assert!(body.contains("slack_configs:"), "{body}");
        } else {
            prom_version
                .check_config(&body, &["--syntax-only"])
                .unwrap_or_else(|e| panic!("promtool rejects {}:\n{e:#}", file.display()));
            for job in [
                "serviceMonitor/orders/orders-service/0",
                "serviceMonitor/orders/orders-service/1",
                "serviceMonitor/monitoring/pushgateway/0",
                "podMonitor/monitoring/blackbox-exporter/0",
                "probe/monitoring/orders-service-http",
            ] {
                assert!(
                    body.contains(&format!("job_name: {job}\n")),
                    "{job} missing"
                );
            }
            assert!(body.contains("remote_write:"), "no remote_write");
            assert!(body.contains("alertmanagers:"), "no alerting");
            assert!(
                body.contains("prometheus_replica: $(POD_NAME)"),
                "no replica label"
            );
        }
    }

    // The rule files promop writes for the example Prometheus pass promtool.
    let ctx = RuleContext::for_prometheus(&prometheus).expect("rule context");
    let rules_dir = tempfile::tempdir().expect("temp dir");
    let mut rule_files = Vec::new();
    for rule in of_kind(&objects, "PrometheusRule") {
        let rule: PrometheusRule = serde_json::from_value(rule.clone()).expect("PrometheusRule");
        let body =
            rule_file(&rule, &ctx).unwrap_or_else(|e| panic!("{}: {e}", name(&rule_json(&rule))));
        let path = rules_dir.path().join(format!(
            "{}.yaml",
            rule.metadata.name.clone().unwrap_or_default()
        ));
        std::fs::write(&path, body).expect("rule file written");
        rule_files.push(path);
    }
    assert_eq!(rule_files.len(), 2);
    let promtool =
        promop_testenv::binary(prom_version.validator()).unwrap_or_else(|e| panic!("{e:#}"));
    let out = run(Command::new(promtool)
        .args(["check", "rules"])
        .args(&rule_files));
    assert!(
        out.status.success(),
        "promtool check rules:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn rule_json(rule: &PrometheusRule) -> Value {
    serde_json::to_value(rule).unwrap_or_default()
}

#[test]
fn examples_pass_promop_lint_strictly() {
    let out = promop(&["lint", "--strict", "-f", &examples_dir().to_string_lossy()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("0 errors, 0 warnings"),
        "{}",
        text(&out.stderr)
    );
}

// --- server-side dry run on the local apiserver -------------------------------

/// Server-side applies `objects` as a dry run; returns how many were accepted
/// and the refusals (`Kind ns/name: message`).
async fn dry_run(client: &Client, objects: &[Value]) -> (usize, Vec<String>) {
    let discovery = Discovery::new(client.clone())
        .run_aggregated()
        .await
        .expect("discovery");
    let params = PatchParams::apply("promop-deploy-bundle").force().dry_run();
    let mut accepted = 0;
    let mut refused = Vec::new();
    for object in objects {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let gvk = match api_version.split_once('/') {
            Some((group, version)) => GroupVersionKind::gvk(group, version, kind(object)),
            None => GroupVersionKind::gvk("", api_version, kind(object)),
        };
        let Some((resource, caps)) = discovery.resolve_gvk(&gvk) else {
            refused.push(format!("{}: {api_version} is not served", name(object)));
            continue;
        };
        let object_name = object["metadata"]["name"].as_str().unwrap_or_default();
        let api: Api<DynamicObject> = match caps.scope {
            Scope::Namespaced => Api::namespaced_with(
                client.clone(),
                object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("default"),
                &resource,
            ),
            Scope::Cluster => Api::all_with(client.clone(), &resource),
        };
        match api.patch(object_name, &params, &Patch::Apply(object)).await {
            Ok(_) => accepted += 1,
            Err(e) => refused.push(format!("{}: {e}", name(object))),
        }
    }
    (accepted, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_and_examples_pass_a_server_side_dry_run() {
    let env = TestEnv::start()
        .await
        .unwrap_or_else(|e| panic!("starting the test bed: {e:#}"));
    let client = env.client();
    install_crds(&client, &chart_dir().join("crds"))
        .await
        .expect("the chart's CRDs install");
    // A dry run cannot create the Namespaces the other objects go into.
    let examples = objects_in(&examples_dir());
    let namespaces: Vec<Value> = of_kind(&examples, "Namespace")
        .into_iter()
        .cloned()
        .collect();
    let release_ns = serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "promop-system"}
    });
    let documents: Vec<String> = namespaces
        .iter()
        .chain([&release_ns])
        .map(|ns| format!("---\n{ns}\n"))
        .collect();
    promop_testenv::apply_manifests(&client, &documents.concat())
        .await
        .expect("namespaces created");

    for (label, objects) in [
        ("chart (1 replica)", template(&["--include-crds"])),
        ("chart (3 replicas)", template(&["--set", "replicaCount=3"])),
        ("chart (kubelet controller)", template(KUBELET_VALUES)),
        ("examples", examples.clone()),
    ] {
        let (accepted, refused) = dry_run(&client, &objects).await;
        assert!(
            refused.is_empty(),
            "{label}: refused:\n{}",
            refused.join("\n")
        );
        assert_eq!(accepted, objects.len(), "{label}");
        assert!(accepted > 5, "{label}: only {accepted} objects");
    }
}

// --- dashboards ---------------------------------------------------------------

/// Every `expr` of a dashboard's panels (rows' nested panels included).
fn exprs(panels: &Value, out: &mut Vec<String>) {
    for panel in panels.as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                out.push(expr.to_owned());
            }
        }
        exprs(&panel["panels"], out);
    }
}

/// The metric names an expression selects.
fn metric_names(expr: &Expr, out: &mut BTreeSet<String>) {
    match expr {
        Expr::VectorSelector(vs) => out.extend(vs.name.clone()),
        Expr::MatrixSelector(ms) => out.extend(ms.vs.name.clone()),
        Expr::Aggregate(a) => {
            metric_names(&a.expr, out);
            if let Some(param) = &a.param {
                metric_names(param, out);
            }
        }
        Expr::Binary(b) => {
            metric_names(&b.lhs, out);
            metric_names(&b.rhs, out);
        }
        Expr::Unary(u) => metric_names(&u.expr, out),
        Expr::Paren(p) => metric_names(&p.expr, out),
        Expr::Subquery(s) => metric_names(&s.expr, out),
        Expr::Call(call) => call.args.args.iter().for_each(|a| metric_names(a, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// orders-service's metric names, each checked against its source
/// (examples/orders-service/src/metrics.rs), with the series a histogram
/// exports.
fn orders_service_metrics() -> BTreeSet<String> {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/orders-service/src/metrics.rs");
    let source = std::fs::read_to_string(&source).expect("orders-service's metrics.rs");
    let mut names = BTreeSet::new();
    for (metric, histogram) in [
        ("orders_total", false),
        ("order_duration_seconds", true),
        ("active_orders", false),
    ] {
        assert!(
            source.contains(&format!("\"{metric}\"")),
            "orders-service no longer exports {metric}"
        );
        if histogram {
            for suffix in ["_bucket", "_sum", "_count"] {
                names.insert(format!("{metric}{suffix}"));
            }
        } else {
            names.insert(metric.to_owned());
        }
    }
    // metrics-process' collector (process_<field>), which orders-service runs.
    names.extend(["process_cpu_seconds_total", "process_resident_memory_bytes"].map(String::from));
    names
}

fn promop_metrics() -> BTreeSet<String> {
    use promop_operator::telemetry as t;
    let mut names: BTreeSet<String> = [
        t::RECONCILES,
        t::RECONCILE_ERRORS,
        t::WATCH_EVENTS,
        t::REJECTED,
        t::WRITES,
        t::LEADER,
        t::CACHES_SYNCED,
        t::BUILD_INFO,
    ]
    .map(String::from)
    .into();
    for suffix in ["_bucket", "_sum", "_count"] {
        names.insert(format!("{}{suffix}", t::RECONCILE_DURATION));
    }
    names
}

fn recording_rules(objects: &[Value]) -> BTreeSet<String> {
    of_kind(objects, "PrometheusRule")
        .iter()
        .flat_map(|r| r["spec"]["groups"].as_array().cloned().unwrap_or_default())
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["record"].as_str().map(String::from))
        .collect()
}

#[test]
fn dashboards_parse_and_query_only_known_metrics() {
    let objects = objects_in(&examples_dir());
    let recorded = recording_rules(&objects);
    assert!(
        recorded.contains("job:order_duration_seconds:p99_5m"),
        "{recorded:?}"
    );
    let orders = orders_service_metrics();
    let promop = promop_metrics();
    // `up` is written by Prometheus itself for every target.
    let known: BTreeSet<String> = orders
        .iter()
        .chain(&promop)
        .chain(&recorded)
        .cloned()
        .chain(["up".to_owned()])
        .collect();

    let mut used_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let config_maps: Vec<&Value> = of_kind(&objects, "ConfigMap")
        .into_iter()
        .filter(|c| c["metadata"]["labels"]["grafana_dashboard"] == "1")
        .collect();
    assert_eq!(
        config_maps.len(),
        2,
        "dashboards of orders-service and promop"
    );
    for cm in config_maps {
        for (key, json) in cm["data"].as_object().expect("data") {
            assert!(key.ends_with(".json"), "{key}");
            let dashboard: Value = serde_json::from_str(json.as_str().expect("text"))
                .unwrap_or_else(|e| panic!("{key}: {e}"));
            let uid = dashboard["uid"].as_str().expect("uid").to_owned();
            let mut all = Vec::new();
            exprs(&dashboard["panels"], &mut all);
            assert!(all.len() >= 8, "{uid}: {} queries", all.len());
            for expr in all {
                let parsed = parse(&expr, Features::default())
                    .unwrap_or_else(|e| panic!("{uid}: {expr}: {e}"));
                let mut names = BTreeSet::new();
                metric_names(&parsed, &mut names);
                assert!(!names.is_empty(), "{uid}: {expr} selects no metric");
                for n in names {
                    assert!(known.contains(&n), "{uid}: {expr}: unknown metric {n}");
                    used_by.entry(uid.clone()).or_default().insert(n);
                }
            }
        }
    }
    // Each dashboard covers the metrics it is about (directly or recorded).
    let orders_used = &used_by["orders-service"];
    for m in [
        "orders_total",
        "order_duration_seconds_bucket",
        "active_orders",
    ] {
        assert!(
            orders_used.contains(m),
            "orders-service dashboard lacks {m}"
        );
    }
    let promop_used = &used_by["promop"];
    for m in [
        "promop_reconcile_duration_seconds_bucket",
        "promop_reconcile_errors_total",
        "promop_rejected_objects_total",
        "promop_writes_total",
        "promop_leader",
    ] {
        assert!(promop_used.contains(m), "promop dashboard lacks {m}");
    }
    // promop_reconciles_total is read through its recording rule.
    assert!(promop_used.contains("controller:promop_reconciles:rate5m"));
}

// --- Argo CD ----------------------------------------------------------------

#[test]
fn argocd_objects_point_at_the_bundle_and_differ_per_environment() {
    let objects = objects_in(&deploy_dir().join("argocd"));
    let app = of_kind(&objects, "Application")[0];
    let set = of_kind(&objects, "ApplicationSet")[0];
    for o in [app, set] {
        assert_eq!(o["apiVersion"], "argoproj.io/v1alpha1");
    }
    let paths = |sources: &Value| -> Vec<String> {
        sources
            .as_array()
            .expect("sources")
            .iter()
            .map(|s| s["path"].as_str().expect("path").to_owned())
            .collect()
    };
    let repo_root = deploy_dir().join("..");
    for sources in [
        &app["spec"]["sources"],
        &set["spec"]["template"]["spec"]["sources"],
    ] {
        let paths = paths(sources);
        assert_eq!(paths, ["deploy/helm/promop", "deploy/examples"]);
        for p in paths {
            assert!(repo_root.join(&p).is_dir(), "{p}");
        }
    }
    // The Application's values render.
    let values =
        serde_json::to_string(&app["spec"]["sources"][0]["helm"]["valuesObject"]).expect("JSON");
    let values_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(values_file.path(), values).expect("values written");
    let rendered = template(&["--values", &values_file.path().to_string_lossy()]);
    assert_eq!(
        of_kind(&rendered, "ServiceMonitor")[0]["metadata"]["labels"]["stack"],
        "orders-example"
    );

    // dev and prod, with different values; each renders with its parameters.
    let elements = set["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .expect("list generator");
    let envs: Vec<&str> = elements.iter().filter_map(|e| e["env"].as_str()).collect();
    assert_eq!(envs, ["dev", "prod"]);
    assert_ne!(elements[0]["replicas"], elements[1]["replicas"]);
    let parameters = set["spec"]["template"]["spec"]["sources"][0]["helm"]["parameters"]
        .as_array()
        .expect("helm parameters");
    for element in elements {
        let mut sets = Vec::new();
        for p in parameters {
            let value = p["value"].as_str().expect("value");
            // {{ .key }} of the go template, from the element.
            let value = match value
                .strip_prefix("{{ .")
                .and_then(|v| v.strip_suffix(" }}"))
            {
                Some(key) => element[key].as_str().expect("element value").to_owned(),
                None => value.to_owned(),
            };
            sets.push("--set".to_owned());
            sets.push(format!("{}={value}", p["name"].as_str().expect("name")));
        }
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let rendered = template(&sets);
        let replicas: i64 = element["replicas"]
            .as_str()
            .expect("replicas")
            .parse()
            .expect("number");
        assert_eq!(
            of_kind(&rendered, "Deployment")[0]["spec"]["replicas"],
            replicas
        );
        assert_eq!(
            args(&rendered).contains(&"--leader-elect=true".to_owned()),
            replicas > 1,
            "{}",
            element["env"]
        );
    }
}

// --- deploy-monitoring.sh ------------------------------------------------------

/// Stub kubectl and helm that log their arguments, one call a line.
fn stub_tools(dir: &Path) -> PathBuf {
    let log = dir.join("calls.log");
    for tool in ["kubectl", "helm"] {
        let path = dir.join(tool);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho \"{tool} $*\" >> '{}'\ncase \"$*\" in *'version'*) echo '{{}}' ;; esac\nexit 0\n",
                log.display()
            ),
        )
        .expect("stub written");
        let mut perms = std::fs::metadata(&path).expect("stub").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).expect("chmod");
    }
    log
}

fn deploy_script(stubs: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        stubs.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run(Command::new("bash")
        .arg(deploy_dir().join("deploy-monitoring.sh"))
        .args(args)
        .env("PATH", path))
}

#[test]
fn deploy_script_applies_crds_then_chart_then_examples() {
    let stubs = tempfile::tempdir().expect("temp dir");
    let log = stub_tools(stubs.path());
    let out = deploy_script(stubs.path(), &["--replicas", "2", "--no-wait"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = std::fs::read_to_string(&log).expect("calls logged");
    let position = |needle: &str| {
        calls
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no call with {needle:?} in:\n{calls}"))
    };
    let crds = position("apply --server-side --force-conflicts --field-manager=promop-deploy -f");
    let chart = position("helm upgrade --install promop");
    let examples = position("-R -f");
    assert!(crds < chart && chart < examples, "{calls}");
    let chart_call = calls.lines().nth(chart).expect("helm call");
    for flag in [
        "--skip-crds",
        "--create-namespace",
        "--namespace promop-system",
        "--set replicaCount=2",
    ] {
        assert!(chart_call.contains(flag), "{flag} in {chart_call}");
    }
    assert!(!calls.contains("--dry-run"), "{calls}");
    assert!(
        !calls.contains("rollout status"),
        "--no-wait waits: {calls}"
    );
    // The steps are announced.
    let stderr = text(&out.stderr);
    for step in ["1/3 CRDs", "2/3 promop", "3/3 example stack"] {
        assert!(stderr.contains(step), "{stderr}");
    }

    // A dry run changes nothing.
    std::fs::remove_file(&log).expect("log reset");
    let out = deploy_script(stubs.path(), &["--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = std::fs::read_to_string(&log).expect("calls logged");
    for call in calls.lines().filter(|l| l.contains(" apply ")) {
        assert!(call.contains("--dry-run=server"), "{call}");
    }
    assert!(calls.contains("helm upgrade --install promop"), "{calls}");
    assert!(
        calls
            .lines()
            .filter(|l| l.starts_with("helm upgrade"))
            .all(|l| l.contains("--dry-run="))
    );
}

#[test]
fn deploy_script_refuses_bad_arguments_and_missing_tools() {
    let stubs = tempfile::tempdir().expect("temp dir");
    stub_tools(stubs.path());
    let out = deploy_script(stubs.path(), &["--replicas", "0"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--replicas must be a positive number"));

    // Only a PATH without helm: the script names it.
    let no_helm = tempfile::tempdir().expect("temp dir");
    std::fs::copy(stubs.path().join("kubectl"), no_helm.path().join("kubectl")).expect("copy");
    for tool in ["bash", "sed", "head", "dirname"] {
        let found = run(Command::new("sh").args(["-c", &format!("command -v {tool}")]));
        let found = text(&found.stdout).trim().to_owned();
        std::os::unix::fs::symlink(&found, no_helm.path().join(tool)).expect("symlink");
    }
    let out = run(Command::new(no_helm.path().join("bash"))
        .arg(deploy_dir().join("deploy-monitoring.sh"))
        .env("PATH", no_helm.path()));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("helm not found in PATH"),
        "{}",
        text(&out.stderr)
    );
}
