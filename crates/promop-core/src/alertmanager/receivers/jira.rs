//! Jira receiver: only in a user's base configuration (the CRD has no
//! field for it yet), so only sanitized.
use super::Sanitize;
use crate::alertmanager::sanitize::{self, gate, http_of};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

/// `jira_configs` of Alertmanager's configuration.
pub struct Jira;

impl Sanitize for Jira {
    const KEY: &'static str = "jira_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        sanitize::requires(v, Feature::Jira, "jira")?;
        gate(c, v, "api_type", Feature::JiraApiType);
        http_of(c, v)
    }
}
