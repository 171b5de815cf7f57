//! Shared by the test binaries that run `promop run` as a process.
#![allow(dead_code)] // each test binary uses a part

pub mod alerting;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use kube::{Api, Client};
use promop_testenv::{TestEnv, free_port};

pub const LEASE_NAMESPACE: &str = "default";

/// A `promop run` child, killed when dropped; its output goes to a file.
pub struct Operator {
    pub name: String,
    child: Child,
    log: PathBuf,
    pub port: u16,
}

impl Operator {
    pub fn start(env: &TestEnv, dir: &Path, name: &str, extra: &[&str]) -> Result<Self> {
        Self::start_with(env.kubeconfig_path(), dir, name, extra)
    }

    /// Like [`Operator::start`] with another kubeconfig (e.g. through a proxy).
    pub fn start_with(kubeconfig: &Path, dir: &Path, name: &str, extra: &[&str]) -> Result<Self> {
        Self::spawn(kubeconfig, dir, name, extra, &[])
    }

    /// Like [`Operator::start`], with `promop` run through `wrapper` (a
    /// command and its arguments that execs the rest, e.g. `taskset -c 0`),
    /// so that the process keeps promop's pid.
    pub fn start_wrapped(
        env: &TestEnv,
        dir: &Path,
        name: &str,
        extra: &[&str],
        wrapper: &[&str],
    ) -> Result<Self> {
        Self::spawn(env.kubeconfig_path(), dir, name, extra, wrapper)
    }

    fn spawn(
        kubeconfig: &Path,
        dir: &Path,
        name: &str,
        extra: &[&str],
        wrapper: &[&str],
    ) -> Result<Self> {
        let promop = env!("CARGO_BIN_EXE_promop");
        let (program, wrapper_args) = wrapper.split_first().unwrap_or((&promop, &[]));
        let port = free_port()?;
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log)?;
        let mut command = Command::new(program);
        if !wrapper.is_empty() {
            command.args(wrapper_args).arg(promop);
        }
        let child = command
            .arg("run")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log-level=debug")
            .args(extra)
            .env("POD_NAME", name)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("spawning promop run ({program})"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log,
            port,
        })
    }

    /// The process id (the wrapper's, which exec'd promop).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> Result<(u16, String)> {
        http_get(self.port, path)
    }

    /// Polls `path` until it answers `status`; fails early if the process exits.
    pub async fn wait_status(
        &mut self,
        path: &str,
        status: u16,
        within: Duration,
    ) -> Result<String> {
        let start = Instant::now();
        loop {
            if let Some(exit) = self.child.try_wait()? {
                bail!("{} exited ({exit}):\n{}", self.name, self.logs());
            }
            let last = match self.get(path) {
                Ok((code, body)) if code == status => return Ok(body),
                Ok((code, body)) => format!("{code}: {body}"),
                Err(e) => format!("{e:#}"),
            };
            if start.elapsed() > within {
                bail!(
                    "{} {path}: no {status} within {within:?} (last: {last}); log:\n{}",
                    self.name,
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn signal(&self, signal: libc::c_int) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: plain syscall on our own child.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }

    pub async fn wait_exit(&mut self, within: Duration) -> Result<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if start.elapsed() > within {
                bail!(
                    "{} still running after {within:?}; log:\n{}",
                    self.name,
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Operator {
    /// SIGKILL: no shutdown, no Lease release.
    pub fn kill(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET on 127.0.0.1; returns the status and the body.
pub fn http_get(port: u16, path: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("no HTTP status in {response:?}"))?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Ok((status, body.to_owned()))
}

pub async fn lease_spec(client: &Client, name: &str) -> Result<LeaseSpec> {
    let lease = Api::<Lease>::namespaced(client.clone(), LEASE_NAMESPACE)
        .get(name)
        .await?;
    lease.spec.context("Lease without spec")
}

pub async fn lease_holder(client: &Client, name: &str) -> Result<Option<String>> {
    let lease = Api::<Lease>::namespaced(client.clone(), LEASE_NAMESPACE)
        .get_opt(name)
        .await?;
    Ok(lease.and_then(|l| l.spec?.holder_identity))
}

/// `curl` over TLS; `Err` when curl fails (handshake refused, …).
pub fn curl(args: &[&str], url: &str) -> Result<String> {
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "--max-time", "10"])
        .args(args)
        .arg(url)
        .output()
        .context("running curl (needed by this test)")?;
    ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// AlertmanagerConfigs of `namespace` as the API server serves `version`
/// (`v1alpha1`, `v1beta1`): a read in the other version than stored goes
/// through the conversion webhook.
pub fn alertmanager_configs(
    client: &Client,
    namespace: &str,
    version: &str,
) -> Api<kube::api::DynamicObject> {
    let gvk =
        kube::core::GroupVersionKind::gvk("monitoring.coreos.com", version, "AlertmanagerConfig");
    Api::namespaced_with(
        client.clone(),
        namespace,
        &kube::api::ApiResource::from_gvk_with_plural(&gvk, "alertmanagerconfigs"),
    )
}

/// Applies `yaml`, retrying while `op`'s conversion webhook may not serve
/// yet (right after its start), for `within` at most.
pub async fn apply_through_webhook(
    client: &Client,
    yaml: &str,
    op: &Operator,
    within: Duration,
) -> Result<()> {
    let start = Instant::now();
    while let Err(e) = promop_testenv::apply_manifests(client, yaml).await {
        if start.elapsed() > within {
            bail!(
                "applying through the webhook: {e:#}; log:
{}",
                op.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}

/// promop's controllers running in this process on the test bed, with
/// promop's CRDs installed; their logs go to the test output
/// (`promop_operator=info`).
pub struct InProcess {
    stop: tokio::sync::oneshot::Sender<()>,
    controller: tokio::task::JoinHandle<()>,
}

impl InProcess {
    pub async fn start(env: &TestEnv) -> Result<Self> {
        Self::start_with(env, promop_operator::Options::default()).await
    }

    /// With the options of `promop run` (e.g. from `Options::from_args`).
    pub async fn start_with(env: &TestEnv, options: promop_operator::Options) -> Result<Self> {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("promop_operator=info")
            .with_test_writer()
            .try_init();
        let crds = promop_api::crd::all()
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?;
        promop_testenv::apply_manifests(&env.client(), &crds.join("\n---\n"))
            .await
            .context("installing promop's CRDs")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let controller = tokio::spawn(promop_operator::run(env.client(), options, async {
            let _ = stopped.await;
        }));
        Ok(Self { stop, controller })
    }

    /// What a failure message says about the operator's log.
    pub fn log_hint() -> String {
        "promop's log is in the test output (filter promop_operator=info)".into()
    }

    /// Stops the controllers; they must stop within 10 s.
    pub async fn stop(self) -> Result<()> {
        self.stop.send(()).ok();
        tokio::time::timeout(Duration::from_secs(10), self.controller)
            .await
            .context("controller did not stop on shutdown")?
            .context("controller task")
    }
}

/// Whether promop's field manager wrote (part of) `object`.
pub fn written_by_promop(object: &impl kube::ResourceExt) -> bool {
    object
        .managed_fields()
        .iter()
        .any(|f| f.manager.as_deref() == Some(promop_operator::FIELD_MANAGER))
}

/// Every Event of the cluster in both APIs (notes, messages and all), as
/// text, and how many each API holds.
pub async fn cluster_events(client: &Client) -> Result<(String, usize, usize)> {
    use k8s_openapi::api::core::v1::Event as CoreEvent;
    use k8s_openapi::api::events::v1::Event;
    let params = kube::api::ListParams::default();
    let v1 = Api::<Event>::all(client.clone()).list(&params).await?;
    let core = Api::<CoreEvent>::all(client.clone()).list(&params).await?;
    let text = format!(
        "{}\n{}",
        serde_json::to_string_pretty(&v1.items)?,
        serde_json::to_string_pretty(&core.items)?
    );
    Ok((text, v1.items.len(), core.items.len()))
}
