//! [`TestEnv`]: etcd + kube-apiserver on loopback, one per test.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine;
use k8s_openapi::api::core::v1::Namespace;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use crate::audit::AuditEvent;
use crate::certs::Pki;
use crate::etcd::Etcd;
use crate::process::{ManagedProcess, ScratchDir, command, free_port, retry_on_port_clash};

/// How long the apiserver may take to answer `/readyz` (2 cores, tests in
/// parallel, the first start reads a 100 MB binary).
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// The CIDR of Service cluster IPs (the `kubernetes` Service gets 10.0.0.1).
pub const SERVICE_CLUSTER_IP_RANGE: &str = "10.0.0.0/24";

/// Opt-in features of a [`TestEnv`] ([`TestEnv::start_with`]), e.g.
/// `TestEnvOptions::default().audit(true)`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TestEnvOptions {
    /// Writes an audit log of every write request (verbs create, update,
    /// patch, delete, deletecollection at level `Metadata`), to tell who
    /// wrote what and when, and of every request of a ServiceAccount (reads
    /// too): see [`TestEnv::audit_events`]. Off by default
    /// (it costs a file write per request).
    pub audit: bool,
}

impl TestEnvOptions {
    /// Sets [`TestEnvOptions::audit`].
    pub fn audit(mut self, audit: bool) -> Self {
        self.audit = audit;
        self
    }
}

/// A running etcd + kube-apiserver. Dropping it kills both (by PID) and
/// removes the data directory, unless the thread is panicking or
/// `PROMOP_TESTENV_KEEP` is set: then the directory (with the logs) is kept
/// and its path printed.
pub struct TestEnv {
    // Field order is drop order: the apiserver goes before etcd.
    pub(crate) apiserver: ManagedProcess,
    pub(crate) etcd: Etcd,
    pub(crate) client: Client,
    pub(crate) pki: Pki,
    pub(crate) server_url: String,
    /// The apiserver's port, kept across restarts.
    pub(crate) port: u16,
    pub(crate) options: TestEnvOptions,
    kubeconfig: PathBuf,
    dir: ScratchDir,
}

impl TestEnv {
    /// Starts etcd and kube-apiserver and waits until the apiserver is ready
    /// and the `default` namespace exists.
    pub async fn start() -> Result<Self> {
        Self::start_with(TestEnvOptions::default()).await
    }

    /// [`TestEnv::start`] with opt-in features (e.g. the audit log).
    pub async fn start_with(options: TestEnvOptions) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(options.clone())).await
    }

    /// [`TestEnv::start`] with the reference's CRDs (v0.94.1,
    /// `example/prometheus-operator-crd`) installed and Established.
    pub async fn with_upstream_crds() -> Result<Self> {
        Self::with_upstream_crds_and(TestEnvOptions::default()).await
    }

    /// [`TestEnv::with_upstream_crds`] with opt-in features.
    pub async fn with_upstream_crds_and(options: TestEnvOptions) -> Result<Self> {
        let env = Self::start_with(options).await?;
        crate::install_crds(
            &env.client(),
            &crate::upstream_dir().join("example/prometheus-operator-crd"),
        )
        .await?;
        Ok(env)
    }

    async fn start_once(options: TestEnvOptions) -> Result<Self> {
        let t0 = Instant::now();
        let dir = ScratchDir::new("promop-testenv-")?;
        let pki = Pki::generate(&dir.path().join("pki"))?;
        let etcd = Etcd::start(dir.path()).await?;

        let port = free_port()?;
        let server_url = format!("https://127.0.0.1:{port}");
        let apiserver = spawn_apiserver(dir.path(), &pki, &etcd.client_url, port, &options)?;

        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            kubeconfig_yaml(&server_url, &pki, &pki.admin_token)?,
        )?;
        let client = client_from_kubeconfig(&kubeconfig).await?;

        let mut env = Self {
            apiserver,
            etcd,
            client,
            pki,
            server_url,
            port,
            options,
            kubeconfig,
            dir,
        };
        env.wait_ready().await?;
        if std::env::var_os("PROMOP_TESTENV_VERBOSE").is_some() {
            eprintln!(
                "promop-testenv: apiserver {} ready in {:?} (dir {})",
                env.server_url,
                t0.elapsed(),
                env.dir().display()
            );
        }
        Ok(env)
    }

    pub(crate) async fn wait_ready(&mut self) -> Result<()> {
        let client = self.client.clone();
        self.apiserver
            .wait_ready(READY_TIMEOUT, || {
                let client = client.clone();
                async move {
                    let req = http_get("/readyz")?;
                    let body = client.request_text(req).await?;
                    if body.trim() != "ok" {
                        bail!("/readyz: {body}");
                    }
                    // Created by the apiserver's bootstrap controller shortly after.
                    Api::<Namespace>::all(client).get("default").await?;
                    Ok(())
                }
            })
            .await
    }

    /// A client with admin rights (group `system:masters`).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// A kubeconfig (CA data and token inline) for other processes.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// `https://127.0.0.1:<port>`
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// `127.0.0.1:<port>` of the apiserver (the same across
    /// [`TestEnv::restart_apiserver`]): the target of a
    /// [`crate::proxy::TcpProxy`].
    pub fn apiserver_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// A kubeconfig like [`TestEnv::kubeconfig_path`] whose server is
    /// `https://<proxy>` (e.g. a [`crate::proxy::TcpProxy`] in front of the
    /// apiserver), for a process whose traffic is to be faulted. The serving
    /// certificate is valid for `127.0.0.1`, whatever the port.
    pub fn kubeconfig_via(&self, proxy: SocketAddr) -> Result<PathBuf> {
        let path = self.dir().join(format!("kubeconfig-via-{}", proxy.port()));
        std::fs::write(
            &path,
            kubeconfig_yaml(
                &format!("https://{proxy}"),
                &self.pki,
                &self.pki.admin_token,
            )?,
        )
        .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The admin client [`Config`], to a `proxy` address instead of the
    /// apiserver if given, for tests to tune (timeouts, headers) before
    /// `Client::try_from`.
    pub async fn client_config(&self, proxy: Option<SocketAddr>) -> Result<Config> {
        let url = match proxy {
            Some(proxy) => format!("https://{proxy}"),
            None => self.server_url.clone(),
        };
        let kc = Kubeconfig::from_yaml(&kubeconfig_yaml(&url, &self.pki, &self.pki.admin_token)?)?;
        Ok(Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?)
    }

    /// A new admin client whose requests go through `proxy` (see
    /// [`crate::proxy::TcpProxy`]); its own connection pool, so faults on
    /// the proxy do not touch [`TestEnv::client`].
    pub async fn client_via(&self, proxy: SocketAddr) -> Result<Client> {
        Ok(Client::try_from(self.client_config(Some(proxy)).await?)?)
    }

    /// A new admin client sending `User-Agent: <agent>` (kube-rs sends none
    /// by default), optionally through `proxy`: tells e.g. two operator
    /// replicas in one test process apart in [`TestEnv::audit_events`].
    pub async fn client_with_user_agent(
        &self,
        agent: &str,
        proxy: Option<SocketAddr>,
    ) -> Result<Client> {
        let mut config = self.client_config(proxy).await?;
        config.headers.push((
            hyper::header::USER_AGENT,
            hyper::header::HeaderValue::from_str(agent)
                .with_context(|| format!("invalid User-Agent {agent:?}"))?,
        ));
        Ok(Client::try_from(config)?)
    }

    /// The audit log (JSON lines), when started with
    /// [`TestEnvOptions::audit`].
    pub fn audit_log_path(&self) -> Option<PathBuf> {
        self.options
            .audit
            .then(|| crate::audit::log_path(self.dir()))
    }

    /// Every write request (and every request of a ServiceAccount) audited
    /// so far, in log order (which is
    /// completion order). Events land in the log as requests complete, at
    /// most a few milliseconds after the client got its answer: to assert
    /// on a request just made, use [`TestEnv::wait_for_audit_event`]. Fails
    /// unless started with [`TestEnvOptions::audit`].
    pub fn audit_events(&self) -> Result<Vec<AuditEvent>> {
        let Some(path) = self.audit_log_path() else {
            bail!("no audit log: start the TestEnv with TestEnvOptions::default().audit(true)");
        };
        crate::audit::read_events(&path)
    }

    /// Polls [`TestEnv::audit_events`] until one matches `pred` (the first
    /// match is returned), or fails after `timeout` listing what was there.
    pub async fn wait_for_audit_event(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&AuditEvent) -> bool,
    ) -> Result<AuditEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let events = self.audit_events()?;
            if let Some(e) = events.iter().find(|e| pred(e)) {
                return Ok(e.clone());
            }
            if Instant::now() >= deadline {
                bail!(
                    "no matching audit event after {timeout:?}; {} events:\n{events:#?}",
                    events.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The CA that signed the apiserver's serving certificate.
    pub fn ca_cert_path(&self) -> &Path {
        &self.pki.ca_cert
    }

    /// The admin bearer token.
    pub fn admin_token(&self) -> &str {
        &self.pki.admin_token
    }

    /// A file holding only the admin bearer token (for `credentials_file`).
    pub fn admin_token_path(&self) -> &Path {
        &self.pki.admin_token_file
    }

    /// The service-account signing key (PKCS#8 PEM).
    pub fn service_account_key_path(&self) -> &Path {
        &self.pki.sa_key
    }

    /// The throwaway directory holding data, certificates and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn etcd_url(&self) -> &str {
        &self.etcd.client_url
    }

    pub fn apiserver_log(&self) -> String {
        self.apiserver.logs()
    }

    pub fn etcd_log(&self) -> String {
        self.etcd.process.logs()
    }

    /// Fails (with the log's tail) if the apiserver or etcd has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.etcd.process.check_running()?;
        self.apiserver.check_running()
    }

    /// PIDs of the apiserver and etcd (while running).
    pub fn pids(&self) -> Vec<u32> {
        [self.apiserver.pid(), self.etcd.process.pid()]
            .into_iter()
            .flatten()
            .collect()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        self.apiserver.stop();
        self.etcd.process.stop();
    }
}

pub(crate) fn spawn_apiserver(
    dir: &Path,
    pki: &Pki,
    etcd_url: &str,
    port: u16,
    options: &TestEnvOptions,
) -> Result<ManagedProcess> {
    let p = |path: &Path| path.display().to_string();
    let mut cmd = command("kube-apiserver")?;
    cmd.args([
        format!("--etcd-servers={etcd_url}"),
        "--bind-address=127.0.0.1".into(),
        "--advertise-address=127.0.0.1".into(),
        // The lease reconciler refuses a loopback advertise address.
        "--endpoint-reconciler-type=none".into(),
        format!("--secure-port={port}"),
        format!("--cert-dir={}", p(&dir.join("apiserver-certs"))),
        format!("--tls-cert-file={}", p(&pki.serving_cert)),
        format!("--tls-private-key-file={}", p(&pki.serving_key)),
        format!("--client-ca-file={}", p(&pki.ca_cert)),
        format!("--token-auth-file={}", p(&pki.token_file)),
        "--authorization-mode=RBAC".into(),
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
        format!("--service-account-key-file={}", p(&pki.sa_pub)),
        format!("--service-account-signing-key-file={}", p(&pki.sa_key)),
        format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
        "--allow-privileged=true".into(),
        // No controller-manager: no default ServiceAccount to admit pods with.
        "--disable-admission-plugins=ServiceAccount".into(),
        "--enable-priority-and-fairness=false".into(),
        "--profiling=false".into(),
    ]);
    if options.audit {
        cmd.args(crate::audit::apiserver_args(
            dir,
            &crate::audit::log_path(dir),
        )?);
    }
    ManagedProcess::spawn("kube-apiserver", cmd, &dir.join("kube-apiserver.log"))
}

/// A kubeconfig of `server_url` authenticating with `token`.
pub(crate) fn kubeconfig_yaml(server_url: &str, pki: &Pki, token: &str) -> Result<String> {
    let ca = std::fs::read(&pki.ca_cert)?;
    let ca_b64 = base64::engine::general_purpose::STANDARD.encode(ca);
    Ok(format!(
        "apiVersion: v1
kind: Config
clusters:
- name: promop-testenv
  cluster:
    server: {server_url}
    certificate-authority-data: {ca_b64}
users:
- name: admin
  user:
    token: {token}
contexts:
- name: promop-testenv
  context:
    cluster: promop-testenv
    user: admin
    namespace: default
current-context: promop-testenv
"
    ))
}

/// A kube client from a kubeconfig file.
pub(crate) async fn client_from_kubeconfig(path: &Path) -> Result<Client> {
    let kc = Kubeconfig::read_from(path)
        .with_context(|| format!("reading kubeconfig {}", path.display()))?;
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    Ok(Client::try_from(config)?)
}

fn http_get(path: &str) -> Result<hyper::Request<Vec<u8>>> {
    Ok(hyper::Request::get(path).body(Vec::new())?)
}
