//! No value read from a Secret reaches a message: each case plants a unique
//! password where the reference would quote it (a YAML list that is a
//! mapping, a YAML syntax error next to a credential, a webhook URL that is
//! not one, SigV4 and OAuth2 credentials next to a bad setting) and checks the generation's error, the rejected objects and
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

/// The messages, joined, after checking that none holds `password`.
fn assert_kept_secret(manifests: &str, password: &str) -> String {
    let messages = messages(manifests);
    for message in &messages {
        assert!(!message.contains(password), "{password} leaked: {message}");
    }
    messages.join("\n")
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

const ALERTMANAGER: &str = "apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main, namespace: monitoring}
spec: {alertmanagerConfigSelector: {}}
---
";

/// SigV4 and OAuth2 credentials whose Secret exists next to a reference
/// that does not (an SNS `secretKey` key, an OAuth2 `clientId` ConfigMap),
/// in an AlertmanagerConfig, a ServiceMonitor and a remote write endpoint
/// that sets both.
#[test]
fn sigv4_and_oauth2_credentials_next_to_a_missing_reference() {
    let aws = "apiVersion: v1
kind: Secret
metadata: {name: aws, namespace: monitoring}
stringData: {access: PLANTED-SIGV4-6, secret: PLANTED-OAUTH-7}
";
    let receivers = format!(
        "{ALERTMANAGER}apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata: {{name: team, namespace: monitoring}}
spec:
  route: {{receiver: aws}}
  receivers:
  - name: aws
    snsConfigs:
    - topicARN: arn:aws:sns:eu:1:alerts
      sigv4: {{region: eu, accessKey: {{name: aws, key: access}}, secretKey: {{name: aws, key: missing}}}}
    webhookConfigs:
    - url: https://hooks.example
      httpConfig:
        oauth2: {{tokenUrl: https://token.example, clientId: {{configMap: {{name: ids, key: id}}}}, clientSecret: {{name: aws, key: secret}}}}
---
{aws}"
    );
    let prometheus = format!(
        "apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: main, namespace: monitoring}}
spec:
  serviceMonitorSelector: {{}}
  remoteWrite:
  - url: https://rw.example
    sigv4: {{accessKey: {{name: aws, key: access}}, secretKey: {{name: aws, key: secret}}}}
    oauth2: {{tokenUrl: https://token.example, clientId: {{secret: {{name: aws, key: access}}}}, clientSecret: {{name: aws, key: secret}}}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: app, namespace: monitoring}}
spec:
  selector: {{matchLabels: {{app: app}}}}
  endpoints:
  - port: web
    oauth2: {{tokenUrl: https://token.example, clientId: {{configMap: {{name: ids, key: id}}}}, clientSecret: {{name: aws, key: secret}}}}
---
{aws}"
    );
    for manifests in [receivers, prometheus] {
        assert_kept_secret(&manifests, "PLANTED-SIGV4-6");
        let said = assert_kept_secret(&manifests, "PLANTED-OAUTH-7");
        assert!(said.contains("not found"), "{said}");
    }
}

/// The base configuration is itself a Secret: a value its types refuse (a
/// TLS version, a duration, an address) is not quoted either.
#[test]
fn credentials_of_the_base_configuration_next_to_a_bad_value() {
    let base = |config: &str| {
        format!(
            "{ALERTMANAGER}apiVersion: v1
kind: Secret
metadata: {{name: alertmanager-main, namespace: monitoring}}
stringData:
  alertmanager.yaml: |
{config}"
        )
    };
    let tls = base(
        "    route: {receiver: x}
    receivers:
    - name: x
      webhook_configs:
      - url: https://hooks.example
        http_config:
          oauth2: {client_id: id, client_secret: s, token_url: https://token.example}
          tls_config: {min_version: PLANTED-TLS-8}
",
    );
    let said = assert_kept_secret(&tls, "PLANTED-TLS-8");
    assert!(
        said.contains("unknown TLS version in 'min_version'"),
        "{said}"
    );
    let global = base(
        "    global: {smtp_smarthost: PLANTED-HOST-9, resolve_timeout: PLANTED-DURATION-10}
    route: {receiver: x}
    receivers: [{name: x}]
",
    );
    let said = assert_kept_secret(&global, "PLANTED-DURATION-10");
    assert!(
        said.contains("resolve_timeout: not a valid duration"),
        "{said}"
    );
    let smarthost = global.replace(
        "resolve_timeout: PLANTED-DURATION-10",
        "resolve_timeout: 5m",
    );
    let said = assert_kept_secret(&smarthost, "PLANTED-HOST-9");
    assert!(
        said.contains("smtp_smarthost: address …: missing port"),
        "{said}"
    );
}
