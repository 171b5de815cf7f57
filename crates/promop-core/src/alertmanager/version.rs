//! The Alertmanager version of `spec.version`. Its gates are in
//! [`crate::version::alertmanager`]: callers ask [`Version::supports`] with
//! a [`Feature`] instead of comparing versions.
pub use crate::version::DEFAULT_ALERTMANAGER_VERSION;
pub use crate::version::alertmanager::Feature;

/// A parsed `spec.version`.
pub type Version = crate::version::Version<Feature>;

pub use crate::version::needs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_parsing() {
        assert_eq!(Version::parse("v0.28.1").unwrap().to_string(), "0.28.1");
        assert_eq!(Version::parse("0.25").unwrap().to_string(), "0.25.0");
        assert!(Version::parse("latest").is_err());
        assert!(
            Version::parse("0.22.0")
                .unwrap()
                .supports(Feature::MatchersV2)
        );
        assert!(
            !Version::parse("0.21.9")
                .unwrap()
                .supports(Feature::MatchersV2)
        );
    }
}
