//! ServiceMonitor, PodMonitor and Probe checks, and file access through monitors.
use super::*;

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
