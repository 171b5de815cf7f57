//! deploy/examples/openfaas: `promop lint --strict`, the configurations
//! `promop render` writes with the example stack (promtool / amtool), the
//! autoscaling rule's `promtool test rules`, and a server-side dry run.
//!
//! The folder holds plain manifests only (core kinds and promop's CRDs): no
//! OpenFaaS `Function` (openfaas.com/v1) object, whose CRD cannot be had
//! here (github.com/openfaas/faas-netes is not served by the Go module
//! proxy); the function is deployed with faas-cli and
//! examples/openfaas-function/stack.yml instead.
use super::examples::dry_run;
use super::*;

fn openfaas_dir() -> PathBuf {
    examples_dir().join("openfaas")
}

/// The folder's manifests: its own *.yaml (tests/ holds promtool's files).
fn openfaas_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(openfaas_dir())
        .expect("deploy/examples/openfaas")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The `basic-auth` Secret the OpenFaaS chart creates in `openfaas` (the
/// example references it and does not ship it: applying it would replace
/// the gateway's password), with a placeholder password.
fn basic_auth_secret(dir: &Path) -> PathBuf {
    let path = dir.join("basic-auth.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Secret\nmetadata: {name: basic-auth, namespace: openfaas}\n\
         stringData: {basic-auth-user: admin, basic-auth-password: REPLACE_WITH_GATEWAY_PASSWORD}\n",
    )
    .expect("secret written");
    path
}

fn lint(files: &[PathBuf], strict: bool) -> (Option<i32>, String, String) {
    let leading: &[&str] = if strict {
        &["lint", "--strict"]
    } else {
        &["lint"]
    };
    let out = promop_on(leading, files, &[]);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn openfaas_passes_promop_lint_strictly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = vec![openfaas_dir(), basic_auth_secret(dir.path())];
    let (code, stdout, stderr) = lint(&files, true);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("0 errors, 0 warnings"), "{stderr}");

    // With the example stack, whose Prometheus and Alertmanager select it.
    files.extend(example_stack_files());
    let (code, stdout, stderr) = lint(&files, true);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("0 errors, 0 warnings"), "{stderr}");

    // Without the cluster's Secret the only finding is that warning, as the
    // README says.
    let (code, stdout, stderr) = lint(&[openfaas_dir()], false);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("0 errors, 1 warning"), "{stdout}{stderr}");
    assert!(
        stdout.contains("unable to get secret \"basic-auth\""),
        "{stdout}"
    );
}

#[test]
fn openfaas_renders_with_the_example_stack_to_configs_promtool_and_amtool_accept() {
    let secret_dir = tempfile::tempdir().expect("temp dir");
    let mut inputs = example_stack_files();
    inputs.extend(openfaas_files());
    inputs.push(basic_auth_secret(secret_dir.path()));
    let (out_dir, stderr) = render_ok(&inputs);
    assert!(!stderr.contains("skipped"), "{stderr}");

    let stack = example_stack_objects();
    let prometheus: Prometheus = serde_json::from_value(of_kind(&stack, "Prometheus")[0].clone())
        .expect("the example Prometheus");
    let prom_version = PrometheusVersion::of_spec(prometheus.spec.common.version.as_deref());
    let am_version = of_kind(&stack, "Alertmanager")[0]["spec"]["version"]
        .as_str()
        .map(String::from);
    let rendered = yaml_files(out_dir.path());
    assert_eq!(rendered.len(), 2, "{rendered:?}");
    for file in &rendered {
        let body = std::fs::read_to_string(file).expect("rendered config");
        if file.ends_with("alertmanager.yaml") {
            AlertmanagerVersion::of_spec(am_version.as_deref())
                .check_config(&body)
                .unwrap_or_else(|e| panic!("amtool rejects {}:\n{e:#}", file.display()));
            for expected in [
                "- name: openfaas/openfaas-scale-up/scale-up\n",
                "url: http://gateway.openfaas:8080/system/alert\n",
                "username: admin\n",
                "password: REPLACE_WITH_GATEWAY_PASSWORD\n",
                "- service=\"gateway\"\n",
                "- severity=\"major\"\n",
            ] {
                assert!(body.contains(expected), "{expected:?} missing:\n{body}");
            }
        } else {
            prom_version
                .check_config(&body, &["--syntax-only"])
                .unwrap_or_else(|e| panic!("promtool rejects {}:\n{e:#}", file.display()));
            for job in [
                "serviceMonitor/openfaas/openfaas-gateway/0",
                "serviceMonitor/openfaas-fn/hello-rust/0",
                "serviceMonitor/openfaas-fn/hello-rust/1",
            ] {
                assert!(
                    body.contains(&format!("job_name: {job}\n")),
                    "{job} missing"
                );
            }
            assert!(body.contains("scrape_interval: 5s\n"), "gateway interval");
        }
    }
}

/// The autoscaling rule as promop writes it for the example Prometheus:
/// `promtool check rules`, then the folder's `promtool test rules` files.
#[test]
fn openfaas_rules_pass_promtool_check_and_their_unit_tests() {
    let stack = example_stack_objects();
    let prometheus: Prometheus = serde_json::from_value(of_kind(&stack, "Prometheus")[0].clone())
        .expect("the example Prometheus");
    let prom_version = PrometheusVersion::of_spec(prometheus.spec.common.version.as_deref());
    let ctx = RuleContext::for_prometheus(&prometheus).expect("rule context");
    let objects = objects_of(&openfaas_files());
    let rules = of_kind(&objects, "PrometheusRule");
    assert_eq!(rules.len(), 1);
    let rule: PrometheusRule = serde_json::from_value(rules[0].clone()).expect("PrometheusRule");
    let body = rule_file(&rule, &ctx).expect("rule file");

    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("autoscaling.rules.yaml"), &body).expect("rule file written");
    let mut tests = Vec::new();
    for entry in std::fs::read_dir(openfaas_dir().join("tests")).expect("tests/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "promtool") {
            let copy = dir.path().join(path.file_name().expect("file name"));
            std::fs::copy(&path, &copy).expect("test file copied");
            tests.push(copy);
        }
    }
    assert!(!tests.is_empty(), "no *.promtool test files");
    let promtool =
        promop_testenv::binary(prom_version.validator()).unwrap_or_else(|e| panic!("{e:#}"));
    let out = run(Command::new(&promtool).current_dir(dir.path()).args([
        "check",
        "rules",
        "autoscaling.rules.yaml",
    ]));
    assert!(
        out.status.success(),
        "promtool check rules:\n{}{}\n{body}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = run(Command::new(&promtool)
        .current_dir(dir.path())
        .args(["test", "rules"])
        .args(&tests));
    assert!(
        out.status.success(),
        "promtool test rules:\n{}{}\n{body}",
        text(&out.stdout),
        text(&out.stderr)
    );
    eprintln!("{}", text(&out.stdout).trim());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openfaas_passes_a_server_side_dry_run() {
    let (_env, client) = test_bed_with_chart_crds().await;
    let objects = objects_of(&openfaas_files());
    // A dry run cannot create the Namespaces the other objects go into.
    let namespaces = of_kind(&objects, "Namespace");
    assert_eq!(namespaces.len(), 2);
    create_namespaces(&client, namespaces).await;
    let (accepted, refused) = dry_run(&client, &objects).await;
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
    assert_eq!(accepted, objects.len());
    let kinds: BTreeSet<&str> = objects.iter().map(kind).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "AlertmanagerConfig",
            "Namespace",
            "PrometheusRule",
            "Service",
            "ServiceMonitor"
        ])
    );
}
