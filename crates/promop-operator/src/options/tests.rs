use super::*;

/// The options of `promop run ARGS`.
fn parsed(args: &[&str]) -> Result<Options, clap::Error> {
    Options::from_args(args)
}

#[test]
fn defaults_are_the_references() {
    let o = Options::default();
    assert_eq!(o.reloader.cpu_request, "10m");
    assert_eq!(o.reloader.memory_limit, "50Mi");
    assert_eq!(o.reloader.image, DEFAULT_CONFIG_RELOADER_IMAGE);
    assert_eq!(o.web.listen_address.port(), 8080);
    assert!(o.web.listen_address.ip().is_unspecified());
    assert!(!o.leader_election.enabled);
    assert_eq!(o.leader_election.lease_duration, Duration::from_secs(15));
    assert!(o.kubelet.service.is_none());
    assert!(o.kubelet.endpoints);
    assert_eq!(o.kubelet.sync_period, Duration::from_secs(180));
    assert!(o.objects.feature_enabled("PrometheusTopologySharding"));
    assert!(!o.objects.feature_enabled("PrometheusAgentDaemonSet"));
    assert_eq!(o.namespaces.watched(), WatchedNamespaces::all());
    assert!(o.validate().is_ok());
}

#[test]
fn label_selectors() {
    for ok in [
        "",
        "app=a,tier!=b",
        "example.com/app in (a, b),env notin (x)",
    ] {
        assert!(label_selector(ok).is_ok(), "{ok}");
    }
    for bad in ["app in a", "a b"] {
        assert!(label_selector(bad).is_err(), "{bad}");
    }
}

/// Helm's release Secrets are left out unless the flag says otherwise;
/// an empty selector (every Secret) is the reference's default.
#[test]
fn secrets_watched_by_default_are_all_but_helm_releases() {
    let parse = |args: &[&str]| parsed(args).map(|o| o.selectors.secret_fields);
    assert_eq!(
        Options::default().selectors.secret_fields.as_deref(),
        Some("type!=helm.sh/release.v1")
    );
    assert_eq!(
        parse(&["--secret-field-selector="]).expect("parses"),
        Some(String::new())
    );
    assert_eq!(
        parse(&["--secret-field-selector=type!=kubernetes.io/dockercfg"]).expect("parses"),
        Some("type!=kubernetes.io/dockercfg".to_owned())
    );
}

/// Monitors outside the Prometheus' namespace read no files unless the
/// flag restores the reference's behaviour.
#[test]
fn monitor_file_access_defaults_to_own_namespace() {
    let parse = |args: &[&str]| parsed(args).map(|o| o.scrape_scope().monitor_file_access);
    assert_eq!(parse(&[]).unwrap(), MonitorFileAccess::OwnNamespace);
    let all = parse(&["--monitor-file-access=all"]).unwrap();
    assert_eq!(all, MonitorFileAccess::All);
    let error = parse(&["--monitor-file-access=some"])
        .unwrap_err()
        .to_string();
    assert!(error.contains("all, own-namespace, none"), "{error}");
}

#[test]
fn field_selectors() {
    assert!(field_selector("type!=kubernetes.io/dockercfg,metadata.name=x").is_ok());
    assert!(field_selector("type").is_err());
}

#[test]
fn quantities() {
    for ok in ["0", "10m", "50Mi", "1.5", "1e3", ".5"] {
        assert!(quantity(ok).is_ok(), "{ok}");
    }
    for bad in ["", "ten", "10 m", "10mb"] {
        assert!(quantity(bad).is_err(), "{bad}");
    }
}

#[test]
fn go_durations() {
    assert_eq!(go_duration("1m30s"), Ok(Duration::from_secs(90)));
    assert_eq!(go_duration("1.5h"), Ok(Duration::from_secs(5400)));
    assert_eq!(go_duration("250ms"), Ok(Duration::from_millis(250)));
    assert!(go_duration("15").is_err());
    assert!(go_duration("s").is_err());
    assert!(go_duration("1m x").is_err());
}

#[test]
fn listen_addresses() {
    assert_eq!(
        listen_address("127.0.0.1:9090"),
        Ok("127.0.0.1:9090".parse().unwrap())
    );
    assert_eq!(listen_address("[::1]:80"), Ok("[::1]:80".parse().unwrap()));
    assert!(listen_address("8080").is_err());
}

#[test]
fn per_kind_namespaces_replace_the_general_lists() {
    let mut o = Options::default();
    o.namespaces.deny = vec!["kube-system".into()];
    o.namespaces.prometheus_instances = vec!["monitoring".into()];
    assert_eq!(
        o.namespaces.prometheus_instances(),
        WatchedNamespaces::only(["monitoring"])
    );
    assert!(!o.namespaces.alertmanager_instances().watches("kube-system"));
}
