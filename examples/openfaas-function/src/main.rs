//! The function's process, started by of-watchdog (`fprocess`).
use std::sync::Arc;

use openfaas_function::{Metrics, listen_addr, serve};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = listen_addr(std::env::var("LISTEN_ADDR").ok())?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("listening on {addr}: {e}"))?;
    // of-watchdog prefixes and forwards the function's stderr to its log.
    eprintln!("openfaas-function listening on {addr}");
    serve(listener, Arc::new(Metrics::new()), shutdown()).await?;
    Ok(())
}

/// SIGTERM (of-watchdog forwards it when Kubernetes stops the pod) or Ctrl-C.
async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
