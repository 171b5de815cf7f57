//! `kubernetes_sd_configs` of a ScrapeConfig: the user's own Kubernetes
//! discovery (role, namespaces, selectors, API server access).
use promop_api::v1alpha1::scrape_config::{KubernetesRole, KubernetesSdConfig};

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::{SdConfig, api_name};
use crate::yaml::{Mapping, Node};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &KubernetesSdConfig) -> Result<(), RejectedObject> {
    let role = api_name(&c.role).to_lowercase();
    sd.opt("api_server", c.api_server.as_deref());
    if c.role != KubernetesRole::EndpointSlice || sd.version.supports(Feature::EndpointSliceRole) {
        sd.set("role", role.as_str());
    }
    let http = &c.http_client;
    sd.http_auth(&c.auth)
        .proxy(&http.proxy)
        .opt("follow_redirects", http.follow_redirects)
        .opt("enable_http2", http.enable_http2)
        .tls(http.tls_config.as_ref());
    if let Some(namespaces) = &c.namespaces {
        let mut m = Mapping::new();
        m.insert("names", namespaces.names.clone().unwrap_or_default());
        m.insert_opt("own_namespace", namespaces.own_namespace);
        sd.set("namespaces", m);
    }
    if let Some(selectors) = c.selectors.as_ref().filter(|s| !s.is_empty()) {
        let items: Vec<Node> = selectors
            .iter()
            .map(|s| {
                let mut m = Mapping::new();
                m.insert("role", api_name(&s.role).to_lowercase());
                m.insert_opt("label", s.label.as_deref());
                m.insert_opt("field", s.field.as_deref());
                Node::Map(m)
            })
            .collect();
        sd.gated(Feature::KubernetesSdSelectors, "selectors", Some(items));
    }
    if let Some(attach) = &c.attach_metadata {
        // Prometheus attaches node metadata only to these roles.
        let feature = match role.as_str() {
            "pod" => Some(Feature::PodMonitorAttachMetadata),
            "endpoints" | "endpointslice" => Some(Feature::ServiceMonitorAttachMetadata),
            _ => None,
        };
        if let Some(feature) = feature {
            let mut m = Mapping::new();
            m.insert("node", attach.node.map_or(Node::Null, Node::Bool));
            sd.gated(feature, "attach_metadata", Some(m));
        }
    }
    Ok(())
}
