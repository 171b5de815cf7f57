//! `ionos_sd_configs`: IONOS Cloud servers.
use promop_api::v1alpha1::scrape_config::IonosSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &IonosSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    // The authorization is required unless OAuth2 replaces it.
    if c.oauth2.is_none() {
        sd.authorization(Some(&c.authorization));
    }
    sd.oauth2(c.oauth2.as_ref())
        .proxy(&http.proxy)
        .tls(http.tls_config.as_ref())
        .set("datacenter_id", c.datacenter_id.as_str())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2)
        .opt("port", c.port)
        .opt("refresh_interval", c.refresh_interval.as_deref());
    Ok(())
}

/// Needed by every ScrapeConfig, whether it uses IONOS SD or not.
pub(super) const GATE: (Feature, &str) = (Feature::IonosSd, "IONOS SD configuration");

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &IonosSdConfig, path: &str) -> Checked {
    v.safe_authorization(ns, Some(&c.authorization), &join(path, "authorization"))?;
    v.proxy(ns, &c.http_client.proxy, path)?;
    v.client_tls(ns, &c.http_client, path)?;
    v.oauth2(ns, c.oauth2.as_ref(), &join(path, "oauth2"))
}
