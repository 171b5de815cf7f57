//! `storage`: exemplars and TSDB settings (out-of-order window, stale series
//! compaction, chunk encoding, retention).
use promop_api::v1::PrometheusSpec;
use promop_api::v1::prometheus::{ChunkEncodingFloats, TsdbSpec};

use super::version::Feature;
use super::{Context, RejectedObject};
use crate::yaml::{Mapping, Node};

/// The retention when none of a time, a size and a percentage is set.
const DEFAULT_RETENTION: &str = "24h";

/// Appends `storage` of a Prometheus server.
pub(crate) fn append(
    cfg: &mut Mapping,
    ctx: &Context<'_>,
    spec: &PrometheusSpec,
) -> Result<(), RejectedObject> {
    let percentage_text = spec.retention_percentage.as_ref().map(|q| q.0.as_str());
    let tsdb_spec = validated_tsdb(ctx, percentage_text)?;
    let percentage = percentage_text.map(approximate_float);
    let version = &ctx.version;
    let mut storage = Mapping::new();
    if let Some(max) = spec.exemplars.as_ref().and_then(|e| e.max_size) {
        let mut exemplars = Mapping::new();
        exemplars.insert("max_exemplars", max);
        storage.insert("exemplars", exemplars);
    }

    let mut tsdb = Mapping::new();
    if let Some(spec) = tsdb_spec {
        if version.supports(Feature::OutOfOrderTimeWindow) {
            tsdb.insert_opt(
                "out_of_order_time_window",
                spec.out_of_order_time_window.as_deref(),
            );
        }
        if version.supports(Feature::StaleSeriesCompactionThreshold) {
            tsdb.insert_opt(
                "stale_series_compaction_threshold",
                stale_series_threshold(spec),
            );
        }
        if version.supports(Feature::ChunkEncoding) {
            tsdb.insert_opt("chunk_encoding", chunk_encoding(spec));
        }
    }
    let mut retention = Mapping::new();
    if version.supports(Feature::RetentionConfig) {
        let time = spec.retention.as_deref().unwrap_or_default();
        let size = spec.retention_size.as_deref().unwrap_or_default();
        // A zero percentage disables percentage-based retention.
        let by_percentage = percentage.is_some_and(|p| p != 0.0);
        if time.is_empty() && size.is_empty() && !by_percentage {
            retention.insert("time", DEFAULT_RETENTION);
        } else if !time.is_empty() {
            retention.insert("time", time);
        }
        if !size.is_empty() {
            retention.insert("size", size);
        }
        // Only the configuration file has it (no flag before 3.11).
        retention.insert_opt("percentage", percentage);
    }
    if !retention.is_empty() {
        tsdb.insert("retention", retention);
    }
    if !tsdb.is_empty() {
        storage.insert("tsdb", tsdb);
    }
    if !storage.is_empty() && version.supports(Feature::Storage) {
        cfg.insert("storage", storage);
    }
    Ok(())
}

/// Appends `storage` of a Prometheus agent. Like the reference, each TSDB
/// setting gets its own `storage` section (Prometheus keeps the last one).
pub(crate) fn append_agent(cfg: &mut Mapping, ctx: &Context<'_>) -> Result<(), RejectedObject> {
    let Some(spec) = validated_tsdb(ctx, None)? else {
        return Ok(());
    };
    let version = &ctx.version;
    let settings = [
        (
            Feature::AgentOutOfOrderTimeWindow,
            "out_of_order_time_window",
            spec.out_of_order_time_window.as_deref().map(Node::from),
        ),
        (
            Feature::StaleSeriesCompactionThreshold,
            "stale_series_compaction_threshold",
            stale_series_threshold(spec).map(Node::from),
        ),
        (
            Feature::ChunkEncoding,
            "chunk_encoding",
            chunk_encoding(spec).map(Node::from),
        ),
    ];
    for (feature, key, value) in settings {
        let Some(value) = value else { continue };
        if version.supports(feature) {
            let mut tsdb = Mapping::new();
            tsdb.insert(key, value);
            let mut storage = Mapping::new();
            storage.insert("tsdb", tsdb);
            cfg.insert("storage", storage);
        }
    }
    Ok(())
}

/// The TSDB settings, refused when the stale series threshold is not a
/// fraction, the retention percentage (a server's) not a percentage or the
/// chunk encoding conflicts with a feature flag, checked in that order.
fn validated_tsdb<'a>(
    ctx: &Context<'a>,
    retention_percentage: Option<&str>,
) -> Result<Option<&'a TsdbSpec>, RejectedObject> {
    let common = ctx.workload.common();
    let tsdb = common.tsdb.as_ref();
    if let Some(threshold) = tsdb.and_then(|t| t.stale_series_compaction_threshold.as_ref()) {
        let value = approximate_float(&threshold.0);
        if !(0.0..=1.0).contains(&value) {
            return Err(RejectedObject::invalid(
                &ctx.workload,
                "spec.tsdb.staleSeriesCompactionThreshold",
                format!("must be between 0 and 1, got {}", threshold.0),
            ));
        }
    }
    if let Some(percentage) = retention_percentage
        && !(0.0..=100.0).contains(&approximate_float(percentage))
    {
        return Err(RejectedObject::invalid(
            &ctx.workload,
            "spec.retentionPercentage",
            format!("must be between 0 and 100, got {percentage}"),
        ));
    }
    // XOR chunks do not store the start timestamps that st-storage needs.
    let xor = tsdb
        .and_then(|t| t.chunk_encoding.as_ref())
        .and_then(|c| c.floats)
        == Some(ChunkEncodingFloats::Xor);
    let st_storage = common
        .enable_features
        .iter()
        .flatten()
        .any(|f| f == "st-storage");
    if xor && st_storage {
        return Err(RejectedObject::invalid(
            &ctx.workload,
            "spec.tsdb.chunkEncoding.floats",
            "chunk encoding \"Xor\" is incompatible with --enable-feature=st-storage",
        ));
    }
    Ok(tsdb)
}

fn stale_series_threshold(spec: &TsdbSpec) -> Option<f64> {
    spec.stale_series_compaction_threshold
        .as_ref()
        .map(|q| approximate_float(&q.0))
}

fn chunk_encoding(spec: &TsdbSpec) -> Option<Mapping> {
    let floats = spec.chunk_encoding.as_ref()?.floats?;
    let mut m = Mapping::new();
    m.insert(
        "floats",
        match floats {
            ChunkEncodingFloats::Xor => "xor",
            ChunkEncodingFloats::Xor2 => "xor2",
        },
    );
    Some(m)
}

/// A Kubernetes quantity (`0.5`, `500m`, `1e-1`, `2Ki`) as a float, like
/// `resource.Quantity.AsApproximateFloat64`; 0 when it does not parse.
pub(crate) fn approximate_float(quantity: &str) -> f64 {
    let q = quantity.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let Ok(number) = number.parse::<f64>() else {
        return 0.0;
    };
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => match s[1..].parse::<i32>() {
            Ok(exp) => 10f64.powi(exp),
            Err(_) => return 0.0,
        },
        _ => return 0.0,
    };
    number * factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_as_floats() {
        assert_eq!(approximate_float("0.5"), 0.5);
        assert_eq!(approximate_float("500m"), 0.5);
        assert_eq!(approximate_float("1e-1"), 0.1);
        assert_eq!(approximate_float("2Ki"), 2048.0);
        assert_eq!(approximate_float("bogus"), 0.0);
    }
}
