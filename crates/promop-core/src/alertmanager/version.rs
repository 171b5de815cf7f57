//! The Alertmanager version of `spec.version`, and the version gates of the
//! configuration in one table-driven place.
use std::fmt;

/// The version the reference assumes when `spec.version` is unset.
pub const DEFAULT_VERSION: &str = "v0.33.1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Version {
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// `semver.ParseTolerant`: an optional `v`, missing minor/patch as 0,
    /// pre-release and build suffixes ignored for ordering here.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim().trim_start_matches('v');
        let core = trimmed.split(['-', '+']).next().unwrap_or_default();
        let mut parts = core.split('.');
        let mut next = |required: bool| -> Result<u64, String> {
            match parts.next() {
                Some(p) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => {
                    if p.len() > 1 && p.starts_with('0') {
                        return Err(format!(
                            "Numeric component must not contain leading zeroes {p:?}"
                        ));
                    }
                    p.parse().map_err(|e| format!("{e}"))
                }
                None if !required => Ok(0),
                _ => Err(format!("Invalid character(s) found in version {text:?}")),
            }
        };
        let major = next(true)?;
        let minor = next(false)?;
        let patch = next(false)?;
        if parts.next().is_some() {
            return Err(format!("Invalid character(s) found in version {text:?}"));
        }
        Ok(Self::new(major, minor, patch))
    }

    pub fn at_least(&self, minor: u64) -> bool {
        *self >= Version::new(0, minor, 0)
    }

    /// `name="value"` matchers, mute time intervals.
    pub fn matchers_v2(&self) -> bool {
        self.at_least(22)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_parsing() {
        assert_eq!(Version::parse("v0.28.1"), Ok(Version::new(0, 28, 1)));
        assert_eq!(Version::parse("0.25"), Ok(Version::new(0, 25, 0)));
        assert!(Version::parse("latest").is_err());
        assert!(Version::new(0, 22, 0).matchers_v2());
        assert!(!Version::new(0, 21, 9).matchers_v2());
    }
}
