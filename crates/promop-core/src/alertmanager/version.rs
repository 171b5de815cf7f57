//! The Alertmanager version of `spec.version`. Its gates are in
//! [`crate::version::alertmanager`]: callers ask [`Version::supports`] with
//! a [`Feature`] instead of comparing versions.
use crate::select::reasons::RejectionKind;
pub use crate::version::DEFAULT_ALERTMANAGER_VERSION;
pub use crate::version::alertmanager::Feature;

/// A parsed `spec.version`.
pub type Version = crate::version::Version<Feature>;

/// [`Version::requires`] as a rejection: when the version lacks `feature`,
/// a [`RejectionKind::TooOld`] worded by `message` from the first version
/// with it.
pub fn needs(
    version: &Version,
    feature: Feature,
    message: impl FnOnce(&'static str) -> String,
) -> Result<(), RejectionKind> {
    version.requires(feature).map_err(|too_old| {
        let message = message(too_old.min_version);
        RejectionKind::too_old(too_old, message)
    })
}

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
