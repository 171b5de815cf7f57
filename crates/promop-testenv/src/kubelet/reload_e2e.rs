//! How long a configuration change takes to reach a running Prometheus
//! through its reloader, with no `reload()` from the test: the objects of
//! [`super::e2e`] (a Prometheus, its ServiceAccount `prometheus`, selecting
//! a ServiceMonitor and a PrometheusRule), its pod run by the kubelet with the reloader as a
//! process ([`PodOptions`]); each change sets a new relabeling replacement
//! on the ServiceMonitor (or a new recorded name on the rule) and is timed
//! until Prometheus serves it (`/api/v1/status/config`, `/api/v1/rules`).
//! Shared by the end-to-end test of promop's watch mode and the
//! `bench_operator reloader` benchmark.
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use kube::Client;

use super::e2e::objects_of;
use super::{PodOptions, RunningPod, run_statefulset_pod_with};
use crate::apiserver::TestEnv;
use crate::manifests::apply_manifests;
use crate::metrics_server::MetricsServer;
use crate::prometheus::PrometheusVersion;

pub use super::e2e::{NAMESPACE, PROMETHEUS};
/// The pods' ServiceAccount, which the reloader's Role is bound to.
pub const SERVICE_ACCOUNT: &str = "prometheus";
/// Longer than a kubelet's volume sync (60 to 90 s) and the reloader's
/// delay after it.
const TIMEOUT: Duration = Duration::from_secs(150);

/// The scenario's objects (those of [`super::e2e`], with a ServiceAccount)
/// at `generation`: the ServiceMonitor's relabeling replacement is
/// `gen-<generation>`, the rule records `gen_<generation>`.
pub fn objects(port: u16, version: &str, generation: usize) -> String {
    let relabelings =
        format!("[{{action: replace, targetLabel: generation, replacement: gen-{generation}}}]");
    let record = format!("gen_{generation}");
    objects_of(
        port,
        version,
        Some(&relabelings),
        &record,
        Some(SERVICE_ACCOUNT),
    )
}

/// The scenario, its pod running.
pub struct ReloadScenario {
    pub pod: RunningPod,
    pub target: MetricsServer,
    version: String,
    generation: usize,
}

impl ReloadScenario {
    /// Applies generation 0 for the operator already running on `env`
    /// (with the CRDs installed) and runs the pod with `options`, once it
    /// serves generation 0.
    pub async fn start(
        env: &TestEnv,
        options: &PodOptions,
        operator_log: impl Fn() -> String,
    ) -> Result<Self> {
        let client = env.client();
        let target = MetricsServer::start("# TYPE app_info gauge\napp_info 1\n").await?;
        let version = PrometheusVersion::V3.installed_version()?;
        apply_manifests(&client, &objects(target.port(), &version, 0)).await?;
        let statefulset = format!("prometheus-{PROMETHEUS}");
        let pod = run_statefulset_pod_with(&client, env, NAMESPACE, &statefulset, 0, options)
            .await
            .with_context(|| format!("operator log:\n{}", operator_log()))?;
        let mut scenario = Self {
            pod,
            target,
            version,
            generation: 0,
        };
        scenario.until_served(Instant::now()).await?;
        Ok(scenario)
    }

    /// Applies the next generation and returns how long Prometheus took to
    /// serve its configuration (the ServiceMonitor's replacement), from the
    /// write.
    pub async fn change_to_served(&mut self, client: &Client) -> Result<Duration> {
        self.generation += 1;
        let manifests = objects(self.target.port(), &self.version, self.generation);
        let start = Instant::now();
        apply_manifests(client, &manifests).await?;
        self.until_served(start).await
    }

    /// Until the configuration and the rules of the current generation are
    /// served; the time to the configuration.
    async fn until_served(&mut self, start: Instant) -> Result<Duration> {
        let replacement = format!("replacement: gen-{}", self.generation);
        let config = self
            .poll(start, &replacement, |pod| Box::pin(pod.loaded_config()))
            .await?;
        let record = format!("gen_{}", self.generation);
        self.poll(start, &record, |pod| {
            Box::pin(async move { Ok(pod.rules().await?.to_string()) })
        })
        .await?;
        Ok(config)
    }

    async fn poll(
        &mut self,
        start: Instant,
        needle: &str,
        read: impl for<'a> Fn(&'a RunningPod) -> futures::future::BoxFuture<'a, Result<String>>,
    ) -> Result<Duration> {
        loop {
            let text = read(&self.pod).await.unwrap_or_default();
            if text.contains(needle) {
                return Ok(start.elapsed());
            }
            self.pod.check_running()?;
            if start.elapsed() > TIMEOUT {
                let reloader = self.pod.sidecar_log_tail("config-reloader", 20);
                bail!(
                    "Prometheus never served {needle:?} within {TIMEOUT:?}:\n{text}\nreloader log:\n{}",
                    reloader.unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
