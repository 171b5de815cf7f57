//! Controllers of promop (kube-rs): reflector caches feed the core's
//! snapshot; the generated objects are written with server-side apply.
pub mod admission;
mod alertmanager;
mod apply;
mod bindings;
pub mod contents;
mod controller;
mod conversion;
mod error;
mod governing_service;
pub mod http;
mod kubelet;
pub mod leader;
mod objects;
pub mod options;
mod prometheus;
mod reconcile;
mod refused;
mod reloader_rbac;
mod report;
mod snapshot;
mod status;
mod stores;
pub mod telemetry;
mod thanos_ruler;
mod triggers;
mod workload;

pub use apply::FIELD_MANAGER;
pub use controller::{Running, run, spawn};
pub use error::Error;
pub use options::Options;
pub use snapshot::MAX_ROUNDS;
