//! Fault injection on a [`TestEnv`]: apiserver outages and restarts, etcd
//! compaction (expired resourceVersions). Network faults between a client
//! and the apiserver: [`crate::proxy::TcpProxy`].

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::apiserver::{TestEnv, spawn_apiserver};
use crate::process::command;

/// How long the apiserver may take to shut down gracefully on SIGTERM
/// before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// An etcd key outside the apiserver's `/registry` prefix, written to move
/// etcd's revision past every resourceVersion issued so far.
const MARKER_KEY: &str = "/promop-testenv/compaction-marker";

impl TestEnv {
    /// Stops the kube-apiserver (SIGTERM, SIGKILL after 10 s) and leaves it
    /// down, to test how clients live through an outage; etcd and all data
    /// stay. Requests fail with "connection refused" until
    /// [`TestEnv::start_apiserver`]. Idempotent.
    pub async fn stop_apiserver(&mut self) -> Result<()> {
        let t0 = Instant::now();
        let graceful = self.apiserver.terminate(STOP_GRACE).await;
        if std::env::var_os("PROMOP_TESTENV_VERBOSE").is_some() {
            eprintln!(
                "promop-testenv: apiserver stopped in {:?} ({})",
                t0.elapsed(),
                if graceful { "SIGTERM" } else { "SIGKILL" }
            );
        }
        Ok(())
    }

    /// Starts the kube-apiserver again after [`TestEnv::stop_apiserver`]:
    /// same port, etcd, certificates, tokens and options, log appended to.
    /// Returns once it is ready, so clients made before the stop (which
    /// reconnect on their own) work again. Its watch cache starts empty.
    pub async fn start_apiserver(&mut self) -> Result<()> {
        if self.apiserver_running() {
            bail!("the apiserver is running: stop_apiserver first");
        }
        // Reaps an apiserver that exited on its own.
        self.apiserver.stop();
        let t0 = Instant::now();
        // The port was free a moment ago, but another test may have probed
        // it (free_port binds then releases): retry for a few seconds.
        let mut attempt = 1;
        loop {
            self.spawn_apiserver_again()?;
            match self.wait_ready().await {
                Ok(()) => break,
                Err(e) if attempt < 5 && format!("{e:#}").contains("address already in use") => {
                    self.apiserver.stop();
                    attempt += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(e.context("restarting the apiserver")),
            }
        }
        if std::env::var_os("PROMOP_TESTENV_VERBOSE").is_some() {
            eprintln!("promop-testenv: apiserver restarted in {:?}", t0.elapsed());
        }
        Ok(())
    }

    /// [`TestEnv::stop_apiserver`], `downtime` of outage, then
    /// [`TestEnv::start_apiserver`].
    pub async fn restart_apiserver(&mut self, downtime: Duration) -> Result<()> {
        self.stop_apiserver().await?;
        tokio::time::sleep(downtime).await;
        self.start_apiserver().await
    }

    /// Whether the apiserver process runs (it may not be ready yet).
    pub fn apiserver_running(&mut self) -> bool {
        self.apiserver.pid().is_some() && self.apiserver.check_running().is_ok()
    }

    fn spawn_apiserver_again(&mut self) -> Result<()> {
        let log = self.apiserver.log_path().to_owned();
        if let Ok(mut f) = std::fs::File::options().append(true).open(&log) {
            let _ = writeln!(f, "==== promop-testenv: starting kube-apiserver again ====");
        }
        self.apiserver = spawn_apiserver(
            self.dir(),
            &self.pki,
            &self.etcd.client_url,
            self.port,
            &self.options,
        )?;
        Ok(())
    }

    /// Compacts etcd so that every resourceVersion issued before the call is
    /// expired in etcd: reading or watching from it there fails with 410
    /// Gone ("too old resource version"). Returns the compaction revision.
    ///
    /// The apiserver's watch cache may still serve a watch from an old
    /// resourceVersion from memory: [`TestEnv::expire_watches`] guarantees
    /// the 410.
    pub async fn compact_etcd(&self) -> Result<i64> {
        // A watch from resourceVersion r reads etcd from r + 1, and etcd
        // refuses revisions below the compaction revision: two writes put the
        // revision at least 2 above every existing resourceVersion.
        self.etcdctl(&["put", MARKER_KEY, "1"]).await?;
        let out = self
            .etcdctl(&["put", MARKER_KEY, "2", "--write-out=json"])
            .await?;
        let json: serde_json::Value = serde_json::from_str(&out)
            .with_context(|| format!("etcdctl put --write-out=json: {out}"))?;
        let Some(revision) = json["header"]["revision"].as_i64() else {
            bail!("etcdctl put: no header.revision in {out}");
        };
        self.etcdctl(&["compaction", "--physical", &revision.to_string()])
            .await?;
        Ok(revision)
    }

    /// Guarantees that a watch from a resourceVersion issued before the call
    /// fails with 410 Gone, so that clients must re-list: compacts etcd
    /// ([`TestEnv::compact_etcd`]) and restarts the apiserver, which empties
    /// its watch cache (the cache would otherwise go on serving recent old
    /// resourceVersions from memory). Returns the compaction revision.
    /// Watches open at the call end with the restart.
    pub async fn expire_watches(&mut self) -> Result<i64> {
        let revision = self.compact_etcd().await?;
        self.restart_apiserver(Duration::ZERO).await?;
        Ok(revision)
    }

    /// Runs `etcdctl --endpoints=<etcd> <args>` and returns its stdout.
    async fn etcdctl(&self, args: &[&str]) -> Result<String> {
        let mut cmd = tokio::process::Command::from(command("etcdctl")?);
        cmd.arg(format!("--endpoints={}", self.etcd.client_url))
            .args(args)
            .kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
            .await
            .with_context(|| format!("etcdctl {args:?}: timed out"))?
            .with_context(|| format!("etcdctl {args:?}"))?;
        if !out.status.success() {
            bail!(
                "etcdctl {args:?}: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
