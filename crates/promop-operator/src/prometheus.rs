//! The Prometheus and PrometheusAgent steps of a reconcile: generate the
//! configuration and every object with the core (after fetching the
//! Secrets/ConfigMaps it reads), report rejected config objects, apply.
use std::collections::HashSet;

use promop_api::v1::prometheus::WhenScaledRetentionType;
use promop_core::desired::prometheus_state_with;
use promop_core::prometheus::Workload as PrometheusWorkload;
use promop_core::prometheus::memo::Memo;
use promop_core::select::Selection;
use promop_core::select::dereference::prometheus_references;
use promop_core::select::reasons::RejectedObject;
use promop_core::snapshot::{ObjectKey, Snapshot};

use crate::bindings::{self, Verdicts};
use crate::controller::Context;
use crate::error::Error;
use crate::objects::{self, Desired};
use crate::reconcile::{self, generate, read_dependencies};
use crate::report;
use crate::status::Reconciled;
use crate::stores::Kind;
use crate::workload::{Workload, WorkloadId};

/// Generate, report, apply: `object` is `workload` (a Prometheus or
/// PrometheusAgent).
pub(crate) async fn generate_and_apply<K: Workload>(
    object: &K,
    workload: PrometheusWorkload<'_>,
    ctx: &Context,
    id: &WorkloadId,
) -> Result<Reconciled, Error> {
    let scope = ctx.options.scrape_scope();
    let dereference = |snapshot: &Snapshot| prometheus_references(snapshot, workload, &scope);
    let binds = K::BINDS && ctx.options.objects.feature_enabled(bindings::GATE);
    let memo = ctx.memo(id);
    let generated = generate(ctx, id, dereference, |snapshot| {
        generate_once(workload, ctx, snapshot, binds, &memo)
    })
    .await?;
    let uid = reconcile::reported(object, ctx, id, &generated.rejected, generated.used).await?;
    let written = objects::write(&ctx.client, &ctx.stores.owned, &uid, &generated.desired).await?;
    reconcile::written(written);
    reconcile::bind(object, ctx, generated.verdicts.as_ref()).await?;
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
    rejected: Vec<RejectedObject>,
    used: HashSet<(Kind, ObjectKey)>,
    nothing_selected: bool,
    /// With the status gate on: what to say in the config objects' status.
    verdicts: Option<Verdicts>,
}

fn generate_once(
    workload: PrometheusWorkload<'_>,
    ctx: &Context,
    snapshot: &Snapshot,
    binds: bool,
    memo: &Memo,
) -> Result<Generated, Error> {
    let options = ctx.options.operator_options();
    let scope = ctx.options.scrape_scope();
    let state = prometheus_state_with(snapshot, workload, &scope, &options, Some(memo))?;
    let selection = &state.output.selection;
    let mut used = HashSet::new();
    report::used(Kind::ServiceMonitor, &selection.service_monitors, &mut used);
    report::used(Kind::PodMonitor, &selection.pod_monitors, &mut used);
    report::used(Kind::Probe, &selection.probes, &mut used);
    report::used(Kind::ScrapeConfig, &selection.scrape_configs, &mut used);
    report::used(Kind::PrometheusRule, &selection.prometheus_rules, &mut used);
    // The rule generation rejects more than the selection (PromQL,
    // durations…): those were selected, so they are used already.
    let rejected = state.rejected();
    used.extend(read_dependencies(&snapshot.reads.keys()));
    // Without the feature gate, the reference deletes removed shards.
    let retain_shards = options.shard_retention_policy
        && workload
            .server()
            .and_then(|s| s.shard_retention_policy.as_ref())
            .and_then(|p| p.when_scaled.as_ref())
            == Some(&WhenScaledRetentionType::Retain);
    let generated = Generated {
        verdicts: binds.then(|| bindings::verdicts(selection, &rejected)),
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
