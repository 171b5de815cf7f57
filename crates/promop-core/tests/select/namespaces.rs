//! Namespaces a workload selects from, and label selectors.
use super::*;

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
