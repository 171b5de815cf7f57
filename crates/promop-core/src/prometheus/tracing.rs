//! `tracing`: where Prometheus sends its own traces.
use super::storage::approximate_float;
use super::{Context, RejectedObject, tls};
use crate::yaml::Mapping;

/// Appends `tracing` when the workload has a tracing config.
pub(crate) fn append(cfg: &mut Mapping, ctx: &Context<'_>) -> Result<(), RejectedObject> {
    let Some(tracing) = &ctx.workload.common().tracing_config else {
        return Ok(());
    };
    let fraction = tracing
        .sampling_fraction
        .as_ref()
        .map(|q| approximate_float(&q.0));
    if fraction.is_some_and(|f| !(0.0..=1.0).contains(&f)) {
        return Err(RejectedObject::invalid(
            &ctx.workload,
            "spec.tracingConfig.samplingFraction",
            "`samplingFraction` must be between 0 and 1",
        ));
    }
    let mut m = Mapping::new();
    m.insert("endpoint", tracing.endpoint.as_str());
    m.insert_opt(
        "client_type",
        tracing.client_type.as_deref().map(str::to_lowercase),
    );
    m.insert_opt("sampling_fraction", fraction);
    m.insert_opt("insecure", tracing.insecure);
    // The reference walks a Go map here (random order); sorted is the one
    // stable order among those it can print.
    if let Some(headers) = tracing.headers.as_ref().filter(|h| !h.is_empty()) {
        m.insert("headers", Mapping::sorted(headers.clone()));
    }
    m.insert_opt(
        "compression",
        tracing.compression.as_deref().map(str::to_lowercase),
    );
    m.insert_opt("timeout", tracing.timeout.as_deref());
    let store = ctx.store(ctx.workload.namespace());
    tls::append(&mut m, &store, &ctx.version, tracing.tls_config.as_ref());
    cfg.insert("tracing", m);
    Ok(())
}
