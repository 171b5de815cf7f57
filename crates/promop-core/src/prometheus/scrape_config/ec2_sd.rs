//! `ec2_sd_configs`: AWS EC2 instances.
use promop_api::v1alpha1::scrape_config::Ec2SdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &Ec2SdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.proxy(&http.proxy).opt("region", c.region.as_deref());
    if let (Some(access), Some(secret)) = (&c.access_key, &c.secret_key) {
        let access = sd.required_secret("accessKey", access)?;
        sd.set("access_key", access);
        let secret = sd.required_secret("secretKey", secret)?;
        sd.set("secret_key", secret);
    }
    sd.opt("role_arn", c.role_arn.as_deref())
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("port", c.port);
    if sd.version.supports(Feature::Ec2Filters) {
        sd.filters(c.filters.as_deref());
    }
    if sd.version.supports(Feature::Ec2HttpClient) {
        sd.opt("follow_redirects", http.follow_redirects)
            .opt("enable_http2", http.enable_http2)
            .tls(http.tls_config.as_ref());
    }
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &Ec2SdConfig, path: &str) -> Checked {
    if let Some(key) = &c.access_key {
        v.secret_key(ns, key, &join(path, "accessKey"))?;
    }
    if let Some(key) = &c.secret_key {
        v.secret_key(ns, key, &join(path, "secretKey"))?;
    }
    v.client_transport(ns, &c.http_client, path)
}
