//! `dockerswarm_sd_configs`: services, tasks or nodes of a Docker Swarm.
use promop_api::v1alpha1::scrape_config::DockerSwarmSdConfig;

use super::super::RejectedObject;
use super::client::{SdConfig, api_name};

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
