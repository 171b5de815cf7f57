//! A single-member etcd on loopback for one test environment.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::process::{ManagedProcess, command, free_port};

#[derive(Debug)]
pub(crate) struct Etcd {
    pub process: ManagedProcess,
    /// `http://127.0.0.1:<port>`
    pub client_url: String,
}

impl Etcd {
    /// Starts etcd with its data in `dir/etcd` and its log in `dir/etcd.log`,
    /// and waits for `/health`.
    pub(crate) async fn start(dir: &Path) -> Result<Self> {
        let client_url = format!("http://127.0.0.1:{}", free_port()?);
        let peer_url = format!("http://127.0.0.1:{}", free_port()?);
        let mut cmd = command("etcd")?;
        cmd.arg("--name=default")
            .arg(format!("--data-dir={}", dir.join("etcd").display()))
            .arg(format!("--listen-client-urls={client_url}"))
            .arg(format!("--advertise-client-urls={client_url}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=default={peer_url}"))
            .arg("--unsafe-no-fsync")
            .arg("--log-level=warn");
        let mut process = ManagedProcess::spawn("etcd", cmd, &dir.join("etcd.log"))?;
        let health = format!("{client_url}/health");
        process
            .wait_ready(Duration::from_secs(30), || async {
                let body = crate::http::get_ok(&health).await?;
                if !body.contains("\"true\"") {
                    bail!("unhealthy: {body}");
                }
                Ok(())
            })
            .await?;
        Ok(Self {
            process,
            client_url,
        })
    }
}
