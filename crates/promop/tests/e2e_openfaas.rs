//! Issue 17's OpenFaaS acceptance: the CE autoscaling loop of
//! deploy/examples/openfaas on the test bed, with promop's controller
//! running in-process.
//!
//! What runs for real: the example function (examples/openfaas-function's
//! router, served on a loopback port as of-watchdog's upstream), promop,
//! and the Prometheus and Alertmanager the test-bed kubelet starts from the
//! StatefulSets, Secrets and ConfigMaps promop wrote for the example's own
//! ServiceMonitors, PrometheusRule (unchanged: 5 s scrapes of the gateway,
//! 5 s rule evaluation, `for: 5s`) and AlertmanagerConfig (unchanged but for
//! the webhook URL, which points at the stand-in instead of
//! gateway.openfaas:8080, and the basic-auth Secret the OpenFaaS chart would
//! create, made here with test credentials).
//!
//! The stand-in: the OpenFaaS gateway cannot run here (its Go module is not
//! served), so [`Gateway`] plays its three parts this loop uses: it proxies
//! `/function/<name>` to the function and counts
//! `gateway_function_invocation_total{function_name="<name>.openfaas-fn",
//! code}` as the gateway does, serves that counter on its own metrics port
//! (the gateway's 8082), and receives Alertmanager's webhook on
//! `/system/alert` behind basic auth, recording what the real handler reads
//! (`status`, `receiver`, `alerts[].status`, `alerts[].labels.function_name`).
//! No of-watchdog runs: the function's ServiceMonitor endpoint on the
//! watchdog's port (8081) has no endpoint here.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use promop_testenv::{
    AlertmanagerVersion, PrometheusVersion, TestEnv, apply_manifests, parse_yaml_documents,
    run_alertmanager_pod, run_statefulset_pod,
};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[path = "common/mod.rs"]
mod common;
use common::InProcess;
use common::alerting::{alertmanager_endpoint, wait_alertmanager_discovered};

const MONITORING: &str = "monitoring";
const OPENFAAS: &str = "openfaas";
const FUNCTIONS: &str = "openfaas-fn";
/// The Prometheus and the Alertmanager (StatefulSets `prometheus-main`,
/// `alertmanager-main`).
const NAME: &str = "main";
/// The function as deployed by examples/openfaas-function/stack.yml, and
/// the name the gateway gives it in its metrics and alerts.
const FUNCTION: &str = "hello-rust";
const FUNCTION_NAME: &str = "hello-rust.openfaas-fn";
const ALERT: &str = "APIHighInvocationRate";
/// The example's receiver as Alertmanager knows it.
const RECEIVER: &str = "openfaas/openfaas-scale-up/scale-up";
const USER: &str = "admin";
/// Invocations a second during the load: four times the rule's threshold.
const LOAD_RPS: u64 = 20;
/// Each wait; the whole test stays well under two minutes when it passes.
const TIMEOUT: Duration = Duration::from_secs(90);

type Http = HttpClient<HttpConnector, Full<Bytes>>;

fn http_client() -> Http {
    HttpClient::builder(TokioExecutor::new()).build_http()
}

/// One POST to `/system/alert`, as received.
#[derive(Debug, Clone)]
struct Notification {
    /// Whether the Authorization header carried the expected credentials.
    authorized: bool,
    body: Value,
}

struct GatewayState {
    function: SocketAddr,
    http: Http,
    /// `Basic base64(user:password)`.
    authorization: String,
    /// (function_name, code) → invocations, like the gateway's CounterVec:
    /// a series exists from its first invocation on.
    invocations: Mutex<BTreeMap<(String, u16), u64>>,
    notifications: Mutex<Vec<Notification>>,
    notified: Notify,
}

/// The gateway stand-in: `/function/<name>` and `/system/alert` on one
/// port, `/metrics` on another (the gateway's 8080 and 8082).
struct Gateway {
    state: Arc<GatewayState>,
    addr: SocketAddr,
    metrics_addr: SocketAddr,
}

impl Gateway {
    async fn start(function: SocketAddr, password: &str) -> Result<Self> {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
        let state = Arc::new(GatewayState {
            function,
            http: http_client(),
            authorization: format!("Basic {token}"),
            invocations: Mutex::default(),
            notifications: Mutex::default(),
            notified: Notify::new(),
        });
        let api = Router::new()
            .route("/function/{name}", any(proxy))
            .route("/function/{name}/{*path}", any(proxy_path))
            .route("/system/alert", post(alert))
            .with_state(state.clone());
        let metrics = Router::new()
            .route("/metrics", get(gateway_metrics))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let metrics_listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let metrics_addr = metrics_listener.local_addr()?;
        tokio::spawn(axum::serve(listener, api).into_future());
        tokio::spawn(axum::serve(metrics_listener, metrics).into_future());
        Ok(Self {
            state,
            addr,
            metrics_addr,
        })
    }

    fn alert_url(&self) -> String {
        format!("http://{}/system/alert", self.addr)
    }

    fn notifications(&self) -> Vec<Notification> {
        self.state.notifications.lock().expect("poisoned").clone()
    }

    fn invocations(&self, code: u16) -> u64 {
        let counts = self.state.invocations.lock().expect("poisoned");
        counts
            .get(&(FUNCTION_NAME.to_owned(), code))
            .copied()
            .unwrap_or(0)
    }

    /// Waits until a notification with `status` arrived; returns it.
    async fn wait_notification(&self, status: &str, since: Instant) -> Result<Notification> {
        loop {
            let notified = self.state.notified.notified();
            let got = self.notifications();
            if let Some(n) = got.iter().find(|n| n.body["status"] == status) {
                return Ok(n.clone());
            }
            let Some(left) = TIMEOUT.checked_sub(since.elapsed()) else {
                bail!("no {status} notification on /system/alert after {TIMEOUT:?}: {got:#?}");
            };
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

/// The gateway's name for a function: `<name>.<namespace>`.
fn qualified(name: &str) -> String {
    if name.contains('.') {
        name.to_owned()
    } else {
        format!("{name}.{FUNCTIONS}")
    }
}

async fn proxy(
    state: State<Arc<GatewayState>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    body: Bytes,
) -> Response {
    forward(state, name, String::new(), method, body).await
}

async fn proxy_path(
    state: State<Arc<GatewayState>>,
    UrlPath((name, path)): UrlPath<(String, String)>,
    method: Method,
    body: Bytes,
) -> Response {
    forward(state, name, path, method, body).await
}

/// Forwards an invocation to the function and counts it by the status code
/// the function answered (502 when it could not be reached).
async fn forward(
    State(state): State<Arc<GatewayState>>,
    name: String,
    path: String,
    method: Method,
    body: Bytes,
) -> Response {
    let name = qualified(&name);
    if name != FUNCTION_NAME {
        return (StatusCode::NOT_FOUND, format!("no function {name}\n")).into_response();
    }
    let request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{}/{path}", state.function))
        .body(Full::new(body))
        .expect("a valid request");
    let (status, reply) = match state.http.request(request).await {
        Ok(response) => {
            let status = response.status();
            match response.into_body().collect().await {
                Ok(body) => (status, body.to_bytes()),
                Err(_) => (StatusCode::BAD_GATEWAY, Bytes::new()),
            }
        }
        Err(_) => (StatusCode::BAD_GATEWAY, Bytes::new()),
    };
    *state
        .invocations
        .lock()
        .expect("poisoned")
        .entry((name, status.as_u16()))
        .or_default() += 1;
    (status, reply).into_response()
}

async fn gateway_metrics(State(state): State<Arc<GatewayState>>) -> Response {
    let mut text = String::from(
        "# HELP gateway_function_invocation_total Function metrics\n\
         # TYPE gateway_function_invocation_total counter\n",
    );
    for ((name, code), count) in state.invocations.lock().expect("poisoned").iter() {
        text.push_str(&format!(
            "gateway_function_invocation_total{{code=\"{code}\",function_name=\"{name}\"}} {count}\n"
        ));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// `/system/alert` behind basic auth, as the gateway serves it with auth on:
/// 401 without the credentials, 400 for a body that is not an Alertmanager
/// payload, 200 otherwise.
async fn alert(
    State(state): State<Arc<GatewayState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == state.authorization.as_bytes());
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let status = match (&parsed, authorized) {
        (_, false) => StatusCode::UNAUTHORIZED,
        (Some(v), true) if v["alerts"].is_array() => StatusCode::OK,
        _ => StatusCode::BAD_REQUEST,
    };
    state
        .notifications
        .lock()
        .expect("poisoned")
        .push(Notification {
            authorized,
            body: parsed.unwrap_or(Value::Null),
        });
    state.notified.notify_waiters();
    status.into_response()
}

/// Invokes the function through the gateway at `LOAD_RPS` until stopped;
/// returns how many invocations answered 200.
fn start_load(gateway: SocketAddr) -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let ok = Arc::new(AtomicU64::new(0));
    let counted = ok.clone();
    let task = tokio::spawn(async move {
        let http = http_client();
        let mut ticks = tokio::time::interval(Duration::from_millis(1000 / LOAD_RPS));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Bounded: the test stops it long before.
        for _ in 0..(LOAD_RPS * 2 * TIMEOUT.as_secs()) {
            ticks.tick().await;
            let request = hyper::Request::post(format!("http://{gateway}/function/{FUNCTION}"))
                .body(Full::new(Bytes::from_static(b"load")))
                .expect("a valid request");
            if let Ok(response) = http.request(request).await
                && response.status() == StatusCode::OK
                && response.into_body().collect().await.is_ok()
            {
                counted.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    (ok, task)
}

fn example_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/examples/openfaas"
    ))
}

/// The example's manifests (the folder's own *.yaml), with the
/// AlertmanagerConfig's webhook pointed at `alert_url`.
fn example_objects(alert_url: &str) -> Result<Vec<Value>> {
    let mut files: Vec<_> = std::fs::read_dir(example_dir())?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    let mut objects = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        objects.extend(parse_yaml_documents(&text).with_context(|| file.display().to_string())?);
    }
    let mut redirected = 0;
    for object in &mut objects {
        if object["kind"] == "AlertmanagerConfig" {
            for receiver in object["spec"]["receivers"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                for webhook in receiver["webhookConfigs"]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                {
                    ensure!(
                        webhook["url"] == "http://gateway.openfaas:8080/system/alert",
                        "the example's webhook: {webhook}"
                    );
                    webhook["url"] = alert_url.into();
                    redirected += 1;
                }
            }
        }
    }
    ensure!(redirected == 1, "{redirected} webhooks in the example");
    Ok(objects)
}

/// What the test adds to the example: the Secret the OpenFaaS chart creates
/// (test credentials), a Prometheus and an Alertmanager selecting the
/// example's objects like the example stack's (label stack=orders-example;
/// the Alertmanager keeps promop's default matcher strategy, OnNamespace),
/// and the EndpointSlices (addressType FQDN: the apiserver refuses loopback
/// IPs elsewhere) that point the example's Services at the stand-in's
/// metrics port and at the function.
fn test_bed_objects(
    password: &str,
    prom_version: &str,
    am_version: &str,
    gateway_metrics: u16,
    function: u16,
) -> String {
    format!(
        r#"apiVersion: v1
kind: Secret
metadata: {{name: basic-auth, namespace: {OPENFAAS}}}
stringData: {{basic-auth-user: {USER}, basic-auth-password: "{password}"}}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: {NAME}, namespace: {MONITORING}}}
spec:
  version: v{prom_version}
  serviceDiscoveryRole: EndpointSlice
  scrapeInterval: 5s
  evaluationInterval: 5s
  serviceMonitorSelector: {{matchLabels: {{stack: orders-example}}}}
  serviceMonitorNamespaceSelector: {{}}
  ruleSelector: {{matchLabels: {{stack: orders-example}}}}
  ruleNamespaceSelector: {{}}
  alerting:
    alertmanagers:
    - {{namespace: {MONITORING}, name: alertmanager-operated, port: web}}
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {{name: {NAME}, namespace: {MONITORING}}}
spec:
  version: v{am_version}
  replicas: 1
  alertmanagerConfigSelector: {{matchLabels: {{stack: orders-example}}}}
  alertmanagerConfigNamespaceSelector: {{}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: gateway-metrics-fqdn
  namespace: {OPENFAAS}
  labels: {{kubernetes.io/service-name: gateway-metrics}}
addressType: FQDN
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
ports: [{{name: metrics, port: {gateway_metrics}, protocol: TCP}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: hello-rust-metrics-fqdn
  namespace: {FUNCTIONS}
  labels: {{kubernetes.io/service-name: hello-rust-metrics}}
addressType: FQDN
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
ports: [{{name: http, port: {function}, protocol: TCP}}]
"#
    )
}

/// Checks what the gateway's alert handler reads: the payload's `status`
/// and `receiver`, and each alert's `status` and `labels.function_name`.
fn check_payload(n: &Notification, status: &str) -> Result<()> {
    ensure!(n.authorized, "sent without the basic-auth credentials");
    let body = &n.body;
    ensure!(body["status"] == status, "status: {body:#}");
    ensure!(body["receiver"] == RECEIVER, "receiver: {body:#}");
    let alerts = body["alerts"].as_array().context("no alerts array")?;
    ensure!(!alerts.is_empty(), "no alerts: {body:#}");
    for alert in alerts {
        let labels = &alert["labels"];
        ensure!(
            alert["status"] == status
                && labels["alertname"] == ALERT
                && labels["function_name"] == FUNCTION_NAME
                && labels["service"] == "gateway"
                && labels["severity"] == "major",
            "alert: {alert:#}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocation_load_makes_alertmanager_call_the_gateways_system_alert() -> Result<()> {
    let env = TestEnv::start().await?;
    let promop = InProcess::start(&env).await?;
    let client = env.client();

    // The function, listening where of-watchdog would forward to (a free
    // loopback port instead of 8082: tests run side by side).
    let function_listener = TcpListener::bind("127.0.0.1:0").await?;
    let function = function_listener.local_addr()?;
    let function_metrics = Arc::new(openfaas_function::Metrics::new());
    tokio::spawn(openfaas_function::serve(
        function_listener,
        function_metrics.clone(),
        std::future::pending(),
    ));
    // Not a real credential: made per run, never printed.
    let password = format!("e2e-{:x}", std::process::id() as u64 * 7919 + 17);
    let gateway = Gateway::start(function, &password).await?;

    let prom_version = PrometheusVersion::V3.installed_version()?;
    let am_version = promop_testenv::installed_release(AlertmanagerVersion::Latest.binary())?;
    let mut documents: Vec<String> = example_objects(&gateway.alert_url())?
        .iter()
        .map(|o| format!("---\n{o}\n"))
        .collect();
    documents.push(format!(
        "---\n{}",
        test_bed_objects(
            &password,
            &prom_version,
            &am_version,
            gateway.metrics_addr.port(),
            function.port()
        )
    ));
    apply_manifests(&client, &documents.concat()).await?;

    let am = run_alertmanager_pod(
        &client,
        &env,
        MONITORING,
        &format!("alertmanager-{NAME}"),
        0,
    )
    .await?;
    let loaded = am.status().await?["config"]["original"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // (Alertmanager's status shows webhook URLs and passwords as <secret>.)
    ensure!(
        loaded.contains(RECEIVER) && loaded.contains("username: admin"),
        "Alertmanager's configuration lacks the example's receiver:\n{}",
        loaded.replace(&password, "<redacted>")
    );
    apply_manifests(&client, &alertmanager_endpoint(MONITORING, am.port())).await?;

    let mut prom =
        run_statefulset_pod(&client, &env, MONITORING, &format!("prometheus-{NAME}"), 0).await?;
    wait_alertmanager_discovered(&mut prom, am.url(), TIMEOUT).await?;
    // Both example ServiceMonitors' targets are scraped (the function's
    // through its own /metrics; of-watchdog's port has no endpoint here).
    for namespace in [OPENFAAS, FUNCTIONS] {
        prom.wait_for_query(&format!("up{{namespace=\"{namespace}\"}}"), TIMEOUT, |v| {
            v.iter().any(|(_, x)| *x == 1.0)
        })
        .await?;
    }
    ensure!(
        gateway.notifications().is_empty(),
        "{:?}",
        gateway.notifications()
    );

    let load_start = Instant::now();
    let (ok, load) = start_load(gateway.addr);
    let firing = gateway
        .wait_notification("firing", load_start)
        .await
        .with_context(|| format!("Alertmanager's log:\n{}", am.log_tail(30)))?;
    let to_firing = load_start.elapsed();
    load.abort();
    let load_stop = Instant::now();
    let sent = ok.load(Ordering::Relaxed);
    eprintln!(
        "load start → firing on /system/alert: {to_firing:?} ({sent} invocations answered 200 \
         at {LOAD_RPS}/s; gateway counted {})",
        gateway.invocations(200)
    );
    check_payload(&firing, "firing")?;

    // The function's own metrics, scraped through its ServiceMonitor, saw
    // the load too.
    prom.wait_for_query(
        "function_invocations_total{code=\"200\", namespace=\"openfaas-fn\"}",
        TIMEOUT,
        |v| v.iter().any(|(_, x)| *x > 0.0),
    )
    .await?;

    // Load gone: the gateway is told to scale back (resolved).
    let resolved = gateway
        .wait_notification("resolved", load_stop)
        .await
        .with_context(|| format!("Alertmanager's log:\n{}", am.log_tail(30)))?;
    eprintln!(
        "load stop → resolved on /system/alert: {:?}",
        load_stop.elapsed()
    );
    check_payload(&resolved, "resolved")?;
    let unauthorized = gateway
        .notifications()
        .iter()
        .filter(|n| !n.authorized)
        .count();
    ensure!(
        unauthorized == 0,
        "{unauthorized} posts without credentials"
    );
    ensure!(
        function_metrics
            .render()
            .lines()
            .any(|l| l.starts_with("function_invocations_total{code=\"200\"} ")),
        "the function did not count its invocations"
    );

    let mut am = am;
    am.check_running()?;
    prom.check_running()?;
    drop((prom, am));
    promop.stop().await
}
