//! `ionos_sd_configs`: IONOS Cloud servers.
use promop_api::v1alpha1::scrape_config::IonosSdConfig;

use super::super::RejectedObject;
use super::client::SdConfig;

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
