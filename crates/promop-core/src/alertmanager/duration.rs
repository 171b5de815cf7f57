//! `model.Duration` of prometheus/common: the reference parses the
//! durations of receivers and of the global section and prints them in the
//! canonical form (`90s` becomes `1m30s`).
use crate::select::reasons::RejectionKind;
use crate::select::validate::duration::parse_duration as parse_ms;

/// Parses a duration (milliseconds).
pub fn parse(text: &str) -> Result<u128, RejectionKind> {
    parse_ms(text)
}

/// The canonical text: years and weeks only when they divide exactly.
pub fn format(ms: u128) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    const UNITS: [(&str, u128, bool); 7] = [
        ("y", 365 * 24 * 3_600_000, true),
        ("w", 7 * 24 * 3_600_000, true),
        ("d", 24 * 3_600_000, false),
        ("h", 3_600_000, false),
        ("m", 60_000, false),
        ("s", 1_000, false),
        ("ms", 1, false),
    ];
    let mut rest = ms;
    let mut out = String::new();
    for (unit, size, exact) in UNITS {
        if exact && !rest.is_multiple_of(size) {
            continue;
        }
        let n = rest / size;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
            rest -= n * size;
        }
    }
    out
}

/// Parses and prints a duration the way `model.Duration` round-trips it.
pub fn canonical(text: &str) -> Result<String, RejectionKind> {
    parse(text).map(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        for (text, printed) in [
            ("90s", "1m30s"),
            ("0", "0s"),
            ("14d", "2w"),
            ("15d", "15d"),
            ("1500ms", "1s500ms"),
        ] {
            assert_eq!(canonical(text), Ok(printed.to_owned()));
        }
        assert!(canonical("5x").is_err());
    }
}
