//! `kubernetes_sd_configs` of a ScrapeConfig: the user's own Kubernetes
//! discovery (role, namespaces, selectors, API server access).
use promop_api::v1alpha1::scrape_config::{KubernetesRole, KubernetesSdConfig};

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::{SdConfig, api_name};
use crate::select::label_selector::{label_key_error, label_value_error};
use crate::select::reasons::{Rejection, RejectionKind};
use crate::select::validate::{Checked, Validator, join};
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

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &KubernetesSdConfig, path: &str) -> Checked {
    v.sd_client(ns, &c.auth, &c.http_client, path)?;
    if c.role == KubernetesRole::EndpointSlice {
        v.field_gate(
            Feature::EndpointSliceRole,
            join(path, "role"),
            "EndpointSlice role is only supported for Prometheus version >=",
        )?;
    }
    if c.api_server.is_some() && c.namespaces.as_ref().and_then(|n| n.own_namespace) == Some(true) {
        return Err(Rejection::new(
            join(path, "namespaces.ownNamespace"),
            "cannot use 'apiServer' and 'namespaces.ownNamespace' simultaneously",
        ));
    }
    let selectors = c.selectors.as_deref().unwrap_or_default();
    let allowed = allowed_selector_roles(c.role);
    for (j, selector) in selectors.iter().enumerate() {
        if !allowed.contains(&selector.role) {
            let names: Vec<&str> = allowed.iter().map(|r| role_name(*r)).collect();
            return Err(Rejection::new(
                format!("{path}.selectors[{j}].role"),
                format!(
                    "{:?} role supports only {} selectors",
                    c.role,
                    names.join(", ")
                ),
            ));
        }
    }
    for (j, selector) in selectors.iter().enumerate() {
        if let Some(field) = &selector.field {
            check_field_selector(field)
                .map_err(|e| Rejection::new(format!("{path}.selectors[{j}].field"), e))?;
        }
        if let Some(label) = &selector.label {
            check_label_selector_string(label)
                .map_err(|e| Rejection::new(format!("{path}.selectors[{j}].label"), e))?;
        }
    }
    Ok(())
}

fn allowed_selector_roles(role: KubernetesRole) -> &'static [KubernetesRole] {
    use KubernetesRole as R;
    match role {
        R::Pod => &[R::Pod],
        R::Service => &[R::Service],
        R::EndpointSlice => &[R::Pod, R::Service, R::EndpointSlice],
        R::Endpoints => &[R::Pod, R::Service, R::Endpoints],
        R::Node => &[R::Node],
        R::Ingress => &[R::Ingress],
    }
}

fn role_name(role: KubernetesRole) -> &'static str {
    use KubernetesRole as R;
    match role {
        R::Pod => "pod",
        R::Service => "service",
        R::EndpointSlice => "endpointslice",
        R::Endpoints => "endpoints",
        R::Node => "node",
        R::Ingress => "ingress",
    }
}

/// A field selector (`fields.ParseSelector`): `key=value`, `key==value` or
/// `key!=value` terms separated by commas.
fn check_field_selector(selector: &str) -> Result<(), RejectionKind> {
    for term in selector.split(',').filter(|t| !t.is_empty()) {
        let key = term.split(['=', '!']).next().unwrap_or_default();
        if !term.contains('=') || key.is_empty() {
            return Err(
                format!("invalid selector: '{selector}'; can't understand '{term}'").into(),
            );
        }
    }
    Ok(())
}

/// A label selector in string form (`labels.Parse`): `key`, `!key`,
/// `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`.
fn check_label_selector_string(selector: &str) -> Result<(), RejectionKind> {
    for term in split_terms(selector) {
        let term = term.trim();
        if term.is_empty() {
            return Err(format!("found '', expected: identifier in {selector:?}").into());
        }
        let (key, values): (&str, Vec<&str>) = if let Some(key) = term.strip_prefix('!') {
            (key.trim(), Vec::new())
        } else if let Some((key, set)) = split_set(term, " notin ").or(split_set(term, " in ")) {
            let set = set.trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| format!("found '{set}', expected: '(' in {selector:?}"))?;
            (key, inner.split(',').map(str::trim).collect())
        } else if let Some((key, value)) =
            ["==", "!=", "="].iter().find_map(|op| term.split_once(op))
        {
            (key.trim(), vec![value.trim()])
        } else {
            (term, Vec::new())
        };
        if let Some(e) = label_key_error(key) {
            return Err(format!("key: Invalid value: {key:?}: {e}").into());
        }
        for value in values {
            if let Some(e) = label_value_error(value) {
                return Err(format!("values[0][{key}]: Invalid value: {value:?}: {e}").into());
            }
        }
    }
    Ok(())
}

fn split_set<'s>(term: &'s str, operator: &str) -> Option<(&'s str, &'s str)> {
    term.split_once(operator).map(|(k, v)| (k.trim(), v))
}

/// Splits on commas outside parentheses.
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.trim().is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&selector[start..]);
    terms
}
