//! The reference's `admission-webhook` (v0.94.1, built from source by
//! `testenv/install.sh`), serving plain HTTP on loopback: the expected
//! admission decisions. It needs no API server.
use std::time::Duration;

use anyhow::{Context, Result, bail};
use hyper::Method;
use serde_json::Value;

use crate::http;
use crate::process::{ManagedProcess, ScratchDir, command, free_port, retry_on_port_clash};
use crate::reference::serving;

const BINARY: &str = "admission-webhook-reference";
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A running reference admission webhook, killed on drop.
pub struct ReferenceAdmissionWebhook {
    process: ManagedProcess,
    url: String,
    _dir: ScratchDir,
}

impl ReferenceAdmissionWebhook {
    /// Starts it with `args` (e.g. `--promql-options=…`) added to a
    /// loopback plain-HTTP listener, and waits for `/healthz`.
    pub async fn start(args: &[&str]) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(args)).await
    }

    async fn start_once(args: &[&str]) -> Result<Self> {
        let dir = ScratchDir::new("promop-reference-admission-")?;
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut cmd = command(BINARY)?;
        cmd.current_dir(dir.path())
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.enable-tls=false")
            .args(args);
        let log = dir.path().join("webhook.log");
        let process = serving(BINARY, cmd, &log, &url, READY_TIMEOUT).await?;
        Ok(Self {
            process,
            url,
            _dir: dir,
        })
    }

    /// POSTs `review` (an AdmissionReview) to `path` and returns the
    /// answered review.
    pub async fn review(&self, path: &str, review: &Value) -> Result<Value> {
        let url = format!("{}{path}", self.url);
        let (status, body) = http::send(
            Method::POST,
            &url,
            Some("application/json"),
            serde_json::to_vec(review)?,
        )
        .await?;
        if !status.is_success() {
            bail!("POST {url}: {status}: {body}");
        }
        serde_json::from_str(&body).with_context(|| format!("POST {url}: invalid JSON: {body}"))
    }

    pub fn logs(&self) -> String {
        self.process.logs()
    }
}
