//! `kuma_sd_configs`: Kuma service mesh dataplanes.
use promop_api::v1alpha1::scrape_config::KumaSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use super::validate_server;
use crate::select::reasons::Rejection;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &KumaSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.http_auth(&c.auth)
        .proxy(&http.proxy)
        .set("server", c.server.as_str())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2)
        .tls(http.tls_config.as_ref())
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("fetch_timeout", c.fetch_timeout.as_deref())
        .opt("client_id", c.client_id.as_deref());
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &KumaSdConfig, path: &str) -> Checked {
    if c.client_id.is_some() {
        v.field_gate(
            Feature::KumaSdClientId,
            join(path, "clientID"),
            "field `clientID` in kuma SD configuration is only supported for Prometheus version >=",
        )?;
    }
    validate_server(&c.server).map_err(|e| Rejection::new(join(path, "server"), e))?;
    v.sd_client(ns, &c.auth, &c.http_client, path)
}
