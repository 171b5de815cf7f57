//! `docker_sd_configs`: containers of a Docker host.
use promop_api::v1alpha1::scrape_config::DockerSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use super::go_url_parse;
use crate::select::reasons::Rejection;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &DockerSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.authorization(c.auth.authorization.as_ref())
        .oauth2(c.auth.oauth2.as_ref())
        .proxy(&http.proxy)
        .basic_auth(c.auth.basic_auth.as_ref())
        .filters(c.filters.as_deref())
        .set("host", c.host.as_str())
        .tls(http.tls_config.as_ref())
        .opt("port", c.port)
        .opt("host_networking_host", c.host_networking_host.as_deref())
        .gated(
            Feature::DockerMatchFirstNetwork,
            "match_first_network",
            c.match_first_network,
        )
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2);
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &DockerSdConfig, path: &str) -> Checked {
    if c.match_first_network.is_some() {
        v.field_gate(
            Feature::DockerMatchFirstNetwork,
            join(path, "matchFirstNetwork"),
            "field `matchFirstNetwork` is only supported for Prometheus version >=",
        )?;
    }
    v.client_auth(ns, &c.auth, path)?;
    v.client_tls(ns, &c.http_client, path)?;
    go_url_parse(&c.host).map_err(|e| Rejection::new(join(path, "host"), e))?;
    v.proxy(ns, &c.http_client.proxy, path)
}
