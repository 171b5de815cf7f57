//! Per-object checks the reference makes while selecting: an object that
//! fails one is skipped with a [`Rejection`] naming the field.
pub(crate) mod duration;
mod http;
mod monitors;
mod relabel;
mod scrape_config;
mod secrets;
mod tls;
mod version;
mod workload;

use promop_api::v1::prometheus::CommonPrometheusFields;

pub(crate) use relabel::is_valid_label_name;
pub use relabel::validate_relabel_config;
pub(crate) use secrets::{validate_oauth2, validate_proxy};
pub(crate) use tls::validate_safe_tls;
pub use version::{parse_version, prometheus_version};
pub use workload::{validate_remote_write, validate_workload_tls};

use super::file_access::MonitorFileAccess;
use super::reasons::Rejection;
use crate::prometheus::Version;
use crate::prometheus::memo::{Lookup, Lookups};
use crate::snapshot::Snapshot;

/// Checks objects for one workload: its settings, its Prometheus version and
/// the Secrets/ConfigMaps of the snapshot.
pub struct Validator<'a> {
    pub snapshot: &'a Snapshot,
    pub workload: &'a CommonPrometheusFields,
    /// The workload's namespace.
    pub namespace: &'a str,
    pub version: Version,
    pub monitor_file_access: MonitorFileAccess,
    /// Where the Secrets and ConfigMaps read are noted, when a memo keeps
    /// the checks.
    pub(crate) lookups: Option<&'a Lookups>,
}

pub(crate) type Checked = Result<(), Rejection>;

impl Validator<'_> {
    /// Notes that the check read a Secret (or a ConfigMap).
    fn read(&self, config_map: bool, namespace: &str, name: &str) {
        if let Some(lookups) = self.lookups {
            let lookup = Lookup::checked(self.snapshot, config_map, namespace, name);
            lookups.borrow_mut().push(lookup);
        }
    }

    /// `scrapeClass` must name one of the workload's scrape classes.
    fn scrape_class(&self, name: Option<&String>, path: &str) -> Checked {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Ok(());
        };
        let classes = self.workload.scrape_classes.as_deref().unwrap_or_default();
        if classes.iter().any(|c| &c.name == name) {
            return Ok(());
        }
        Err(Rejection::new(
            path,
            format!("scrapeClass {name:?} not found in Prometheus scrapeClasses"),
        ))
    }

    /// A scrape timeout may not exceed the interval (the workload's when unset).
    fn interval_and_timeout(
        &self,
        interval: Option<&str>,
        timeout: Option<&str>,
        path: &str,
    ) -> Checked {
        let Some(timeout) = timeout.filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        // The CRD defaults the workload's scrapeInterval to 30s; manifests
        // read from files may lack the default the API server would add.
        let interval = interval
            .filter(|i| !i.is_empty())
            .or(self.workload.scrape_interval.as_deref())
            .unwrap_or("30s");
        duration::compare_timeout_to_interval(timeout, interval)
            .map_err(|message| Rejection::new(path, message))
    }
}

/// `path.field`, or `field` at the top.
pub(crate) fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}
