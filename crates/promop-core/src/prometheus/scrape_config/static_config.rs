//! `static_configs`: fixed targets and their labels.
use promop_api::v1alpha1::scrape_config::StaticConfig;

use super::super::RejectedObject;
use super::client::SdConfig;
use crate::yaml::Mapping;

pub(super) fn build(sd: &mut SdConfig<'_>, c: &StaticConfig) -> Result<(), RejectedObject> {
    // Unset labels are printed as an empty mapping, like a nil Go map.
    let labels = Mapping::sorted(c.labels.clone().unwrap_or_default());
    sd.set("targets", c.targets.clone()).set("labels", labels);
    Ok(())
}
