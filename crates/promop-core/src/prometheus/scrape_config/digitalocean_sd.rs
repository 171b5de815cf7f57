//! `digitalocean_sd_configs`: DigitalOcean droplets.
use promop_api::v1alpha1::scrape_config::DigitalOceanSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use super::token_auth;
use crate::select::validate::{Checked, Validator};

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

/// Needed by every ScrapeConfig, whether it uses DigitalOcean SD or not.
pub(super) const GATE: (Feature, &str) = (
    Feature::DigitalOceanSd,
    "service discovery for Digital Ocean",
);

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &DigitalOceanSdConfig, path: &str) -> Checked {
    let auth = token_auth(c.authorization.as_ref(), c.oauth2.as_ref());
    v.sd_client(ns, &auth, &c.http_client, path)
}
