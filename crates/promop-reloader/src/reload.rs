//! How the server is told to reload: a POST to its reload URL (the
//! reference's default), or SIGHUP to its process followed by polling its
//! runtime-info URL until the new configuration is in use.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use k8s_openapi::jiff::Timestamp;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::options::{Options, ReloadMethod};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reload request to {url} failed: {message}")]
    Request { url: String, message: String },
    #[error(
        "received non-200 response from {url}: {status}; have you set `--web.enable-lifecycle` Prometheus flag?"
    )]
    Status { url: String, status: StatusCode },
    #[error("runtime info {url}: {message}")]
    RuntimeInfo { url: String, message: String },
    #[error("list processes: {0}")]
    Processes(std::io::Error),
    #[error("failed to find process matching {0:?}")]
    NoProcess(String),
    #[error("failed to send SIGHUP to pid {pid}: {source}")]
    Signal { pid: i32, source: std::io::Error },
    #[error("configuration reload has failed")]
    ReloadFailed,
    #[error("configuration not reloaded after {0:?}")]
    NotReloaded(Duration),
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Makes the server reload, one request (or signal) per call.
pub struct Trigger {
    method: How,
    client: HttpsClient,
    timeout: Duration,
}

/// --reload-method with what it needs.
enum How {
    Http {
        url: Uri,
    },
    Signal {
        process: String,
        runtime_info: Uri,
        /// How long to wait for the server to report the new configuration.
        patience: Duration,
    },
}

impl Trigger {
    pub fn new(options: &Options) -> Result<Self, Error> {
        let method = match options.reload_method {
            ReloadMethod::Http => How::Http {
                url: options.reload_url.clone(),
            },
            ReloadMethod::Signal => How::Signal {
                process: options.process_executable_name.clone(),
                runtime_info: options.runtime_info_url.clone(),
                patience: options.watch_interval.max(options.reload_timeout),
            },
        };
        Ok(Self {
            method,
            client: client()?,
            timeout: options.reload_timeout,
        })
    }

    /// `http` or `signal`, the label of `reloader_info`.
    pub fn method(&self) -> &'static str {
        match self.method {
            How::Http { .. } => "http",
            How::Signal { .. } => "signal",
        }
    }

    pub async fn reload(&self) -> Result<(), Error> {
        match &self.method {
            How::Http { url } => {
                let (status, _) = self.request(Method::POST, url).await?;
                if status == StatusCode::OK {
                    Ok(())
                } else {
                    Err(Error::Status {
                        url: url.to_string(),
                        status,
                    })
                }
            }
            How::Signal {
                process,
                runtime_info,
                patience,
            } => {
                let before = self.runtime_info(runtime_info).await?;
                before.wait_for_next_second().await;
                let pid =
                    find_process(process)?.ok_or_else(|| Error::NoProcess(process.clone()))?;
                // SAFETY: kill(2) with a pid read from /proc; no memory involved.
                if unsafe { libc::kill(pid, libc::SIGHUP) } != 0 {
                    let source = std::io::Error::last_os_error();
                    return Err(Error::Signal { pid, source });
                }
                self.await_reload(runtime_info, &before, *patience).await
            }
        }
    }

    async fn request(&self, method: Method, url: &Uri) -> Result<(StatusCode, Bytes), Error> {
        let failed = |message: String| Error::Request {
            url: url.to_string(),
            message,
        };
        // An explicit empty body, as the reference's Go client sends it.
        let request = Request::builder()
            .method(method)
            .uri(url.clone())
            .header(hyper::header::CONTENT_LENGTH, "0")
            .body(Empty::new())
            .map_err(|e| failed(e.to_string()))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                // The innermost errors say why (refused, TLS, …).
                let mut message = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    message = format!("{message}: {cause}");
                    source = cause.source();
                }
                failed(message)
            })?;
            let status = response.status();
            let body = response.into_body().collect().await;
            Ok((status, body.map(|b| b.to_bytes()).unwrap_or_default()))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| failed(format!("no response within {:?}", self.timeout)))?
    }

    async fn runtime_info(&self, url: &Uri) -> Result<ConfigStatus, Error> {
        let failed = |message: String| Error::RuntimeInfo {
            url: url.to_string(),
            message,
        };
        let (status, body) = self.request(Method::GET, url).await?;
        if !status.is_success() {
            return Err(failed(format!("invalid status code: {}", status.as_u16())));
        }
        let info: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| failed(format!("invalid response: {e}")))?;
        if info["status"] != "success" {
            return Err(failed(format!("unexpected status: {}", info["status"])));
        }
        Ok(ConfigStatus {
            success: info["data"]["reloadConfigSuccess"]
                .as_bool()
                .unwrap_or(false),
            last: info["data"]["lastConfigTime"].to_string(),
        })
    }

    /// Polls every second until the server reports a successful load
    /// newer than `before`, or a failure after a success.
    async fn await_reload(
        &self,
        url: &Uri,
        before: &ConfigStatus,
        patience: Duration,
    ) -> Result<(), Error> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let now = self.runtime_info(url).await?;
            if now.success && now.last != before.last {
                return Ok(());
            }
            if before.success && !now.success {
                return Err(Error::ReloadFailed);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::NotReloaded(patience));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

struct ConfigStatus {
    success: bool,
    /// `lastConfigTime` as the server prints it: compared for a change only.
    last: String,
}

impl ConfigStatus {
    /// Prometheus reports `lastConfigTime` in whole seconds: a reload in
    /// the second of the previous one would look like no reload at all
    /// (the reference then waits for its timeout). Waiting for the next
    /// second makes every reload visible.
    async fn wait_for_next_second(&self) {
        let Ok(last) = self.last.trim_matches('"').parse::<Timestamp>() else {
            return;
        };
        let now = Timestamp::now();
        if now.as_second() <= last.as_second() {
            let into_second = u64::try_from(now.subsec_nanosecond()).unwrap_or(0);
            let rest = Duration::from_nanos(1_000_000_000u64.saturating_sub(into_second));
            tokio::time::sleep(rest + Duration::from_millis(10)).await;
        }
    }
}

/// The first process whose executable name (the kernel's `comm`, as the
/// reference's process listing reads it) is `name`.
fn find_process(name: &str) -> Result<Option<i32>, Error> {
    let proc_dir = std::fs::read_dir("/proc").map_err(Error::Processes)?;
    let mut pids: Vec<i32> = proc_dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    Ok(pids.into_iter().find(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim_end() == name)
    }))
}

/// http and https, no keep-alive (one request per reload), and no
/// certificate verification: the server is in the same pod, as the
/// reference assumes.
fn client() -> Result<HttpsClient, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build(connector))
}

#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_this_process_by_its_executable_name() {
        let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
        assert!(find_process(comm.trim_end()).unwrap().is_some());
        assert_eq!(find_process("no-such-process-name").unwrap(), None);
    }
}
