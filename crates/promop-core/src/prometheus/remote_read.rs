//! `remote_read` (Prometheus only).
// owned by generator part 2
use promop_api::v1::PrometheusSpec;

use super::{Context, GenerateError};
use crate::yaml::Mapping;

/// Appends `remote_read` (not generated yet).
pub(crate) fn append(
    _cfg: &mut Mapping,
    _ctx: &Context<'_>,
    _spec: &PrometheusSpec,
) -> Result<(), GenerateError> {
    Ok(())
}
