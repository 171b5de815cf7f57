//! `otlp`.
// owned by generator part 2
use super::{Context, GenerateError};
use crate::yaml::Mapping;

/// Appends `otlp` (not generated yet).
pub(crate) fn append(_cfg: &mut Mapping, _ctx: &Context<'_>) -> Result<(), GenerateError> {
    Ok(())
}
