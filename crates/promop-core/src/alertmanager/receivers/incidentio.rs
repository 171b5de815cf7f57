//! incident.io receiver: only in a user's base configuration (the CRD has
//! no field for it yet), so only sanitized.
use super::Sanitize;
use crate::alertmanager::sanitize;
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

/// `incidentio_configs` of Alertmanager's configuration.
pub struct IncidentIo;

impl Sanitize for IncidentIo {
    const KEY: &'static str = "incidentio_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        sanitize::requires(v, Feature::IncidentIo, "incident.io")?;
        sanitize::http_of(c, v)
    }
}
