//! The function over HTTP on a loopback port, as of-watchdog reaches it.
use std::net::SocketAddr;
use std::sync::Arc;

use openfaas_function::{MAX_BODY, Metrics, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        Arc::new(Metrics::new()),
        std::future::pending(),
    ));
    addr
}

/// One HTTP/1.1 request (`Connection: close`); returns (status, body).
async fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{series} missing in:\n{metrics}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn greets_on_any_path_and_counts_its_invocations() {
    let addr = start().await;
    assert_eq!(
        request(addr, "POST", "/", b"OpenFaaS").await,
        (200, "Hello, OpenFaaS!\n".into())
    );
    assert_eq!(
        request(addr, "GET", "/any/path", b"").await,
        (200, "Hello, world!\n".into())
    );
    let (status, _) = request(addr, "POST", "/", &vec![b'x'; MAX_BODY + 1]).await;
    assert_eq!(status, 413);

    let (status, metrics) = request(addr, "GET", "/metrics", b"").await;
    assert_eq!(status, 200);
    assert_eq!(
        sample(&metrics, "function_invocations_total{code=\"200\"}"),
        2.0
    );
    assert_eq!(
        sample(&metrics, "function_invocations_total{code=\"413\"}"),
        1.0
    );
    assert_eq!(
        sample(&metrics, "function_invocation_duration_seconds_count"),
        3.0
    );
    assert!(
        metrics.contains("# TYPE function_invocation_duration_seconds histogram"),
        "{metrics}"
    );
    // Scrapes are not invocations.
    let (_, again) = request(addr, "GET", "/metrics", b"").await;
    assert_eq!(
        sample(&again, "function_invocations_total{code=\"200\"}"),
        2.0
    );
}
