//! Issue 6's end-to-end acceptance: the alerting chain PrometheusRule →
//! Prometheus → Alertmanager → AlertmanagerConfig → receivers, on the local
//! apiserver with promop's CRDs and promop's controller running in-process.
//!
//! The test bed's kubelet runs the real Prometheus (`prometheus-main`) and
//! the real Alertmanager (`alertmanager-main`) from the StatefulSets,
//! Secrets and ConfigMaps promop wrote; the receivers are webhook sinks
//! standing for PagerDuty, Slack and the payments team's pager (real
//! services cannot be reached; webhook configs are what the sinks speak).
//! Nothing else writes those objects: whatever reaches a sink went through
//! promop's output.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::events::v1::Event;
use kube::api::ListParams;
use kube::{Api, Client};
use promop_api::v1::PrometheusRule;
use promop_testenv::{
    AlertmanagerVersion, MetricsServer, PrometheusVersion, RunningPod, TestEnv, WebhookSink,
    apply_manifests, run_alertmanager_pod, run_statefulset_pod,
};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod common;

use common::alerting::{alertmanager_endpoint, wait_alertmanager_discovered};

const MONITORING: &str = "monitoring";
const SHOP: &str = "shop";
const PAYMENTS: &str = "payments";
/// The Prometheus and the Alertmanager (StatefulSets `prometheus-main`,
/// `alertmanager-main`).
const NAME: &str = "main";
/// The gauge the test sets, and the thresholds of the two alerts on it.
const METRIC: &str = "shop_queue_depth";
const CRITICAL: &str = "ShopQueueCritical";
const WARNING: &str = "ShopQueueHigh";
/// payments' alert, on the same gauge: its rule sets `namespace="payments"`.
const PAYMENTS_ALERT: &str = "PaymentsBacklog";
/// The receivers as Alertmanager knows them: promop names them
/// `<namespace>/<AlertmanagerConfig>/<receiver>` like the reference.
const PAGERDUTY: &str = "shop/routing/pagerduty";
const SLACK: &str = "shop/routing/slack";
const PAGER: &str = "payments/oncall/pager";
/// Recorded by the good rule of the second test.
const RECORDED: &str = "shop:queue_depth:max";
/// Generous: the chain takes seconds; a loaded machine may take longer.
const TIMEOUT: Duration = Duration::from_secs(120);
/// After the resolutions: how long a sink may still receive something it
/// should not (several Alertmanager group intervals and rule evaluations).
const GRACE: Duration = Duration::from_secs(5);

/// The apiserver with promop's CRDs and promop's controller running.
struct Promop {
    env: TestEnv,
    stop: oneshot::Sender<()>,
    controller: JoinHandle<()>,
}

impl Promop {
    async fn start() -> Result<Self> {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("promop_operator=info")
            .with_test_writer()
            .try_init();
        let env = TestEnv::start().await?;
        let crds = promop_api::crd::all()
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?;
        apply_manifests(&env.client(), &crds.join("\n---\n"))
            .await
            .context("installing promop's CRDs")?;
        let (stop, stopped) = oneshot::channel::<()>();
        let controller = tokio::spawn(promop_operator::run(
            env.client(),
            promop_operator::Options::default(),
            async {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            env,
            stop,
            controller,
        })
    }

    fn client(&self) -> Client {
        self.env.client()
    }

    async fn shutdown(self) -> Result<()> {
        ensure!(
            !self.controller.is_finished(),
            "promop's controller task ended before the shutdown"
        );
        self.stop.send(()).ok();
        tokio::time::timeout(Duration::from_secs(10), self.controller)
            .await
            .context("controller did not stop on shutdown")?
            .context("controller task")
    }
}

fn exposition(value: f64) -> String {
    format!("# TYPE {METRIC} gauge\n{METRIC} {value}\n")
}

/// The shop's metrics endpoint (127.0.0.1:`port`) behind Service
/// `shop-api` (an EndpointSlice of addressType FQDN: the apiserver refuses
/// loopback IPs elsewhere) and a ServiceMonitor. The series get
/// `namespace="shop"` from the Service, which the Alertmanager's namespace
/// matcher for shop's AlertmanagerConfig relies on.
fn shop_target(port: u16) -> String {
    format!(
        r#"apiVersion: v1
kind: Service
metadata: {{name: shop-api, namespace: {SHOP}, labels: {{app: shop-api}}}}
spec:
  ports: [{{name: web, port: {port}, protocol: TCP}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: shop-api-fqdn
  namespace: {SHOP}
  labels: {{kubernetes.io/service-name: shop-api}}
addressType: FQDN
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
ports: [{{name: web, port: {port}, protocol: TCP}}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: shop-api, namespace: {SHOP}, labels: {{team: shop}}}}
spec:
  selector: {{matchLabels: {{app: shop-api}}}}
  endpoints: [{{port: web}}]
"#
    )
}

/// The Prometheus (`spec.version` = the installed prometheus-v3's, fast
/// scrapes and evaluations) sending alerts to the `alertmanager-operated`
/// Service.
fn prometheus(version: &str) -> String {
    format!(
        r#"apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: {NAME}, namespace: {MONITORING}}}
spec:
  version: v{version}
  serviceDiscoveryRole: EndpointSlice
  scrapeInterval: 1s
  evaluationInterval: 1s
  serviceMonitorSelector: {{matchLabels: {{team: shop}}}}
  serviceMonitorNamespaceSelector: {{}}
  ruleSelector: {{matchLabels: {{role: alert-rules}}}}
  ruleNamespaceSelector: {{}}
  alerting:
    alertmanagers:
    - {{namespace: {MONITORING}, name: alertmanager-operated, port: web}}
"#
    )
}

/// Shop's rules: a recording rule and two alerts on the gauge.
/// `extra_rules` (YAML flow items) are appended to the group.
fn shop_rules(extra_rules: &str) -> String {
    format!(
        r#"apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: queue, namespace: {SHOP}, labels: {{role: alert-rules}}}}
spec:
  groups:
  - name: shop-queue
    rules:
    - {{record: "{RECORDED}", expr: "max({METRIC})"}}
    - {{alert: {CRITICAL}, expr: "{METRIC} > 100", for: 2s, labels: {{severity: critical}}}}
    - {{alert: {WARNING}, expr: "{METRIC} > 50", for: 2s, labels: {{severity: warning}}}}{extra_rules}
"#
    )
}

/// The Alertmanager (`spec.version` = the installed binary's), the
/// AlertmanagerConfigs of `shop` (critical → pagerduty, the rest → slack)
/// and of `payments`, and payments' rule, critical too. Short
/// group_wait/group_interval; repeat_interval long enough that no
/// notification repeats during the test.
fn alerting(version: &str, pagerduty: &str, slack: &str, payments: &str) -> String {
    format!(
        r#"apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {{name: {NAME}, namespace: {MONITORING}}}
spec:
  version: v{version}
  replicas: 1
  alertmanagerConfigSelector: {{matchLabels: {{alertmanager: {NAME}}}}}
  alertmanagerConfigNamespaceSelector: {{}}
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata: {{name: routing, namespace: {SHOP}, labels: {{alertmanager: {NAME}}}}}
spec:
  route:
    receiver: slack
    groupBy: [alertname]
    groupWait: 1s
    groupInterval: 1s
    repeatInterval: 1h
    routes:
    - receiver: pagerduty
      matchers: [{{name: severity, value: critical, matchType: "="}}]
  receivers:
  - name: pagerduty
    webhookConfigs: [{{url: "{pagerduty}", sendResolved: true}}]
  - name: slack
    webhookConfigs: [{{url: "{slack}", sendResolved: true}}]
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata: {{name: oncall, namespace: {PAYMENTS}, labels: {{alertmanager: {NAME}}}}}
spec:
  route:
    receiver: pager
    groupBy: [alertname]
    groupWait: 1s
    groupInterval: 1s
    repeatInterval: 1h
  receivers:
  - name: pager
    webhookConfigs: [{{url: "{payments}", sendResolved: true}}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: backlog, namespace: {PAYMENTS}, labels: {{role: alert-rules}}}}
spec:
  groups:
  - name: payments-backlog
    rules:
    - alert: {PAYMENTS_ALERT}
      expr: "{METRIC} > 100"
      for: 2s
      labels: {{severity: critical, namespace: {PAYMENTS}}}
"#
    )
}

/// Waits until `sink` received a notification whose status is `status`
/// (`firing` / `resolved`); returns the time since `since`.
async fn delivered(sink: &WebhookSink, status: &str, since: Instant) -> Result<Duration> {
    loop {
        let got = sink.received();
        if got.iter().any(|m| m["status"] == status) {
            return Ok(since.elapsed());
        }
        let left = TIMEOUT
            .checked_sub(since.elapsed())
            .with_context(|| format!("no {status} notification after {TIMEOUT:?}: {got:?}"))?;
        sink.wait_for(got.len() + 1, left).await?;
    }
}

/// Every (receiver, alertname, alert status) a sink received, and the
/// namespaces of the alerts.
fn summary(sink: &WebhookSink) -> (BTreeSet<(String, String, String)>, BTreeSet<String>) {
    let mut seen = BTreeSet::new();
    let mut namespaces = BTreeSet::new();
    for message in sink.received() {
        let receiver = message["receiver"].as_str().unwrap_or_default().to_owned();
        for alert in message["alerts"].as_array().into_iter().flatten() {
            let label = |name: &str| {
                alert["labels"][name]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            };
            seen.insert((
                receiver.clone(),
                label("alertname"),
                alert["status"].as_str().unwrap_or_default().to_owned(),
            ));
            namespaces.insert(label("namespace"));
        }
    }
    (seen, namespaces)
}

fn triple(receiver: &str, alert: &str, status: &str) -> (String, String, String) {
    (receiver.into(), alert.into(), status.into())
}

#[tokio::test]
async fn alerts_reach_the_receivers_their_namespace_routes_to() -> Result<()> {
    let promop = Promop::start().await?;
    let client = promop.client();
    let pagerduty = WebhookSink::start().await?;
    let slack = WebhookSink::start().await?;
    let payments = WebhookSink::start().await?;
    let target = MetricsServer::start(exposition(0.0)).await?;
    let prom_version = PrometheusVersion::V3.installed_version()?;
    let am_version = promop_testenv::installed_release(AlertmanagerVersion::Latest.binary())?;
    let objects = [
        shop_target(target.port()),
        prometheus(&prom_version),
        shop_rules(""),
        alerting(&am_version, &pagerduty.url(), &slack.url(), &payments.url()),
    ];
    apply_manifests(&client, &objects.join("---\n")).await?;

    let am = run_alertmanager_pod(
        &client,
        &promop.env,
        MONITORING,
        &format!("alertmanager-{NAME}"),
        0,
    )
    .await?;
    // The binary of spec.version, with the configuration promop generated.
    let status = am.status().await?;
    ensure!(
        status["versionInfo"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with(&am_version)),
        "the pod runs {}, not {am_version}",
        status["versionInfo"]
    );
    let loaded = status["config"]["original"].as_str().unwrap_or_default();
    for receiver in [PAGERDUTY, SLACK, PAGER] {
        ensure!(
            loaded.contains(receiver),
            "Alertmanager's configuration lacks receiver {receiver}:\n{loaded}"
        );
    }
    apply_manifests(&client, &alertmanager_endpoint(MONITORING, am.port())).await?;

    let mut prom = run_statefulset_pod(
        &client,
        &promop.env,
        MONITORING,
        &format!("prometheus-{NAME}"),
        0,
    )
    .await?;
    wait_alertmanager_discovered(&mut prom, am.url(), TIMEOUT).await?;
    // The baseline is scraped and evaluated: nothing of the shop fires.
    prom.wait_for_query(RECORDED, TIMEOUT, |v| v.iter().any(|(_, x)| *x == 0.0))
        .await?;
    for sink in [&pagerduty, &slack, &payments] {
        ensure!(sink.received().is_empty(), "{:?}", sink.received());
    }

    // The value crosses every threshold, then drops below them.
    for (value, status) in [(150.0, "firing"), (0.0, "resolved")] {
        target.set_body(exposition(value));
        let since = Instant::now();
        let (to_pagerduty, to_slack, to_payments) = tokio::try_join!(
            delivered(&pagerduty, status, since),
            delivered(&slack, status, since),
            delivered(&payments, status, since)
        )
        .with_context(|| format!("Alertmanager's log:\n{}", am.log_tail(30)))?;
        eprintln!(
            "value {value}: {status} delivered after pagerduty {to_pagerduty:?}, \
             slack {to_slack:?}, payments {to_payments:?}"
        );
    }

    // Anything misrouted would have arrived by now.
    tokio::time::sleep(GRACE).await;
    let (seen, namespaces) = summary(&pagerduty);
    ensure!(
        seen == BTreeSet::from([
            triple(PAGERDUTY, CRITICAL, "firing"),
            triple(PAGERDUTY, CRITICAL, "resolved")
        ]) && namespaces == BTreeSet::from([SHOP.to_owned()]),
        "pagerduty received {:#?}",
        pagerduty.received()
    );
    let (seen, namespaces) = summary(&slack);
    ensure!(
        seen == BTreeSet::from([
            triple(SLACK, WARNING, "firing"),
            triple(SLACK, WARNING, "resolved")
        ]) && namespaces == BTreeSet::from([SHOP.to_owned()]),
        "slack received {:#?}",
        slack.received()
    );
    // The namespace matcher promop adds keeps shop's alerts away from
    // payments' route, and payments' critical alert away from shop's.
    let (seen, namespaces) = summary(&payments);
    ensure!(
        seen == BTreeSet::from([
            triple(PAGER, PAYMENTS_ALERT, "firing"),
            triple(PAGER, PAYMENTS_ALERT, "resolved")
        ]) && namespaces == BTreeSet::from([PAYMENTS.to_owned()]),
        "payments received {:#?}",
        payments.received()
    );

    let mut am = am;
    am.check_running()?;
    prom.check_running()?;
    drop((prom, am));
    promop.shutdown().await
}

/// Shop's target, the Prometheus, shop's rules and `extra` objects applied;
/// the real Prometheus run from the StatefulSet promop wrote.
async fn shop_prometheus(
    promop: &Promop,
    target: &MetricsServer,
    extra: &[String],
) -> Result<RunningPod> {
    let client = promop.client();
    let version = PrometheusVersion::V3.installed_version()?;
    let mut objects = vec![
        shop_target(target.port()),
        prometheus(&version),
        shop_rules(""),
    ];
    objects.extend_from_slice(extra);
    apply_manifests(&client, &objects.join("---\n")).await?;
    run_statefulset_pod(
        &client,
        &promop.env,
        MONITORING,
        &format!("prometheus-{NAME}"),
        0,
    )
    .await
}

/// The rule ConfigMaps' contents (`prometheus-main-rulefiles-N`).
async fn rule_files(client: &Client) -> Result<String> {
    let maps = Api::<ConfigMap>::namespaced(client.clone(), MONITORING)
        .list(&ListParams::default())
        .await?;
    let prefix = format!("prometheus-{NAME}-rulefiles-");
    Ok(maps
        .items
        .into_iter()
        .filter(|cm| {
            cm.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .flat_map(|cm| cm.data.unwrap_or_default().into_values())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Waits for a Warning Event (events.k8s.io/v1) with reason
/// InvalidConfiguration regarding PrometheusRule `shop/<name>`.
async fn wait_invalid_configuration_event(client: &Client, name: &str) -> Result<Event> {
    let events = Api::<Event>::namespaced(client.clone(), SHOP);
    let start = Instant::now();
    loop {
        let list = events.list(&ListParams::default()).await?;
        let found = list.items.iter().find(|e| {
            let regarding = e.regarding.as_ref();
            e.type_.as_deref() == Some("Warning")
                && e.reason.as_deref() == Some("InvalidConfiguration")
                && regarding.and_then(|r| r.kind.as_deref()) == Some("PrometheusRule")
                && regarding.and_then(|r| r.name.as_deref()) == Some(name)
                && regarding.and_then(|r| r.namespace.as_deref()) == Some(SHOP)
        });
        if let Some(event) = found {
            return Ok(event.clone());
        }
        if start.elapsed() > TIMEOUT {
            bail!(
                "no InvalidConfiguration event for PrometheusRule {SHOP}/{name}; events: {:#?}",
                list.items
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_broken_rule_is_rejected_alone_and_the_good_ones_keep_evaluating() -> Result<()> {
    let promop = Promop::start().await?;
    let client = promop.client();
    let target = MetricsServer::start(exposition(7.0)).await?;
    let mut prom = shop_prometheus(&promop, &target, &[]).await?;
    prom.wait_for_query(RECORDED, TIMEOUT, |v| v.iter().any(|(_, x)| *x == 7.0))
        .await?;

    // PromQL that does not parse, next to the good rule.
    let broken = format!(
        r#"apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: broken, namespace: {SHOP}, labels: {{role: alert-rules}}}}
spec:
  groups:
  - name: shop-broken
    rules: [{{record: "shop:broken", expr: "sum(({METRIC})"}}]
"#
    );
    apply_manifests(&client, &broken).await?;
    let event = wait_invalid_configuration_event(&client, "broken").await?;
    eprintln!("event: {:?}", event.note);

    // A change to the good rule made after the broken one was seen still
    // reaches the rule files, without the broken rule.
    let added = "shop:queue_depth:min";
    let extra = format!("\n    - {{record: \"{added}\", expr: \"min({METRIC})\"}}");
    apply_manifests(&client, &shop_rules(&extra)).await?;
    let start = Instant::now();
    let files = loop {
        let files = rule_files(&client).await?;
        if files.contains(added) {
            break files;
        }
        ensure!(
            start.elapsed() < TIMEOUT,
            "the rule files never contained {added}:\n{files}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    ensure!(
        !files.contains("shop:broken") && !files.contains("shop-broken"),
        "the broken rule reached the rule files:\n{files}"
    );

    // Prometheus loads the new files (a reload fails on an invalid rule
    // file) and the good rules evaluate the new value.
    prom.reload().await?;
    target.set_body(exposition(9.0));
    for rule in [RECORDED, added] {
        prom.wait_for_query(rule, TIMEOUT, |v| v.iter().any(|(_, x)| *x == 9.0))
            .await?;
    }
    let groups: Vec<Value> = prom.rules().await?["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: BTreeSet<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    ensure!(
        names == BTreeSet::from(["shop-queue"]),
        "rule groups loaded: {names:?}"
    );

    prom.check_running()?;
    drop(prom);
    promop.shutdown().await
}

/// Issue 11's first defect, end to end: a deleted PrometheusRule leaves the
/// rule ConfigMap and the real Prometheus stops evaluating it (the reloaded
/// Prometheus holds only the remaining group).
#[tokio::test]
async fn a_deleted_rule_leaves_the_rule_files_and_prometheus() -> Result<()> {
    let promop = Promop::start().await?;
    let client = promop.client();
    let target = MetricsServer::start(exposition(7.0)).await?;
    let summed = "shop:queue_depth:sum";
    let extra = format!(
        r#"apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: extra, namespace: {SHOP}, labels: {{role: alert-rules}}}}
spec:
  groups:
  - name: shop-extra
    rules: [{{record: "{summed}", expr: "sum({METRIC})"}}]
"#
    );
    let mut prom = shop_prometheus(&promop, &target, &[extra]).await?;
    prom.wait_for_query(summed, TIMEOUT, |v| v.iter().any(|(_, x)| *x == 7.0))
        .await?;

    Api::<PrometheusRule>::namespaced(client.clone(), SHOP)
        .delete("extra", &Default::default())
        .await?;
    let deleted = Instant::now();
    loop {
        let files = rule_files(&client).await?;
        if !files.contains("shop-extra") {
            ensure!(
                files.contains("shop-queue"),
                "the other rules went too:\n{files}"
            );
            break;
        }
        ensure!(
            deleted.elapsed() < TIMEOUT,
            "the deleted rule's file is still there:\n{files}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("rule file removed {:?} after the delete", deleted.elapsed());

    // What the kubelet and the config-reloader do next: Prometheus reloads
    // the files and no longer holds the deleted group.
    prom.reload().await?;
    let groups: Vec<Value> = prom.rules().await?["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: BTreeSet<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    ensure!(
        names == BTreeSet::from(["shop-queue"]),
        "rule groups loaded after the delete: {names:?}"
    );
    prom.check_running()?;
    drop(prom);
    promop.shutdown().await
}
