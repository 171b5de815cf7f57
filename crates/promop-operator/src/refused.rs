//! The reference's flags and feature-gate values that promop does not
//! implement. None is parsed and ignored: each is accepted with the
//! reference's syntax (so that the message can say why, instead of clap's
//! "unexpected argument") and refused at start with exit code 2, unless it
//! has the reference's default value, which keeps a Deployment spelling out
//! the defaults working. The README's flag table lists them with the rest.
use clap::ArgAction;

use crate::options::{Options, RepairPolicy};

/// Flags of the reference's operator that promop refuses unless they have
/// their default value (which is what promop does).
#[derive(Clone, Debug, Default, clap::Args)]
#[command(next_help_heading = "Reference flags refused unless default")]
pub struct ReferenceOnly {
    /// Refused: API server address; use --kubeconfig.
    #[arg(id = "reference_apiserver", long = "apiserver", value_name = "URL")]
    apiserver: Option<String>,
    /// Refused: user to impersonate; use a kubeconfig with `as:`.
    #[arg(id = "reference_as", long = "as", value_name = "USER")]
    impersonate: Option<String>,
    /// Refused: client certificate of the API server; use --kubeconfig.
    #[arg(id = "reference_cert_file", long = "cert-file", value_name = "FILE")]
    cert_file: Option<String>,
    /// Refused: client key of the API server; use --kubeconfig.
    #[arg(id = "reference_key_file", long = "key-file", value_name = "FILE")]
    key_file: Option<String>,
    /// Refused: CA of the API server; use --kubeconfig.
    #[arg(id = "reference_ca_file", long = "ca-file", value_name = "FILE")]
    ca_file: Option<String>,
    /// Refused when true: skipping the API server's certificate check; use
    /// a kubeconfig with `insecure-skip-tls-verify`.
    #[arg(id = "reference_tls_insecure", long = "tls-insecure", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = ArgAction::Set)]
    tls_insecure: Option<bool>,
    /// Refused unless 0: a Go runtime setting (GOMEMLIMIT); promop has no
    /// garbage collector to tune.
    #[arg(
        id = "reference_auto_gomemlimit_ratio",
        long = "auto-gomemlimit-ratio",
        value_name = "RATIO"
    )]
    auto_gomemlimit_ratio: Option<f64>,
    /// Refused unless empty: TLS 1.2 cipher suites of the web server
    /// (promop offers rustls' defaults).
    #[arg(
        id = "reference_web_tls_cipher_suites",
        long = "web.tls-cipher-suites",
        value_name = "SUITE,..."
    )]
    tls_cipher_suites: Option<String>,
    /// Refused unless empty: TLS curves of the web server (promop offers
    /// rustls' defaults).
    #[arg(
        id = "reference_web_tls_curves",
        long = "web.tls-curves",
        value_name = "CURVE,..."
    )]
    tls_curves: Option<String>,
}

/// A feature gate the reference has, its default, and why promop refuses
/// the other value (`None`: promop implements both).
pub(crate) struct Gate {
    pub name: &'static str,
    pub default: bool,
    refused: Option<&'static str>,
}

/// The reference's feature gates (v0.94.1).
pub(crate) const FEATURE_GATES: [Gate; 5] = [
    Gate {
        name: "PrometheusAgentDaemonSet",
        default: false,
        refused: None,
    },
    Gate {
        name: "PrometheusTopologySharding",
        default: true,
        refused: None,
    },
    Gate {
        name: "PrometheusShardRetentionPolicy",
        default: true,
        refused: None,
    },
    // Off by default as in the reference: on, it adds a finalizer to every
    // Prometheus and PrometheusAgent and writes the status of the config
    // objects (crate::bindings).
    Gate {
        name: "StatusForConfigurationResources",
        default: false,
        refused: None,
    },
    // The reference has no RemoteWrite CRD yet: the gate does nothing there
    // either, so both values are accepted.
    Gate {
        name: "RemoteWriteCustomResourceDefinition",
        default: false,
        refused: None,
    },
];

/// The first flag or feature gate that promop refuses, as a message naming
/// it and saying why.
pub(crate) fn check(options: &Options) -> Result<(), String> {
    let refuse = |flag: &str, why: &str| Err(format!("{flag} is not supported by promop: {why}"));
    let reference = &options.reference_only;
    let set = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
    for (flag, value, why) in [
        ("--apiserver", &reference.apiserver, KUBECONFIG),
        ("--as", &reference.impersonate, KUBECONFIG),
        ("--cert-file", &reference.cert_file, KUBECONFIG),
        ("--key-file", &reference.key_file, KUBECONFIG),
        ("--ca-file", &reference.ca_file, KUBECONFIG),
        (
            "--web.tls-cipher-suites",
            &reference.tls_cipher_suites,
            RUSTLS,
        ),
        ("--web.tls-curves", &reference.tls_curves, RUSTLS),
    ] {
        if set(value) {
            return refuse(flag, why);
        }
    }
    if reference.tls_insecure == Some(true) {
        return refuse("--tls-insecure", KUBECONFIG);
    }
    if reference.auto_gomemlimit_ratio.is_some_and(|r| r != 0.0) {
        return refuse(
            "--auto-gomemlimit-ratio",
            "it tunes Go's garbage collector, which promop does not have",
        );
    }
    if options.objects.repair_policy != RepairPolicy::None {
        return refuse(
            "--repair-policy-for-statefulsets",
            "promop does not evict or delete the pods of a stuck StatefulSet rollout \
             (only 'none' is implemented)",
        );
    }
    if options.web.enable_http2 {
        return refuse(
            "--web.enable-http2",
            "the web server speaks HTTP/1.1 only (the reference's default)",
        );
    }
    for gate in &FEATURE_GATES {
        if let Some(why) = gate.refused
            && options.objects.feature_enabled(gate.name) != gate.default
        {
            let flag = format!("--feature-gates={}={}", gate.name, !gate.default);
            return refuse(&flag, why);
        }
    }
    Ok(())
}

const KUBECONFIG: &str = "the API server connection comes from --kubeconfig, \
    $KUBECONFIG or the in-cluster configuration";
const RUSTLS: &str = "the web server offers rustls' secure defaults, \
    with --web.tls-min-version";

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn check_args(args: &[&str]) -> Result<(), String> {
        #[derive(Parser)]
        struct Flags {
            #[command(flatten)]
            options: Options,
        }
        let args = std::iter::once("promop").chain(args.iter().copied());
        let flags = Flags::try_parse_from(args).map_err(|e| e.to_string())?;
        check(&flags.options)
    }

    /// A Deployment spelling out the reference's defaults starts, and so does
    /// one with a gate that has no effect in the reference either.
    #[test]
    fn the_references_defaults_are_accepted() {
        let defaults = [
            "--apiserver=",
            "--tls-insecure=false",
            "--auto-gomemlimit-ratio=0.0",
            "--web.tls-cipher-suites=",
            "--web.tls-curves=",
            "--thanos-ruler-instance-namespaces=",
            "--thanos-ruler-instance-selector=",
            "--repair-policy-for-statefulsets=none",
            "--web.enable-http2=false",
            "--feature-gates=PrometheusAgentDaemonSet=false,StatusForConfigurationResources=false",
            "--feature-gates=StatusForConfigurationResources=true",
            "--feature-gates=RemoteWriteCustomResourceDefinition=false",
            "--feature-gates=RemoteWriteCustomResourceDefinition=true",
            "--feature-gates=PrometheusAgentDaemonSet=true",
            "--feature-gates=PrometheusTopologySharding=false,PrometheusShardRetentionPolicy=false",
        ];
        assert_eq!(check_args(&defaults), Ok(()));
    }

    /// The ThanosRuler controller implements them.
    #[test]
    fn thanos_ruler_instance_flags_are_accepted() {
        let flags = [
            "--thanos-ruler-instance-namespaces=monitoring",
            "--thanos-ruler-instance-selector=team=a",
        ];
        assert_eq!(check_args(&flags), Ok(()));
    }

    #[test]
    fn other_values_are_refused_naming_the_flag() {
        for (arg, flag) in [
            ("--apiserver=https://k8s:6443", "--apiserver"),
            ("--as=admin", "--as"),
            ("--ca-file=ca.crt", "--ca-file"),
            ("--tls-insecure", "--tls-insecure"),
            ("--auto-gomemlimit-ratio=0.9", "--auto-gomemlimit-ratio"),
            ("--web.tls-curves=X25519", "--web.tls-curves"),
            ("--repair-policy-for-statefulsets=evict", "--repair-policy"),
            ("--web.enable-http2", "HTTP/1.1 only"),
        ] {
            let error = check_args(&[arg]).expect_err(arg);
            assert!(error.contains(flag), "{arg}: {error}");
            assert!(error.contains("not supported by promop"), "{arg}: {error}");
        }
    }
}
