//! Distributed traces, off unless `--otlp-endpoint` (`ORDERS_OTLP_ENDPOINT`)
//! is set: one server span per API request, exported to an OpenTelemetry
//! collector with OTLP/HTTP in its JSON encoding (`POST <endpoint>/v1/traces`).
//!
//! A request that arrives with a trace context joins that trace: W3C Trace
//! Context (`traceparent`, what Istio's OpenTelemetry tracing sends) or
//! Zipkin B3 (`x-b3-traceid`/`x-b3-spanid`/`x-b3-sampled`, or the single
//! `b3` header: Istio's Zipkin tracing). The span's parent is then the
//! sidecar's span, so the service's spans appear under the mesh's. An
//! unsampled context (flag 0) records nothing; a request without a context
//! starts a sampled trace of its own.
//!
//! Kept small on purpose (no OpenTelemetry SDK, no new dependency): spans are
//! batched by a background task (at most [`BATCH`] spans or [`FLUSH_EVERY`]),
//! dropped (and counted in the log) when the collector lags behind
//! [`QUEUE`] spans, and flushed when the service stops.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Spans sent in one request at most.
pub const BATCH: usize = 512;
/// Spans waiting for export at most; more are dropped.
pub const QUEUE: usize = 4096;
/// Longest wait before a partial batch is sent.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Longest wait for the collector's answer.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// A trace context: the trace, the caller's span, whether it is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub sampled: bool,
}

impl Context {
    /// The incoming context: `traceparent` first, then B3 (multiple
    /// headers, then the single `b3` header). Malformed headers are ignored.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(context) = get("traceparent").and_then(parse_traceparent) {
            return Some(context);
        }
        if let (Some(trace), Some(span)) = (get("x-b3-traceid"), get("x-b3-spanid")) {
            // Debug (x-b3-flags: 1) implies sampled; no decision: sample.
            let sampled = get("x-b3-flags") == Some("1") || get("x-b3-sampled") != Some("0");
            return b3_ids(trace, span, sampled);
        }
        get("b3").and_then(parse_b3_single)
    }

    /// The `traceparent` header of this context.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{}",
            hex(&self.trace_id),
            hex(&self.span_id),
            if self.sampled { "01" } else { "00" }
        )
    }
}

/// `00-<trace id>-<parent id>-<flags>` (W3C Trace Context, version 00; a
/// later version's extra fields are ignored, as the spec asks).
fn parse_traceparent(value: &str) -> Option<Context> {
    let mut parts = value.trim().split('-');
    let version = parts.next()?;
    if version.len() != 2 || version.eq_ignore_ascii_case("ff") {
        return None;
    }
    let trace_id = unhex::<16>(parts.next()?)?;
    let span_id = unhex::<8>(parts.next()?)?;
    let flags = parts.next()?;
    if flags.len() != 2 || (version == "00" && parts.next().is_some()) {
        return None;
    }
    let flags = u8::from_str_radix(flags, 16).ok()?;
    valid(Context {
        trace_id,
        span_id,
        sampled: flags & 1 == 1,
    })
}

/// `b3: {trace id}-{span id}[-{sampling}[-{parent span id}]]`; a lone `0`
/// (deny) carries no ids and starts nothing.
fn parse_b3_single(value: &str) -> Option<Context> {
    let mut parts = value.trim().split('-');
    let trace = parts.next()?;
    let span = parts.next()?;
    let sampled = !matches!(parts.next(), Some("0"));
    b3_ids(trace, span, sampled)
}

/// B3 ids: a 64-bit trace id is the low half of a 128-bit one.
fn b3_ids(trace: &str, span: &str, sampled: bool) -> Option<Context> {
    let trace_id = match trace.len() {
        32 => unhex::<16>(trace)?,
        16 => {
            let mut id = [0; 16];
            id[8..].copy_from_slice(&unhex::<8>(trace)?);
            id
        }
        _ => return None,
    };
    valid(Context {
        trace_id,
        span_id: unhex::<8>(span)?,
        sampled,
    })
}

/// All-zero ids are invalid.
fn valid(context: Context) -> Option<Context> {
    (context.trace_id != [0; 16] && context.span_id != [0; 8]).then_some(context)
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One finished server span.
#[derive(Clone, Debug)]
pub struct Span {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_span_id: Option<[u8; 8]>,
    pub name: String,
    pub start: SystemTime,
    pub end: SystemTime,
    pub method: String,
    pub route: String,
    pub path: String,
    pub status: u16,
}

impl Span {
    /// The span in OTLP's JSON encoding (ids in hex, times in nanoseconds).
    fn to_otlp(&self) -> Value {
        let nanos = |t: SystemTime| {
            t.duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
                .to_string()
        };
        let mut span = json!({
            "traceId": hex(&self.trace_id),
            "spanId": hex(&self.span_id),
            "name": self.name,
            "kind": 2, // SPAN_KIND_SERVER
            "startTimeUnixNano": nanos(self.start),
            "endTimeUnixNano": nanos(self.end),
            "attributes": [
                {"key": "http.request.method", "value": {"stringValue": self.method}},
                {"key": "http.route", "value": {"stringValue": self.route}},
                {"key": "url.path", "value": {"stringValue": self.path}},
                {"key": "http.response.status_code", "value": {"intValue": self.status.to_string()}},
            ],
            // Server errors only (OpenTelemetry's HTTP conventions).
            "status": {"code": if self.status >= 500 { 2 } else { 0 }},
        });
        if let Some(parent) = self.parent_span_id {
            span["parentSpanId"] = hex(&parent).into();
        }
        span
    }
}

/// Records spans and hands them to the exporter task.
pub struct Tracer {
    spans: mpsc::Sender<Span>,
    rng: Mutex<StdRng>,
    dropped: AtomicU64,
}

impl Tracer {
    /// A tracer exporting to `endpoint` (`http://host:4318`) as
    /// `service_name`, and its exporter task, which ends (after a last
    /// export) once the tracer is dropped.
    pub fn start(
        endpoint: &str,
        service_name: &str,
    ) -> Result<(Arc<Self>, JoinHandle<()>), String> {
        let url: Uri = format!("{}/v1/traces", endpoint.trim_end_matches('/'))
            .parse()
            .map_err(|e| format!("--otlp-endpoint {endpoint:?}: {e}"))?;
        if url.scheme_str() != Some("http") || url.host().is_none() {
            return Err(format!(
                "--otlp-endpoint {endpoint:?}: only http://HOST[:PORT] is supported"
            ));
        }
        let (spans, queue) = mpsc::channel(QUEUE);
        let exporter = Exporter {
            url,
            service_name: service_name.to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        };
        let task = tokio::spawn(exporter.run(queue));
        let tracer = Arc::new(Self {
            spans,
            rng: Mutex::new(StdRng::from_os_rng()),
            dropped: AtomicU64::new(0),
        });
        Ok((tracer, task))
    }

    fn new_span_id(&self) -> [u8; 8] {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let id: [u8; 8] = rng.random();
            if id != [0; 8] {
                return id;
            }
        }
    }

    fn new_trace_id(&self) -> [u8; 16] {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let id: [u8; 16] = rng.random();
            if id != [0; 16] {
                return id;
            }
        }
    }

    fn record(&self, span: Span) {
        if self.spans.try_send(span).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "trace export queue full: spans dropped");
            }
        }
    }
}

/// Axum middleware (a `route_layer`, so that the route is known): one span
/// per request, child of the incoming context.
pub async fn layer(State(tracer): State<Arc<Tracer>>, request: Request, next: Next) -> Response {
    let parent = Context::from_headers(request.headers());
    if parent.is_some_and(|p| !p.sampled) {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |m| m.as_str().to_owned(),
    );
    let path = request.uri().path().to_owned();
    let start = SystemTime::now();
    let response = next.run(request).await;
    let span = Span {
        trace_id: parent.map_or_else(|| tracer.new_trace_id(), |p| p.trace_id),
        span_id: tracer.new_span_id(),
        parent_span_id: parent.map(|p| p.span_id),
        name: format!("{method} {route}"),
        start,
        end: SystemTime::now(),
        method: method.to_string(),
        route,
        path,
        status: response.status().as_u16(),
    };
    tracer.record(span);
    response
}

struct Exporter {
    url: Uri,
    service_name: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Exporter {
    async fn run(self, mut queue: mpsc::Receiver<Span>) {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let deadline = tokio::time::sleep(FLUSH_EVERY);
            tokio::pin!(deadline);
            let open = loop {
                tokio::select! {
                    span = queue.recv() => match span {
                        Some(span) => {
                            batch.push(span);
                            if batch.len() == BATCH {
                                break true;
                            }
                        }
                        None => break false,
                    },
                    () = &mut deadline => break true,
                }
            };
            if !batch.is_empty() {
                self.export(&batch).await;
                batch.clear();
            }
            if !open {
                return;
            }
        }
    }

    /// One OTLP/HTTP JSON request; a failure is logged and the spans lost.
    async fn export(&self, spans: &[Span]) {
        let body = json!({
            "resourceSpans": [{
                "resource": {"attributes": [
                    {"key": "service.name", "value": {"stringValue": self.service_name}},
                ]},
                "scopeSpans": [{
                    "scope": {"name": "orders-service", "version": env!("CARGO_PKG_VERSION")},
                    "spans": spans.iter().map(Span::to_otlp).collect::<Vec<_>>(),
                }],
            }],
        });
        let request = axum::http::Request::builder()
            .method(Method::POST)
            .uri(self.url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())));
        let request = match request {
            Ok(request) => request,
            Err(error) => {
                tracing::warn!(%error, "cannot build the trace export request");
                return;
            }
        };
        match tokio::time::timeout(EXPORT_TIMEOUT, self.client.request(request)).await {
            Ok(Ok(response)) if response.status().is_success() => {
                tracing::debug!(spans = spans.len(), "spans exported");
            }
            Ok(Ok(response)) => {
                tracing::warn!(status = %response.status(), spans = spans.len(), "trace export refused");
            }
            Ok(Err(error)) => tracing::warn!(%error, spans = spans.len(), "trace export failed"),
            Err(_) => tracing::warn!(spans = spans.len(), "trace export timed out"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const TRACE: &str = "4bf92f3577b34da6a3ce929b0e0e4736";
    const SPAN: &str = "00f067aa0ba902b7";

    #[test]
    fn reads_w3c_traceparent() {
        let tp = format!("00-{TRACE}-{SPAN}-01");
        let context = Context::from_headers(&headers(&[("traceparent", &tp)])).unwrap();
        assert_eq!(hex(&context.trace_id), TRACE);
        assert_eq!(hex(&context.span_id), SPAN);
        assert!(context.sampled);
        assert_eq!(context.traceparent(), tp);
        let unsampled = format!("00-{TRACE}-{SPAN}-00");
        let context = Context::from_headers(&headers(&[("traceparent", &unsampled)])).unwrap();
        assert!(!context.sampled);
        // A later version may add fields.
        let future = format!("01-{TRACE}-{SPAN}-01-extra");
        assert!(Context::from_headers(&headers(&[("traceparent", &future)])).is_some());
    }

    #[test]
    fn rejects_malformed_traceparents() {
        for bad in [
            format!("ff-{TRACE}-{SPAN}-01"),
            format!("00-{}-{SPAN}-01", "0".repeat(32)),
            format!("00-{TRACE}-{}-01", "0".repeat(16)),
            format!("00-{TRACE}-{SPAN}"),
            format!("00-{TRACE}-{SPAN}-01-extra"),
            format!("00-{}-{SPAN}-01", &TRACE[1..]),
            format!("00-{TRACE}-{SPAN}-zz"),
            "garbage".to_owned(),
        ] {
            assert_eq!(
                Context::from_headers(&headers(&[("traceparent", &bad)])),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn reads_b3_headers() {
        let multi = headers(&[
            ("x-b3-traceid", TRACE),
            ("x-b3-spanid", SPAN),
            ("x-b3-sampled", "1"),
        ]);
        let context = Context::from_headers(&multi).unwrap();
        assert_eq!(
            (hex(&context.trace_id), hex(&context.span_id)),
            (TRACE.into(), SPAN.into())
        );
        assert!(context.sampled);
        let short = headers(&[
            ("x-b3-traceid", "a3ce929b0e0e4736"),
            ("x-b3-spanid", SPAN),
            ("x-b3-sampled", "0"),
        ]);
        let context = Context::from_headers(&short).unwrap();
        assert_eq!(hex(&context.trace_id), "0000000000000000a3ce929b0e0e4736");
        assert!(!context.sampled);
        let single = headers(&[("b3", &format!("{TRACE}-{SPAN}-1-05e3ac9a4f6e3b90"))]);
        assert_eq!(hex(&Context::from_headers(&single).unwrap().span_id), SPAN);
        assert_eq!(Context::from_headers(&headers(&[("b3", "0")])), None);
        // traceparent wins over B3.
        let both = headers(&[
            ("traceparent", &format!("00-{TRACE}-{SPAN}-01")),
            ("x-b3-traceid", "a3ce929b0e0e4736"),
            ("x-b3-spanid", "05e3ac9a4f6e3b90"),
        ]);
        assert_eq!(hex(&Context::from_headers(&both).unwrap().trace_id), TRACE);
    }

    #[test]
    fn spans_encode_as_otlp_json() {
        let span = Span {
            trace_id: unhex(TRACE).unwrap(),
            span_id: unhex("05e3ac9a4f6e3b90").unwrap(),
            parent_span_id: Some(unhex(SPAN).unwrap()),
            name: "POST /orders".into(),
            start: UNIX_EPOCH + Duration::from_nanos(1_700_000_000_000_000_001),
            end: UNIX_EPOCH + Duration::from_nanos(1_700_000_000_500_000_001),
            method: "POST".into(),
            route: "/orders".into(),
            path: "/orders".into(),
            status: 500,
        };
        let otlp = span.to_otlp();
        assert_eq!(otlp["traceId"], TRACE);
        assert_eq!(otlp["parentSpanId"], SPAN);
        assert_eq!(otlp["startTimeUnixNano"], "1700000000000000001");
        assert_eq!(otlp["kind"], 2);
        assert_eq!(otlp["status"]["code"], 2);
    }

    #[test]
    fn only_http_endpoints() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            assert!(Tracer::start("https://collector:4318", "s").is_err());
            assert!(Tracer::start("collector:4318", "s").is_err());
            assert!(Tracer::start("http://collector:4318/", "s").is_ok());
        });
    }
}
