//! ScrapeConfig checks by version, and PrometheusRule selection.
use super::*;

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
