//! The Prometheus version that version-dependent checks use, and their gates.
use promop_api::v1::prometheus::CommonPrometheusFields;

use super::{Checked, Validator};
use crate::prometheus::version::needs;
use crate::prometheus::{Feature, Version};
use crate::select::reasons::{Rejection, RejectionKind};
use crate::version::DEFAULT_PROMETHEUS_VERSION;

/// The workload's `spec.version`, or the default, parsed.
pub fn prometheus_version(workload: &CommonPrometheusFields) -> Result<Version, RejectionKind> {
    let version = workload
        .version
        .as_deref()
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_PROMETHEUS_VERSION);
    parse_version(version)
}

/// Parses a Prometheus version with the one tolerant parser
/// ([`crate::version::parse_tolerant`]).
pub fn parse_version(input: &str) -> Result<Version, RejectionKind> {
    Version::parse(input)
        .map_err(|e| format!("failed to parse Prometheus version {input:?}: {e}").into())
}

impl Validator<'_> {
    /// A feature needed whether used or not (e.g. a service discovery the
    /// reference gates for every ScrapeConfig).
    pub(crate) fn gate(&self, feature: Feature, path: &str, what: &str) -> Checked {
        self.field_gate(
            feature,
            path.to_owned(),
            &format!("{what} is only supported for Prometheus version >="),
        )
    }

    /// A set field that needs a minimum Prometheus version: the message is
    /// `what` followed by the version.
    pub(crate) fn field_gate(&self, feature: Feature, path: String, what: &str) -> Checked {
        needs(&self.version, feature, |min| format!("{what} {min}"))
            .map_err(|kind| Rejection::new(path, kind))
    }
}
