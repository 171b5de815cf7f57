//! `alerting`: Alertmanagers found through endpoints SD, the replica label
//! dropped from alerts, additional alert relabel and Alertmanager configs.
// owned by generator part 2
use promop_api::v1::PrometheusSpec;

use super::{Context, GenerateError};
use crate::yaml::Mapping;

/// Appends `alerting` (not generated yet).
pub(crate) fn append(
    _cfg: &mut Mapping,
    _ctx: &Context<'_>,
    _spec: &PrometheusSpec,
) -> Result<(), GenerateError> {
    Ok(())
}
