//! `remote_read` (Prometheus only): endpoints queried for older samples.
use promop_api::v1::PrometheusSpec;
use promop_api::v1::prometheus::RemoteReadSpec;

use super::assets::Store;
use super::version::{Feature, Version};
use super::{Context, RejectedObject, auth, proxy, tls};
use crate::yaml::{Mapping, Node};

/// Appends `remote_read` when the Prometheus has remote read endpoints.
pub(crate) fn append(
    cfg: &mut Mapping,
    ctx: &Context<'_>,
    spec: &PrometheusSpec,
) -> Result<(), RejectedObject> {
    let specs = spec.remote_read.as_deref().unwrap_or_default();
    if specs.is_empty() {
        return Ok(());
    }
    let store = ctx.store(ctx.workload.namespace());
    let endpoints: Vec<Node> = specs
        .iter()
        .map(|rr| Node::Map(endpoint(&ctx.version, &store, rr)))
        .collect();
    cfg.insert("remote_read", endpoints);
    Ok(())
}

fn endpoint(version: &Version, store: &Store<'_>, spec: &RemoteReadSpec) -> Mapping {
    let mut m = Mapping::new();
    m.insert("url", spec.url.as_ref());
    m.insert_opt("remote_timeout", spec.remote_timeout.as_deref());
    if let Some(headers) = spec.headers.as_ref().filter(|h| !h.is_empty())
        && version.supports(Feature::RemoteReadHeaders)
    {
        m.insert("headers", Mapping::sorted(headers.clone()));
    }
    if version.supports(Feature::RemoteReadName) {
        m.insert_opt("name", spec.name.as_deref().filter(|n| !n.is_empty()));
    }
    if let Some(matchers) = spec.required_matchers.as_ref().filter(|r| !r.is_empty()) {
        m.insert("required_matchers", Mapping::sorted(matchers.clone()));
    }
    if spec.read_recent == Some(true) {
        m.insert("read_recent", true);
    }
    auth::append_basic_auth(&mut m, store, spec.basic_auth.as_ref());
    m.insert_opt(
        "bearer_token",
        spec.bearer_token.as_deref().filter(|t| !t.is_empty()),
    );
    m.insert_opt(
        "bearer_token_file",
        spec.bearer_token_file.as_deref().filter(|f| !f.is_empty()),
    );
    auth::append_oauth2(&mut m, store, version, spec.oauth2.as_ref());
    tls::append(&mut m, store, version, spec.tls_config.as_ref());
    auth::append_authorization(&mut m, store, version, spec.authorization.as_ref());
    proxy::append(&mut m, store, version, &spec.proxy);
    if version.supports(Feature::FollowRedirects) {
        m.insert_opt("follow_redirects", spec.follow_redirects);
    }
    if version.supports(Feature::FilterExternalLabels) {
        m.insert_opt("filter_external_labels", spec.filter_external_labels);
    }
    m
}
