//! A real Alertmanager on a random loopback port (clustering disabled), with
//! helpers for its v2 API and for `amtool check-config`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::http;
use crate::process::{
    ManagedProcess, ScratchDir, command, command_with_package_share, free_port, retry_on_port_clash,
};
use crate::prometheus::{run_tool, write_extra_files};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Which installed Alertmanager to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertmanagerVersion {
    /// `alertmanager` / `amtool` (newest packaged)
    #[default]
    Latest,
    /// `alertmanager-v0.28` / `amtool-v0.28`
    V0_28,
}

impl AlertmanagerVersion {
    /// The installed Alertmanager closest to a CR's `spec.version`: 0.28 for
    /// 0.28 and older, the newest otherwise (also when unset: the
    /// reference's default is newer than 0.28).
    pub fn of_spec(version: Option<&str>) -> Self {
        let minor = version.and_then(|v| {
            let mut parts = v.trim_start_matches('v').split('.');
            (parts.next()? == "0").then_some(())?;
            parts.next()?.parse::<u32>().ok()
        });
        match minor {
            Some(m) if m <= 28 => Self::V0_28,
            _ => Self::Latest,
        }
    }

    pub fn binary(self) -> &'static str {
        match self {
            Self::Latest => "alertmanager",
            Self::V0_28 => "alertmanager-v0.28",
        }
    }

    pub fn amtool(self) -> &'static str {
        match self {
            Self::Latest => "amtool",
            Self::V0_28 => "amtool-v0.28",
        }
    }

    /// Runs `amtool check-config` on `config_yaml`; Ok(output) on success.
    pub fn check_config(self, config_yaml: &str) -> Result<String> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("alertmanager.yaml");
        std::fs::write(&file, config_yaml)?;
        let mut cmd = command(self.amtool())?;
        cmd.arg("check-config").arg(&file);
        run_tool(cmd)
    }
}

/// A running Alertmanager, killed on drop. Debian's build reads
/// `default.tmpl` from `/usr/share/prometheus/alertmanager`: it runs in a
/// private mount namespace where the package's own `usr/share` is overlaid.
pub struct AlertmanagerProcess {
    process: ManagedProcess,
    url: String,
    config_path: PathBuf,
    dir: ScratchDir,
}

impl AlertmanagerProcess {
    /// Starts the newest Alertmanager with `config_yaml`.
    pub async fn start(config_yaml: &str) -> Result<Self> {
        Self::start_version(AlertmanagerVersion::Latest, config_yaml, &[]).await
    }

    /// Starts the given Alertmanager with `config_yaml` (as
    /// `alertmanager.yaml`) and `extra_files` (relative paths) in a temporary
    /// directory, and waits for `/-/ready`.
    pub async fn start_version(
        version: AlertmanagerVersion,
        config_yaml: &str,
        extra_files: &[(&str, &str)],
    ) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(version, config_yaml, extra_files)).await
    }

    async fn start_once(
        version: AlertmanagerVersion,
        config_yaml: &str,
        extra_files: &[(&str, &str)],
    ) -> Result<Self> {
        let dir = ScratchDir::new("promop-alertmanager-")?;
        let config_path = dir.path().join("alertmanager.yaml");
        std::fs::write(&config_path, config_yaml)?;
        write_extra_files(dir.path(), extra_files)?;
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let share = crate::paths::package_share_dir(version.binary());
        let mut cmd = command_with_package_share(version.binary(), &share)?;
        cmd.current_dir(dir.path())
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // An empty address disables the gossip cluster (no 0.0.0.0:9094).
            .arg("--cluster.listen-address=");
        let mut process =
            ManagedProcess::spawn(version.binary(), cmd, &dir.path().join("alertmanager.log"))?;
        let ready = format!("{url}/-/ready");
        process
            .wait_ready(READY_TIMEOUT, || async {
                http::get_ok(&ready).await.map(drop)
            })
            .await?;
        Ok(Self {
            process,
            url,
            config_path,
            dir,
        })
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn logs(&self) -> String {
        self.process.logs()
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    pub fn check_running(&mut self) -> Result<()> {
        self.process.check_running()
    }

    /// `GET /api/v2/alerts`
    pub async fn alerts(&self) -> Result<Value> {
        http::get_json(&format!("{}/api/v2/alerts", self.url)).await
    }

    /// `POST /api/v2/alerts` with a JSON array of alerts.
    pub async fn post_alerts(&self, alerts: &Value) -> Result<()> {
        if !alerts.is_array() {
            bail!("alerts must be a JSON array");
        }
        http::post_json(&format!("{}/api/v2/alerts", self.url), alerts)
            .await
            .map(drop)
    }

    /// `GET /api/v2/status` (includes the loaded configuration as text).
    pub async fn status(&self) -> Result<Value> {
        http::get_json(&format!("{}/api/v2/status", self.url)).await
    }

    /// `GET /api/v2/silences`
    pub async fn silences(&self) -> Result<Value> {
        http::get_json(&format!("{}/api/v2/silences", self.url)).await
    }

    /// Rewrites the configuration file and `POST /-/reload`.
    pub async fn reload_with(&self, config_yaml: &str) -> Result<()> {
        std::fs::write(&self.config_path, config_yaml)?;
        http::post_empty(&format!("{}/-/reload", self.url)).await
    }
}

#[cfg(test)]
mod tests {
    use super::AlertmanagerVersion;

    #[test]
    fn spec_version_picks_the_installed_alertmanager() {
        assert_eq!(
            AlertmanagerVersion::of_spec(Some("v0.27.0")),
            AlertmanagerVersion::V0_28
        );
        assert_eq!(
            AlertmanagerVersion::of_spec(Some("v0.28.1")),
            AlertmanagerVersion::V0_28
        );
        assert_eq!(
            AlertmanagerVersion::of_spec(Some("v0.31.0")),
            AlertmanagerVersion::Latest
        );
        assert_eq!(
            AlertmanagerVersion::of_spec(None),
            AlertmanagerVersion::Latest
        );
    }
}
