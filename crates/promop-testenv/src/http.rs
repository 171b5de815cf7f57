//! A minimal plain-HTTP client (loopback only) for readiness probes and the
//! Prometheus / Alertmanager APIs.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Sends one request and returns the status and the body as text.
pub(crate) async fn send(
    method: Method,
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<(StatusCode, String)> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::builder().method(method.clone()).uri(url);
    if let Some(ct) = content_type {
        req = req.header(hyper::header::CONTENT_TYPE, ct);
    }
    let req = req.body(Full::new(Bytes::from(body)))?;
    let fut = async {
        let resp = client.request(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        anyhow::Ok((status, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, fut)
        .await
        .with_context(|| format!("{method} {url}: timed out"))?
        .with_context(|| format!("{method} {url}"))
}

pub(crate) async fn get(url: &str) -> Result<(StatusCode, String)> {
    send(Method::GET, url, None, Vec::new()).await
}

/// GET expecting a 2xx status; returns the body.
pub(crate) async fn get_ok(url: &str) -> Result<String> {
    let (status, body) = get(url).await?;
    if !status.is_success() {
        bail!("GET {url}: {status}: {body}");
    }
    Ok(body)
}

/// GET expecting a 2xx JSON answer.
pub(crate) async fn get_json(url: &str) -> Result<serde_json::Value> {
    let body = get_ok(url).await?;
    serde_json::from_str(&body).with_context(|| format!("GET {url}: invalid JSON: {body}"))
}

/// POST a JSON body, expecting a 2xx status; returns the body.
pub(crate) async fn post_json(url: &str, value: &serde_json::Value) -> Result<String> {
    let (status, body) = send(
        Method::POST,
        url,
        Some("application/json"),
        serde_json::to_vec(value)?,
    )
    .await?;
    if !status.is_success() {
        bail!("POST {url}: {status}: {body}");
    }
    Ok(body)
}

/// POST with no body (e.g. `/-/reload`), expecting a 2xx status.
pub(crate) async fn post_empty(url: &str) -> Result<()> {
    let (status, body) = send(Method::POST, url, None, Vec::new()).await?;
    if !status.is_success() {
        bail!("POST {url}: {status}: {body}");
    }
    Ok(())
}

/// `application/x-www-form-urlencoded` query string.
pub(crate) fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
