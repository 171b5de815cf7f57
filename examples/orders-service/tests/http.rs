//! The service over real HTTP on loopback: orders, metrics, probes and the
//! graceful shutdown.
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{Method, Request, StatusCode};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use orders_service::Service;
use orders_service::config::Config;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A service on 127.0.0.1:0, stopped by dropping or firing `stop`.
struct Running {
    api: SocketAddr,
    metrics: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(flags: &[&str]) -> Running {
    let args = ["orders-service", "--listen", "127.0.0.1:0", "--seed", "1"];
    let config = Config::try_parse_from(args.iter().chain(flags)).unwrap();
    config.validate().unwrap();
    let service = Service::bind(&config).await.unwrap();
    let (api, metrics) = (service.local_addr(), service.metrics_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(service.run(async {
        let _ = stopped.await;
    }));
    Running {
        api,
        metrics,
        stop,
        task,
    }
}

async fn call(method: Method, addr: SocketAddr, path: &str) -> (StatusCode, String) {
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .body(Empty::new())
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

async fn get_status(addr: SocketAddr, path: &str) -> StatusCode {
    call(Method::GET, addr, path).await.0
}

async fn post_order(addr: SocketAddr) -> (StatusCode, Value) {
    let (status, body) = call(Method::POST, addr, "/orders").await;
    (status, serde_json::from_str(&body).unwrap())
}

/// The value of the sample `series` (name and labels as printed).
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(addr: SocketAddr) -> String {
    let (status, body) = call(Method::GET, addr, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    body
}

#[tokio::test]
async fn orders_move_the_metrics() {
    let service = start(&[
        "--failure-ratio",
        "0",
        "--work-min",
        "20ms",
        "--work-max",
        "60ms",
    ])
    .await;
    let before = scrape(service.api).await;
    for line in [
        "# TYPE orders_total counter",
        "# TYPE order_duration_seconds histogram",
        "# TYPE active_orders gauge",
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE process_resident_memory_bytes gauge",
    ] {
        assert!(
            before.lines().any(|l| l == line),
            "{line:?} missing:\n{before}"
        );
    }
    assert_eq!(sample(&before, r#"orders_total{status="ok"}"#), Some(0.0));
    assert_eq!(
        sample(&before, r#"orders_total{status="failed"}"#),
        Some(0.0)
    );
    assert_eq!(sample(&before, "active_orders"), Some(0.0));
    assert!(sample(&before, "process_resident_memory_bytes").unwrap() > 0.0);

    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, order) = post_order(service.api).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(order["status"], "ok");
        let seconds = order["duration_seconds"].as_f64().unwrap();
        assert!((0.02..1.0).contains(&seconds), "{order}");
        ids.push(order["id"].as_u64().unwrap());
    }
    let after = scrape(service.api).await;
    assert_eq!(sample(&after, r#"orders_total{status="ok"}"#), Some(3.0));
    assert_eq!(
        sample(&after, r#"orders_total{status="failed"}"#),
        Some(0.0)
    );
    assert_eq!(sample(&after, "order_duration_seconds_count"), Some(3.0));
    // Every order took 20 to 60 ms (plus scheduling): none under 10 ms,
    // all under 250 ms.
    assert_eq!(
        sample(&after, r#"order_duration_seconds_bucket{le="0.01"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(&after, r#"order_duration_seconds_bucket{le="0.25"}"#),
        Some(3.0)
    );
    assert_eq!(
        sample(&after, r#"order_duration_seconds_bucket{le="+Inf"}"#),
        Some(3.0)
    );
    assert!(sample(&after, "order_duration_seconds_sum").unwrap() >= 0.06);
    assert_eq!(sample(&after, "active_orders"), Some(0.0));

    let (status, body) = call(Method::GET, service.api, &format!("/orders/{}", ids[1])).await;
    assert_eq!(status, StatusCode::OK);
    let order: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(order["id"].as_u64(), Some(ids[1]));
    assert_eq!(order["status"], "ok");
    assert_eq!(
        get_status(service.api, "/orders/999").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_status(service.api, "/orders/x").await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn failed_orders_are_counted_apart() {
    let service = start(&["--failure-ratio", "1", "--work-max", "10ms"]).await;
    let (status, order) = post_order(service.api).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(order["status"], "failed");
    let (status, _) = call(
        Method::GET,
        service.api,
        &format!("/orders/{}", order["id"]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "failed orders are kept too");
    let metrics = scrape(service.api).await;
    assert_eq!(
        sample(&metrics, r#"orders_total{status="failed"}"#),
        Some(1.0)
    );
    assert_eq!(sample(&metrics, r#"orders_total{status="ok"}"#), Some(0.0));
    assert_eq!(sample(&metrics, "order_duration_seconds_count"), Some(1.0));
}

#[tokio::test]
async fn probes_answer() {
    let service = start(&[]).await;
    assert_eq!(
        call(Method::GET, service.api, "/healthz").await,
        (StatusCode::OK, "ok".into())
    );
    assert_eq!(
        call(Method::GET, service.api, "/readyz").await,
        (StatusCode::OK, "ready".into())
    );
}

#[tokio::test]
async fn metrics_on_their_own_listener() {
    let service = start(&["--metrics-listen", "127.0.0.1:0"]).await;
    assert_ne!(service.api, service.metrics);
    assert!(
        scrape(service.metrics)
            .await
            .contains("# TYPE orders_total counter")
    );
    assert_eq!(
        get_status(service.api, "/metrics").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_status(service.metrics, "/healthz").await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn load_generator_posts_orders_to_itself() {
    let service = start(&[
        "--load",
        "50",
        "--failure-ratio",
        "0.5",
        "--work-max",
        "20ms",
    ])
    .await;
    // 50 orders per second: both outcomes show up within a second or two.
    let mut metrics = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        metrics = scrape(service.api).await;
        let ok = sample(&metrics, r#"orders_total{status="ok"}"#).unwrap();
        let failed = sample(&metrics, r#"orders_total{status="failed"}"#).unwrap();
        if ok >= 5.0 && failed >= 5.0 {
            return;
        }
    }
    panic!("the load generator did not move orders_total in 5 s:\n{metrics}");
}

#[tokio::test]
async fn shutdown_turns_unready_and_finishes_in_flight_orders() {
    let service = start(&[
        "--failure-ratio",
        "0",
        "--work-min",
        "1500ms",
        "--work-max",
        "1500ms",
        "--shutdown-delay",
        "800ms",
    ])
    .await;
    let api = service.api;
    let in_flight = tokio::spawn(post_order(api));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sample(&scrape(api).await, "active_orders"), Some(1.0));

    service.stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Within --shutdown-delay: still serving, but not ready.
    assert_eq!(
        call(Method::GET, api, "/readyz").await,
        (StatusCode::SERVICE_UNAVAILABLE, "not ready".into())
    );
    assert_eq!(get_status(api, "/healthz").await, StatusCode::OK);

    // The order started before the signal completes, after the listener
    // closed (1.5 s of work > 150 + 800 ms; margins for a busy machine).
    let (status, order) = in_flight.await.unwrap();
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(order["status"], "ok");
    tokio::time::timeout(Duration::from_secs(5), service.task)
        .await
        .expect("the service stops once the order is done")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(api).await.is_err(),
        "still listening after shutdown"
    );
}

/// An OTLP/HTTP collector on loopback: the JSON bodies posted to /v1/traces.
async fn collector() -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    use axum::routing::post;
    let (bodies, received) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |headers: axum::http::HeaderMap, body: Bytes| {
            let bodies = bodies.clone();
            async move {
                assert_eq!(headers["content-type"], "application/json");
                let _ = bodies.send(serde_json::from_slice::<Value>(&body).unwrap());
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, received)
}

async fn post_with(addr: SocketAddr, headers: &[(&str, &str)]) -> StatusCode {
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{addr}/orders"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Empty::new()).unwrap())
        .await
        .unwrap();
    response.status()
}

/// Every span of the exported bodies, with the service name of its resource.
fn spans(bodies: &[Value]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for body in bodies {
        for resource in body["resourceSpans"].as_array().unwrap() {
            let service = resource["resource"]["attributes"][0]["value"]["stringValue"]
                .as_str()
                .unwrap()
                .to_owned();
            for scope in resource["scopeSpans"].as_array().unwrap() {
                for span in scope["spans"].as_array().unwrap() {
                    out.push((service.clone(), span.clone()));
                }
            }
        }
    }
    out
}

/// With --otlp-endpoint, requests carrying the mesh's trace context (W3C
/// traceparent, B3) become spans of that trace, exported to the collector;
/// an unsampled context and the probes export nothing. The last spans are
/// flushed at shutdown.
#[tokio::test]
async fn traces_join_the_callers_trace_and_reach_the_collector() {
    let (collector, mut received) = collector().await;
    let endpoint = format!("http://{collector}");
    let running = start(&[
        "--work-max",
        "10ms",
        "--otlp-endpoint",
        &endpoint,
        "--service-name",
        "orders-canary",
    ])
    .await;
    let w3c_trace = "4bf92f3577b34da6a3ce929b0e0e4736";
    let b3_trace = "80f198ee56343ba864fe8b2a57d3eff7";
    post_with(
        running.api,
        &[(
            "traceparent",
            &format!("00-{w3c_trace}-00f067aa0ba902b7-01"),
        )],
    )
    .await;
    post_with(
        running.api,
        &[
            ("x-b3-traceid", b3_trace),
            ("x-b3-spanid", "e457b5a2e4d86bd1"),
            ("x-b3-sampled", "1"),
        ],
    )
    .await;
    post_with(
        running.api,
        &[(
            "traceparent",
            "00-11111111111111111111111111111111-2222222222222222-00",
        )],
    )
    .await;
    post_with(running.api, &[]).await;
    assert_eq!(get_status(running.api, "/healthz").await, StatusCode::OK);
    // Stopping flushes the exporter's last batch.
    running.stop.send(()).unwrap();
    running.task.await.unwrap().unwrap();
    let mut bodies = Vec::new();
    while let Ok(body) = received.try_recv() {
        bodies.push(body);
    }
    let spans = spans(&bodies);
    assert_eq!(spans.len(), 3, "{spans:#?}");
    assert!(spans.iter().all(|(service, _)| service == "orders-canary"));
    let by_trace = |trace: &str| {
        spans
            .iter()
            .map(|(_, span)| span)
            .find(|span| span["traceId"] == trace)
            .unwrap_or_else(|| panic!("no span of trace {trace}: {spans:#?}"))
    };
    let w3c = by_trace(w3c_trace);
    assert_eq!(w3c["parentSpanId"], "00f067aa0ba902b7");
    assert_eq!(w3c["name"], "POST /orders");
    assert_eq!(w3c["kind"], 2);
    assert_ne!(w3c["spanId"], "00f067aa0ba902b7");
    assert_eq!(by_trace(b3_trace)["parentSpanId"], "e457b5a2e4d86bd1");
    // The request without a context started a trace of its own.
    let root = spans
        .iter()
        .map(|(_, span)| span)
        .find(|span| span.get("parentSpanId").is_none())
        .expect("a root span");
    assert_eq!(root["traceId"].as_str().unwrap().len(), 32);
    assert!(
        !spans
            .iter()
            .any(|(_, span)| span["traceId"] == "11111111111111111111111111111111")
    );
}

/// Without --otlp-endpoint (the default) nothing is exported, whatever the
/// requests carry.
#[tokio::test]
async fn traces_are_off_by_default() {
    let (_collector, mut received) = collector().await;
    let running = start(&["--work-max", "10ms"]).await;
    post_with(
        running.api,
        &[(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929b0e0e4736-00f067aa0ba902b7-01",
        )],
    )
    .await;
    running.stop.send(()).unwrap();
    running.task.await.unwrap().unwrap();
    assert!(received.try_recv().is_err());
}
