//! Scrape jobs of ScrapeConfig objects and their service discoveries.
// owned by generator part 2
use promop_api::v1alpha1::ScrapeConfig;

use super::{Context, GenerateError};
use crate::yaml::Node;

/// The scrape job of a ScrapeConfig (not generated yet).
pub(crate) fn job(_ctx: &Context<'_>, _sc: &ScrapeConfig) -> Result<Option<Node>, GenerateError> {
    Ok(None)
}
