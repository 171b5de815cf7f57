//! `consul_sd_configs`: services registered in Consul.
use promop_api::v1alpha1::scrape_config::ConsulSdConfig;

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::SdConfig;
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &ConsulSdConfig) -> Result<(), RejectedObject> {
    let http = &c.http_client;
    sd.http_auth(&c.auth)
        .proxy(&http.proxy)
        .tls(http.tls_config.as_ref())
        .set("server", c.server.as_str())
        .opt("path_prefix", c.path_prefix.as_deref());
    if let Some(token) = &c.token_ref {
        let value = sd.required_secret("tokenRef", token)?;
        sd.set("token", value);
    }
    let non_empty = |l: &Option<Vec<String>>| l.clone().filter(|l| !l.is_empty());
    sd.opt("datacenter", c.datacenter.as_deref())
        .opt("namespace", c.namespace.as_deref())
        .opt("partition", c.partition.as_deref())
        .opt("scheme", c.scheme.as_ref().map(|s| s.to_lowercase()))
        .opt("services", non_empty(&c.services))
        .opt("tags", non_empty(&c.tags))
        .opt("tag_separator", c.tag_separator.as_deref())
        .opt(
            "node_meta",
            c.node_meta
                .as_ref()
                .filter(|m| !m.is_empty())
                .map(|m| crate::yaml::Mapping::sorted(m.clone())),
        )
        .opt("filter", c.filter.as_deref())
        .opt("health_filter", c.health_filter.as_deref())
        .opt("allow_stale", c.allow_stale)
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2);
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &ConsulSdConfig, path: &str) -> Checked {
    for (set, field, feature) in [
        (
            c.path_prefix.is_some(),
            "pathPrefix",
            Feature::ConsulPathPrefix,
        ),
        (c.namespace.is_some(), "namespace", Feature::ConsulNamespace),
        (c.filter.is_some(), "filter", Feature::ConsulFilter),
        (
            c.health_filter.is_some(),
            "healthFilter",
            Feature::ConsulHealthFilter,
        ),
    ] {
        if set {
            v.field_gate(
                feature,
                join(path, field),
                &format!("field `{field}` is only supported for Prometheus version >="),
            )?;
        }
    }
    v.client_auth(ns, &c.auth, path)?;
    v.client_tls(ns, &c.http_client, path)?;
    if let Some(token) = &c.token_ref {
        v.secret_key(ns, token, &join(path, "tokenRef"))?;
    }
    v.proxy(ns, &c.http_client.proxy, path)
}
