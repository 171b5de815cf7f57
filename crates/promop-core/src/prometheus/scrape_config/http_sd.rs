//! `http_sd_configs`: targets fetched from an HTTP endpoint.
use promop_api::v1alpha1::scrape_config::HttpSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use super::go_url_parse;
use crate::select::reasons::Rejection;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &HttpSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.basic_auth(c.auth.basic_auth.as_ref())
        .authorization(c.auth.authorization.as_ref())
        .tls(http.tls_config.as_ref())
        .proxy(&http.proxy)
        .oauth2(c.auth.oauth2.as_ref())
        .set("url", c.url.as_str())
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2);
    Ok(())
}

/// Needed by every ScrapeConfig, whether it uses HTTP SD or not.
pub(super) const GATE: (Feature, &str) = (Feature::HttpSd, "HTTP SD configuration");

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &HttpSdConfig, path: &str) -> Checked {
    go_url_parse(&c.url).map_err(|e| Rejection::new(join(path, "url"), e))?;
    v.sd_client(ns, &c.auth, &c.http_client, path)
}
