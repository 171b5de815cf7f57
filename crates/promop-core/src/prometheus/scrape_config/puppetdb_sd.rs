//! `puppetdb_sd_configs`: resources returned by a PuppetDB query.
use promop_api::v1alpha1::scrape_config::PuppetDbSdConfig;

use super::super::RejectedObject;
use super::client::SdConfig;

pub(super) fn build(sd: &mut SdConfig<'_>, c: &PuppetDbSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.http_auth(&c.auth)
        .proxy(&http.proxy)
        .set("url", c.url.as_str())
        .set("query", c.query.as_str())
        .opt("include_parameters", c.include_parameters)
        .opt("port", c.port)
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("follow_redirects", http.follow_redirects)
        .tls(http.tls_config.as_ref())
        .opt("enable_http2", http.enable_http2);
    Ok(())
}
