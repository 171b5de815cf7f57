//! `eureka_sd_configs`: applications registered in Eureka.
use promop_api::v1alpha1::scrape_config::EurekaSdConfig;

use super::super::RejectedObject;
use super::client::SdConfig;
use crate::select::validate::{Checked, Validator};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &EurekaSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.http_auth(&c.auth)
        .proxy(&http.proxy)
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2)
        .tls(http.tls_config.as_ref())
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("server", Some(c.server.as_str()).filter(|s| !s.is_empty()));
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &EurekaSdConfig, path: &str) -> Checked {
    v.sd_client(ns, &c.auth, &c.http_client, path)
}
