//! The upstream Prometheus Operator (v0.94.1, built from source) run out of
//! cluster against a [`TestEnv`], and helpers to read what it generated.

use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use flate2::read::GzDecoder;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};

use crate::apiserver::TestEnv;
use crate::http;
use crate::process::{ManagedProcess, ScratchDir, command, free_port, retry_on_port_clash};

const BINARY: &str = "prometheus-operator-reference";
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Spawns one of the reference's binaries and waits until `url` answers
/// `/healthz`.
pub(crate) async fn serving(
    binary: &str,
    cmd: std::process::Command,
    log: &std::path::Path,
    url: &str,
    timeout: Duration,
) -> Result<ManagedProcess> {
    let mut process = ManagedProcess::spawn(binary, cmd, log)?;
    let healthz = format!("{url}/healthz");
    process
        .wait_ready(timeout, || async { http::get_ok(&healthz).await.map(drop) })
        .await?;
    Ok(process)
}
/// The reloader image the upstream release would default to.
const RELOADER_IMAGE: &str = "quay.io/prometheus-operator/prometheus-config-reloader:v0.94.1";

/// A running reference operator, killed on drop. It talks to the apiserver
/// through the environment's kubeconfig (`KUBECONFIG`) with admin rights, so
/// RBAC is irrelevant; the kubelet controller stays off (no
/// `--kubelet-service`).
pub struct ReferenceOperator {
    process: ManagedProcess,
    url: String,
    _dir: ScratchDir,
}

impl ReferenceOperator {
    /// Starts the operator with `args` added to
    /// `--web.listen-address=127.0.0.1:<random>` and
    /// `--prometheus-config-reloader=<v0.94.1 image>` (unless given), and
    /// waits for `/healthz`.
    pub async fn start(env: &TestEnv, args: &[&str]) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(env, args)).await
    }

    async fn start_once(env: &TestEnv, args: &[&str]) -> Result<Self> {
        let dir = ScratchDir::new("promop-reference-")?;
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut cmd = command(BINARY)?;
        cmd.current_dir(dir.path())
            .env("KUBECONFIG", env.kubeconfig_path())
            .arg(format!("--web.listen-address=127.0.0.1:{port}"));
        if !args
            .iter()
            .any(|a| a.starts_with("--prometheus-config-reloader="))
        {
            cmd.arg(format!("--prometheus-config-reloader={RELOADER_IMAGE}"));
        }
        cmd.args(args);
        let log = dir.path().join("operator.log");
        let process = serving(BINARY, cmd, &log, &url, READY_TIMEOUT).await?;
        Ok(Self {
            process,
            url,
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port>` (metrics, healthz, admission webhook).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn logs(&self) -> String {
        self.process.logs()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    pub fn check_running(&mut self) -> Result<()> {
        self.process.check_running()
    }
}

/// The configuration the operator generated for Prometheus `ns/name`:
/// Secret `prometheus-<name>`, key `prometheus.yaml.gz`, gunzipped.
pub async fn read_generated_config(client: &Client, ns: &str, name: &str) -> Result<String> {
    read_generated_config_opt(client, ns, name)
        .await?
        .with_context(|| format!("no Secret {ns}/prometheus-{name} with key prometheus.yaml.gz"))
}

/// Polls [`read_generated_config`] until the Secret exists and is non-empty.
pub async fn wait_generated_config(
    client: &Client,
    ns: &str,
    name: &str,
    timeout: Duration,
) -> Result<String> {
    let start = Instant::now();
    loop {
        if let Some(cfg) = read_generated_config_opt(client, ns, name).await?
            && !cfg.trim().is_empty()
        {
            return Ok(cfg);
        }
        if start.elapsed() > timeout {
            bail!("no generated configuration in Secret {ns}/prometheus-{name} after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn read_generated_config_opt(
    client: &Client,
    ns: &str,
    name: &str,
) -> Result<Option<String>> {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    match api.get_opt(&format!("prometheus-{name}")).await? {
        Some(secret) => secret_config(&secret),
        None => Ok(None),
    }
}

/// The gunzipped `prometheus.yaml.gz` of a config Secret, if it has that key.
pub fn secret_config(secret: &Secret) -> Result<Option<String>> {
    secret_gz(secret, "prometheus.yaml.gz")
}

/// The gunzipped value of `key` in a Secret (`alertmanager.yaml.gz` of
/// `alertmanager-<name>-generated`, …), if it has that key.
pub fn secret_gz(secret: &Secret, key: &str) -> Result<Option<String>> {
    let Some(gz) = secret.data.as_ref().and_then(|d| d.get(key)) else {
        return Ok(None);
    };
    let mut text = String::new();
    GzDecoder::new(gz.0.as_slice())
        .read_to_string(&mut text)
        .with_context(|| {
            format!(
                "gunzipping {}/{} {key}",
                secret.metadata.namespace.as_deref().unwrap_or_default(),
                secret.metadata.name.as_deref().unwrap_or_default()
            )
        })?;
    Ok(Some(text))
}
