//! The one-command local stack (dev tooling on top of promop's test bed):
//! etcd + kube-apiserver, promop's CRDs, `promop run`, orders-service with
//! its load generator, the blackbox exporter and the Pushgateway, and the
//! real Prometheus and Alertmanager run from the StatefulSets, Secrets and
//! ConfigMaps promop generates for the objects of `deploy/local` (plus the
//! example stack's PrometheusRules). Alerts end in a local webhook sink.
//! With `--thanos` ([`Options::thanos`]): two Prometheus replicas with Thanos
//! sidecars shipping to a local bucket, Thanos Query over them and a
//! ThanosRuler alerting through the same Alertmanager.
//!
//! The binary `local-stack` starts it ([`Stack::start`]), waits until every
//! target is up, prints where to look, and stops everything on Ctrl-C,
//! SIGTERM or after `--run-for`. `scripts/local-stack` builds and runs it.

mod http;
mod manifests;
mod progress;
mod stack;
pub mod status;

use std::path::{Path, PathBuf};

pub use stack::{Options, Stack};
pub use status::{Status, ThanosStatus};

/// The workspace (`deploy/` lives there).
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
