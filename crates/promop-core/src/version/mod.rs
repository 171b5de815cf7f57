//! Product versions (Prometheus, Alertmanager, Thanos) and their version
//! gates: one tolerant parser, one default version per product and one table
//! of gates per product.
//!
//! Every setting that only some versions of a product understand is a
//! variant of that product's `Feature` enum ([`prometheus::Feature`],
//! [`alertmanager::Feature`], [`thanos::Feature`]) and the enum's
//! [`Gate::range`] is the table: the first version with the feature and, for
//! a feature that was removed, the first version without it. Generators and
//! validators never compare versions themselves: they ask
//! `version.supports(Feature::X)`, and a message that quotes the version
//! takes it from `Feature::X.minimum()` (or [`Version::requires`]), so a gate
//! and its message cannot disagree.
//!
//! To add a gate: add a variant named after the CRD field or setting to the
//! product's `Feature`, give its versions in that enum's `range` (the
//! reference's gate, e.g. `"2.54.0"`, or `("2.11.0", Some("2.39.0"))` for a
//! setting that existed only in between), and call
//! `version.supports(Feature::X)` where the setting is checked or written.
use std::cmp::Ordering;
use std::fmt;
use std::marker::PhantomData;

pub mod alertmanager;
pub mod prometheus;
pub mod thanos;

/// The reference's `operator.DefaultPrometheusVersion`.
pub const DEFAULT_PROMETHEUS_VERSION: &str = "v3.14.0";
/// The reference's `operator.DefaultAlertmanagerVersion`.
pub const DEFAULT_ALERTMANAGER_VERSION: &str = "v0.34.0";
/// The reference's `operator.DefaultThanosVersion`.
pub const DEFAULT_THANOS_VERSION: &str = "v0.42.4";

/// A product's feature with the versions that have it.
pub trait Gate: Copy {
    /// The first version with the feature and, when it was removed, the
    /// first version without it.
    fn range(self) -> (&'static str, Option<&'static str>);

    /// The first version with the feature, as messages quote it.
    fn minimum(self) -> &'static str {
        self.range().0
    }
}

/// Declares a product's `Feature` enum and its table in one place:
/// `Variant => "minimum"` or `Variant => "minimum".."removed"`.
macro_rules! gates {
    (
        $(#[$meta:meta])*
        pub enum Feature {
            $( $(#[$variant_meta:meta])* $variant:ident => $minimum:literal $(.. $removed:literal)?, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Feature {
            $( $(#[$variant_meta])* $variant, )*
        }

        impl Feature {
            /// Every feature, in table order.
            pub const ALL: &[Feature] = &[$(Feature::$variant),*];
        }

        impl $crate::version::Gate for Feature {
            fn range(self) -> (&'static str, Option<&'static str>) {
                match self {
                    $( Feature::$variant => ($minimum, None $(.or(Some($removed)))?), )*
                }
            }
        }
    };
}
pub(crate) use gates;

/// A parsed version of the product whose features are `F`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version<F> {
    semver: semver::Version,
    gates: PhantomData<fn(F)>,
}

/// A feature the version lacks: the feature and the first version with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooOld<F> {
    pub feature: F,
    pub min_version: &'static str,
}

impl<F: Gate> Version<F> {
    /// Parses like the reference's `semver.ParseTolerant`; the error is the
    /// parser's reason (a plain one: each caller words its own message,
    /// often without it, e.g. `failed to parse Prometheus version …`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_tolerant(raw).map(Self::from)
    }

    pub fn major(&self) -> u64 {
        self.semver.major
    }

    /// The parsed version.
    pub fn semver(&self) -> &semver::Version {
        &self.semver
    }

    /// Whether this version understands `feature` (semver precedence:
    /// pre-releases come before their release, build metadata is ignored).
    pub fn supports(&self, feature: F) -> bool {
        supports(&self.semver, feature)
    }

    /// [`Self::supports`], or the feature with its minimum version.
    pub fn requires(&self, feature: F) -> Result<(), TooOld<F>> {
        if self.supports(feature) {
            return Ok(());
        }
        Err(TooOld {
            feature,
            min_version: feature.minimum(),
        })
    }
}

/// [`Version::requires`] as a rejection: when the version lacks `feature`,
/// a [`RejectionKind::TooOld`](crate::select::reasons::RejectionKind) worded
/// by `message` from the first version with it.
pub fn needs<F: Gate + std::fmt::Debug>(
    version: &Version<F>,
    feature: F,
    message: impl FnOnce(&'static str) -> String,
) -> Result<(), crate::select::reasons::RejectionKind> {
    version.requires(feature).map_err(|too_old| {
        let message = message(too_old.min_version);
        crate::select::reasons::RejectionKind::too_old(too_old, message)
    })
}

/// Whether `version` of a product understands its `feature`, for callers
/// that hold a version of either of two products (rule files).
pub fn supports<F: Gate>(version: &semver::Version, feature: F) -> bool {
    let not_before = |gate: &str| {
        let gate = parse_tolerant(gate).expect("the gate tables hold valid versions");
        version.cmp_precedence(&gate) != Ordering::Less
    };
    let (minimum, removed) = feature.range();
    not_before(minimum) && removed.is_none_or(|removed| !not_before(removed))
}

impl<F> From<semver::Version> for Version<F> {
    fn from(semver: semver::Version) -> Self {
        Self {
            semver,
            gates: PhantomData,
        }
    }
}

/// The version without `v` (`3.5.0`), as in image tags after a `v` and in
/// the pods' `app.kubernetes.io/version` label.
impl<F> fmt::Display for Version<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.semver.fmt(f)
    }
}

/// The one version parser, blang/semver's `ParseTolerant`: spaces and a
/// leading `v` are dropped, leading zeros removed (`v2.045` is 2.45.0) and
/// missing minor or patch numbers taken as 0 (`v2.45` is 2.45.0); a short
/// version cannot carry a pre-release or build suffix. The error is the
/// parser's plain reason, which [`Version::parse`]'s callers word.
pub fn parse_tolerant(input: &str) -> Result<semver::Version, String> {
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
            return Err("short version cannot contain PreRelease/Build meta data".to_owned());
        }
        parts.resize(3, "0".to_owned());
    }
    semver::Version::parse(&parts.join(".")).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_blang_parse_tolerant() {
        let parse = |s| parse_tolerant(s).map(|v| v.to_string());
        assert_eq!(parse("v2.45"), Ok("2.45.0".to_owned()));
        assert_eq!(parse(" 3.13.1 "), Ok("3.13.1".to_owned()));
        assert_eq!(parse("v2.045.00"), Ok("2.45.0".to_owned()));
        assert_eq!(parse("v0.28.1"), Ok("0.28.1".to_owned()));
        assert_eq!(parse("v3.0.0-rc.0"), Ok("3.0.0-rc.0".to_owned()));
        assert!(parse("v2.45-rc.0").is_err());
        assert!(parse("latest").is_err());
        assert!(parse("1.2.3.4").is_err());
    }

    #[test]
    fn every_gate_parses() {
        let check = |(min, max): (&str, Option<&str>)| {
            assert!(parse_tolerant(min).is_ok(), "{min}");
            assert!(max.is_none_or(|m| parse_tolerant(m).is_ok()), "{max:?}");
        };
        prometheus::Feature::ALL
            .iter()
            .for_each(|f| check(f.range()));
        alertmanager::Feature::ALL
            .iter()
            .for_each(|f| check(f.range()));
        thanos::Feature::ALL.iter().for_each(|f| check(f.range()));
    }
}
