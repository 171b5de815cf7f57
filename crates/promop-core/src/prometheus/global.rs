//! The `global` section (intervals, external labels, global limits, name
//! validation, histogram defaults) and the `runtime` section.
use std::collections::BTreeMap;

use promop_api::common::{NameEscapingScheme, NameValidationScheme};

use super::version::Feature;
use super::{Context, RejectedObject, scrape, sharding};
use crate::yaml::{Mapping, Node};

const PROMETHEUS_LABEL: &str = "prometheus";
const REPLICA_LABEL: &str = "prometheus_replica";
const ZONE_LABEL: &str = "zone";
/// Relative log files go to the log volume.
const LOG_DIR: &str = "/var/log/prometheus";

/// Refuses a global scrape timeout longer than the scrape interval.
pub(crate) fn validate_scrape_timeout(ctx: &Context<'_>) -> Result<(), RejectedObject> {
    let cpf = ctx.workload.common();
    let Some(timeout) = cpf.scrape_timeout.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let interval = cpf.scrape_interval.as_deref().unwrap_or_default();
    let invalid = |m: String| {
        Err(RejectedObject::invalid(
            &ctx.workload,
            "spec.scrapeTimeout",
            m,
        ))
    };
    let Some(i) = parse_duration_ms(interval) else {
        return invalid(format!("invalid scrapeInterval {interval:?}"));
    };
    let Some(t) = parse_duration_ms(timeout) else {
        return invalid(format!("invalid scrapeTimeout: {timeout:?}"));
    };
    if t > i {
        return invalid(format!(
            "scrapeTimeout {timeout:?} greater than scrapeInterval {interval:?}"
        ));
    }
    Ok(())
}

/// The `global` section.
pub(crate) fn section(ctx: &Context<'_>) -> Mapping {
    let cpf = ctx.workload.common();
    let v = &ctx.version;
    let mut g = Mapping::new();
    g.insert(
        "scrape_interval",
        cpf.scrape_interval.as_deref().unwrap_or_default(),
    );
    g.insert_opt(
        "scrape_timeout",
        cpf.scrape_timeout.as_deref().filter(|t| !t.is_empty()),
    );
    scrape::append_scrape_protocols(&mut g, v, cpf.scrape_protocols.as_deref());
    g.insert("external_labels", external_labels(ctx));
    append_limits(&mut g, ctx);
    if v.supports(Feature::ScrapeFailureLogFile) {
        g.insert_opt(
            "scrape_failure_log_file",
            cpf.scrape_failure_log_file.as_deref().map(log_file_path),
        );
    }
    if v.supports(Feature::MetricNameValidationScheme) {
        g.insert_opt(
            "metric_name_validation_scheme",
            cpf.name_validation_scheme.map(|s| match s {
                NameValidationScheme::Utf8 => "utf8",
                NameValidationScheme::Legacy => "legacy",
            }),
        );
    }
    if v.supports(Feature::MetricNameEscapingScheme) {
        g.insert_opt(
            "metric_name_escaping_scheme",
            cpf.name_escaping_scheme.map(|s| match s {
                NameEscapingScheme::AllowUtf8 => "allow-utf-8",
                NameEscapingScheme::Underscores => "underscores",
                NameEscapingScheme::Dots => "dots",
                NameEscapingScheme::Values => "values",
            }),
        );
    }
    for (feature, key, value) in [
        (
            Feature::GlobalConvertClassicHistogramsToNhcb,
            "convert_classic_histograms_to_nhcb",
            cpf.convert_classic_histograms_to_nhcb,
        ),
        (
            Feature::GlobalAlwaysScrapeClassicHistograms,
            "always_scrape_classic_histograms",
            cpf.scrape_classic_histograms,
        ),
        (
            Feature::GlobalScrapeNativeHistograms,
            "scrape_native_histograms",
            cpf.scrape_native_histograms,
        ),
    ] {
        if v.supports(feature) {
            g.insert_opt(key, value);
        }
    }
    if let Some(spec) = ctx.workload.server() {
        g.insert(
            "evaluation_interval",
            spec.evaluation_interval.as_deref().unwrap_or_default(),
        );
        if v.supports(Feature::RuleQueryOffset) {
            g.insert_opt("rule_query_offset", spec.rule_query_offset.as_deref());
        }
        if v.supports(Feature::QueryLogFile) {
            g.insert_opt(
                "query_log_file",
                spec.query_log_file
                    .as_deref()
                    .filter(|f| !f.is_empty())
                    .map(log_file_path),
            );
        }
    }
    g
}

/// External labels: the workload's identity, the replica (the pod name,
/// substituted at runtime), the topology zone, then the user's labels,
/// which cannot override the former. Printed sorted (a Go map).
fn external_labels(ctx: &Context<'_>) -> Mapping {
    let cpf = ctx.workload.common();
    let mut labels = BTreeMap::new();
    let prometheus = cpf
        .prometheus_external_label_name
        .as_deref()
        .unwrap_or(PROMETHEUS_LABEL);
    if !prometheus.is_empty() {
        let id = format!("{}/{}", ctx.workload.namespace(), ctx.workload.name());
        labels.insert(prometheus.to_owned(), id);
    }
    let replica = cpf
        .replica_external_label_name
        .as_deref()
        .unwrap_or(REPLICA_LABEL);
    if !replica.is_empty() {
        labels.insert(replica.to_owned(), "$(POD_NAME)".to_owned());
    }
    if let Some(topology) = sharding::topology_strategy(ctx) {
        let zone = topology
            .external_label_name
            .as_deref()
            .unwrap_or(ZONE_LABEL);
        if !zone.is_empty() {
            labels.insert(
                zone.to_owned(),
                format!("$({})", sharding::TOPOLOGY_ZONE_ENV),
            );
        }
    }
    for (k, v) in cpf.external_labels.iter().flatten() {
        labels.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Mapping::sorted(labels)
}

/// Global scrape limits (Prometheus >= 2.45): the workload's limit capped by
/// the enforced one, or the enforced one alone.
fn append_limits(g: &mut Mapping, ctx: &Context<'_>) {
    let cpf = ctx.workload.common();
    let v = &ctx.version;
    if !v.supports(Feature::GlobalScrapeLimits) {
        return;
    }
    let body = cpf.body_size_limit.as_ref().or(cpf
        .enforced_body_size_limit
        .as_ref()
        .filter(|b| !b.is_empty()));
    g.insert_opt("body_size_limit", body.map(|b| b.to_string()));
    let limits = [
        ("sample_limit", cpf.sample_limit, cpf.enforced_sample_limit),
        ("target_limit", cpf.target_limit, cpf.enforced_target_limit),
        ("label_limit", cpf.label_limit, cpf.enforced_label_limit),
        (
            "label_name_length_limit",
            cpf.label_name_length_limit,
            cpf.enforced_label_name_length_limit,
        ),
        (
            "label_value_length_limit",
            cpf.label_value_length_limit,
            cpf.enforced_label_value_length_limit,
        ),
    ];
    for (key, limit, enforced) in limits {
        g.insert_opt(key, global_limit(limit, enforced));
    }
    if v.supports(Feature::GlobalKeepDroppedTargets) {
        g.insert_opt(
            "keep_dropped_targets",
            global_limit(cpf.keep_dropped_targets, cpf.enforced_keep_dropped_targets),
        );
    }
}

fn global_limit(limit: Option<i64>, enforced: Option<i64>) -> Option<i64> {
    let positive = |l: Option<i64>| l.filter(|l| *l > 0);
    match (positive(limit), positive(enforced)) {
        (Some(l), Some(e)) => Some(l.min(e)),
        (Some(l), None) => Some(l),
        (None, e) => e,
    }
}

/// Appends `runtime` (Prometheus >= 2.53).
pub(crate) fn append_runtime(cfg: &mut Mapping, ctx: &Context<'_>) {
    let Some(runtime) = &ctx.workload.common().runtime else {
        return;
    };
    if !ctx.version.supports(Feature::Runtime) {
        return;
    }
    let mut m = Mapping::new();
    m.insert_opt("gogc", runtime.go_gc);
    cfg.insert("runtime", m);
}

/// A log file given by name only is written to the log volume.
pub(crate) fn log_file_path(file: &str) -> Node {
    let name = file.strip_prefix("./").unwrap_or(file);
    if !file.is_empty() && !name.contains('/') {
        Node::from(format!("{LOG_DIR}/{name}"))
    } else {
        Node::from(file)
    }
}

/// A Prometheus duration (`1h30m`, `15s`, `0`) in milliseconds.
pub(crate) fn parse_duration_ms(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    if text.is_empty() {
        return None;
    }
    // In the only order Prometheus accepts them.
    let units: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let mut rest = text;
    let mut total: u64 = 0;
    let mut last_unit = 0usize;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = if rest.starts_with("ms") {
            "ms"
        } else {
            rest.get(..1)?
        };
        let (index, factor) = units
            .iter()
            .enumerate()
            .find(|(_, (u, _))| *u == unit)
            .map(|(i, (_, f))| (i + 1, *f))?;
        // Units must come in decreasing order, each at most once.
        if index <= last_unit {
            return None;
        }
        last_unit = index;
        rest = &rest[unit.len()..];
        total = total.checked_add(number.checked_mul(factor)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("1m30s"), Some(90_000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("30s1m"), None);
        assert_eq!(parse_duration_ms("abc"), None);
    }

    #[test]
    fn global_limits_are_capped_by_enforced_ones() {
        assert_eq!(global_limit(Some(100), Some(50)), Some(50));
        assert_eq!(global_limit(None, Some(50)), Some(50));
        assert_eq!(global_limit(Some(10), None), Some(10));
        assert_eq!(global_limit(Some(0), None), None);
    }
}
