//! `file_sd_configs`: targets read from files.
use promop_api::v1alpha1::scrape_config::FileSdConfig;

use super::super::RejectedObject;
use super::client::SdConfig;

pub(super) fn build(sd: &mut SdConfig<'_>, c: &FileSdConfig) -> Result<(), RejectedObject> {
    sd.set("files", c.files.clone())
        .opt("refresh_interval", c.refresh_interval.as_deref());
    Ok(())
}
