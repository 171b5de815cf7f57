//! The Alertmanager steps of a reconcile: the configuration merged from the
//! base and the selected AlertmanagerConfigs, the objects the reference
//! writes (generated configuration, TLS assets, web and cluster TLS
//! configuration Secrets, the governing Service, the StatefulSet), rejected
//! AlertmanagerConfigs reported.
use std::collections::HashSet;

use promop_api::v1::Alertmanager;
use promop_core::alertmanager::ignored_fields;
use promop_core::desired::{AlertmanagerObjects, alertmanager_state};
use promop_core::select::dereference::alertmanager_references;
use promop_core::select::reasons::RejectedObject;
use promop_core::snapshot::{ObjectKey, Snapshot};

use crate::controller::Context;
use crate::error::Error;
use crate::objects;
use crate::reconcile::{self, generate, read_dependencies};
use crate::report;
use crate::status::Reconciled;
use crate::stores::Kind;
use crate::workload::WorkloadId;

/// What one generation produced, owned (the snapshot is gone).
struct Generated {
    objects: AlertmanagerObjects,
    rejected: Vec<RejectedObject>,
    used: HashSet<(Kind, ObjectKey)>,
}

/// Generate, report, apply.
pub(crate) async fn generate_and_apply(
    am: &Alertmanager,
    ctx: &Context,
    id: &WorkloadId,
) -> Result<Reconciled, Error> {
    let watched = ctx.options.namespaces.alertmanager_configs();
    let dereference = |snapshot: &Snapshot| alertmanager_references(snapshot, am, &watched);
    let generated = generate(ctx, id, dereference, |snapshot| {
        generate_once(am, ctx, snapshot)
    })
    .await?;
    let uid = reconcile::reported(am, ctx, id, &generated.rejected, generated.used).await?;
    let written =
        objects::write_alertmanager(&ctx.client, &ctx.stores.owned, &uid, &generated.objects)
            .await?;
    reconcile::written(written);
    // Like the reference (v0.94), discarded zero durations are reported on
    // a successful reconcile.
    let message = ignored_fields::message(&am.spec);
    Ok(Reconciled {
        ok: true,
        reason: match message {
            Some(_) => ignored_fields::REASON.into(),
            None => String::new(),
        },
        message: message.unwrap_or_default(),
    }
    .degraded_by(&ctx.stores.degraded))
}

fn generate_once(
    am: &Alertmanager,
    ctx: &Context,
    snapshot: &Snapshot,
) -> Result<Generated, Error> {
    let watched = ctx.options.namespaces.alertmanager_configs();
    let state = alertmanager_state(snapshot, am, &watched, &ctx.options.operator_options())?;
    let mut used: HashSet<(Kind, ObjectKey)> = read_dependencies(&snapshot.reads.keys()).collect();
    report::used(Kind::AlertmanagerConfig, &state.output.selection, &mut used);
    Ok(Generated {
        rejected: state.output.rejected(),
        objects: state.objects,
        used,
    })
}
