//! Propagation latency: one config object changed again and again, each
//! change timed until the operator's output holds it.
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::{Api, Client};
use promop_testenv::bench::text;
use serde_json::{Value, json};

use super::Running;
use super::watch::ContentWatch;

/// Pause between a change's arrival and the next change, so that changes
/// never coalesce in an operator's work queue.
const CHANGE_GAP: Duration = Duration::from_millis(500);

/// `count` changes of `object` (a `monitoring.coreos.com/v1` object), one at
/// a time, server-side applied: `mark` writes a distinct marker into a copy
/// of it. A sample is the time from the apply call returning until `watch`
/// delivers a text that contains the marker.
pub async fn latencies(
    client: &Client,
    op: &mut Running,
    watch: &mut ContentWatch,
    object: &Value,
    count: usize,
    timeout: Duration,
    mark: impl Fn(&mut Value, &str) -> Result<()>,
) -> Result<Vec<Duration>> {
    let gvk = GroupVersionKind::gvk("monitoring.coreos.com", "v1", text(object, "/kind"));
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        text(object, "/metadata/namespace"),
        &ApiResource::from_gvk(&gvk),
    );
    let name = text(object, "/metadata/name");
    let pp = PatchParams::apply("promop-bench").force();
    let mut samples = Vec::with_capacity(count);
    for i in 1..=count {
        let marker = format!("bench-change-{i:03}");
        let mut changed = object.clone();
        mark(&mut changed, &marker)?;
        api.patch(name, &pp, &Patch::Apply(&changed))
            .await
            .with_context(|| format!("applying change {i} to {}", gvk.kind))?;
        let applied = Instant::now();
        let (arrived, _) = watch
            .wait_for(op, timeout, |c| c.contains(&marker))
            .await
            .with_context(|| format!("change {i} ({marker}) of {} {name}", gvk.kind))?;
        samples.push(arrived.saturating_duration_since(applied));
        op.idle(CHANGE_GAP).await?;
    }
    Ok(samples)
}

/// A relabeling of the first endpoint whose replacement is the marker.
pub fn relabel_service_monitor(monitor: &mut Value, marker: &str) -> Result<()> {
    monitor
        .pointer_mut("/spec/endpoints/0/relabelings")
        .and_then(Value::as_array_mut)
        .context("the changed ServiceMonitor has no relabelings")?
        .push(json!({"targetLabel": "bench_change", "replacement": marker}));
    Ok(())
}

/// The marker as the first rule's `bench_change` label.
pub fn label_rule(rule: &mut Value, marker: &str) -> Result<()> {
    let first = rule
        .pointer_mut("/spec/groups/0/rules/0")
        .and_then(Value::as_object_mut)
        .context("the changed PrometheusRule has no rule")?;
    first.insert("labels".into(), json!({"bench_change": marker}));
    Ok(())
}

/// p50/p99 (nearest rank; with 50 samples p99 is the maximum), min, mean
/// and max of `samples`, in milliseconds, under `prefix`.
pub fn summary(prefix: &str, samples: &[Duration]) -> serde_json::Map<String, Value> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len().max(1) as u32;
    let mut out = serde_json::Map::new();
    let mut put = |key: &str, d: Duration| {
        out.insert(format!("{prefix}{key}_ms"), json!(millis(d)));
    };
    if let (Some(min), Some(max)) = (sorted.first(), sorted.last()) {
        put("p50", percentile(&sorted, 50.0));
        put("p99", percentile(&sorted, 99.0));
        put("min", *min);
        put("mean", mean);
        put("max", *max);
    }
    out.insert(format!("{prefix}changes"), json!(samples.len()));
    out.insert(
        format!("{prefix}samples_ms"),
        json!(samples.iter().map(|d| millis(*d)).collect::<Vec<_>>()),
    );
    out
}

pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// The nearest-rank percentile `p` (0 < p ≤ 100) of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
