//! Which ServiceMonitors may make Prometheus read files of its own
//! container (`bearerTokenFile`, TLS `caFile`/`certFile`/`keyFile`).
//!
//! Such a file is typically the Prometheus' service-account token or a
//! client key, sent to whatever endpoint the monitor names: a tenant's
//! monitor reading `/var/run/secrets/kubernetes.io/serviceaccount/token`
//! hands the Prometheus' credentials to the tenant. The reference allows it
//! everywhere unless `arbitraryFSAccessThroughSMs.deny`; promop allows it by
//! default only in the Prometheus' own namespace, where kube-prometheus'
//! kubelet and API server monitors live.
use std::fmt;
use std::str::FromStr;

/// The operator's policy (`--monitor-file-access`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MonitorFileAccess {
    /// Every monitor (the reference's behaviour).
    All,
    /// Monitors in the Prometheus' own namespace.
    #[default]
    OwnNamespace,
    /// No monitor.
    None,
}

impl MonitorFileAccess {
    pub const VALUES: [&'static str; 3] = ["all", "own-namespace", "none"];

    /// Why a monitor of `namespace` may not read files for a workload of
    /// `own` (completing "it accesses file system via …"), or `None` when
    /// it may.
    pub fn denial(self, namespace: &str, own: &str) -> Option<String> {
        match self {
            Self::All => None,
            Self::OwnNamespace if namespace == own => None,
            Self::OwnNamespace => Some(format!(
                "which the operator allows only to monitors in the namespace of the workload ({own:?}, --monitor-file-access=own-namespace)"
            )),
            Self::None => {
                Some("which the operator forbids (--monitor-file-access=none)".to_owned())
            }
        }
    }
}

impl fmt::Display for MonitorFileAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::All => "all",
            Self::OwnNamespace => "own-namespace",
            Self::None => "none",
        })
    }
}

impl FromStr for MonitorFileAccess {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "all" => Ok(Self::All),
            "own-namespace" => Ok(Self::OwnNamespace),
            "none" => Ok(Self::None),
            _ => Err(format!(
                "{text:?} is not one of {}",
                Self::VALUES.join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_namespace_allows_the_workloads_namespace_only() {
        let policy = MonitorFileAccess::default();
        assert_eq!(policy.denial("monitoring", "monitoring"), None);
        let denial = policy.denial("tenant", "monitoring").unwrap();
        assert!(denial.contains("\"monitoring\""), "{denial}");
        assert_eq!(MonitorFileAccess::All.denial("tenant", "monitoring"), None);
        assert!(
            MonitorFileAccess::None
                .denial("monitoring", "monitoring")
                .is_some()
        );
    }

    #[test]
    fn values_round_trip() {
        for value in MonitorFileAccess::VALUES {
            assert_eq!(
                value.parse::<MonitorFileAccess>().unwrap().to_string(),
                value
            );
        }
        assert!("own".parse::<MonitorFileAccess>().is_err());
    }
}
