//! HTTP proxy settings of a client.
use promop_api::common::ProxyConfig;

use super::assets::Store;
use super::version::{Feature, Version};
use crate::yaml::{Mapping, Node};

/// Appends `proxy_url`, `no_proxy`, `proxy_from_environment` and
/// `proxy_connect_header` (header values read from their Secrets).
pub fn append(cfg: &mut Mapping, store: &Store<'_>, version: &Version, proxy: &ProxyConfig) {
    cfg.insert_opt("proxy_url", proxy.proxy_url.clone());
    if !version.supports(Feature::ProxyFromEnvironment) {
        return;
    }
    cfg.insert_opt("no_proxy", proxy.no_proxy.clone());
    cfg.insert_opt("proxy_from_environment", proxy.proxy_from_environment);
    if let Some(headers) = &proxy.proxy_connect_header {
        let headers = headers.iter().map(|(name, secrets)| {
            let values: Vec<Node> = secrets
                .iter()
                .map(|s| Node::from(store.secret(s).unwrap_or_default()))
                .collect();
            (name.clone(), Node::Seq(values))
        });
        cfg.insert("proxy_connect_header", Mapping::sorted(headers));
    }
}
