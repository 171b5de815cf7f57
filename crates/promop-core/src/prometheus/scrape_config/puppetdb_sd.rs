//! `puppetdb_sd_configs`: resources returned by a PuppetDB query.
use promop_api::v1alpha1::scrape_config::PuppetDbSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use super::go_url_parse;
use crate::select::reasons::Rejection;
use crate::select::validate::{Checked, Validator, join};

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

/// Needed by every ScrapeConfig, whether it uses PuppetDB SD or not.
pub(super) const GATE: (Feature, &str) = (Feature::PuppetDbSd, "puppetDB SD configuration");

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &PuppetDbSdConfig, path: &str) -> Checked {
    let (scheme, host) = go_url_parse(&c.url).map_err(|e| Rejection::new(join(path, "url"), e))?;
    if scheme != "http" && scheme != "https" {
        return Err(Rejection::new(
            join(path, "url"),
            "URL scheme must be 'http' or 'https'",
        ));
    }
    if host.is_empty() {
        return Err(Rejection::new(join(path, "url"), "host is missing in URL"));
    }
    v.sd_client(ns, &c.auth, &c.http_client, path)
}
