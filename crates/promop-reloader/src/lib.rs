//! `promop config-reloader`: keeps the file a Prometheus (or Alertmanager,
//! ThanosRuler) reads equal to its config — read from a mounted file, as
//! the reference's `prometheus-config-reloader` does, or straight from the
//! API server in watch mode — and makes the server reload when it or a
//! watched directory changes.
//!
//! The loop: an event (file system, API server, the watch interval, a
//! retry) → [`apply::Applier::prepare`] writes the output and says whether
//! anything changed since the last reload → [`reload::Trigger`] reloads,
//! retried every --retry-interval until it succeeds.
pub mod api_watch;
pub mod apply;
pub mod config_file;
pub mod envsubst;
pub mod fs_events;
pub mod metrics;
pub mod options;
pub mod reload;
pub mod watched_dirs;
pub mod web;
pub mod web_config;

mod run;

pub use options::Options;
pub use run::{Error, run};
