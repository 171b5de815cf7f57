//! The Prometheus version that version-dependent checks use.
use promop_api::v1::prometheus::CommonPrometheusFields;

use crate::prometheus::Version;
use crate::select::reasons::RejectionKind;
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
