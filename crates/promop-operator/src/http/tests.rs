//! The server under abuse: slow and oversized requests, connection floods,
//! failing `accept`, certificates rotated on disk. Short limits stand in for
//! the production ones.
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use clap::Parser;
use metrics_exporter_prometheus::PrometheusBuilder;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout};
use tokio_rustls::TlsConnector;

use super::*;

/// Long enough for anything that should happen in a test.
const PATIENCE: Duration = Duration::from_secs(5);

fn limits() -> Limits {
    Limits {
        max_connections: 16,
        header_read_timeout: Duration::from_secs(10),
        handshake_timeout: Duration::from_secs(10),
        body_limit: 1024,
        body_timeout: Duration::from_secs(10),
        shutdown_grace: Duration::from_secs(30),
    }
}

struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

fn web() -> Endpoints {
    Endpoints::Web(PrometheusBuilder::new().build_recorder().handle())
}

async fn start(limits: Limits, tls: Option<TlsAcceptor>) -> Running {
    start_endpoints(web(), limits, tls).await
}

async fn start_endpoints(
    endpoints: Endpoints,
    limits: Limits,
    tls: Option<TlsAcceptor>,
) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server {
        listener,
        tls,
        endpoints,
        limits,
        admission: Default::default(),
    };
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(server.run(async {
        stopped.await.ok();
    }));
    Running { addr, stop, task }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
}

fn post_convert(body: &str) -> String {
    format!(
        "POST /convert HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A ConversionReview with nothing to convert, padded to any size.
fn review(padding: usize) -> String {
    serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "ConversionReview",
        "request": {"uid": "u1", "desiredAPIVersion": "monitoring.coreos.com/v1alpha1", "objects": []},
        "padding": "x".repeat(padding),
    })
    .to_string()
}

/// The response's status line, read up to the end of its headers (the
/// server may keep the connection open after answering).
async fn status_line(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut received = Vec::new();
    let mut buf = [0; 1024];
    while !received.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&received);
    text.lines().next().unwrap_or_default().to_owned()
}

/// Sends a request on a new connection and returns the status line.
async fn request(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    timeout(PATIENCE, status_line(&mut stream))
        .await
        .expect("a response")
}

/// Reads until the server closes the connection.
async fn until_closed(stream: &mut TcpStream) {
    let mut buf = [0; 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

#[tokio::test]
async fn serves_the_endpoints() {
    let server = start(limits(), None).await;
    assert_eq!(
        request(server.addr, &get("/healthz")).await,
        "HTTP/1.1 200 OK"
    );
    assert_eq!(
        request(server.addr, &get("/metrics")).await,
        "HTTP/1.1 200 OK"
    );
    assert_eq!(
        request(server.addr, &post_convert(&review(0))).await,
        "HTTP/1.1 200 OK"
    );
}

#[tokio::test]
async fn a_client_slow_to_send_its_headers_is_disconnected() {
    let server = start(
        Limits {
            header_read_timeout: Duration::from_millis(200),
            ..limits()
        },
        None,
    )
    .await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    timeout(PATIENCE, until_closed(&mut slow))
        .await
        .expect("disconnected after the header read timeout");
    assert!(started.elapsed() >= Duration::from_millis(150));
    // Clients that send their headers at once are unaffected.
    assert_eq!(
        request(server.addr, &get("/healthz")).await,
        "HTTP/1.1 200 OK"
    );
}

#[tokio::test]
async fn an_oversized_conversion_review_gets_413() {
    let server = start(limits(), None).await;
    assert_eq!(
        request(server.addr, &post_convert(&review(800))).await,
        "HTTP/1.1 200 OK"
    );
    assert_eq!(
        request(server.addr, &post_convert(&review(1500))).await,
        "HTTP/1.1 413 Payload Too Large"
    );
}

#[tokio::test]
async fn a_conversion_review_that_trickles_in_gets_408() {
    let server = start(
        Limits {
            body_timeout: Duration::from_millis(200),
            ..limits()
        },
        None,
    )
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /convert HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"apiVersion\"",
        )
        .await
        .unwrap();
    let status = timeout(PATIENCE, status_line(&mut stream))
        .await
        .expect("answered before the body is complete");
    assert_eq!(status, "HTTP/1.1 408 Request Timeout");
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_one() {
    let server = start(
        Limits {
            max_connections: 1,
            ..limits()
        },
        None,
    )
    .await;
    let idle = TcpStream::connect(server.addr).await.unwrap();
    // Let the server accept the idle connection first.
    sleep(Duration::from_millis(100)).await;
    let mut waiting = TcpStream::connect(server.addr).await.unwrap();
    waiting.write_all(get("/healthz").as_bytes()).await.unwrap();
    let early = timeout(Duration::from_millis(300), status_line(&mut waiting)).await;
    assert!(early.is_err(), "served beyond the limit: {early:?}");
    drop(idle);
    let status = timeout(PATIENCE, status_line(&mut waiting))
        .await
        .expect("served once the idle connection closed");
    assert_eq!(status, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn shutdown_closes_idle_connections_at_once() {
    let server = start(limits(), None).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    sleep(Duration::from_millis(100)).await;
    let _ = server.stop.send(());
    timeout(PATIENCE, server.task)
        .await
        .expect("stopped without waiting for the idle connection")
        .unwrap();
    timeout(PATIENCE, until_closed(&mut idle))
        .await
        .expect("idle connection closed");
    assert!(TcpStream::connect(server.addr).await.is_err());
}

#[test]
fn accept_backoff_doubles_up_to_a_second_and_resets() {
    let mut backoff = Backoff::default();
    let delays: Vec<u64> = (0..9)
        .map(|_| backoff.failed().as_millis() as u64)
        .collect();
    assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    backoff.reset();
    assert_eq!(backoff.failed(), Duration::from_millis(10));
}

/// `accept` fails a few times (as when out of file descriptors), then
/// yields one connection.
struct Flaky {
    failures: usize,
    calls: Arc<Mutex<Vec<Instant>>>,
    then: Option<DuplexStream>,
}

impl Accept for Flaky {
    type Io = DuplexStream;
    async fn accept(&mut self) -> io::Result<(DuplexStream, SocketAddr)> {
        self.calls.lock().unwrap().push(Instant::now());
        if self.failures > 0 {
            self.failures -= 1;
            return Err(io::Error::other("Too many open files"));
        }
        match self.then.take() {
            Some(io) => Ok((io, SocketAddr::from(([127, 0, 0, 1], 1)))),
            None => std::future::pending().await,
        }
    }
}

#[tokio::test]
async fn a_failing_accept_backs_off_and_serves_again() {
    let (mut client, server_side) = tokio::io::duplex(4096);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let listener = Flaky {
        failures: 5,
        calls: calls.clone(),
        then: Some(server_side),
    };
    let metrics = PrometheusBuilder::new().build_recorder().handle();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        None,
        routes::web(metrics, &limits(), Default::default()),
        limits(),
        async {
            stopped.await.ok();
        },
    ));
    client.write_all(get("/healthz").as_bytes()).await.unwrap();
    let status = timeout(PATIENCE, status_line(&mut client))
        .await
        .expect("served after the failures");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let calls = calls.lock().unwrap().clone();
    let gaps: Vec<Duration> = calls.windows(2).map(|w| w[1] - w[0]).take(5).collect();
    assert_eq!(gaps.len(), 5, "{calls:?}");
    for (gap, expected) in gaps.iter().zip([10, 20, 40, 80, 160]) {
        assert!(*gap >= Duration::from_millis(expected), "{gaps:?}");
    }
    drop(client);
    let _ = stop.send(());
    timeout(PATIENCE, task).await.unwrap().unwrap();
}

/// A CA and serving certificates it signs for `localhost`.
struct Pki {
    ca: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

/// A serving certificate: PEM of the chain and key, and DER of the leaf.
struct Serving {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

impl Pki {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "promop test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).unwrap().der().clone();
        Self {
            ca,
            issuer: Issuer::new(params, key),
        }
    }

    fn serving(&self) -> Serving {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        // Distinct from the CA's subject, or the leaf looks self-signed.
        params.distinguished_name.push(DnType::CommonName, "promop");
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Serving {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }
}

/// Replaces a file at once, as Secret volumes and cert-manager do.
fn replace(path: &Path, content: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, content).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    web: Web,
    #[command(flatten)]
    webhook: Webhook,
}

/// A TLS server on the certificate files of `dir`, checked for changes at
/// most once per `check_interval`.
async fn start_tls(dir: &Path, check_interval: Duration) -> Running {
    let file = |name: &str| dir.join(name).display().to_string();
    let cli = Cli::try_parse_from([
        "promop".to_owned(),
        "--web.enable-tls".to_owned(),
        format!("--web.cert-file={}", file("tls.crt")),
        format!("--web.key-file={}", file("tls.key")),
        format!("--web.client-ca-file={}", file("absent-ca.crt")),
        format!("--web.tls-reload-interval={}s", check_interval.as_secs()),
    ])
    .unwrap();
    start(limits(), Some(web_acceptor(&cli.web).unwrap())).await
}

fn install(dir: &Path, serving: &Serving) {
    replace(&dir.join("tls.crt"), &serving.cert_pem);
    replace(&dir.join("tls.key"), &serving.key_pem);
}

/// The certificate a new TLS client is served (after a request works).
async fn served_certificate(
    addr: SocketAddr,
    ca: &CertificateDer<'static>,
) -> CertificateDer<'static> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut stream = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("TLS handshake");
    stream.write_all(get("/healthz").as_bytes()).await.unwrap();
    let status = timeout(PATIENCE, status_line(&mut stream)).await.unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    let certificates = stream.get_ref().1.peer_certificates().unwrap_or_default();
    certificates.first().cloned().expect("a server certificate")
}

#[tokio::test]
async fn a_certificate_rotated_on_disk_is_served_to_the_next_client() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let first = pki.serving();
    install(dir.path(), &first);
    let server = start_tls(dir.path(), Duration::ZERO).await;
    assert_eq!(served_certificate(server.addr, &pki.ca).await, first.der);

    let second = pki.serving();
    install(dir.path(), &second);
    assert_eq!(served_certificate(server.addr, &pki.ca).await, second.der);

    // Bad new files leave the last good certificate in use.
    replace(&dir.path().join("tls.crt"), "not a certificate\n");
    assert_eq!(served_certificate(server.addr, &pki.ca).await, second.der);
    // A certificate without its key (a rotation half done), likewise.
    replace(&dir.path().join("tls.crt"), &first.cert_pem);
    assert_eq!(served_certificate(server.addr, &pki.ca).await, second.der);

    let third = pki.serving();
    install(dir.path(), &third);
    assert_eq!(served_certificate(server.addr, &pki.ca).await, third.der);
}

#[tokio::test]
async fn certificate_files_are_not_checked_at_every_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let first = pki.serving();
    install(dir.path(), &first);
    let server = start_tls(dir.path(), Duration::from_secs(3600)).await;
    install(dir.path(), &pki.serving());
    assert_eq!(served_certificate(server.addr, &pki.ca).await, first.der);
}

/// The webhook listener serves what the API server calls and the liveness
/// probe, nothing else: no metrics, no readiness.
#[tokio::test]
async fn the_webhook_listener_serves_webhooks_only() {
    let server = start_endpoints(Endpoints::Webhooks, limits(), None).await;
    for (path, status) in [
        ("/healthz", "HTTP/1.1 200 OK"),
        ("/metrics", "HTTP/1.1 404 Not Found"),
        ("/readyz", "HTTP/1.1 404 Not Found"),
    ] {
        assert_eq!(request(server.addr, &get(path)).await, status, "{path}");
    }
    assert_eq!(
        request(server.addr, &post_convert(&review(0))).await,
        "HTTP/1.1 200 OK"
    );
    // The same body limit as on the web listener.
    assert_eq!(
        request(server.addr, &post_convert(&review(1500))).await,
        "HTTP/1.1 413 Payload Too Large"
    );
}

/// `--webhook.*`: no listener unless asked for; TLS always, from files
/// that must load, re-read when rotated like the web listener's.
#[tokio::test]
async fn the_webhook_listener_is_tls_only_and_needs_its_files() {
    let parse = |args: &[String]| {
        let args = std::iter::once("promop".to_owned()).chain(args.iter().cloned());
        Cli::try_parse_from(args).map(|cli| cli.webhook)
    };
    let off = parse(&[]).unwrap();
    assert!(Server::bind_webhooks(&off).await.unwrap().is_none());
    let error = parse(&["--webhook.listen-address=127.0.0.1:0".to_owned()]).unwrap_err();
    assert!(error.to_string().contains("--webhook.cert-file"), "{error}");
    let programmatic = Webhook {
        cert_file: None,
        ..parse(&[
            "--webhook.listen-address=127.0.0.1:0".to_owned(),
            "--webhook.cert-file=a".to_owned(),
            "--webhook.key-file=b".to_owned(),
        ])
        .unwrap()
    };
    assert!(matches!(
        Server::bind_webhooks(&programmatic).await,
        Err(Error::WebhookWithoutTls)
    ));

    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).display().to_string();
    let flags = [
        "--webhook.listen-address=127.0.0.1:0".to_owned(),
        format!("--webhook.cert-file={}", file("tls.crt")),
        format!("--webhook.key-file={}", file("tls.key")),
    ];
    let missing = Server::bind_webhooks(&parse(&flags).unwrap()).await;
    assert!(
        matches!(&missing, Err(Error::ReadPem(path, _)) if path.starts_with(dir.path())),
        "{:?}",
        missing.err()
    );

    let pki = Pki::new();
    let first = pki.serving();
    install(dir.path(), &first);
    let server = Server::bind_webhooks(&parse(&flags).unwrap())
        .await
        .unwrap()
        .expect("a webhook listener");
    let addr = server.local_addr().unwrap();
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        stopped.await.ok();
    }));
    assert_eq!(served_certificate(addr, &pki.ca).await, first.der);
    // Plain HTTP gets no answer.
    let mut plain = TcpStream::connect(addr).await.unwrap();
    plain.write_all(get("/healthz").as_bytes()).await.unwrap();
    let answer = timeout(PATIENCE, status_line(&mut plain)).await.unwrap();
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
}
