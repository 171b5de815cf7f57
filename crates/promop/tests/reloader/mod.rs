//! Shared by the `promop config-reloader` tests.
#![allow(dead_code)] // each test binary uses a part

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;
use promop_testenv::ManagedProcess;

/// `promop config-reloader` in the environment of pod `prometheus-main-0`.
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_promop"));
    cmd.arg("config-reloader")
        .env("POD_NAME", "prometheus-main-0")
        // Watch mode uses the test's kubeconfig, never an in-cluster one.
        .env_remove("KUBERNETES_SERVICE_HOST");
    cmd
}

/// Runs `cmd` until dropped, its log `reloader.log` in `dir`.
pub fn spawn(cmd: Command, dir: &Path) -> Result<ManagedProcess> {
    ManagedProcess::spawn("promop config-reloader", cmd, &dir.join("reloader.log"))
}

pub fn gzip(text: &str) -> Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes())?;
    Ok(gz.finish()?)
}

/// The `p`th percentile of sorted latencies.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// The peak resident memory of a process (`VmHWM`), and how much of the
/// current one is anonymous (heap, stacks: what a release build needs
/// too) and file-backed (the binary's pages, larger in a debug build), for
/// the record: the operator gives the reloader container 50Mi by default.
pub fn peak_memory(process: &ManagedProcess) -> String {
    let status = process
        .pid()
        .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map_or("?", str::trim)
            .to_owned()
    };
    format!(
        "{} (now anonymous {}, file {})",
        field("VmHWM:"),
        field("RssAnon:"),
        field("RssFile:")
    )
}
