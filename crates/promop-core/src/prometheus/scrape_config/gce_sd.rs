//! `gce_sd_configs`: Google Compute Engine instances.
use promop_api::v1alpha1::scrape_config::GceSdConfig;

use super::super::RejectedObject;
use super::client::SdConfig;

pub(super) fn build(sd: &mut SdConfig<'_>, c: &GceSdConfig) -> Result<(), RejectedObject> {
    sd.set("project", c.project.as_str())
        .set("zone", c.zone.as_str())
        .opt("filter", c.filter.as_deref())
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("port", c.port)
        .opt("tag_separator", c.tag_separator.as_deref());
    Ok(())
}
