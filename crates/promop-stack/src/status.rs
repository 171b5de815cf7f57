//! What `local-stack --json-status FILE` writes once the stack is ready:
//! where to look, and the PIDs (each the leader of its process group) that
//! must all be gone after the stop.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// From the start of the binary to every target up.
    pub ready_after_seconds: f64,
    /// `http://127.0.0.1:<port>` (the UI; `/targets`, `/alerts`, `/api/v1`).
    pub prometheus: String,
    pub alertmanager: String,
    /// orders-service's API (`POST /orders`, `/healthz`, `/readyz`).
    pub orders_service: String,
    /// orders-service's `/metrics` listener.
    pub orders_service_metrics: String,
    pub pushgateway: String,
    pub blackbox_exporter: String,
    pub promop_metrics: String,
    pub apiserver: String,
    /// Admin kubeconfig of the local apiserver (`KUBECONFIG=... kubectl`).
    pub kubeconfig: PathBuf,
    /// The webhook receiver of the AlertmanagerConfig.
    pub sink: String,
    /// One JSON line per notification the sink received.
    pub sink_log: PathBuf,
    /// Log file of each process, by name.
    pub logs: BTreeMap<String, PathBuf>,
    /// PID of each process, by name.
    pub pids: BTreeMap<String, u32>,
    /// With `--thanos`: the Thanos part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanos: Option<ThanosStatus>,
}

/// Where the Thanos part of `local-stack --thanos` listens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThanosStatus {
    /// Thanos Query over both sidecars (UI and `/api/v1`, deduplicating on
    /// `prometheus_replica`).
    pub query: String,
    /// The ThanosRuler's pod `thanos-ruler-orders-0` (UI, `/api/v1/rules`,
    /// `/api/v1/alerts`).
    pub ruler: String,
    /// The second Prometheus replica `prometheus-orders-1` (the first is
    /// [`Status::prometheus`]).
    pub prometheus_1: String,
    /// The sidecars' FILESYSTEM bucket.
    pub bucket: PathBuf,
}
