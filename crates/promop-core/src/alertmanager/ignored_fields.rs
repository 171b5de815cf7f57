//! Duration fields of an Alertmanager's spec that the reference (v0.94)
//! discards when they are zero or negative: Alertmanager refuses such flags
//! and would not start. The discarded fields are named in the `Reconciled`
//! condition (reason `IgnoredFields`).
use promop_api::common::GoDuration;
use promop_api::v1::AlertmanagerSpec;

/// The reason of the `Reconciled` condition when some fields are ignored.
pub const REASON: &str = "IgnoredFields";

/// The durations checked, by their CRD names.
fn durations(spec: &AlertmanagerSpec) -> [(&'static str, &Option<GoDuration>); 4] {
    [
        ("retention", &spec.retention),
        ("clusterGossipInterval", &spec.cluster_gossip_interval),
        ("clusterPushpullInterval", &spec.cluster_pushpull_interval),
        ("clusterPeerTimeout", &spec.cluster_peer_timeout),
    ]
}

/// The value to pass as a flag: set, and not discarded.
pub fn kept(value: &Option<GoDuration>) -> Option<&str> {
    value
        .as_ref()
        .map(|d| d.0.as_str())
        .filter(|d| !d.is_empty() && !not_positive(d))
}

/// The condition's message, when a field is discarded.
pub fn message(spec: &AlertmanagerSpec) -> Option<String> {
    let ignored: Vec<String> = durations(spec)
        .into_iter()
        .filter(|(_, v)| v.as_ref().is_some_and(|d| not_positive(&d.0)))
        .map(|(name, _)| format!("{name} (zero value not supported)"))
        .collect();
    (!ignored.is_empty())
        .then(|| format!("The following fields were ignored: {}", ignored.join(", ")))
}

/// Whether `text` is a valid Go duration (`time.ParseDuration`) of at most
/// zero; text that does not parse is left alone (passed on as given).
fn not_positive(text: &str) -> bool {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return true;
    }
    let mut rest = rest;
    let mut nonzero = false;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." {
            return false;
        }
        nonzero |= number.bytes().any(|b| (b'1'..=b'9').contains(&b));
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        if !matches!(
            &rest[..unit_end],
            "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h"
        ) {
            return false;
        }
        rest = &rest[unit_end..];
    }
    negative || !nonzero
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_negative_durations_are_not_positive() {
        for zero in ["0", "0s", "0h0m", "0ms", "-1s", "-0", "0.0s"] {
            assert!(not_positive(zero), "{zero}");
        }
        for kept in ["1s", "400ms", "0h1m", "0.5s", "", "abc", "5", "1x", "-"] {
            assert!(!not_positive(kept), "{kept}");
        }
    }

    #[test]
    fn discarded_fields_are_named_in_the_crd_order() {
        let spec: AlertmanagerSpec = serde_saphyr::from_str(
            "{retention: 0s, clusterGossipInterval: 200ms, clusterPeerTimeout: '0'}",
        )
        .expect("spec");
        assert_eq!(
            message(&spec).as_deref(),
            Some(
                "The following fields were ignored: retention (zero value not supported), \
                 clusterPeerTimeout (zero value not supported)"
            )
        );
        assert_eq!(kept(&spec.retention), None);
        assert_eq!(kept(&spec.cluster_gossip_interval), Some("200ms"));
        let fine: AlertmanagerSpec = serde_saphyr::from_str("{retention: 24h}").expect("spec");
        assert_eq!(message(&fine), None);
    }
}
