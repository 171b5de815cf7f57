//! `nomad_sd_configs`: services registered in Nomad.
use promop_api::v1alpha1::scrape_config::NomadSdConfig;

use super::super::RejectedObject;
use super::client::SdConfig;
use super::validate_server;
use crate::select::reasons::Rejection;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &NomadSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.http_auth(&c.auth)
        .proxy(&http.proxy)
        .set("server", c.server.as_str())
        .opt("allow_stale", c.allow_stale)
        .opt("namespace", c.namespace.as_deref())
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("region", c.region.as_deref())
        .opt("tag_separator", c.tag_separator.as_deref())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2)
        .tls(http.tls_config.as_ref());
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &NomadSdConfig, path: &str) -> Checked {
    validate_server(&c.server).map_err(|e| Rejection::new(join(path, "server"), e))?;
    v.sd_client(ns, &c.auth, &c.http_client, path)
}
