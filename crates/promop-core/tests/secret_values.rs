//! No value read from a Secret reaches a message: each case plants a unique
//! password where the reference would quote it (a YAML list that is a
//! mapping, a YAML syntax error next to a credential, a webhook URL that is
//! not one) and checks the generation's error, the rejected objects and
//! `lint`'s findings — what status conditions, Events, logs and the CLI
//! print — for it.
use promop_core::desired::{OperatorOptions, alertmanager_state, prometheus_state};
use promop_core::lint::lint;
use promop_core::manifests::{Loaded, Strictness};
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use promop_core::select::namespaces::WatchedNamespaces;

/// Every message promop derives from `manifests`.
fn messages(manifests: &str) -> Vec<String> {
    let mut loaded = Loaded::default();
    loaded
        .add_yaml("test", manifests, "default", Strictness::ObjectsOnly)
        .expect("manifests are usable");
    let s = &loaded.snapshot;
    let (all, options) = (WatchedNamespaces::all(), OperatorOptions::default());
    let mut out: Vec<String> = lint(&loaded, &ScrapeScope::default())
        .iter()
        .map(|f| format!("{f:?}"))
        .collect();
    for p in &s.prometheuses {
        match prometheus_state(
            s,
            Workload::Prometheus(p),
            &ScrapeScope::default(),
            &options,
        ) {
            Ok(state) => out.extend(state.rejected().iter().map(ToString::to_string)),
            Err(e) => out.push(e.to_string()),
        }
    }
    for am in &s.alertmanagers {
        match alertmanager_state(s, am, &all, &options) {
            Ok(state) => out.extend(state.output.rejected().iter().map(ToString::to_string)),
            Err(e) => out.push(e.to_string()),
        }
    }
    assert!(!out.is_empty(), "the case must produce an error");
    out
}

fn assert_kept_secret(manifests: &str, password: &str) {
    for message in messages(manifests) {
        assert!(!message.contains(password), "{password} leaked: {message}");
    }
}

const PROMETHEUS: &str = "apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  serviceMonitorSelector: {}
  additionalScrapeConfigs: {name: extra, key: scrape.yaml}
---
";

#[test]
fn a_mapping_where_scrape_configs_are_a_list() {
    let manifests = format!(
        "{PROMETHEUS}apiVersion: v1
kind: Secret
metadata: {{name: extra, namespace: monitoring}}
stringData:
  scrape.yaml: |
    job_name: x
    basic_auth: {{username: u, password: PLANTED-MAPPING-1}}
"
    );
    assert_kept_secret(&manifests, "PLANTED-MAPPING-1");
}

#[test]
fn a_yaml_syntax_error_next_to_a_credential() {
    let manifests = format!(
        "{PROMETHEUS}apiVersion: v1
kind: Secret
metadata: {{name: extra, namespace: monitoring}}
stringData:
  scrape.yaml: |
    - job_name: x
      basic_auth: {{username: u, password: PLANTED-SYNTAX-2}}
      bad: [unclosed
"
    );
    assert_kept_secret(&manifests, "PLANTED-SYNTAX-2");
    let alertmanager = "apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main, namespace: monitoring}
spec: {alertmanagerConfigSelector: {}}
---
apiVersion: v1
kind: Secret
metadata: {name: alertmanager-main, namespace: monitoring}
stringData:
  alertmanager.yaml: |
    global:
      slack_api_url: 'https://hooks.slack.com/services/PLANTED-SYNTAX-3
    route: {receiver: x}
";
    assert_kept_secret(alertmanager, "PLANTED-SYNTAX-3");
}

#[test]
fn a_webhook_url_from_a_secret_that_is_not_a_url() {
    let manifests = "apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main, namespace: monitoring}
spec: {alertmanagerConfigSelector: {}}
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata: {name: team, namespace: monitoring}
spec:
  route: {receiver: chat}
  receivers:
  - name: chat
    slackConfigs: [{apiURL: {name: hooks, key: slack}}]
    webhookConfigs: [{urlSecret: {name: hooks, key: hook}}]
---
apiVersion: v1
kind: Secret
metadata: {name: hooks, namespace: monitoring}
stringData:
  slack: hooks.slack.com/services/PLANTED-URL-4
  hook: 'https:///PLANTED-URL-5'
";
    assert_kept_secret(manifests, "PLANTED-URL-4");
    let webhook_only = manifests.replace(
        "    slackConfigs: [{apiURL: {name: hooks, key: slack}}]\n",
        "",
    );
    assert_kept_secret(&webhook_only, "PLANTED-URL-5");
}
