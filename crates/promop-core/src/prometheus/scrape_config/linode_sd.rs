//! `linode_sd_configs`: Linode instances.
use promop_api::v1alpha1::scrape_config::LinodeSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use super::token_auth;
use crate::select::validate::{Checked, Validator};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &LinodeSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.authorization(c.authorization.as_ref())
        .oauth2(c.oauth2.as_ref())
        .proxy(&http.proxy)
        .tls(http.tls_config.as_ref())
        .opt("port", c.port)
        .opt("region", c.region.as_deref())
        .opt("enable_http2", http.enable_http2)
        .opt("tag_separator", c.tag_separator.as_deref())
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("follow_redirects", http.follow_redirects);
    Ok(())
}

/// Needed by every ScrapeConfig, whether it uses Linode SD or not.
pub(super) const GATE: (Feature, &str) = (Feature::LinodeSd, "linode SD configuration");

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &LinodeSdConfig, path: &str) -> Checked {
    let auth = token_auth(c.authorization.as_ref(), c.oauth2.as_ref());
    v.sd_client(ns, &auth, &c.http_client, path)
}
