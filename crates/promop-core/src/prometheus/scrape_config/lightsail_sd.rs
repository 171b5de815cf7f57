//! `lightsail_sd_configs`: AWS Lightsail instances.
use promop_api::v1alpha1::scrape_config::LightSailSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &LightSailSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.basic_auth(c.auth.basic_auth.as_ref())
        .authorization(c.auth.authorization.as_ref())
        .proxy(&http.proxy)
        .oauth2(c.auth.oauth2.as_ref())
        .opt("region", c.region.as_deref())
        .opt("endpoint", c.endpoint.as_deref())
        .opt("port", c.port)
        .opt("refresh_interval", c.refresh_interval.as_deref());
    if let (Some(access), Some(secret)) = (&c.access_key, &c.secret_key) {
        let access = sd.required_secret("accessKey", access)?;
        sd.set("access_key", access);
        let secret = sd.required_secret("secretKey", secret)?;
        sd.set("secret_key", secret);
    }
    sd.opt("role_arn", c.role_arn.as_deref())
        .tls(http.tls_config.as_ref())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2);
    Ok(())
}

/// Needed by every ScrapeConfig, whether it uses Lightsail SD or not.
pub(super) const GATE: (Feature, &str) = (Feature::LightSailSd, "lightSail SD configuration");

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &LightSailSdConfig, path: &str) -> Checked {
    if let Some(key) = &c.access_key {
        v.secret_key(ns, key, &join(path, "accessKey"))?;
    }
    if let Some(key) = &c.secret_key {
        v.secret_key(ns, key, &join(path, "secretKey"))?;
    }
    v.sd_client(ns, &c.auth, &c.http_client, path)
}
