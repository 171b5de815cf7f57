//! The Prometheus version that version-dependent checks use.
use promop_api::v1::prometheus::CommonPrometheusFields;

/// The reference's `operator.DefaultPrometheusVersion` (last entry of its
/// compatibility matrix in v0.93.0).
pub const DEFAULT_PROMETHEUS_VERSION: &str = "v3.13.1";

/// The workload's `spec.version`, or the default, parsed.
pub fn prometheus_version(workload: &CommonPrometheusFields) -> Result<semver::Version, String> {
    let version = workload
        .version
        .as_deref()
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_PROMETHEUS_VERSION);
    parse_version(version)
}

/// Parses a version tolerantly, like blang/semver's `ParseTolerant`: spaces
/// and a leading `v` are dropped, leading zeros removed and missing minor or
/// patch numbers taken as 0 (`v2.45` is 2.45.0).
pub fn parse_version(input: &str) -> Result<semver::Version, String> {
    let trimmed = input.trim();
    let trimmed = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let mut parts: Vec<String> = trimmed.splitn(3, '.').map(str::to_owned).collect();
    for part in &mut parts {
        if part.len() > 1 {
            let stripped = part.trim_start_matches('0');
            *part = if stripped.starts_with(|c: char| c.is_ascii_digit()) {
                stripped.to_owned()
            } else {
                format!("0{stripped}")
            };
        }
    }
    if parts.len() < 3 {
        if parts.last().is_some_and(|p| p.contains(['+', '-'])) {
            return Err(format!(
                "failed to parse Prometheus version {input:?}: short version cannot contain PreRelease/Build meta data"
            ));
        }
        parts.resize(3, "0".to_owned());
    }
    semver::Version::parse(&parts.join("."))
        .map_err(|e| format!("failed to parse Prometheus version {input:?}: {e}"))
}
