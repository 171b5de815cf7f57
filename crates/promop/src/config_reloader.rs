//! `promop config-reloader`: the sidecar that replaces the reference's
//! `prometheus-config-reloader` (same flags), with a watch mode reading the
//! config from the API server. The logic is in `promop-reloader`; here are
//! the flags this binary shares with `run` (logging, version) and the
//! Kubernetes client.
use anyhow::Context;
use promop_reloader::Options;

use crate::run::{ProcessFlags, client, shutdown_signal};

pub const LONG_ABOUT: &str = "\
Keep the configuration file of a Prometheus, Alertmanager or ThanosRuler \
equal to its source and reload the server when it or a watched directory \
changes. A drop-in for the reference's prometheus-config-reloader (v0.94.1): \
same flags, same defaults, same output file, same reload request.

File mode (the reference's): --config-file (gzipped or plain) is expanded \
($(VAR) from the environment, plus STATEFULSET_ORDINAL_NUMBER; unset \
variables are left as written) into --config-envsubst-file, written only \
when its bytes change; the server is reloaded (POST --reload-url, or SIGHUP \
with --reload-method=signal) at the start and after every change of the \
file or of a --watched-dir (after --delay-interval), retried every \
--retry-interval until it succeeds.

Watch mode (promop's): --watch-secret reads the config from the Secret \
through the API server instead of the mounted file, and --watch-configmap \
writes rule ConfigMaps into directories; a change is written and reloaded \
at once instead of after the kubelet's volume sync (about a minute). Each \
object is watched by name, so a Role granting get, list and watch on \
those resourceNames is all the pod's ServiceAccount needs.

--auto-gomemlimit-ratio has no effect (logged as a warning). \
--web-config-file applies TLS (certificate files re-read when they change, \
client certificates with RequireAndVerifyClientCert, min_version) and \
response headers; its other TLS settings are logged as not applied and \
basic_auth_users is refused.";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    process: ProcessFlags,
    #[command(flatten)]
    options: Options,
}

/// The exit code: 0, or 2 for a --web-config-file that cannot be used
/// (the reference's code); other errors are returned (exit 1).
pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.process.print_version() {
        return Ok(0);
    }
    args.process.init_logging();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "Starting promop config-reloader"
    );
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let client = match args.options.watch_mode() {
            true => Some(client(args.options.kubeconfig.as_ref()).await?),
            false => None,
        };
        match promop_reloader::run(args.options, client, shutdown_signal()).await {
            Ok(()) => Ok(0),
            Err(error @ promop_reloader::Error::WebConfig(_)) => {
                eprintln!("promop: {error}");
                Ok(2)
            }
            Err(error) => Err(error.into()),
        }
    })
}
