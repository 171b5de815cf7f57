//! Prometheus durations (`model.ParseDuration`), for comparing scrape
//! timeouts to intervals.
use std::sync::LazyLock;

use regex::Regex;

use crate::select::reasons::RejectionKind;

static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$")
        .expect("static regex")
});

/// Milliseconds per unit, in the order of the pattern's groups.
const UNIT_MS: [u128; 7] = [
    365 * 24 * 3_600_000,
    7 * 24 * 3_600_000,
    24 * 3_600_000,
    3_600_000,
    60_000,
    1_000,
    1,
];

/// The duration in milliseconds.
pub fn parse_duration(input: &str) -> Result<u128, RejectionKind> {
    match input {
        "" => return Err("empty duration string".into()),
        "0" => return Ok(0),
        _ => {}
    }
    let invalid = || format!("not a valid duration string: {input:?}");
    let captures = DURATION.captures(input).ok_or_else(invalid)?;
    let mut total: u128 = 0;
    for (i, unit) in UNIT_MS.iter().enumerate() {
        if let Some(m) = captures.get(i + 1) {
            let n: u128 = m.as_str().parse().map_err(|_| invalid())?;
            total = total.saturating_add(n.saturating_mul(*unit));
        }
    }
    // Go's time.Duration overflows beyond ~292 years.
    if total > i64::MAX as u128 / 1_000_000 {
        return Err(format!("duration out of range: {input:?}").into());
    }
    Ok(total)
}

/// The reference's `CompareScrapeTimeoutToScrapeInterval`.
pub fn compare_timeout_to_interval(timeout: &str, interval: &str) -> Result<(), RejectionKind> {
    let interval_ms = parse_duration(interval)
        .map_err(|e| e.context(&format!("invalid scrapeInterval {interval:?}")))?;
    let timeout_ms = parse_duration(timeout)
        .map_err(|e| e.context(&format!("invalid scrapeTimeout: {timeout:?}")))?;
    if timeout_ms > interval_ms {
        return Err(
            format!("scrapeTimeout {timeout:?} greater than scrapeInterval {interval:?}").into(),
        );
    }
    Ok(())
}
