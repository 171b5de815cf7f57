//! `hetzner_sd_configs`: Hetzner Cloud and Robot servers.
use promop_api::v1alpha1::scrape_config::HetznerSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &HetznerSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.http_auth(&c.auth)
        .proxy(&http.proxy)
        .set("role", c.role.to_lowercase())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2)
        .tls(http.tls_config.as_ref())
        .opt("port", c.port)
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .gated(
            Feature::HetznerLabelSelector,
            "label_selector",
            c.label_selector.as_deref().filter(|s| !s.is_empty()),
        );
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &HetznerSdConfig, path: &str) -> Checked {
    if c.label_selector.is_some() {
        v.field_gate(
            Feature::HetznerLabelSelector,
            join(path, "labelSelector"),
            "field `labelSelector` is only supported for Prometheus version >=",
        )?;
    }
    v.sd_client(ns, &c.auth, &c.http_client, path)
}
