//! Selection and per-object validation, against small YAML fixtures. The
//! expected outcomes follow the reference (v0.94.1): pkg/prometheus/
//! resource_selector.go, pkg/operator SelectNamespacesFromCache, the
//! relabel validator and the asset store; each case names its rule.
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use promop_api::common::RelabelConfig;
use promop_api::object::{MonitoringObject, decode_object};
use promop_api::v1::Prometheus;
use promop_core::select::ScrapeScope;
use promop_core::select::file_access::MonitorFileAccess;
use promop_core::select::label_selector::{Selector, SelectorError};
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::select::reasons::{Reason, RejectionKind};
use promop_core::select::validate::{parse_version, validate_relabel_config};
use promop_core::select::{KindSelection, Selection, select_for_agent, select_for_prometheus};
use promop_core::snapshot::{ObjectKey, Snapshot};
use serde_json::{Value, json};

/// Reads a multi-document fixture into a snapshot.
fn load(name: &str) -> Snapshot {
    let path = format!(
        "{}/tests/fixtures/select/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut snapshot = Snapshot::default();
    for document in documents {
        let key = |v: &Value| {
            ObjectKey::new(
                v["metadata"]["namespace"].as_str().unwrap_or_default(),
                v["metadata"]["name"].as_str().unwrap_or_default(),
            )
        };
        match document["kind"].as_str() {
            Some("Namespace") => {
                let name = document["metadata"]["name"].as_str().unwrap().to_owned();
                snapshot
                    .namespaces
                    .insert(name, serde_json::from_value(document).unwrap());
            }
            Some("Secret") => {
                let key = key(&document);
                snapshot
                    .secrets
                    .insert(key, serde_json::from_value(document).unwrap());
            }
            Some("ConfigMap") => {
                let key = key(&document);
                snapshot
                    .config_maps
                    .insert(key, serde_json::from_value(document).unwrap());
            }
            _ => {
                let decoded = decode_object(document).unwrap_or_else(|e| panic!("{path}: {e}"));
                assert!(
                    decoded.unknown_fields.is_empty(),
                    "{path}: {:?}",
                    decoded.unknown_fields
                );
                match decoded.object {
                    MonitoringObject::Prometheus(o) => snapshot.prometheuses.push(*o),
                    MonitoringObject::PrometheusAgent(o) => snapshot.prometheus_agents.push(*o),
                    MonitoringObject::ServiceMonitor(o) => snapshot.service_monitors.push(*o),
                    MonitoringObject::PodMonitor(o) => snapshot.pod_monitors.push(*o),
                    MonitoringObject::Probe(o) => snapshot.probes.push(*o),
                    MonitoringObject::ScrapeConfig(o) => snapshot.scrape_configs.push(*o),
                    MonitoringObject::PrometheusRule(o) => snapshot.prometheus_rules.push(*o),
                    other => panic!("{path}: unexpected {other:?}"),
                }
            }
        }
    }
    snapshot
}

fn prometheus(snapshot: &Snapshot, name: &str) -> Prometheus {
    snapshot
        .prometheuses
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some(name))
        .cloned()
        .unwrap()
}

fn select<'a>(snapshot: &'a Snapshot, p: &'a Prometheus) -> Selection<'a> {
    select_for_prometheus(snapshot, p, &ScrapeScope::default()).unwrap()
}

/// The rejection message of `key`, failing when it was not rejected.
fn rejection<T>(kind: &KindSelection<'_, T>, object: &str) -> String {
    match kind.reason(&key(object)) {
        Some(Reason::Rejected(r)) => r.to_string(),
        other => panic!("{object}: expected a rejection, got {other:?}"),
    }
}

fn assert_rejected<T>(kind: &KindSelection<'_, T>, key: &str, path: &str, message: &str) {
    let text = rejection(kind, key);
    assert!(
        text.starts_with(&format!("{path}: ")) && text.contains(message),
        "{key}: {text:?} should be at {path:?} and contain {message:?}"
    );
}

// ---- namespaces and labels -------------------------------------------------

#[test]
fn unset_namespace_selector_selects_the_own_namespace_only() {
    let snapshot = load("namespaces.yaml");
    let p = prometheus(&snapshot, "own");
    let selection = select(&snapshot, &p);
    let sm = &selection.service_monitors;
    assert_eq!(sm.selected_keys(), ["team/web"]);
    assert!(matches!(
        sm.reason(&key("other/web")),
        Some(Reason::NotOwnNamespace { own, .. }) if own == "team"
    ));
    // Unset podMonitorSelector selects nothing, even in the own namespace.
    assert!(selection.pod_monitors.selected.is_empty());
    assert!(matches!(
        selection.pod_monitors.reason(&key("team/pods")),
        Some(Reason::LabelsNotMatched {
            field: "podMonitorSelector",
            ..
        })
    ));
}

#[test]
fn empty_namespace_selector_selects_every_known_namespace_sorted_by_key() {
    let snapshot = load("namespaces.yaml");
    let p = prometheus(&snapshot, "all");
    let sm = select(&snapshot, &p).service_monitors;
    // Sorted as "namespace/name" strings: '-' sorts before '/'.
    assert_eq!(sm.selected_keys(), ["other/web", "team-b/web", "team/web"]);
    // Namespaces come from Namespace objects: none for "ghost".
    assert!(matches!(
        sm.reason(&key("ghost/web")),
        Some(Reason::NamespaceUnknown { .. })
    ));
    let reason = sm.reason(&key("team-b/db")).unwrap().to_string();
    assert_eq!(reason, "labels do not match serviceMonitorSelector app=web");
    let skipped: Vec<String> = sm.skipped.iter().map(|s| s.key.to_string()).collect();
    assert_eq!(skipped, ["ghost/web", "team-b/db"]);
}

#[test]
fn namespace_label_selector_selects_matching_namespaces() {
    let snapshot = load("namespaces.yaml");
    let p = prometheus(&snapshot, "team-b-only");
    let selection = select(&snapshot, &p);
    assert_eq!(
        selection.service_monitors.selected_keys(),
        ["team-b/db", "team-b/web"]
    );
    assert_eq!(
        selection
            .service_monitors
            .reason(&key("team/web"))
            .unwrap()
            .to_string(),
        "namespace team does not match serviceMonitorNamespaceSelector team=b"
    );
    // A namespace selector without a label selector still selects nothing.
    assert!(selection.pod_monitors.selected.is_empty());
}

#[test]
fn operator_namespace_restriction_hides_other_namespaces() {
    let snapshot = load("namespaces.yaml");
    let p = prometheus(&snapshot, "all");
    let watched = ScrapeScope {
        namespaces: WatchedNamespaces::only(["team"]),
        ..ScrapeScope::default()
    };
    let sm = select_for_prometheus(&snapshot, &p, &watched)
        .unwrap()
        .service_monitors;
    assert_eq!(sm.selected_keys(), ["team/web"]);
    assert!(matches!(
        sm.reason(&key("other/web")),
        Some(Reason::NamespaceNotWatched { .. })
    ));
    let denied = ScrapeScope {
        namespaces: WatchedNamespaces {
            deny: ["team".to_owned()].into(),
            ..WatchedNamespaces::all()
        },
        ..ScrapeScope::default()
    };
    let sm = select_for_prometheus(&snapshot, &p, &denied)
        .unwrap()
        .service_monitors;
    assert_eq!(sm.selected_keys(), ["other/web", "team-b/web"]);
}

#[test]
fn invalid_workload_selector_or_version_fails_the_whole_selection() {
    let snapshot = load("namespaces.yaml");
    let mut p = prometheus(&snapshot, "all");
    p.spec.common.service_monitor_selector = Some(selector(json!({
        "matchExpressions": [{"key": "app", "operator": "Foo"}]
    })));
    let err = select_for_prometheus(&snapshot, &p, &ScrapeScope::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Prometheus team/all: spec.serviceMonitorSelector: \"Foo\" is not a valid label selector operator"
    );
    let mut p = prometheus(&snapshot, "all");
    p.spec.common.version = Some("banana".into());
    let err = select_for_prometheus(&snapshot, &p, &ScrapeScope::default()).unwrap_err();
    assert_eq!(err.rejection.path, "spec.version", "{err}");
}

// ---- label selectors ----------------------------------------------------------

fn selector(value: Value) -> LabelSelector {
    serde_json::from_value(value).unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn label_selector_operators_match_like_kubernetes() {
    let s = Selector::new(&selector(json!({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "team", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"}
        ]
    })))
    .unwrap();
    let base = [("app", "web"), ("tier", "a"), ("team", "x")];
    assert!(s.matches(&labels(&base)));
    // NotIn also matches an absent label; a present excluded value does not.
    assert!(!s.matches(&labels(&[
        ("app", "web"),
        ("tier", "a"),
        ("team", "x"),
        ("env", "dev")
    ])));
    assert!(s.matches(&labels(&[
        ("app", "web"),
        ("tier", "b"),
        ("team", "x"),
        ("env", "prod")
    ])));
    assert!(!s.matches(&labels(&[("app", "web"), ("tier", "c"), ("team", "x")])));
    assert!(!s.matches(&labels(&[("app", "web"), ("tier", "a")])));
    assert!(!s.matches(&labels(&[
        ("app", "web"),
        ("tier", "a"),
        ("team", "x"),
        ("legacy", "")
    ])));
    assert_eq!(
        s.to_string(),
        "app=web,env notin (dev),!legacy,team,tier in (a,b)"
    );
    // Unset selects nothing; {} selects everything.
    assert!(
        !Selector::from_optional(None)
            .unwrap()
            .matches(&labels(&base))
    );
    let everything = selector(json!({}));
    assert!(
        Selector::from_optional(Some(&everything))
            .unwrap()
            .matches(&BTreeMap::new())
    );
}

#[test]
fn invalid_label_selectors_give_kubernetes_errors() {
    let error = |v: Value| Selector::new(&selector(v)).unwrap_err();
    assert_eq!(
        error(json!({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]})),
        SelectorError::InvalidOperator("Equals".into())
    );
    assert_eq!(
        error(json!({"matchExpressions": [{"key": "a", "operator": "In"}]})).to_string(),
        "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"
    );
    assert_eq!(
        error(json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}))
            .to_string(),
        "values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist"
    );
    assert!(
        error(json!({"matchLabels": {"bad key": "x"}}))
            .to_string()
            .starts_with("key: Invalid value: \"bad key\": name part must consist of")
    );
    assert!(
        error(json!({"matchLabels": {"app": "not valid"}}))
            .to_string()
            .starts_with("values[0][app]: Invalid value: \"not valid\"")
    );
    // A prefixed key is fine.
    assert!(Selector::new(&selector(json!({"matchLabels": {"example.com/app": "x"}}))).is_ok());
}

// ---- relabeling ---------------------------------------------------------------------

fn relabel(value: Value) -> RelabelConfig {
    serde_json::from_value(value).unwrap()
}

/// The message of a refused rule.
fn check_relabel(version: &str, value: Value) -> Result<(), String> {
    validate_relabel_config(&relabel(value), &parse_version(version).unwrap())
        .map_err(|kind| kind.message().to_owned())
}

#[test]
fn relabel_actions_need_their_prometheus_version() {
    // lowercase/uppercase from 2.36.0, keepequal/dropequal from 2.41.0.
    let lower = json!({"action": "Lowercase", "sourceLabels": ["a"], "targetLabel": "b"});
    assert_eq!(
        check_relabel("v2.35.0", lower.clone()).unwrap_err(),
        "Lowercase relabel action is only supported from Prometheus version 2.36.0"
    );
    assert!(check_relabel("v2.36.0", lower.clone()).is_ok());
    let kind = validate_relabel_config(&relabel(lower), &parse_version("v2.35.0").unwrap());
    assert!(
        matches!(
            kind,
            Err(RejectionKind::TooOld {
                min_version: "2.36.0",
                ..
            })
        ),
        "{kind:?}"
    );
    let equal = json!({"action": "dropequal", "sourceLabels": ["a"], "targetLabel": "b"});
    assert!(check_relabel("v2.40.0", equal.clone()).is_err());
    assert!(check_relabel("2.41", equal).is_ok());
}

#[test]
fn relabel_actions_need_their_fields() {
    let v = "v2.45.0";
    assert_eq!(
        check_relabel(
            v,
            json!({"action": "hashmod", "sourceLabels": ["a"], "targetLabel": "b"})
        )
        .unwrap_err(),
        "relabel configuration for hashmod requires non-zero modulus"
    );
    assert!(
        check_relabel(
            v,
            json!({"action": "hashmod", "targetLabel": "b", "modulus": 3})
        )
        .is_ok()
    );
    // replace is the default action and needs a target label.
    assert_eq!(
        check_relabel(v, json!({"sourceLabels": ["a"]})).unwrap_err(),
        "relabel configuration for replace action needs targetLabel value"
    );
    assert!(
        check_relabel(v, json!({"regex": "foo(", "action": "keep"}))
            .unwrap_err()
            .starts_with("invalid regex foo( for relabel configuration")
    );
    assert_eq!(
        check_relabel(
            v,
            json!({"action": "labeldrop", "regex": "x", "sourceLabels": ["a"]})
        )
        .unwrap_err(),
        "labeldrop action requires only 'regex', and no other fields"
    );
    // Defaults count as unset.
    assert!(
        check_relabel(
            v,
            json!({"action": "labelkeep", "regex": "x", "separator": ";", "replacement": "$1"})
        )
        .is_ok()
    );
    assert_eq!(
        check_relabel(
            v,
            json!({"action": "keepequal", "targetLabel": "b", "regex": "x"})
        )
        .unwrap_err(),
        "keepequal action requires only 'source_labels' and `target_label`, and no other fields"
    );
    assert_eq!(
        check_relabel(
            v,
            json!({"action": "uppercase", "targetLabel": "b", "replacement": "x"})
        )
        .unwrap_err(),
        "'replacement' can not be set for uppercase action"
    );
}

#[test]
fn relabel_label_names_follow_the_version_naming_scheme() {
    // replace target labels are checked as plain names: `${1}` and dotted
    // names are refused before Prometheus 3 (legacy scheme), accepted after.
    let templated = json!({"sourceLabels": ["a"], "targetLabel": "${1}"});
    assert!(check_relabel("v2.55.1", templated.clone()).is_err());
    assert!(check_relabel("v3.0.0", templated).is_ok());
    let dotted = json!({"sourceLabels": ["a"], "targetLabel": "service.name"});
    assert_eq!(
        check_relabel("v2.55.1", dotted.clone()).unwrap_err(),
        "\"service.name\" is invalid 'target_label' for replace action"
    );
    assert!(check_relabel("v3.0.0", dotted).is_ok());
    // labelmap replacements may hold variables in the legacy scheme.
    assert!(
        check_relabel(
            "v2.55.1",
            json!({"action": "labelmap", "regex": "x_(.+)", "replacement": "y_${1}"})
        )
        .is_ok()
    );
    assert!(
        check_relabel(
            "v2.55.1",
            json!({"action": "labelmap", "replacement": "1abc"})
        )
        .is_err()
    );
}

#[test]
fn versions_parse_tolerantly() {
    assert_eq!(
        *parse_version("v2.45").unwrap().semver(),
        semver::Version::new(2, 45, 0)
    );
    assert_eq!(
        *parse_version(" 3.13.1 ").unwrap().semver(),
        semver::Version::new(3, 13, 1)
    );
    assert!(*parse_version("v3.0.0-rc.0").unwrap().semver() < semver::Version::new(3, 0, 0));
    assert!(parse_version("latest").is_err());
}

// ---- ServiceMonitor ---------------------------------------------------------------

#[test]
fn service_monitor_checks() {
    let snapshot = load("service_monitors.yaml");
    let p = prometheus(&snapshot, "main");
    let sm = select(&snapshot, &p).service_monitors;
    assert_eq!(sm.selected_keys(), ["mon/valid"]);
    // arbitraryFSAccessThroughSMs.deny refuses bearerTokenFile and TLS files.
    assert_rejected(
        &sm,
        "mon/bearer-token-file",
        "spec.endpoints[1].bearerTokenFile",
        "accesses file system via bearer token file",
    );
    assert_rejected(
        &sm,
        "mon/tls-ca-file",
        "spec.endpoints[0].tlsConfig.caFile",
        "via tls config",
    );
    // Referenced Secrets and keys must exist (asset store).
    assert_rejected(
        &sm,
        "mon/missing-secret-key",
        "spec.endpoints[0].basicAuth.password",
        "key \"nope\" in secret \"creds\" not found",
    );
    assert_rejected(
        &sm,
        "mon/missing-secret",
        "spec.endpoints[0].bearerTokenSecret",
        "unable to get secret \"absent\": secrets \"absent\" not found",
    );
    // The timeout may not exceed the interval (the Prometheus' 30s here).
    assert_rejected(
        &sm,
        "mon/timeout-over-interval",
        "spec.endpoints[0]",
        "scrapeTimeout \"1m\" greater than scrapeInterval \"30s\"",
    );
    assert_rejected(
        &sm,
        "mon/unknown-scrape-class",
        "spec.scrapeClass",
        "scrapeClass \"linkerd\" not found",
    );
    assert_rejected(
        &sm,
        "mon/two-credentials",
        "spec.endpoints[0].basicAuth",
        "authorization and basicAuth cannot be configured at the same time",
    );
    assert_rejected(
        &sm,
        "mon/no-proxy-without-url",
        "spec.endpoints[0].noProxy",
        "if noProxy is configured, proxyUrl must also be configured",
    );
    assert_rejected(
        &sm,
        "mon/bad-regex",
        "spec.endpoints[0].metricRelabelings[1]",
        "invalid regex foo(",
    );
    assert_rejected(
        &sm,
        "mon/bad-own-selector",
        "spec.selector",
        "values set can't be empty",
    );
    assert_rejected(
        &sm,
        "mon/basic-auth-type",
        "spec.endpoints[0].authorization.type",
        "cannot be set to \"basic\"",
    );
    assert_eq!(
        sm.reason(&key("mon/unknown-scrape-class"))
            .unwrap()
            .to_string(),
        "rejected: spec.scrapeClass: scrapeClass \"linkerd\" not found in Prometheus scrapeClasses"
    );
}

#[test]
fn file_access_is_allowed_unless_denied() {
    let snapshot = load("service_monitors.yaml");
    let mut p = prometheus(&snapshot, "main");
    p.spec.common.arbitrary_fs_access_through_sms = None;
    let sm = select(&snapshot, &p).service_monitors;
    assert_eq!(
        sm.selected_keys(),
        ["mon/bearer-token-file", "mon/tls-ca-file", "mon/valid"]
    );
}

/// promop's default (`--monitor-file-access=own-namespace`): kube-prometheus'
/// kubelet and API server monitors keep their token and CA files in the
/// Prometheus' namespace; the same monitors in a tenant's are rejected.
#[test]
fn monitors_read_files_only_in_the_prometheus_namespace() {
    let snapshot = load("file-access.yaml");
    let p = prometheus(&snapshot, "main");
    let sm = select(&snapshot, &p).service_monitors;
    assert_eq!(
        sm.selected_keys(),
        [
            "monitoring/kube-apiserver",
            "monitoring/kubelet",
            "tenant/no-files"
        ]
    );
    let own = "which the operator allows only to monitors in the namespace of the workload (\"monitoring\", --monitor-file-access=own-namespace)";
    assert_rejected(
        &sm,
        "tenant/kubelet",
        "spec.endpoints[0].bearerTokenFile",
        &format!("it accesses file system via bearer token file {own}"),
    );
    assert_rejected(
        &sm,
        "tenant/kube-apiserver",
        "spec.endpoints[0].tlsConfig.caFile",
        &format!("it accesses file system via tls config {own}"),
    );
}

#[test]
fn monitor_file_access_all_none_and_the_spec_deny() {
    let snapshot = load("file-access.yaml");
    let (main, denying) = (
        prometheus(&snapshot, "main"),
        prometheus(&snapshot, "denying"),
    );
    let selected = |p, access| {
        let scope = ScrapeScope {
            monitor_file_access: access,
            ..ScrapeScope::default()
        };
        let sm = select_for_prometheus(&snapshot, p, &scope)
            .unwrap()
            .service_monitors;
        (sm.selected_keys(), sm)
    };
    let everything = [
        "monitoring/kube-apiserver",
        "monitoring/kubelet",
        "tenant/kube-apiserver",
        "tenant/kubelet",
        "tenant/no-files",
    ];
    assert_eq!(selected(&main, MonitorFileAccess::All).0, everything);
    let (keys, sm) = selected(&main, MonitorFileAccess::None);
    assert_eq!(keys, ["tenant/no-files"]);
    assert_rejected(
        &sm,
        "monitoring/kubelet",
        "spec.endpoints[0].bearerTokenFile",
        "which the operator forbids (--monitor-file-access=none)",
    );
    // The spec's deny wins over the flag, in the reference's words.
    let (keys, sm) = selected(&denying, MonitorFileAccess::All);
    assert_eq!(keys, ["tenant/no-files"]);
    assert_rejected(
        &sm,
        "monitoring/kubelet",
        "spec.endpoints[0].bearerTokenFile",
        "it accesses file system via bearer token file which Prometheus specification prohibits",
    );
}

#[test]
fn relabel_version_gates_apply_to_selected_monitors() {
    let snapshot = load("service_monitors.yaml");
    let mut p = prometheus(&snapshot, "main");
    p.spec.common.version = Some("v2.35.0".into());
    let sm = select(&snapshot, &p).service_monitors;
    assert_rejected(
        &sm,
        "mon/valid",
        "spec.endpoints[0].relabelings[0]",
        "only supported from Prometheus version 2.36.0",
    );
}

// ---- PodMonitor and Probe ----------------------------------------------------------

#[test]
fn pod_monitor_checks() {
    let snapshot = load("pod_monitors_probes.yaml");
    let p = prometheus(&snapshot, "main");
    let pm = select(&snapshot, &p).pod_monitors;
    // OAuth2 with a ConfigMap client ID, a CA that parses, a cert and key.
    assert_eq!(pm.selected_keys(), ["mon/oauth2-ok"]);
    assert_rejected(
        &pm,
        "mon/oauth2-missing-secret",
        "spec.podMetricsEndpoints[0].oauth2.clientSecret",
        "failed to get oauth2 client secret",
    );
    assert_rejected(
        &pm,
        "mon/bearer-and-authorization",
        "spec.podMetricsEndpoints[0].bearerTokenSecret",
        "authorization and bearerTokenSecret cannot be configured at the same time",
    );
    assert_rejected(
        &pm,
        "mon/cert-without-key",
        "spec.podMetricsEndpoints[0].tlsConfig.keySecret",
        "client cert specified without client key",
    );
    assert_rejected(
        &pm,
        "mon/ca-not-pem",
        "spec.podMetricsEndpoints[0].tlsConfig.ca",
        "failed to decode PEM block",
    );
    assert_rejected(
        &pm,
        "mon/hashmod-without-modulus",
        "spec.podMetricsEndpoints[0].relabelings[0]",
        "requires non-zero modulus",
    );
}

#[test]
fn probe_checks() {
    let snapshot = load("pod_monitors_probes.yaml");
    let p = prometheus(&snapshot, "main");
    let probes = select(&snapshot, &p).probes;
    assert_eq!(probes.selected_keys(), ["mon/ipv6-prober", "mon/ok"]);
    assert_rejected(
        &probes,
        "mon/no-targets",
        "spec.targets",
        "at least one of .spec.targets.staticConfig and .spec.targets.ingress is required",
    );
    // The prober URL is host[:port], without a scheme: "http://blackbox"
    // has too many colons for Go's SplitHostPort, and is no host either.
    assert_rejected(
        &probes,
        "mon/prober-with-scheme",
        "spec.prober.url",
        "invalid host: \"http://blackbox:9115\"",
    );
    // Static labels follow the naming scheme of the version (legacy in v2).
    assert_rejected(
        &probes,
        "mon/utf8-label",
        "spec.targets.staticConfig.labels",
        "invalid label \"service.name\"",
    );
    p_with_version(&snapshot, "v3.0.0", |selection| {
        assert!(
            selection
                .probes
                .selected_keys()
                .contains(&"mon/utf8-label".to_owned())
        );
    });
}

fn p_with_version(snapshot: &Snapshot, version: &str, check: impl FnOnce(&Selection<'_>)) {
    let mut p = prometheus(snapshot, "main");
    p.spec.common.version = Some(version.into());
    check(&select(snapshot, &p));
}

// ---- ScrapeConfig and PrometheusRule -------------------------------------------------

#[test]
fn scrape_config_checks_for_prometheus_v2() {
    let snapshot = load("scrape_configs_rules.yaml");
    let p = prometheus(&snapshot, "main");
    let sc = select(&snapshot, &p).scrape_configs;
    assert_eq!(
        sc.selected_keys(),
        ["mon/k8s-endpoints-pod-selector", "mon/static-ok"]
    );
    assert_rejected(
        &sc,
        "mon/static-utf8-label",
        "spec.staticConfigs[0].labels",
        "invalid label \"env.name\"",
    );
    assert_rejected(
        &sc,
        "mon/k8s-selector-role",
        "spec.kubernetesSDConfigs[0].selectors[0].role",
        "Pod role supports only pod selectors",
    );
    assert_rejected(
        &sc,
        "mon/dns-a-without-port",
        "spec.dnsSDConfigs[0].port",
        "port required for record type \"A\"",
    );
    assert_rejected(
        &sc,
        "mon/consul-filter",
        "spec.consulSDConfigs[0].filter",
        "only supported for Prometheus version >= 3.0.0",
    );
    assert_rejected(
        &sc,
        "mon/azure-without-tenant",
        "spec.azureSDConfigs[0].tenantID",
        "configuration requires a tenantID",
    );
    assert_rejected(
        &sc,
        "mon/kuma-server-without-scheme",
        "spec.kumaSDConfigs[0].server",
        "must not be empty and have a scheme",
    );
}

#[test]
fn scrape_config_checks_for_an_agent_v3() {
    let snapshot = load("scrape_configs_rules.yaml");
    let agent = snapshot.prometheus_agents[0].clone();
    let selection = select_for_agent(&snapshot, &agent, &ScrapeScope::default()).unwrap();
    assert_eq!(
        selection.scrape_configs.selected_keys(),
        [
            "mon/consul-filter",
            "mon/k8s-endpoints-pod-selector",
            "mon/static-ok",
            "mon/static-utf8-label"
        ]
    );
    // Agents have no rules.
    assert!(selection.prometheus_rules.selected.is_empty());
    assert!(selection.prometheus_rules.skipped.is_empty());
}

#[test]
fn old_prometheus_rejects_every_scrape_config() {
    // The reference gates HTTP SD (and others) on the version even when the
    // ScrapeConfig does not use it: before 2.28 nothing is accepted.
    let snapshot = load("scrape_configs_rules.yaml");
    let mut p = prometheus(&snapshot, "main");
    p.spec.common.version = Some("v2.27.0".into());
    let sc = select(&snapshot, &p).scrape_configs;
    assert!(sc.selected.is_empty());
    assert_rejected(
        &sc,
        "mon/static-ok",
        "spec.httpSDConfigs",
        "HTTP SD configuration is only supported for Prometheus version >= 2.28.0",
    );
}

#[test]
fn prometheus_rules_are_selected_by_rule_selector() {
    let snapshot = load("scrape_configs_rules.yaml");
    let p = prometheus(&snapshot, "main");
    let rules = select(&snapshot, &p).prometheus_rules;
    assert_eq!(rules.selected_keys(), ["mon/alerts"]);
    assert_rejected(
        &rules,
        "mon/broken",
        "spec.groups[0].rules[0]",
        "only one of 'record' and 'alert' must be set",
    );
    assert!(matches!(
        rules.reason(&key("mon/unlabelled")),
        Some(Reason::LabelsNotMatched {
            field: "ruleSelector",
            ..
        })
    ));
}

/// `namespace/name` as the selection keys objects.
fn key(key: &str) -> ObjectKey {
    let (namespace, name) = key.split_once('/').expect("namespace/name");
    ObjectKey::new(namespace, name)
}
