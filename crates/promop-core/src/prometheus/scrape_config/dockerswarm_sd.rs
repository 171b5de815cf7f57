//! `dockerswarm_sd_configs`: services, tasks or nodes of a Docker Swarm.
use promop_api::v1alpha1::scrape_config::DockerSwarmSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::{SdConfig, api_name};
use super::go_url_parse;
use crate::select::reasons::Rejection;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &DockerSwarmSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.http_auth(&c.auth)
        .proxy(&http.proxy)
        .filters(c.filters.as_deref())
        .set("host", c.host.as_str())
        .tls(http.tls_config.as_ref())
        .set("role", api_name(&c.role).to_lowercase())
        .opt("port", c.port)
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2);
    Ok(())
}

/// Needed by every ScrapeConfig, whether it uses Docker Swarm SD or not.
pub(super) const GATE: (Feature, &str) = (Feature::DockerSwarmSd, "dockerswarm SD configuration");

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &DockerSwarmSdConfig, path: &str) -> Checked {
    go_url_parse(&c.host).map_err(|e| Rejection::new(join(path, "host"), e))?;
    v.sd_client(ns, &c.auth, &c.http_client, path)
}
