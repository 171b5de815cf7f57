//! The example stack: rendered configs, lint, and a server-side dry run of chart and examples.
use super::*;

// --- the example stack ------------------------------------------------------

/// Renders the example stack into a temporary directory; returns the files.
fn render_examples() -> (tempfile::TempDir, Vec<PathBuf>, String) {
    let (out_dir, stderr) = render_ok(&example_stack_files());
    let files = yaml_files(out_dir.path());
    (out_dir, files, stderr)
}

#[test]
fn examples_render_to_configs_that_promtool_and_amtool_accept() {
    let objects = example_stack_objects();
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
    let out = promop_on(&["lint", "--strict"], &example_stack_files(), &[]);
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

/// The example stack runs the orders-service image `scripts/build-images`
/// builds.
#[test]
fn the_orders_service_image_is_what_build_images_names() {
    let examples = example_stack_objects();
    let orders = of_kind(&examples, "Deployment")
        .into_iter()
        .find(|d| d["metadata"]["name"] == "orders-service")
        .expect("the orders-service Deployment");
    assert_eq!(
        orders["spec"]["template"]["spec"]["containers"][0]["image"],
        built_image_name("orders-service", &[]).as_str()
    );
}

// --- server-side dry run on the local apiserver -------------------------------

/// Server-side applies `objects` as a dry run; returns how many were accepted
/// and the refusals (`Kind ns/name: message`).
pub(crate) async fn dry_run(client: &Client, objects: &[Value]) -> (usize, Vec<String>) {
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
    let (_env, client) = test_bed_with_chart_crds().await;
    // A dry run cannot create the Namespaces the other objects go into.
    let examples = example_stack_objects();
    let namespaces: Vec<Value> = of_kind(&examples, "Namespace")
        .into_iter()
        .cloned()
        .collect();
    let release_ns = serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "promop-system"}
    });
    create_namespaces(&client, namespaces.iter().chain([&release_ns])).await;

    // The image as scripts/build-images names it for another registry.
    let image = built_image_name("promop", &["--registry", "registry.example:5000/team"]);
    let (repository, tag) = image.rsplit_once(':').expect("name:tag");
    let image_values = [
        "--set".to_owned(),
        format!("image.repository={repository}"),
        "--set".to_owned(),
        format!("image.tag={tag}"),
    ];
    let image_values: Vec<&str> = image_values.iter().map(String::as_str).collect();
    let built_image = template(&image_values);
    assert_eq!(container(&built_image)["image"], image.as_str());

    for (label, objects) in [
        ("chart (1 replica)", template(&["--include-crds"])),
        (
            "chart (image of scripts/build-images --registry)",
            built_image,
        ),
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
