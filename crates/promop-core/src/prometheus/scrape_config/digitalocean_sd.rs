//! `digitalocean_sd_configs`: DigitalOcean droplets.
use promop_api::v1alpha1::scrape_config::DigitalOceanSdConfig;

use super::super::RejectedObject;
use super::client::SdConfig;

pub(super) fn build(sd: &mut SdConfig<'_>, c: &DigitalOceanSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.authorization(c.authorization.as_ref())
        .oauth2(c.oauth2.as_ref())
        .proxy(&http.proxy)
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2)
        .tls(http.tls_config.as_ref())
        .opt("port", c.port)
        .opt("refresh_interval", c.refresh_interval.as_deref());
    Ok(())
}
