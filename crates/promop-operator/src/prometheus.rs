//! The Prometheus and PrometheusAgent steps of a reconcile: generate the
//! configuration and every object with the core (after fetching the
//! Secrets/ConfigMaps it reads), report rejected config objects, write.
use std::collections::HashSet;

use futures::FutureExt;
use futures::future::BoxFuture;
use kube::ResourceExt;
use promop_api::v1::prometheus::WhenScaledRetentionType;
use promop_core::desired::prometheus_state;
use promop_core::select::Selection;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::snapshot::{ObjectKey, Snapshot};

use crate::controller::{
    Context, Reconcile, Rejected, collect, read_dependencies, report, with_references,
};
use crate::error::Error;
use crate::objects::{self, Desired};
use crate::options::Options;
use crate::status::Reconciled;
use crate::stores::Kind;
use crate::workload::{WorkloadId, WorkloadResource};

/// Prometheus and PrometheusAgent reconcile alike: the same instance flags,
/// the same steps, one StatefulSet per shard.
impl<K: WorkloadResource> Reconcile for K {
    const CONTROLLER: &'static str = <K as WorkloadResource>::CONTROLLER;
    fn steps<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a WorkloadId,
    ) -> BoxFuture<'a, Result<Reconciled, Error>> {
        steps(self, ctx, id).boxed()
    }
    fn instance_namespaces(options: &Options) -> WatchedNamespaces {
        options.namespaces.prometheus_instances()
    }
    fn instance_selector(options: &Options) -> Option<&str> {
        options.selectors.prometheus_instance_labels.as_deref()
    }
    fn shards(&self) -> i32 {
        self.workload().shards()
    }
}

async fn steps<K: WorkloadResource>(
    object: &K,
    ctx: &Context,
    id: &WorkloadId,
) -> Result<Reconciled, Error> {
    let generated = generate(object, ctx).await?;
    report(object, ctx, id, &generated.rejected).await;
    ctx.triggers.record(id.clone(), generated.used);
    let uid = object
        .uid()
        .ok_or_else(|| Error::IncompleteObject(id.to_string(), "uid"))?;
    let written = objects::write(&ctx.client, &ctx.stores.owned, &uid, &generated.desired).await?;
    if written > 0 {
        tracing::info!(workload = %id, objects = written, "objects written");
    }
    let (reason, message) = if generated.desired.unmanaged_config {
        ("ConfigurationUnmanaged", UNMANAGED_MESSAGE)
    } else if generated.nothing_selected {
        ("NoSelectedResources", NO_SELECTED_MESSAGE)
    } else {
        ("", "")
    };
    Ok(Reconciled {
        ok: true,
        reason: reason.into(),
        message: message.into(),
    }
    .degraded_by(&ctx.stores.degraded))
}

const NO_SELECTED_MESSAGE: &str =
    "No ServiceMonitor, PodMonitor, Probe, ScrapeConfig, and PrometheusRule have been selected.";
const UNMANAGED_MESSAGE: &str = "the operator doesn't manage the Prometheus configuration secret because neither serviceMonitorSelector nor podMonitorSelector, nor probeSelector, nor scrapeConfigSelector is specified. Unmanaged Prometheus configuration is deprecated, use additionalScrapeConfigs or the ScrapeConfig Custom Resource Definition instead. Unmanaged Prometheus configuration can also be disabled from the operator's command-line (check './operator --help').";

/// What one generation produced, owned (the snapshot is gone).
struct Generated {
    desired: Desired,
    rejected: Vec<Rejected>,
    used: HashSet<(Kind, ObjectKey)>,
    nothing_selected: bool,
}

/// Runs the core until it reads no Secret or ConfigMap not fetched yet.
async fn generate<K: WorkloadResource>(object: &K, ctx: &Context) -> Result<Generated, Error> {
    let id = WorkloadId::of(object);
    with_references(ctx, &id, |snapshot| generate_once(object, ctx, snapshot)).await
}

fn generate_once<K: WorkloadResource>(
    object: &K,
    ctx: &Context,
    snapshot: &Snapshot,
) -> Result<Generated, Error> {
    let workload = object.workload();
    let state = prometheus_state(
        snapshot,
        workload,
        &ctx.options.namespaces.watched(),
        &ctx.options.operator_options(),
    )?;
    let selection = &state.output.selection;
    let mut rejected = Vec::new();
    let mut used = HashSet::new();
    collect(
        Kind::ServiceMonitor,
        &selection.service_monitors,
        &mut rejected,
        &mut used,
    );
    collect(
        Kind::PodMonitor,
        &selection.pod_monitors,
        &mut rejected,
        &mut used,
    );
    collect(Kind::Probe, &selection.probes, &mut rejected, &mut used);
    collect(
        Kind::ScrapeConfig,
        &selection.scrape_configs,
        &mut rejected,
        &mut used,
    );
    // The rule generation rejects more than the selection (PromQL,
    // durations…) and repeats the selection's rejections.
    collect(
        Kind::PrometheusRule,
        &selection.prometheus_rules,
        &mut Vec::new(),
        &mut used,
    );
    for (key, why) in &state.output.rules.rejected {
        let (ns, name) = key.split_once('/').unwrap_or(("", key));
        used.insert((Kind::PrometheusRule, ObjectKey::new(ns, name)));
        rejected.push(Rejected {
            kind: Kind::PrometheusRule.as_str(),
            key: key.clone(),
            why: why.to_string(),
        });
    }
    used.extend(read_dependencies(&snapshot.reads.keys()));
    let retain_shards = workload
        .server()
        .and_then(|s| s.shard_retention_policy.as_ref())
        .and_then(|p| p.when_scaled.as_ref())
        == Some(&WhenScaledRetentionType::Retain);
    let generated = Generated {
        nothing_selected: nothing_selected(selection),
        desired: Desired {
            rule_config_maps: state.output.rules.config_maps,
            unmanaged_config: state.unmanaged,
            objects: state.objects,
            retain_shards,
        },
        rejected,
        used,
    };
    Ok(generated)
}

fn nothing_selected(s: &Selection<'_>) -> bool {
    s.service_monitors.selected.is_empty()
        && s.pod_monitors.selected.is_empty()
        && s.probes.selected.is_empty()
        && s.scrape_configs.selected.is_empty()
        && s.prometheus_rules.selected.is_empty()
}
