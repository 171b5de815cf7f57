//! `storage`: exemplars and TSDB settings (out-of-order window, retention, ...).
// owned by generator part 2
use promop_api::v1::PrometheusSpec;

use super::{Context, GenerateError};
use crate::yaml::Mapping;

/// Appends `storage` of a Prometheus server (not generated yet).
pub(crate) fn append(
    _cfg: &mut Mapping,
    _ctx: &Context<'_>,
    _spec: &PrometheusSpec,
) -> Result<(), GenerateError> {
    Ok(())
}

/// Appends `storage` of a Prometheus agent (not generated yet).
pub(crate) fn append_agent(_cfg: &mut Mapping, _ctx: &Context<'_>) -> Result<(), GenerateError> {
    Ok(())
}
