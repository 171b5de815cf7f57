//! The operator's Helm chart: CRDs, lint, Deployment, RBAC.
use super::*;

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

/// The chart's default image is the one `scripts/build-images` builds (a
/// registry of one's own: `chart_and_examples_pass_a_server_side_dry_run`).
#[test]
fn the_default_image_is_what_build_images_names() {
    assert_eq!(
        container(&template(&[]))["image"],
        built_image_name("promop", &[]).as_str()
    );
}

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
