//! `kubernetes_sd_configs` of the jobs generated for monitors (and of the
//! Alertmanager endpoints): role, namespaces, API server access, node
//! metadata and role selectors.
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use promop_api::common::{NamespaceSelector, SelectorMechanism};

use super::assets::Store;
use super::{Context, auth, proxy, relabel, tls};
use crate::yaml::{Mapping, Node};

/// One Kubernetes SD config.
pub(crate) struct KubernetesSd<'a> {
    pub role: &'a str,
    pub namespace_selector: Option<&'a NamespaceSelector>,
    /// The namespace of the object the job comes from.
    pub namespace: &'a str,
    /// `attach_metadata.node`, when set and supported.
    pub attach_node_metadata: Option<bool>,
    /// Server-side selection of `roles` with the monitor's selector
    /// (`selectorMechanism: RoleSelector`).
    pub role_selector: Option<(&'a [&'a str], &'a LabelSelector)>,
}

impl KubernetesSd<'_> {
    /// `kubernetes_sd_configs: [...]` with this single config.
    pub fn append(&self, cfg: &mut Mapping, ctx: &Context<'_>, store: &Store<'_>) {
        let mut sd = Mapping::new();
        sd.insert("role", self.role);
        if let Some(names) = namespaces(ctx, self.namespace_selector, self.namespace) {
            let mut m = Mapping::new();
            m.insert("names", names);
            sd.insert("namespaces", m);
        }
        append_api_server(&mut sd, ctx, store);
        if let Some(node) = self.attach_node_metadata {
            let mut m = Mapping::new();
            m.insert("node", node);
            sd.insert("attach_metadata", m);
        }
        let mut selectors = Vec::new();
        if ctx.workload.is_daemon_set() {
            // Each agent pod scrapes the pods of its own node.
            let mut m = Mapping::new();
            m.insert("role", "pod");
            m.insert("field", "spec.nodeName=$(NODE_NAME)");
            selectors.push(Node::Map(m));
        }
        if let Some((roles, selector)) = self.role_selector {
            let label = relabel::selector_string(selector);
            for role in roles {
                let mut m = Mapping::new();
                m.insert("role", *role);
                m.insert("label", label.clone());
                selectors.push(Node::Map(m));
            }
        }
        if !selectors.is_empty() {
            sd.insert("selectors", selectors);
        }
        cfg.insert("kubernetes_sd_configs", vec![Node::Map(sd)]);
    }
}

/// Whether a monitor selects its targets with role selectors.
pub(crate) fn uses_role_selector(mechanism: Option<SelectorMechanism>) -> bool {
    mechanism == Some(SelectorMechanism::RoleSelector)
}

/// The namespaces to discover in: the object's own namespace, unless its
/// selector names others or any (no restriction); `ignoreNamespaceSelectors`
/// always restricts to the object's namespace.
fn namespaces(
    ctx: &Context<'_>,
    selector: Option<&NamespaceSelector>,
    namespace: &str,
) -> Option<Vec<String>> {
    let own = || Some(vec![namespace.to_owned()]);
    if ctx.workload.common().ignore_namespace_selectors == Some(true) {
        return own();
    }
    let selector = selector.cloned().unwrap_or_default();
    if selector.any == Some(true) {
        return None;
    }
    match selector.match_names {
        Some(names) if !names.is_empty() => Some(names),
        _ => own(),
    }
}

/// Access to an API server other than the in-cluster one (`apiserverConfig`).
fn append_api_server(sd: &mut Mapping, ctx: &Context<'_>, store: &Store<'_>) {
    let Some(api) = &ctx.workload.common().apiserver_config else {
        return;
    };
    let version = &ctx.version;
    sd.insert("api_server", api.host.clone());
    auth::append_basic_auth(sd, store, api.basic_auth.as_ref());
    sd.insert_opt(
        "bearer_token",
        api.bearer_token.clone().filter(|t| !t.is_empty()),
    );
    sd.insert_opt(
        "bearer_token_file",
        api.bearer_token_file.clone().filter(|t| !t.is_empty()),
    );
    auth::append_authorization(sd, store, version, api.authorization.as_ref());
    tls::append(sd, store, version, api.tls_config.as_ref());
    if api.proxy != Default::default() {
        proxy::append(sd, store, version, &api.proxy);
    }
}
