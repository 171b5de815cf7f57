//! Thanos on the test bed, all with the installed `thanos` binary whatever
//! the image's tag:
//!
//! * the `thanos-sidecar` container of a Prometheus pod ([`SIDECAR`]), run
//!   by the kubelet next to `prometheus` with the pod's volumes (the same
//!   TSDB directory); `--prometheus.url` names the running Prometheus,
//!   `--http-address` and `--grpc-address` are free loopback ports
//!   ([`RunningPod::sidecar_grpc`]);
//! * the `thanos-ruler` container of a ThanosRuler's StatefulSet
//!   (`thanos-ruler-<name>`), [`run_thanos_ruler_pod`]: rule files from the
//!   rule ConfigMap volumes (its config-reloader only watches directories:
//!   nothing to emulate before the start), `--http-address` and
//!   `--grpc-address` on free loopback ports;
//! * Thanos Query, a plain process ([`ThanosQuery`]) over sidecars' gRPC
//!   endpoints: no operator writes one.

use std::ops::Deref;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use kube::Client;
use serde_json::Value;

use super::{RunningPod, Sidecar, Workload, start_pod};
use crate::apiserver::TestEnv;
use crate::http;
use crate::process::{ManagedProcess, ScratchDir, free_port, retry_on_port_clash};
use crate::prometheus::PrometheusApi;

/// The installed binary of every Thanos component.
pub const BINARY: &str = "thanos";
pub const HTTP_ADDRESS: &str = "--http-address";
pub const GRPC_ADDRESS: &str = "--grpc-address";
/// The container of a Prometheus pod shipping blocks and serving the
/// StoreAPI.
pub const SIDECAR_CONTAINER: &str = "thanos-sidecar";
const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) const SIDECAR: Sidecar = Sidecar {
    container: SIDECAR_CONTAINER,
    binary: BINARY,
    address_flags: &[HTTP_ADDRESS, GRPC_ADDRESS],
    main_url_flag: Some("--prometheus.url"),
};

impl<A> RunningPod<A> {
    /// `127.0.0.1:<port>`: the StoreAPI (gRPC) of the pod's
    /// `thanos-sidecar`, if it has one.
    pub fn sidecar_grpc(&self) -> Option<&str> {
        self.sidecar_address(SIDECAR_CONTAINER, GRPC_ADDRESS)
    }

    /// `127.0.0.1:<port>`: the HTTP address (metrics, `/-/ready`) of the
    /// pod's `thanos-sidecar`, if it has one.
    pub fn sidecar_http(&self) -> Option<&str> {
        self.sidecar_address(SIDECAR_CONTAINER, HTTP_ADDRESS)
    }
}

/// The HTTP API of a running Thanos Ruler: Prometheus' `/api/v1/rules`
/// and `/api/v1/alerts` (through `Deref`).
#[derive(Debug, Clone)]
pub struct ThanosRulerApi(PrometheusApi);

impl Deref for ThanosRulerApi {
    type Target = PrometheusApi;

    fn deref(&self) -> &PrometheusApi {
        &self.0
    }
}

/// The `thanos-ruler` container of a ThanosRuler's pod.
pub type RunningThanosRulerPod = RunningPod<ThanosRulerApi>;

impl Workload for ThanosRulerApi {
    const CONTAINER: &'static str = "thanos-ruler";
    const ADDRESS_FLAGS: &'static [&'static str] = &[HTTP_ADDRESS, GRPC_ADDRESS];

    fn binary(_image_tag: &str) -> Result<PathBuf> {
        crate::paths::binary(BINARY)
    }

    fn api(url: String) -> Self {
        Self(PrometheusApi::new(url))
    }
}

/// Waits for StatefulSet `namespace/statefulset` of a ThanosRuler
/// (`thanos-ruler-<name>`) and the objects its pod mounts, materializes
/// the pod's volumes and runs its `thanos-ruler` container until
/// `/-/ready` answers. The gRPC address is
/// [`RunningPod::address`]`(GRPC_ADDRESS)`.
pub async fn run_thanos_ruler_pod(
    client: &Client,
    env: &TestEnv,
    namespace: &str,
    statefulset: &str,
    ordinal: u32,
) -> Result<RunningThanosRulerPod> {
    start_pod(
        client,
        env,
        namespace,
        statefulset,
        ordinal,
        &Default::default(),
    )
    .await
}

/// `thanos query` over StoreAPI endpoints, on loopback; killed on drop.
pub struct ThanosQuery {
    process: ManagedProcess,
    api: PrometheusApi,
    http: String,
    _dir: ScratchDir,
}

impl ThanosQuery {
    /// Starts Thanos Query over `endpoints` (`host:port` of gRPC StoreAPIs)
    /// deduplicating on `replica_label`, and waits until `/-/ready` answers
    /// and every endpoint is connected.
    pub async fn start(endpoints: &[&str], replica_label: &str) -> Result<Self> {
        let dir = ScratchDir::new("promop-thanos-query-")?;
        let log = dir.path().join("query.log");
        let (process, http) = retry_on_port_clash(|| async {
            let http = format!("127.0.0.1:{}", free_port()?);
            let grpc = format!("127.0.0.1:{}", free_port()?);
            let mut cmd = Command::new(crate::paths::binary(BINARY)?);
            cmd.arg("query")
                .arg(format!("{HTTP_ADDRESS}={http}"))
                .arg(format!("{GRPC_ADDRESS}={grpc}"))
                .arg(format!("--query.replica-label={replica_label}"))
                .args(endpoints.iter().map(|e| format!("--endpoint={e}")));
            let mut process = ManagedProcess::spawn("thanos-query", cmd, &log)?;
            let ready = format!("http://{http}/-/ready");
            process
                .wait_ready(READY_TIMEOUT, || async {
                    http::get_ok(&ready).await.map(drop)
                })
                .await?;
            Ok((process, http))
        })
        .await?;
        let mut query = Self {
            process,
            api: PrometheusApi::new(format!("http://{http}")),
            http,
            _dir: dir,
        };
        query.wait_endpoints(endpoints.len()).await?;
        Ok(query)
    }

    /// `127.0.0.1:<port>`: the HTTP address (what a ThanosRuler's
    /// `queryEndpoints` names).
    pub fn http_address(&self) -> &str {
        &self.http
    }

    pub fn logs(&self) -> String {
        self.process.logs()
    }

    /// The process' log file (in a scratch directory removed on drop).
    pub fn log_path(&self) -> &std::path::Path {
        self.process.log_path()
    }

    /// The process' PID, also its process group's.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    pub fn check_running(&mut self) -> Result<()> {
        self.process.check_running()
    }

    /// Waits until `n` StoreAPI endpoints are connected (`/api/v1/stores`).
    async fn wait_endpoints(&mut self, n: usize) -> Result<()> {
        let start = Instant::now();
        loop {
            self.process.check_running()?;
            let stores = self.api.api_get("stores").await.unwrap_or(Value::Null);
            let connected = stores
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .filter_map(Value::as_array)
                .flatten()
                .filter(|s| s["lastError"].is_null())
                .count();
            if connected >= n {
                return Ok(());
            }
            if start.elapsed() > READY_TIMEOUT {
                bail!(
                    "thanos query: {connected} of {n} endpoints after {READY_TIMEOUT:?}: {stores}\n{}",
                    self.process.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Instant query, deduplicated on the replica label or not: the
    /// `(labels, value)` pairs of the vector.
    pub async fn query_vector(&self, promql: &str, dedup: bool) -> Result<Vec<(Value, f64)>> {
        let qs = http::query_string([("query", promql), ("dedup", &dedup.to_string())]);
        let data = self.api.api_get(&format!("query?{qs}")).await?;
        let result = data["result"].as_array().cloned().unwrap_or_default();
        result
            .iter()
            .map(|s| {
                let v = s
                    .pointer("/value/1")
                    .and_then(Value::as_str)
                    .and_then(|v| v.parse::<f64>().ok());
                match v {
                    Some(v) => Ok((s["metric"].clone(), v)),
                    None => bail!("{promql}: bad sample {s}"),
                }
            })
            .collect()
    }
}
