//! The operator's Helm chart: CRDs, lint, Deployment, RBAC.
use super::*;

// --- the chart --------------------------------------------------------------

/// The chart's CRDs are `promop crds --out-dir`: in crds/, but for the
/// AlertmanagerConfig CRD, which files/crds/ holds for templates/webhook.yaml
/// to render with its conversion webhook.
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
    let (static_crds, templated_crds) = (chart_dir().join("crds"), chart_dir().join("files/crds"));
    assert_eq!(
        names(&templated_crds),
        BTreeSet::from([TEMPLATED_CRD.to_owned()]),
        "deploy/helm/promop/files/crds holds only the AlertmanagerConfig CRD"
    );
    let mut chart_names = names(&static_crds);
    chart_names.extend(names(&templated_crds));
    assert_eq!(
        chart_names,
        names(fresh.path()),
        "deploy/helm/promop/crds and files/crds hold other files than `promop crds --out-dir`"
    );
    assert_eq!(names(fresh.path()).len(), 10);
    for file in names(fresh.path()) {
        let dir = if file == TEMPLATED_CRD {
            &templated_crds
        } else {
            &static_crds
        };
        let want = std::fs::read(fresh.path().join(&file)).expect("generated CRD");
        let have = std::fs::read(dir.join(&file)).expect("chart CRD");
        assert!(
            want == have,
            "{}/{file} is stale: run `cargo run -q -p promop -- crds --out-dir deploy/helm/promop/crds` \
             and move {TEMPLATED_CRD} to deploy/helm/promop/files/crds",
            dir.display()
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

/// `operator.configReloader: promop-watch` makes the pods' reloader the
/// chart's own image, which is also promop's default
/// `--config-reloader-image`; by default the reference's reloader stays.
#[test]
fn watch_mode_runs_the_charts_image_as_the_reloader() {
    let objects = template(&["--set", "operator.configReloader=promop-watch"]);
    let image = container(&objects)["image"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let watch_args = args(&objects);
    assert!(watch_args.contains(&"--config-reloader=promop-watch".to_owned()));
    assert!(watch_args.contains(&format!("--config-reloader-image={image}")));
    assert_eq!(promop_core::k8s::reloader::PROMOP_IMAGE, image);
    let default_args = args(&template(&[]));
    assert!(
        !default_args
            .iter()
            .any(|a| a.starts_with("--config-reloader"))
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

/// One grant: the role (`ClusterRole NAME` or `Role NS/NAME`), API group,
/// resource, resource name (empty: any) and verb.
type Grant = (String, String, String, String, String);

/// Every grant of every ClusterRole and Role of the rendered chart.
fn grants(objects: &[Value]) -> BTreeSet<Grant> {
    let mut grants = BTreeSet::new();
    for role in objects
        .iter()
        .filter(|o| kind(o) == "ClusterRole" || kind(o) == "Role")
    {
        let namespace = role["metadata"]["namespace"].as_str();
        let role_name = role["metadata"]["name"].as_str().unwrap_or_default();
        let role_id = match namespace {
            Some(ns) => format!("Role {ns}/{role_name}"),
            None => format!("ClusterRole {role_name}"),
        };
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
            let mut names = strings("resourceNames");
            if names.is_empty() {
                names.push(String::new());
            }
            for group in strings("apiGroups") {
                for resource in strings("resources") {
                    for name in &names {
                        for verb in strings("verbs") {
                            grants.insert((
                                role_id.clone(),
                                group.clone(),
                                resource.clone(),
                                name.clone(),
                                verb,
                            ));
                        }
                    }
                }
            }
        }
    }
    grants
}

/// The ClusterRole grants what promop calls and nothing of the reference's
/// wildcards: no `*`, no deletecollection, no update but of finalizers and
/// the Lease, no pods.
#[test]
fn cluster_role_is_narrower_than_the_reference() {
    let mut values = KUBELET_VALUES.to_vec();
    values.extend(["--set", "replicaCount=2"]);
    for objects in [template(&[]), template(&values), template(NAMESPACED)] {
        for (role, group, resource, _, verb) in grants(&objects) {
            let grant = format!("{role}: {group}/{resource} {verb}");
            assert_ne!(verb, "*", "{grant}");
            assert_ne!(verb, "deletecollection", "{grant}");
            assert_ne!(resource, "*", "{grant}");
            assert!(
                verb != "update" || resource.ends_with("/finalizers") || resource == "leases",
                "{grant}"
            );
            assert!(!["pods", "ingresses", "storageclasses"].contains(&resource.as_str()));
        }
    }
}

/// When a rule is rendered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum When {
    Always,
    /// `kubelet.service` set (`kubelet.endpointSlice` too, for slices).
    Kubelet,
    /// `replicaCount` above 1.
    LeaderElection,
    /// `operator.featureGates.StatusForConfigurationResources: true`.
    StatusGate,
    /// `rbac.scope: cluster` (the default).
    ClusterScope,
    /// `rbac.scope: namespaces`: the [`CLUSTER_ROLE`] rows become a Role in
    /// each of `operator.namespaces`.
    NamespaceScope,
    /// `operator.configReloader: promop-watch`.
    ReloaderWatch,
}

/// What a controller of promop calls, and why: one row per rule.
struct Need {
    role: &'static str,
    group: &'static str,
    resources: &'static [&'static str],
    names: &'static [&'static str],
    verbs: &'static [&'static str],
    when: When,
    /// The code that calls it (crates/promop-operator/src) and what for.
    why: &'static str,
}

const CLUSTER_ROLE: &str = "ClusterRole promop";

/// Every call of promop's controllers, with its reason.
const NEEDS: &[Need] = &[
    Need {
        role: CLUSTER_ROLE,
        group: "monitoring.coreos.com",
        resources: &[
            "prometheuses",
            "prometheusagents",
            "alertmanagers",
            "thanosrulers",
            "servicemonitors",
            "podmonitors",
            "probes",
            "scrapeconfigs",
            "prometheusrules",
            "alertmanagerconfigs",
        ],
        names: &[],
        verbs: &["list", "watch"],
        when: When::Always,
        why: "stores.rs: reflector caches of the four controllers' workloads and of the \
              configuration objects they select (a missing CRD is probed with a list)",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "monitoring.coreos.com",
        resources: &[
            "prometheuses/status",
            "prometheusagents/status",
            "alertmanagers/status",
            "thanosrulers/status",
        ],
        names: &[],
        verbs: &["patch"],
        when: When::Always,
        why: "status.rs: the Available and Reconciled conditions (merge patch of /status)",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "monitoring.coreos.com",
        resources: &[
            "prometheuses/finalizers",
            "prometheusagents/finalizers",
            "alertmanagers/finalizers",
            "thanosrulers/finalizers",
        ],
        names: &[],
        verbs: &["update"],
        when: When::Always,
        why: "objects.rs: written objects are owned with blockOwnerDeletion, which the \
              OwnerReferencesPermissionEnforcement admission plugin checks this way",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "",
        resources: &["secrets", "configmaps"],
        names: &[],
        verbs: &["get", "list", "watch", "create", "patch", "delete"],
        when: When::Always,
        why: "stores.rs: metadata cache of all, full cache of those written; contents.rs: \
              content fetched by name when referenced; apply/: server-side apply (patch, \
              create when new), an unmanaged config's Secret created, TLS assets and rule \
              files pruned (delete), the reference's managedFields read on takeover (get)",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "apps",
        resources: &["statefulsets"],
        names: &[],
        verbs: &["get", "list", "watch", "create", "patch", "delete"],
        when: When::Always,
        why: "stores.rs: cache of those written; objects.rs: applied, deleted to be \
              recreated on an immutable change or when a shard goes away; \
              apply/takeover.rs: live managedFields read on takeover (get)",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "",
        resources: &["services"],
        names: &[],
        verbs: &["get", "list", "watch", "create", "patch"],
        when: When::Always,
        why: "stores.rs, objects.rs: the governing Services, cached and applied; never \
              deleted (the garbage collector removes them with their last owner); \
              governing_service.rs: a custom governing Service read (get)",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "",
        resources: &["namespaces"],
        names: &[],
        verbs: &["list", "watch"],
        when: When::ClusterScope,
        why: "stores.rs: Namespace labels for the namespace selectors",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "",
        resources: &["namespaces"],
        names: &[],
        verbs: &["get"],
        when: When::NamespaceScope,
        why: "stores/polled.rs: the labels of each watched namespace, read with a GET \
              (a Role cannot grant listing Namespaces; it can grant reading its own)",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "events.k8s.io",
        resources: &["events"],
        names: &[],
        verbs: &["create", "patch"],
        when: When::Always,
        why: "report.rs: Events about rejected objects (kube-runtime's Recorder creates \
              them and patches their series)",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "monitoring.coreos.com",
        resources: &[
            "servicemonitors/status",
            "podmonitors/status",
            "probes/status",
            "scrapeconfigs/status",
            "prometheusrules/status",
        ],
        names: &[],
        verbs: &["patch"],
        when: When::StatusGate,
        why: "bindings/write.rs: status.bindings (merge patch of /status)",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "monitoring.coreos.com",
        resources: &[
            "servicemonitors",
            "podmonitors",
            "probes",
            "scrapeconfigs",
            "prometheusrules",
        ],
        names: &[],
        verbs: &["get"],
        when: When::StatusGate,
        why: "bindings/write.rs: an object read anew after a conflicting status write",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "monitoring.coreos.com",
        resources: &["prometheuses", "prometheusagents", "thanosrulers"],
        names: &[],
        verbs: &["patch"],
        when: When::StatusGate,
        why: "bindings/finalizer.rs: the status-cleanup finalizer added and removed",
    },
    Need {
        role: CLUSTER_ROLE,
        group: "rbac.authorization.k8s.io",
        resources: &["roles", "rolebindings"],
        names: &[],
        verbs: &["list", "watch", "create", "patch"],
        when: When::ReloaderWatch,
        why: "stores.rs, reloader_rbac.rs: each workload's config-reloader Role and \
              RoleBinding, cached and applied (the garbage collector deletes them)",
    },
    Need {
        role: "ClusterRole promop-kubelet",
        group: "",
        resources: &["nodes"],
        names: &[],
        verbs: &["list"],
        when: When::Kubelet,
        why: "kubelet.rs: the nodes' addresses, every --kubelet-sync-period",
    },
    Need {
        role: "Role kube-system/promop-kubelet",
        group: "",
        resources: &["services", "endpoints"],
        names: &[],
        verbs: &["create", "patch"],
        when: When::Kubelet,
        why: "kubelet.rs: the kubelet Service and its Endpoints, applied",
    },
    Need {
        role: "Role kube-system/promop-kubelet",
        group: "discovery.k8s.io",
        resources: &["endpointslices"],
        names: &[],
        verbs: &["list", "create", "patch", "delete"],
        when: When::Kubelet,
        why: "kubelet.rs: EndpointSlices found by label, created with a generated name, \
              applied, deleted when empty",
    },
    Need {
        role: "Role promop-system/promop-leader-election",
        group: "coordination.k8s.io",
        resources: &["leases"],
        names: &[],
        verbs: &["create"],
        when: When::LeaderElection,
        why: "leader/mod.rs: the first replica creates the Lease (a create cannot be \
              limited to a name)",
    },
    Need {
        role: "Role promop-system/promop-leader-election",
        group: "coordination.k8s.io",
        resources: &["leases"],
        names: &["promop"],
        verbs: &["get", "update"],
        when: When::LeaderElection,
        why: "leader/mod.rs: read, renew, take over and release this Lease",
    },
];

/// The grants [`NEEDS`] asks for under `when`, each with its reason; with
/// `namespaces` (`rbac.scope: namespaces`), the [`CLUSTER_ROLE`] rows are
/// asked of the Role `promop` of each namespace instead.
fn needed(when: &[When], namespaces: &[&str]) -> BTreeMap<Grant, &'static str> {
    let mut needed = BTreeMap::new();
    for need in NEEDS.iter().filter(|n| when.contains(&n.when)) {
        let roles: Vec<String> = if need.role == CLUSTER_ROLE && !namespaces.is_empty() {
            namespaces
                .iter()
                .map(|ns| format!("Role {ns}/promop"))
                .collect()
        } else {
            vec![need.role.to_owned()]
        };
        let names: &[&str] = if need.names.is_empty() {
            &[""]
        } else {
            need.names
        };
        for role in &roles {
            for resource in need.resources {
                for name in names {
                    for verb in need.verbs {
                        let grant = (
                            role.clone(),
                            need.group.to_owned(),
                            (*resource).to_owned(),
                            (*name).to_owned(),
                            (*verb).to_owned(),
                        );
                        needed.insert(grant, need.why);
                    }
                }
            }
        }
    }
    needed
}

/// `rbac.scope: namespaces` for `team-a` and `team-b`.
const NAMESPACED: &[&str] = &[
    "--set",
    "rbac.scope=namespaces",
    "--set",
    "operator.namespaces={team-a,team-b}",
];

/// The rendered chart grants exactly what the table of controller needs
/// asks for, with every optional controller off and on, cluster-wide and
/// per namespace: nothing a controller does not call, nothing missing that
/// one calls.
#[test]
fn every_rule_is_what_a_controller_needs() {
    let mut all_on = KUBELET_VALUES.to_vec();
    all_on.extend(["--set", "replicaCount=2"]);
    all_on.extend([
        "--set",
        "operator.featureGates.StatusForConfigurationResources=true",
        "--set",
        "operator.configReloader=promop-watch",
    ]);
    let all_on_namespaced = [all_on.as_slice(), NAMESPACED].concat();
    let teams: &[&str] = &["team-a", "team-b"];
    let renders: [(&[&str], &[When], &[&str]); 4] = [
        (&[], &[When::Always, When::ClusterScope], &[]),
        (
            &all_on,
            &[
                When::Always,
                When::ClusterScope,
                When::Kubelet,
                When::LeaderElection,
                When::StatusGate,
                When::ReloaderWatch,
            ],
            &[],
        ),
        (NAMESPACED, &[When::Always, When::NamespaceScope], teams),
        (
            &all_on_namespaced,
            &[
                When::Always,
                When::NamespaceScope,
                When::Kubelet,
                When::LeaderElection,
                When::StatusGate,
                When::ReloaderWatch,
            ],
            teams,
        ),
    ];
    for (values, when, namespaces) in renders {
        let granted = grants(&template(values));
        let needed = needed(when, namespaces);
        let show = |g: &Grant| {
            let name = if g.3.is_empty() {
                String::new()
            } else {
                format!(" ({})", g.3)
            };
            format!("{}: {}/{}{name} {}", g.0, g.1, g.2, g.4)
        };
        let extra: Vec<String> = granted
            .iter()
            .filter(|g| !needed.contains_key(*g))
            .map(show)
            .collect();
        let missing: Vec<String> = needed
            .iter()
            .filter(|(g, _)| !granted.contains(*g))
            .map(|(g, why)| format!("{} — {why}", show(g)))
            .collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "values {values:?}:\ngranted, but no controller needs it:\n  {}\nneeded, not granted:\n  {}",
            extra.join("\n  "),
            missing.join("\n  ")
        );
    }
}

/// Helm's release Secrets are not watched unless asked for; an empty value
/// restores the reference's watch of every Secret.
#[test]
fn helm_release_secrets_are_not_watched_by_default() {
    let args = args(&template(&[]));
    assert!(
        args.contains(&"--secret-field-selector=type!=helm.sh/release.v1".to_owned()),
        "{args:?}"
    );
    let all = super::args(&template(&["--set", "operator.secretFieldSelector="]));
    assert!(
        all.contains(&"--secret-field-selector=".to_owned()),
        "{all:?}"
    );
}

/// `rbac.scope: namespaces` binds each Role to the ServiceAccount, grants
/// nothing cluster-wide, and refuses to render without namespaces (or with
/// an unknown scope) rather than grant nothing.
#[test]
fn namespaced_rbac_is_roles_in_the_watched_namespaces_only() {
    let objects = template(NAMESPACED);
    assert!(of_kind(&objects, "ClusterRole").is_empty());
    assert!(of_kind(&objects, "ClusterRoleBinding").is_empty());
    let bindings = of_kind(&objects, "RoleBinding");
    let bound: Vec<&str> = bindings
        .iter()
        .filter_map(|b| b["metadata"]["namespace"].as_str())
        .collect();
    assert_eq!(bound, ["team-a", "team-b"]);
    for binding in bindings {
        assert_eq!(binding["roleRef"]["kind"], "Role");
        assert_eq!(
            binding["subjects"],
            serde_json::json!([{"kind": "ServiceAccount", "name": "promop", "namespace": "promop-system"}])
        );
    }
    let args = args(&objects);
    assert!(
        args.iter().any(|a| a == "--namespaces=team-a,team-b"),
        "{args:?}"
    );

    let chart = chart_dir();
    for (values, message) in [
        ("rbac.scope=namespaces", "needs operator.namespaces"),
        (
            "rbac.scope=everything",
            "rbac.scope must be cluster or namespaces",
        ),
    ] {
        let helm = promop_testenv::binary("helm").unwrap_or_else(|e| panic!("{e:#}"));
        let out = run(Command::new(helm)
            .args(["template", "promop"])
            .arg(&chart)
            .args(["--set", values]));
        assert!(!out.status.success(), "{values} rendered");
        assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
    }
}
