//! The flags of `promop config-reloader`: those of the reference's
//! `prometheus-config-reloader` (v0.94.1) with its defaults, so the operator
//! can start either binary with the same arguments, and promop's watch mode.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use promop_operator::options::{go_duration, listen_address, namespaced_name};

#[derive(Clone, Debug, clap::Args)]
pub struct Options {
    /// Config file watched by the reloader (gzipped or plain).
    #[arg(long, value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Output file for the environment-variable substituted config file
    /// (`$(VAR)` expanded; unset variables are left as they are).
    #[arg(long, value_name = "FILE")]
    pub config_envsubst_file: Option<PathBuf>,
    /// How often the reloader re-reads the configuration file and
    /// directories; 0: write the output once and exit (no reload).
    #[arg(long, value_name = "DURATION", default_value = "3m0s", value_parser = go_duration)]
    pub watch_interval: Duration,
    /// How long the reloader waits, after the last file-system change, before
    /// applying it (lets the kubelet finish updating a volume).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = go_duration)]
    pub delay_interval: Duration,
    /// How long the reloader waits before retrying a failed reload.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = go_duration)]
    pub retry_interval: Duration,
    /// How long the reloader waits for a response from the reload URL.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = go_duration)]
    pub reload_timeout: Duration,
    /// Accepted for compatibility; no effect (there is no Go runtime to
    /// limit): a value other than 0 is logged as ignored.
    #[arg(long, value_name = "RATIO", default_value = "0.0")]
    pub auto_gomemlimit_ratio: f64,
    /// Directory to watch (repeatable); a change of any file below it
    /// triggers a reload.
    #[arg(long = "watched-dir", value_name = "DIR")]
    pub watched_dirs: Vec<PathBuf>,
    /// Method used to reload the configuration.
    #[arg(long, value_enum, default_value = "http")]
    pub reload_method: ReloadMethod,
    /// Executable name used to find the process to send SIGHUP to when
    /// using the signal reload method.
    #[arg(long, value_name = "NAME", default_value = "prometheus")]
    pub process_executable_name: String,
    /// Environment variable whose trailing digits become
    /// STATEFULSET_ORDINAL_NUMBER, usable as `$(STATEFULSET_ORDINAL_NUMBER)`.
    #[arg(long, value_name = "VAR", default_value = "POD_NAME")]
    pub statefulset_ordinal_from_envvar: String,
    /// Address of /metrics and /healthz ([HOST]:PORT; disabled when empty
    /// or with --watch-interval=0).
    #[arg(long, value_name = "[HOST]:PORT", default_value = "", value_parser = optional_listen_address)]
    pub listen_address: ListenAddress,
    /// The exporter-toolkit's web configuration of /metrics and /healthz:
    /// TLS (cert_file, key_file, client_ca_file with
    /// RequireAndVerifyClientCert, min_version) and response headers;
    /// other TLS settings are logged as not applied, basic_auth_users is
    /// refused.
    #[arg(long, value_name = "FILE", default_value = "")]
    pub web_config_file: String,
    /// URL to POST to trigger the reload (http or https; the certificate is
    /// not verified, as by the reference).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:9090/-/reload", value_parser = http_url)]
    pub reload_url: hyper::Uri,
    /// URL to check the status of the runtime configuration (signal method).
    #[arg(long = "runtimeinfo-url", value_name = "URL", default_value = "http://127.0.0.1:9090/api/v1/status/runtimeinfo", value_parser = http_url)]
    pub runtime_info_url: hyper::Uri,

    /// promop's watch mode: read the config from this Secret through the
    /// API server (a watch on it alone, so RBAC `get`, `list`, `watch` on
    /// that name suffice) instead of --config-file, and reload as soon as
    /// it changes, without waiting for the kubelet's volume sync.
    #[arg(long, value_name = "NAMESPACE/NAME", value_parser = namespaced_name, help_heading = "Watch mode (promop)")]
    pub watch_secret: Option<(String, String)>,
    /// The key of --watch-secret holding the config (gunzipped when
    /// gzipped).
    #[arg(
        long,
        value_name = "KEY",
        default_value = "prometheus.yaml.gz",
        help_heading = "Watch mode (promop)"
    )]
    pub watch_secret_key: String,
    /// A ConfigMap whose keys are written as files into DIR (files of keys
    /// that disappear are removed), through the API server (repeatable);
    /// a change reloads the server at once, as a --watched-dir's would.
    #[arg(long = "watch-configmap", value_name = "NAMESPACE/NAME=DIR", value_parser = configmap_dir, help_heading = "Watch mode (promop)")]
    pub watch_configmaps: Vec<ConfigMapDir>,
    /// Kubeconfig for watch mode; without it the in-cluster configuration
    /// (else $KUBECONFIG or ~/.kube/config).
    #[arg(long, value_name = "FILE", help_heading = "Watch mode (promop)")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReloadMethod {
    /// POST to --reload-url.
    Http,
    /// SIGHUP to --process-executable-name, checked with --runtimeinfo-url.
    Signal,
}

/// `--watch-configmap NAMESPACE/NAME=DIR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigMapDir {
    pub namespace: String,
    pub name: String,
    pub dir: PathBuf,
}

impl Options {
    /// Whether any object is read from the API server.
    pub fn watch_mode(&self) -> bool {
        self.watch_secret.is_some() || !self.watch_configmaps.is_empty()
    }

    /// The directories whose files trigger a reload: --watched-dir and the
    /// ConfigMaps' directories.
    pub fn all_watched_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = self.watched_dirs.clone();
        for cm in &self.watch_configmaps {
            if !dirs.contains(&cm.dir) {
                dirs.push(cm.dir.clone());
            }
        }
        dirs
    }

    /// Flags that are accepted but change nothing, as warnings to log.
    pub fn ignored(&self) -> Vec<String> {
        let mut ignored = Vec::new();
        if self.auto_gomemlimit_ratio != 0.0 {
            ignored.push("--auto-gomemlimit-ratio has no effect (no Go runtime)".to_owned());
        }
        if self.watch_secret.is_some() && self.config_file.is_some() {
            ignored.push("--config-file is not read: --watch-secret replaces it".to_owned());
        }
        ignored
    }
}

/// --listen-address: empty (the default) serves nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenAddress(pub Option<SocketAddr>);

fn optional_listen_address(text: &str) -> Result<ListenAddress, String> {
    if text.is_empty() {
        Ok(ListenAddress(None))
    } else {
        listen_address(text).map(|a| ListenAddress(Some(a)))
    }
}

fn http_url(text: &str) -> Result<hyper::Uri, String> {
    let uri: hyper::Uri = text
        .parse()
        .map_err(|e| format!("invalid URL {text:?}: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some() => Ok(uri),
        _ => Err(format!(
            "invalid URL {text:?}: expected http(s)://HOST[:PORT]/PATH"
        )),
    }
}

fn configmap_dir(text: &str) -> Result<ConfigMapDir, String> {
    let (object, dir) = text
        .split_once('=')
        .filter(|(_, dir)| !dir.is_empty())
        .ok_or_else(|| format!("expected NAMESPACE/NAME=DIR, got {text:?}"))?;
    let (namespace, name) = namespaced_name(object)?;
    Ok(ConfigMapDir {
        namespace,
        name,
        dir: PathBuf::from(dir),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        options: Options,
    }

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        Cli::try_parse_from(std::iter::once("reloader").chain(args.iter().copied()))
            .map(|c| c.options)
    }

    #[test]
    fn the_operators_arguments_parse_with_the_references_defaults() {
        let o = parse(&[
            "--listen-address=:8080",
            "--reload-url=http://localhost:9090/-/reload",
            "--config-file=/etc/prometheus/config/prometheus.yaml.gz",
            "--config-envsubst-file=/etc/prometheus/config_out/prometheus.env.yaml",
            "--watched-dir=/etc/prometheus/rules/prometheus-k8s-rulefiles-0",
            "--watched-dir=/etc/prometheus/config",
        ])
        .unwrap();
        assert_eq!(o.watch_interval, Duration::from_secs(180));
        assert_eq!(o.delay_interval, Duration::from_secs(1));
        assert_eq!(o.retry_interval, Duration::from_secs(5));
        assert_eq!(o.reload_timeout, Duration::from_secs(30));
        assert_eq!(o.watched_dirs.len(), 2);
        assert_eq!(o.listen_address.0.unwrap().port(), 8080);
        assert_eq!(o.reload_method, ReloadMethod::Http);
        assert!(!o.watch_mode());
        assert!(o.ignored().is_empty());
    }

    #[test]
    fn init_container_and_signal_arguments_parse() {
        let o = parse(&[
            "--watch-interval=0",
            "--reload-method=signal",
            "--runtimeinfo-url=https://localhost:9090/api/v1/status/runtimeinfo",
            "--log-level-is-not-ours=1",
        ]);
        assert!(o.is_err(), "unknown flags are errors, as in kingpin");
        let o = parse(&["--watch-interval=0", "--reload-method=signal"]).unwrap();
        assert_eq!(o.watch_interval, Duration::ZERO);
        assert_eq!(o.reload_method, ReloadMethod::Signal);
        assert!(o.listen_address.0.is_none());
    }

    #[test]
    fn watch_mode_flags() {
        let o = parse(&[
            "--watch-secret=monitoring/prometheus-k8s",
            "--watch-configmap=monitoring/prometheus-k8s-rulefiles-0=/etc/prometheus/rules/0",
            "--watched-dir=/etc/prometheus/rules/0",
        ])
        .unwrap();
        assert!(o.watch_mode());
        assert_eq!(o.watch_secret_key, "prometheus.yaml.gz");
        assert_eq!(o.watch_configmaps[0].name, "prometheus-k8s-rulefiles-0");
        assert_eq!(o.all_watched_dirs().len(), 1);
        assert!(parse(&["--watch-configmap=monitoring/x"]).is_err());
        assert!(parse(&["--watch-secret=x"]).is_err());
        assert!(parse(&["--reload-url=localhost:9090"]).is_err());
    }
}
