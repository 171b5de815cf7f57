//! `scaleway_sd_configs`: Scaleway instances and bare metal servers.
use promop_api::v1alpha1::scrape_config::ScalewaySdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::{SdConfig, api_name};
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &ScalewaySdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    let secret = sd.secret_or_empty(&c.secret_key);
    sd.set("access_key", c.access_key.as_str())
        .set("secret_key", secret)
        .set("project_id", c.project_id.as_str())
        .set("role", api_name(&c.role).to_lowercase())
        .opt("port", c.port)
        .opt("api_url", c.api_url.as_deref())
        .opt("zone", c.zone.as_deref())
        .opt("name_filter", c.name_filter.as_deref())
        .opt(
            "tags_filter",
            c.tags_filter.clone().filter(|t| !t.is_empty()),
        )
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .proxy(&http.proxy)
        .tls(http.tls_config.as_ref())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2);
    Ok(())
}

/// Needed by every ScrapeConfig, whether it uses Scaleway SD or not.
pub(super) const GATE: (Feature, &str) = (Feature::ScalewaySd, "ScaleWay SD configuration");

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &ScalewaySdConfig, path: &str) -> Checked {
    v.secret_key(ns, &c.secret_key, &join(path, "secretKey"))?;
    v.proxy(ns, &c.http_client.proxy, path)?;
    v.client_tls(ns, &c.http_client, path)
}
