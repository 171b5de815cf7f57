//! deploy/examples/vault: credentials from Vault (Vault Secrets Operator),
//! the Vault Agent Injector patch of orders-service, and Vault's own
//! monitoring. Lint, render (promtool/amtool), `promtool test rules`, and a
//! server-side dry run. The rotation of the Secrets VSO writes is tested
//! end to end in tests/e2e_secret_rotation.rs.
//!
//! The VSO CRDs are not served by any package source the test bed may use
//! (the Go module github.com/hashicorp/vault-secrets-operator answers 403 on
//! the Go module proxy), so the dry run refuses exactly the VSO objects as
//! "not served" unless PROMOP_VSO_CRDS names a directory holding those CRDs:
//! then every object must be accepted.
use super::*;

fn vault_dir() -> PathBuf {
    examples_dir().join("vault")
}

/// The strategic merge patch of the base orders-service Deployment.
const PATCH: &str = "orders-service.vault-agent-patch.yaml";
/// The promtool unit tests of the PrometheusRule `vault`.
const RULE_TESTS: &str = "vault-monitoring.rules-test";
const VSO_GROUP: &str = "secrets.hashicorp.com/";

/// The manifests of the folder: its YAML files but the patch.
fn vault_manifest_files() -> Vec<PathBuf> {
    yaml_files(&vault_dir())
        .into_iter()
        .filter(|f| !f.ends_with(PATCH))
        .collect()
}

/// The base stack and the Vault example, as a user applies them.
fn stack_with_vault() -> Vec<PathBuf> {
    let mut files = example_stack_files();
    files.extend(vault_manifest_files());
    files
}

#[test]
fn vault_example_passes_promop_lint_strictly() {
    let out = promop_on(&["lint", "--strict"], &stack_with_vault(), &[]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("0 errors, 0 warnings"), "{said}");
}

#[test]
fn vault_example_renders_a_scrape_of_sys_metrics_that_promtool_accepts() {
    let (out_dir, stderr) = render_ok(&stack_with_vault());
    assert!(!stderr.contains("skipped"), "{stderr}");

    let prometheus =
        std::fs::read_to_string(out_dir.path().join("monitoring/orders/prometheus.yaml"))
            .expect("the Prometheus configuration");
    let job = prometheus
        .split("- job_name: ")
        .find(|job| job.starts_with("serviceMonitor/vault/vault/0\n"))
        .unwrap_or_else(|| panic!("no job of ServiceMonitor vault/vault:\n{prometheus}"));
    for expected in [
        "metrics_path: /v1/sys/metrics\n",
        "params:\n    format:\n    - prometheus\n",
        "authorization:\n    type: Bearer\n    credentials: REPLACE_WITH_VAULT_METRICS_TOKEN\n",
    ] {
        assert!(job.contains(expected), "{expected:?} missing from:\n{job}");
    }
    let objects = objects_of(&stack_with_vault());
    let spec: Prometheus = serde_json::from_value(of_kind(&objects, "Prometheus")[0].clone())
        .expect("the example Prometheus");
    PrometheusVersion::of_spec(spec.spec.common.version.as_deref())
        .check_config(&prometheus, &["--syntax-only"])
        .unwrap_or_else(|e| panic!("promtool rejects the configuration:\n{e:#}"));

    let alertmanager =
        std::fs::read_to_string(out_dir.path().join("monitoring/orders/alertmanager.yaml"))
            .expect("the Alertmanager configuration");
    let version = of_kind(&objects, "Alertmanager")[0]["spec"]["version"]
        .as_str()
        .map(String::from);
    AlertmanagerVersion::of_spec(version.as_deref())
        .check_config(&alertmanager)
        .unwrap_or_else(|e| panic!("amtool rejects the configuration:\n{e:#}"));
}

#[test]
fn vault_alerts_pass_promtool_test_rules() {
    let objects = objects_of(&stack_with_vault());
    let prometheus: Prometheus = serde_json::from_value(of_kind(&objects, "Prometheus")[0].clone())
        .expect("the example Prometheus");
    let rule = of_kind(&objects, "PrometheusRule")
        .into_iter()
        .find(|r| r["metadata"]["name"] == "vault")
        .expect("the PrometheusRule vault");
    let rule: PrometheusRule = serde_json::from_value(rule.clone()).expect("PrometheusRule");
    let ctx = RuleContext::for_prometheus(&prometheus).expect("rule context");
    let body = rule_file(&rule, &ctx).unwrap_or_else(|e| panic!("PrometheusRule vault: {e}"));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("vault.rules.yaml"), body).expect("rule file written");
    std::fs::copy(vault_dir().join(RULE_TESTS), dir.path().join(RULE_TESTS))
        .expect("rule tests copied");
    let version = PrometheusVersion::of_spec(prometheus.spec.common.version.as_deref());
    let promtool = promop_testenv::binary(version.validator()).unwrap_or_else(|e| panic!("{e:#}"));
    let out = run(Command::new(promtool)
        .current_dir(dir.path())
        .args(["test", "rules", RULE_TESTS]));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "promtool test rules:\n{said}");
    assert!(said.contains("SUCCESS"), "{said}");
}

/// The VSO objects refer to each other by name, in their own namespace:
/// VaultStaticSecret → VaultAuth → VaultConnection, and the VaultAuth's
/// ServiceAccount.
#[test]
fn vault_secrets_operator_objects_refer_to_each_other() {
    let objects = objects_of(&vault_manifest_files());
    let names = |kind: &str| -> BTreeSet<(String, String)> {
        of_kind(&objects, kind)
            .into_iter()
            .map(|o| {
                (
                    o["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    o["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect()
    };
    let key = |o: &Value, field: &Value| {
        (
            o["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            field.as_str().unwrap_or_default().to_owned(),
        )
    };
    let statics = of_kind(&objects, "VaultStaticSecret");
    assert_eq!(statics.len(), 3);
    for s in &statics {
        assert!(
            names("VaultAuth").contains(&key(s, &s["spec"]["vaultAuthRef"])),
            "{s}"
        );
        assert_eq!(s["spec"]["type"], "kv-v2");
        assert!(s["spec"]["refreshAfter"].is_string(), "{s}");
        assert_eq!(s["spec"]["destination"]["create"], true);
        assert!(s["spec"].get("rolloutRestartTargets").is_none(), "{s}");
    }
    for auth in of_kind(&objects, "VaultAuth") {
        assert!(names("VaultConnection").contains(&key(auth, &auth["spec"]["vaultConnectionRef"])));
        assert_eq!(auth["spec"]["method"], "kubernetes");
        let account = key(auth, &auth["spec"]["kubernetes"]["serviceAccount"]);
        assert!(names("ServiceAccount").contains(&account), "{account:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_example_passes_a_server_side_dry_run() {
    let (_env, client) = test_bed_with_chart_crds().await;
    let vso_crds = std::env::var_os("PROMOP_VSO_CRDS").map(PathBuf::from);
    if let Some(dir) = &vso_crds {
        install_crds(&client, dir)
            .await
            .expect("the VSO CRDs of PROMOP_VSO_CRDS install");
    }
    // The namespaces exist (a dry run cannot create them), and so does the
    // base orders-service Deployment the patch applies to.
    let base = objects_of(&[examples_dir().join("orders-service.yaml")]);
    let deployment = of_kind(&base, "Deployment")[0];
    let mut documents = String::new();
    for ns in ["monitoring", "orders", "vault"] {
        documents.push_str(&format!(
            "---\n{{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": \"{ns}\"}}}}\n"
        ));
    }
    documents.push_str(&format!("---\n{deployment}\n"));
    promop_testenv::apply_manifests(&client, &documents)
        .await
        .expect("namespaces and orders-service created");

    let objects = objects_of(&vault_manifest_files());
    let (accepted, refused) = super::examples::dry_run(&client, &objects).await;
    let vso: Vec<String> = objects
        .iter()
        .filter(|o| {
            o["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .starts_with(VSO_GROUP)
        })
        .map(name)
        .collect();
    assert_eq!(vso.len(), 5, "{vso:?}");
    if vso_crds.is_some() {
        assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
        assert_eq!(accepted, objects.len());
    } else {
        // Everything else is accepted; the VSO objects only for want of CRDs.
        let expected: Vec<String> = vso
            .iter()
            .map(|o| format!("{o}: secrets.hashicorp.com/v1beta1 is not served"))
            .collect();
        assert_eq!(refused, expected);
        assert_eq!(accepted, objects.len() - vso.len());
        println!(
            "dry run: {accepted} objects accepted; not checked against the VSO CRDs (set \
             PROMOP_VSO_CRDS to a directory holding them): {vso:?}"
        );
    }

    // The Vault Agent Injector patch, as `kubectl patch --type strategic`.
    let patch: Value = objects_of(&[vault_dir().join(PATCH)])
        .pop()
        .expect("the patch");
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "orders",
        &kube::api::ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment")),
    );
    let patched = api
        .patch(
            "orders-service",
            &PatchParams::default().dry_run(),
            &Patch::Strategic(&patch),
        )
        .await
        .unwrap_or_else(|e| panic!("the patch is refused: {e}"));
    let pod = &patched.data["spec"]["template"];
    assert_eq!(
        pod["metadata"]["annotations"]["vault.hashicorp.com/agent-inject"],
        "true"
    );
    assert_eq!(pod["spec"]["serviceAccountName"], "orders-service");
    assert_eq!(pod["spec"]["automountServiceAccountToken"], false);
    assert_eq!(pod["spec"]["volumes"][0]["name"], "vault-token");
    // The base container is untouched.
    assert_eq!(
        pod["spec"]["containers"][0]["image"],
        deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    );
}
