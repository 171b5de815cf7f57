//! A real Prometheus (v2 or v3) on a random loopback port, with helpers for
//! its HTTP API and for `promtool check config`.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::http;
use crate::process::{ManagedProcess, ScratchDir, command, free_port, retry_on_port_clash};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Which installed Prometheus to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrometheusVersion {
    /// `prometheus-v2` / `promtool-v2` (2.53.x)
    V2,
    /// `prometheus-v3` / `promtool-v3` (3.x)
    V3,
}

impl PrometheusVersion {
    pub fn binary(self) -> &'static str {
        match self {
            Self::V2 => "prometheus-v2",
            Self::V3 => "prometheus-v3",
        }
    }

    /// The major version a Prometheus' `spec.version` asks for (v3 when unset,
    /// like the reference's default).
    pub fn of_spec(version: Option<&str>) -> Self {
        match version {
            Some(v) if v.trim_start_matches('v').starts_with("2.") => Self::V2,
            _ => Self::V3,
        }
    }

    pub fn promtool(self) -> &'static str {
        match self {
            Self::V2 => "promtool-v2",
            Self::V3 => "promtool-v3",
        }
    }

    /// The installed release, e.g. `3.5.3` (from `--version`, without the
    /// Debian suffix such as `+ds1`).
    pub fn installed_version(self) -> Result<String> {
        let mut cmd = command(self.binary())?;
        cmd.arg("--version");
        let out = run_tool(cmd)?;
        let version = out
            .split_whitespace()
            .skip_while(|w| *w != "version")
            .nth(1)
            .with_context(|| format!("no version in {out:?}"))?;
        Ok(version.split('+').next().unwrap_or(version).to_owned())
    }

    /// Runs `promtool check config <extra_args> <file>`; Ok(output) when it
    /// exits 0, otherwise an error with its output.
    /// The promtool that validates configs of this major version: for v3
    /// `promtool-latest`, built with every integration at the reference's
    /// default Prometheus version (Debian's promtool-v3 lacks several service
    /// discoveries and is older); for v2 Debian's promtool-v2.
    pub fn validator(self) -> &'static str {
        match self {
            Self::V2 => "promtool-v2",
            Self::V3 => "promtool-latest",
        }
    }

    pub fn check_config_file(self, file: &Path, extra_args: &[&str]) -> Result<String> {
        let mut cmd = command(self.validator())?;
        cmd.args(["check", "config"]).args(extra_args).arg(file);
        run_tool(cmd)
    }

    /// Writes `config_yaml` to a temporary file and runs
    /// `promtool check config <extra_args>` on it (e.g. `--syntax-only`).
    pub fn check_config(self, config_yaml: &str, extra_args: &[&str]) -> Result<String> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("prometheus.yaml");
        std::fs::write(&file, config_yaml)?;
        self.check_config_file(&file, extra_args)
            .with_context(|| format!("configuration:\n{config_yaml}"))
    }
}

/// Runs a short-lived tool; Ok(stdout+stderr) on exit 0.
pub(crate) fn run_tool(mut cmd: Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("{:?} failed ({}):\n{text}", cmd.get_program(), out.status);
    }
    Ok(text)
}

/// A running Prometheus, killed on drop. Its HTTP API helpers come from
/// [`PrometheusApi`] (through `Deref`).
pub struct PrometheusProcess {
    process: ManagedProcess,
    api: PrometheusApi,
    config_path: PathBuf,
    // Last: removed after the process is gone.
    dir: ScratchDir,
}

impl PrometheusProcess {
    /// Writes `config_yaml` (as `prometheus.yaml`) and `extra_files`
    /// (paths relative to the same directory, so the configuration can name
    /// them relatively) into a temporary directory, starts Prometheus with
    /// its TSDB there, and waits for `/-/ready`.
    pub async fn start(
        version: PrometheusVersion,
        config_yaml: &str,
        extra_files: &[(&str, &str)],
    ) -> Result<Self> {
        Self::start_with_args(version, config_yaml, extra_files, &[]).await
    }

    /// Like [`start`](Self::start), with extra command-line arguments.
    pub async fn start_with_args(
        version: PrometheusVersion,
        config_yaml: &str,
        extra_files: &[(&str, &str)],
        extra_args: &[&str],
    ) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(version, config_yaml, extra_files, extra_args))
            .await
    }

    async fn start_once(
        version: PrometheusVersion,
        config_yaml: &str,
        extra_files: &[(&str, &str)],
        extra_args: &[&str],
    ) -> Result<Self> {
        let dir = ScratchDir::new("promop-prometheus-")?;
        let config_path = dir.path().join("prometheus.yaml");
        std::fs::write(&config_path, config_yaml)?;
        write_extra_files(dir.path(), extra_files)?;
        let port = free_port()?;
        let api = PrometheusApi::new(format!("http://127.0.0.1:{port}"));
        let mut cmd = command(version.binary())?;
        cmd.current_dir(dir.path())
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.enable-lifecycle")
            .args(extra_args);
        let mut process =
            ManagedProcess::spawn(version.binary(), cmd, &dir.path().join("prometheus.log"))?;
        api.wait_ready(&mut process).await?;
        Ok(Self {
            process,
            api,
            config_path,
            dir,
        })
    }

    /// The directory of the configuration file and the extra files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    pub fn logs(&self) -> String {
        self.process.logs()
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// Fails (with the log's tail) if Prometheus has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.process.check_running()
    }

    /// Polls `query_vector(promql)` until `accept` returns true, or fails
    /// after `timeout` with the last result, the targets and the log's tail.
    pub async fn wait_for_query(
        &mut self,
        promql: &str,
        timeout: Duration,
        accept: impl FnMut(&[(Value, f64)]) -> bool,
    ) -> Result<Vec<(Value, f64)>> {
        self.api
            .wait_for_query(&mut self.process, promql, timeout, accept)
            .await
    }

    /// Rewrites the configuration file and `POST /-/reload`.
    pub async fn reload_with(&self, config_yaml: &str) -> Result<()> {
        std::fs::write(&self.config_path, config_yaml)?;
        self.reload().await
    }
}

impl Deref for PrometheusProcess {
    type Target = PrometheusApi;

    fn deref(&self) -> &PrometheusApi {
        &self.api
    }
}

/// The HTTP API of a Prometheus at `url`, shared by [`PrometheusProcess`]
/// and the kubelet's [`RunningPod`](crate::RunningPod).
#[derive(Debug, Clone)]
pub struct PrometheusApi {
    url: String,
}

impl PrometheusApi {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits until `process` answers `/-/ready`.
    pub(crate) async fn wait_ready(&self, process: &mut ManagedProcess) -> Result<()> {
        let ready = format!("{}/-/ready", self.url);
        process
            .wait_ready(READY_TIMEOUT, || async {
                http::get_ok(&ready).await.map(drop)
            })
            .await
    }

    /// `GET /api/v1/<path>`: the `data` of a successful answer.
    pub async fn api_get(&self, path_and_query: &str) -> Result<Value> {
        let v = http::get_json(&format!("{}/api/v1/{path_and_query}", self.url)).await?;
        if v.get("status").and_then(Value::as_str) != Some("success") {
            bail!("GET /api/v1/{path_and_query}: {v}");
        }
        Ok(v.get("data").cloned().unwrap_or(Value::Null))
    }

    /// `/api/v1/targets`: `{"activeTargets": [...], "droppedTargets": [...]}`.
    pub async fn targets(&self) -> Result<Value> {
        self.api_get("targets").await
    }

    /// The `activeTargets` of [`targets`](Self::targets).
    pub async fn active_targets(&self) -> Result<Vec<Value>> {
        let t = self.targets().await?;
        Ok(t.get("activeTargets")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// Instant query: the `data` (`resultType` and `result`).
    pub async fn query(&self, promql: &str) -> Result<Value> {
        let qs = http::query_string([("query", promql)]);
        self.api_get(&format!("query?{qs}")).await
    }

    /// Instant query returning a vector: `(labels, value)` pairs.
    pub async fn query_vector(&self, promql: &str) -> Result<Vec<(Value, f64)>> {
        let data = self.query(promql).await?;
        let result = data
            .get("result")
            .and_then(Value::as_array)
            .with_context(|| format!("{promql}: no result array in {data}"))?;
        result
            .iter()
            .map(|s| {
                let v = s
                    .pointer("/value/1")
                    .and_then(Value::as_str)
                    .and_then(|v| v.parse::<f64>().ok())
                    .with_context(|| format!("{promql}: bad sample {s}"))?;
                Ok((s.get("metric").cloned().unwrap_or(Value::Null), v))
            })
            .collect()
    }

    /// Polls `query_vector(promql)` while `process` runs, until `accept`
    /// returns true, or fails after `timeout` with the last result, the
    /// targets and the log's tail.
    pub(crate) async fn wait_for_query(
        &self,
        process: &mut ManagedProcess,
        promql: &str,
        timeout: Duration,
        mut accept: impl FnMut(&[(Value, f64)]) -> bool,
    ) -> Result<Vec<(Value, f64)>> {
        let start = Instant::now();
        loop {
            process.check_running()?;
            let last = self.query_vector(promql).await;
            if let Ok(v) = &last
                && accept(v)
            {
                return last;
            }
            if start.elapsed() > timeout {
                let targets = self.targets().await.unwrap_or_default();
                bail!(
                    "query {promql:?} not satisfied after {timeout:?}: last result {last:?}\n\
                     targets: {targets}\nlast log lines:\n{}",
                    process.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// `/api/v1/rules`
    pub async fn rules(&self) -> Result<Value> {
        self.api_get("rules").await
    }

    /// `/api/v1/alerts`
    pub async fn alerts(&self) -> Result<Value> {
        self.api_get("alerts").await
    }

    /// `/api/v1/status/config`: the loaded configuration (YAML text).
    pub async fn loaded_config(&self) -> Result<String> {
        let data = self.api_get("status/config").await?;
        Ok(data
            .get("yaml")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }

    /// `POST /-/reload`
    pub async fn reload(&self) -> Result<()> {
        http::post_empty(&format!("{}/-/reload", self.url)).await
    }
}

pub(crate) fn write_extra_files(dir: &Path, files: &[(&str, &str)]) -> Result<()> {
    for (rel, content) in files {
        let rel = Path::new(rel);
        if rel.is_absolute() || rel.components().any(|c| c.as_os_str() == "..") {
            bail!("extra file path must be relative and inside the directory: {rel:?}");
        }
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
