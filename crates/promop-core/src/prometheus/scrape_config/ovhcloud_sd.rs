//! `ovhcloud_sd_configs`: OVHcloud VPS and dedicated servers.
use promop_api::v1alpha1::scrape_config::{OvhCloudSdConfig, OvhService};

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &OvhCloudSdConfig) -> Result<(), RejectedObject> {
    let secret = sd.secret_or_empty(&c.application_secret);
    let consumer = sd.secret_or_empty(&c.consumer_key);
    sd.set("application_key", c.application_key.as_str())
        .set("application_secret", secret)
        .set("consumer_key", consumer)
        .set(
            "service",
            match c.service {
                OvhService::Vps => "vps",
                OvhService::DedicatedServer => "dedicated_server",
            },
        )
        .opt("endpoint", c.endpoint.as_deref())
        .opt("refresh_interval", c.refresh_interval.as_deref());
    Ok(())
}

/// Needed by every ScrapeConfig, whether it uses OVHcloud SD or not.
pub(super) const GATE: (Feature, &str) = (Feature::OvhCloudSd, "OVHCloud SD configuration");

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &OvhCloudSdConfig, path: &str) -> Checked {
    v.secret_key(ns, &c.application_secret, &join(path, "applicationSecret"))?;
    v.secret_key(ns, &c.consumer_key, &join(path, "consumerKey"))?;
    Ok(())
}
