//! The Prometheus version a configuration is generated for. Its gates are
//! in [`crate::version::prometheus`]: generators ask
//! [`Version::supports`] with a [`Feature`] instead of comparing versions.
pub use crate::version::DEFAULT_PROMETHEUS_VERSION;
pub use crate::version::prometheus::Feature;

/// A parsed `spec.version`.
pub type Version = crate::version::Version<Feature>;

pub use crate::version::needs;

/// Why `spec.version` is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("failed to parse Prometheus version {0:?}")]
    Invalid(String),
    #[error("unsupported Prometheus version {0:?}")]
    Unsupported(String),
}

impl Version {
    /// Parses `spec.version` tolerantly like the reference, defaulting to
    /// [`DEFAULT_PROMETHEUS_VERSION`], and accepts only Prometheus 2 and 3.
    pub fn from_spec(spec: Option<&str>) -> Result<Self, VersionError> {
        let raw = spec
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_PROMETHEUS_VERSION);
        let version = Self::parse(raw).map_err(|_| VersionError::Invalid(raw.to_owned()))?;
        if !(2..=3).contains(&version.major()) {
            return Err(VersionError::Unsupported(raw.to_owned()));
        }
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_refuses_other_majors() {
        let v = Version::from_spec(Some("v2.45")).unwrap();
        assert!(v.supports(Feature::GlobalScrapeLimits));
        assert!(!v.supports(Feature::TrackTimestampsStaleness));
        assert_eq!(Version::from_spec(None).unwrap().major(), 3);
        assert_eq!(Version::from_spec(Some("")).unwrap().to_string(), "3.14.0");
        assert!(Version::from_spec(Some("1.8.0")).is_err());
        assert!(Version::from_spec(Some("latest")).is_err());
    }

    #[test]
    fn pre_releases_precede_releases() {
        let rc = Version::from_spec(Some("v3.0.0-rc.1")).unwrap();
        assert!(rc.supports(Feature::PrometheusText1));
        assert!(!rc.supports(Feature::FallbackScrapeProtocol));
        assert!(rc.supports(Feature::Utf8LabelNames));
        assert!(!rc.supports(Feature::RuleUtf8Names));
    }

    #[test]
    fn removed_features() {
        let v = |s| Version::from_spec(Some(s)).unwrap();
        assert!(v("2.10.0").supports(Feature::QueueMaxRetries));
        assert!(!v("2.11.0").supports(Feature::QueueMaxRetries));
        assert!(v("2.38.9").supports(Feature::AllowOverlappingBlocksFlag));
        assert!(!v("2.39.0").supports(Feature::AllowOverlappingBlocksFlag));
        assert!(!v("2.10.0").supports(Feature::AllowOverlappingBlocksFlag));
        assert_eq!(
            v("2.53.0").requires(Feature::Otlp).unwrap_err().min_version,
            "2.55.0"
        );
    }
}
