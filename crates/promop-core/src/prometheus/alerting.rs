//! `alerting`: Alertmanagers found through endpoints SD, the replica label
//! dropped from alerts, additional alert relabel and Alertmanager configs.
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use promop_api::v1::PrometheusSpec;
use promop_api::v1::prometheus::AlertmanagerEndpoints;

use super::kubernetes_sd::KubernetesSd;
use super::relabel::{self, filter};
use super::version::Feature;
use super::{Context, RejectedObject, auth, proxy, secret_yaml, tls};
use crate::yaml::{Mapping, Node};

/// The default name of the replica external label.
const REPLICA_LABEL: &str = "prometheus_replica";

/// Appends `alerting` when the Prometheus has Alertmanagers or additional
/// alerting configs.
pub(crate) fn append(
    cfg: &mut Mapping,
    ctx: &Context<'_>,
    spec: &PrometheusSpec,
) -> Result<(), RejectedObject> {
    let extra_relabelings = secret_yaml::load(
        ctx,
        "spec.additionalAlertRelabelConfigs",
        spec.additional_alert_relabel_configs.as_ref(),
    )?;
    let extra_alertmanagers = secret_yaml::load(
        ctx,
        "spec.additionalAlertManagerConfigs",
        spec.additional_alert_manager_configs.as_ref(),
    )?;
    if spec.alerting.is_none() && extra_relabelings.is_none() && extra_alertmanagers.is_none() {
        return Ok(());
    }

    let mut alertmanagers: Vec<Node> = spec
        .alerting
        .iter()
        .flat_map(|a| a.alertmanagers.iter())
        .map(|am| alertmanager(ctx, am))
        .collect();
    alertmanagers.extend(
        secret_yaml::parse_list(
            ctx,
            "spec.additionalAlertManagerConfigs",
            extra_alertmanagers.as_deref(),
        )?
        .into_iter()
        .map(Node::Map),
    );

    // Alerts of all replicas must look the same for the Alertmanager to
    // deduplicate them.
    let replica = ctx
        .workload
        .common()
        .replica_external_label_name
        .as_deref()
        .unwrap_or(REPLICA_LABEL);
    let mut relabelings = Vec::new();
    if !replica.is_empty() {
        let mut drop = Mapping::new();
        drop.insert("action", "labeldrop");
        drop.insert("regex", regex_quote_meta(replica));
        relabelings.push(Node::Map(drop));
    }
    relabelings.extend(
        secret_yaml::parse_list(
            ctx,
            "spec.additionalAlertRelabelConfigs",
            extra_relabelings.as_deref(),
        )?
        .into_iter()
        .map(Node::Map),
    );

    let mut alerting = Mapping::new();
    alerting.insert("alert_relabel_configs", relabelings);
    alerting.insert("alertmanagers", alertmanagers);
    cfg.insert("alerting", alerting);
    Ok(())
}

/// One `alertmanagers` entry: the endpoints of the Alertmanager Service.
fn alertmanager(ctx: &Context<'_>, am: &AlertmanagerEndpoints) -> Node {
    let version = &ctx.version;
    let store = ctx.store(ctx.workload.namespace());
    let mut cfg = Mapping::new();
    cfg.insert_opt("scheme", am.scheme.as_ref().map(|s| s.to_lowercase()));
    cfg.insert_opt("path_prefix", am.path_prefix.as_deref());
    cfg.insert_opt("timeout", am.timeout.as_deref());
    if version.supports(Feature::EnableHttp2) {
        cfg.insert_opt("enable_http2", am.enable_http2);
    }
    tls::append(&mut cfg, &store, version, am.tls_config.as_ref());
    proxy::append(&mut cfg, &store, version, &am.proxy);

    let role = ctx.endpoint_role(None);
    KubernetesSd {
        role,
        namespace_selector: None,
        namespace: am
            .namespace
            .as_deref()
            .unwrap_or_else(|| ctx.workload.namespace()),
        attach_node_metadata: None,
        role_selector: None,
    }
    .append(&mut cfg, ctx, &store);

    cfg.insert_opt(
        "bearer_token_file",
        am.bearer_token_file.as_deref().filter(|f| !f.is_empty()),
    );
    if version.supports(Feature::AlertmanagerBasicAuth) {
        auth::append_basic_auth(&mut cfg, &store, am.basic_auth.as_ref());
    }
    auth::append_safe_authorization(&mut cfg, &store, version, am.authorization.as_ref());
    if version.supports(Feature::AlertmanagerSigv4) {
        auth::append_sigv4(&mut cfg, &store, version, am.sigv4.as_ref());
    }
    if let Some(api) = &am.api_version
        && version.supports(Feature::AlertmanagerApiVersion)
    {
        match api.0.to_uppercase().as_str() {
            "V1" if version.supports(Feature::AlertmanagerApiV1) => {
                cfg.insert("api_version", api.0.to_lowercase());
            }
            "V2" => {
                cfg.insert("api_version", api.0.to_lowercase());
            }
            _ => {}
        }
    }

    let mut rules = vec![filter(
        "keep",
        vec!["__meta_kubernetes_service_name".into()],
        am.name.as_str(),
    )];
    match &am.port {
        IntOrString::String(port) if !port.is_empty() => {
            let source = if role == "endpointslice" {
                "__meta_kubernetes_endpointslice_port_name"
            } else {
                "__meta_kubernetes_endpoint_port_name"
            };
            rules.push(filter("keep", vec![source.into()], port.as_str()));
        }
        IntOrString::Int(port) if *port != 0 => rules.push(filter(
            "keep",
            vec!["__meta_kubernetes_pod_container_port_number".into()],
            port.to_string(),
        )),
        _ => {}
    }
    rules.extend(relabel::rules(am.relabelings.iter().flatten()));
    cfg.insert("relabel_configs", rules);

    if let Some(alert_rules) = am.alert_relabelings.as_ref().filter(|r| !r.is_empty())
        && version.supports(Feature::AlertmanagerAlertRelabelConfigs)
    {
        cfg.insert("alert_relabel_configs", relabel::rules(alert_rules));
    }
    Node::Map(cfg)
}

/// `regexp.QuoteMeta`: escapes the characters special in RE2 syntax.
pub(crate) fn regex_quote_meta(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_regex_metacharacters() {
        assert_eq!(regex_quote_meta("prometheus_replica"), "prometheus_replica");
        assert_eq!(regex_quote_meta("a.b*c"), r"a\.b\*c");
    }
}
