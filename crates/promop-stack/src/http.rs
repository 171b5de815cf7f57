//! Plain HTTP/1.1 on loopback, one request per connection: readiness probes
//! of the local processes and the Pushgateway push. (The test bed's client
//! is private to it; this is all the stack needs.)

use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `method url` with `body`; returns the status code and the body.
pub async fn request(method: &str, url: &str, body: &str) -> Result<(u16, String)> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url}: only http:// URLs"))?;
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let exchange = async {
        let mut stream = TcpStream::connect(authority).await?;
        let head = format!(
            "{method} /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
             Content-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        anyhow::Ok(String::from_utf8_lossy(&answer).into_owned())
    };
    let answer = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .with_context(|| format!("{method} {url}: timed out"))?
        .with_context(|| format!("{method} {url}"))?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("{method} {url}: no status line in {head:?}"))?;
    // Chunked bodies are not decoded: callers only look at small answers.
    Ok((status, body.to_owned()))
}

/// GET expecting a 2xx status.
pub async fn get_ok(url: &str) -> Result<String> {
    let (status, body) = request("GET", url, "").await?;
    if !(200..300).contains(&status) {
        bail!("GET {url}: {status}: {body}");
    }
    Ok(body)
}

/// PUT expecting a 2xx status.
pub async fn put_ok(url: &str, body: &str) -> Result<()> {
    let (status, answer) = request("PUT", url, body).await?;
    if !(200..300).contains(&status) {
        bail!("PUT {url}: {status}: {answer}");
    }
    Ok(())
}
