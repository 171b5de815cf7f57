//! Scrape jobs of a ServiceMonitor: one per endpoint, discovering the
//! endpoints (or EndpointSlices) of the selected Services.
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use promop_api::v1::ServiceMonitor;
use promop_api::v1::service_monitor::Endpoint;

use super::super::enforced_namespace_label::{ConfigKind, enforce};
use super::super::kubernetes_sd::{KubernetesSd, uses_role_selector};
use super::super::relabel::{self, copy, copy_label, filter};
use super::super::version::Feature;
use super::super::{Context, auth, proxy, sharding, tls};
use super::{JobSettings, Limits};
use crate::yaml::{Mapping, Node};

/// One job per endpoint, named `serviceMonitor/<ns>/<name>/<index>`.
pub(crate) fn jobs(ctx: &Context<'_>, sm: &ServiceMonitor) -> Vec<Node> {
    sm.spec
        .endpoints
        .iter()
        .enumerate()
        .map(|(i, ep)| job(ctx, sm, ep, i))
        .collect()
}

fn job(ctx: &Context<'_>, sm: &ServiceMonitor, ep: &Endpoint, index: usize) -> Node {
    let namespace = sm.metadata.namespace.as_deref().unwrap_or_default();
    let name = sm.metadata.name.as_deref().unwrap_or_default();
    let spec = &sm.spec;
    let class = ctx.classes.resolve(spec.scrape_class.as_deref());
    let store = ctx.store(namespace);
    let version = &ctx.version;
    let role = ctx.endpoint_role(spec.service_discovery_role);

    let mut cfg = Mapping::new();
    cfg.insert(
        "job_name",
        format!("serviceMonitor/{namespace}/{name}/{index}"),
    );
    super::append_honor_labels(&mut cfg, ctx, ep.honor_labels);
    super::append_honor_timestamps(&mut cfg, ctx, ep.honor_timestamps);
    super::append_track_timestamps_staleness(&mut cfg, ctx, ep.track_timestamps_staleness);
    let roles = [role, "service"];
    KubernetesSd {
        role,
        namespace_selector: spec.namespace_selector.as_ref(),
        namespace,
        attach_node_metadata: super::attach_node_metadata(
            ctx,
            &class,
            spec.attach_metadata.as_ref(),
            Feature::ServiceMonitorAttachMetadata,
        ),
        role_selector: uses_role_selector(spec.selector_mechanism)
            .then_some((&roles[..], &spec.selector)),
    }
    .append(&mut cfg, ctx, &store);

    let http = &ep.http.http.http;
    super::TargetOptions {
        interval: ep.interval.as_deref(),
        scrape_timeout: ep.scrape_timeout.as_deref(),
        path: ep.path.as_deref(),
        params: ep.params.as_ref(),
        scheme: ep.scheme.as_ref().map(|s| s.to_lowercase()),
        follow_redirects: http.follow_redirects,
        enable_http2: http.enable_http2,
    }
    .append(&mut cfg, version);
    proxy::append(&mut cfg, &store, version, &ep.http.proxy);
    auth::append_oauth2(&mut cfg, &store, version, http.oauth2.as_ref());
    let tls_config = class.tls_config(ep.http.http.tls_config.clone());
    tls::append(&mut cfg, &store, version, tls_config.as_ref());
    cfg.insert_opt(
        "bearer_token_file",
        ep.bearer_token_file.as_deref().filter(|f| !f.is_empty()),
    );
    auth::append_bearer_token_secret(&mut cfg, &store, http.bearer_token_secret.as_ref());
    auth::append_basic_auth(&mut cfg, &store, http.basic_auth.as_ref());
    let authorization = class.authorization(http.authorization.as_ref());
    auth::append_authorization(&mut cfg, &store, version, authorization.as_ref());

    let mut rules = vec![relabel::job_name_rule()];
    if !uses_role_selector(spec.selector_mechanism) {
        rules.extend(relabel::selector_filters(&spec.selector, "service"));
    }
    rules.extend(port_filter(ep, role));
    rules.extend(target_rules(role));
    if ep.filter_running != Some(false) {
        rules.push(relabel::running_filter());
    }
    for label in spec.target_labels.iter().flatten() {
        rules.push(copy_label(
            "__meta_kubernetes_service_label_",
            label,
            &relabel::sanitize_label_name(label),
        ));
    }
    let pod_target_labels = spec.pod_target_labels.iter().flatten();
    for label in pod_target_labels.chain(ctx.workload.common().pod_target_labels.iter().flatten()) {
        rules.push(copy_label(
            "__meta_kubernetes_pod_label_",
            label,
            &relabel::sanitize_label_name(label),
        ));
    }
    // The Service name is the job unless `jobLabel` names a label with a value.
    let mut job = Mapping::new();
    job.insert("source_labels", vec!["__meta_kubernetes_service_name"]);
    job.insert("target_label", "job");
    job.insert("replacement", "${1}");
    rules.push(Node::Map(job));
    if let Some(label) = spec.job_label.as_deref().filter(|l| !l.is_empty()) {
        rules.push(copy_label("__meta_kubernetes_service_label_", label, "job"));
    }
    rules.extend(super::endpoint_label(
        ep.port.as_deref(),
        ep.target_port.as_ref(),
    ));
    rules.extend(relabel::rules(class.relabelings()));
    let own = ep.relabelings.as_deref().unwrap_or_default();
    rules.extend(relabel::rules(&enforce(
        &ctx.workload,
        ConfigKind::ServiceMonitor,
        namespace,
        name,
        own,
    )));
    sharding::append(&mut rules, ctx, "__address__");
    cfg.insert("relabel_configs", rules);

    JobSettings {
        limits: Limits {
            sample: spec.sample_limit,
            target: spec.target_limit,
            label: spec.label_limit,
            label_name_length: spec.label_name_length_limit,
            label_value_length: spec.label_value_length_limit,
            keep_dropped_targets: spec.keep_dropped_targets,
        },
        native_histograms: &spec.native_histogram,
        scrape_protocols: spec.scrape_protocols.as_deref(),
        fallback_scrape_protocol: class.fallback_scrape_protocol(spec.fallback_scrape_protocol),
    }
    .append(&mut cfg, ctx);
    super::append_body_size_limit(&mut cfg, ctx, spec.body_size_limit.as_ref());
    let own = ep.metric_relabelings.as_deref().unwrap_or_default();
    let own = enforce(
        &ctx.workload,
        ConfigKind::ServiceMonitor,
        namespace,
        name,
        own,
    );
    super::append_metric_relabelings(&mut cfg, &class, &own);
    Node::Map(cfg)
}

/// Keeps the targets of the endpoint's port (by Service port name, else by
/// container port name or number).
fn port_filter(ep: &Endpoint, role: &str) -> Option<Node> {
    if let Some(port) = ep.port.as_deref().filter(|p| !p.is_empty()) {
        let source = format!("__meta_kubernetes_{}_port_name", sd_prefix(role));
        return Some(filter("keep", vec![source], port));
    }
    match ep.target_port.as_ref()? {
        IntOrString::String(name) if !name.is_empty() => Some(filter(
            "keep",
            vec!["__meta_kubernetes_pod_container_port_name".into()],
            name.as_str(),
        )),
        IntOrString::Int(number) if *number != 0 => Some(filter(
            "keep",
            vec!["__meta_kubernetes_pod_container_port_number".into()],
            *number,
        )),
        _ => None,
    }
}

/// `node` and `pod` from the endpoint's target, then the namespace,
/// service, pod and container labels.
fn target_rules(role: &str) -> Vec<Node> {
    let prefix = sd_prefix(role);
    let sources = vec![
        format!("__meta_kubernetes_{prefix}_address_target_kind"),
        format!("__meta_kubernetes_{prefix}_address_target_name"),
    ];
    let by_kind = |kind: &str, target: &str| {
        let mut m = Mapping::new();
        m.insert("source_labels", sources.clone());
        m.insert("separator", ";");
        m.insert("regex", format!("{kind};(.*)"));
        m.insert("replacement", "${1}");
        m.insert("target_label", target);
        Node::Map(m)
    };
    vec![
        by_kind("Node", "node"),
        by_kind("Pod", "pod"),
        copy("__meta_kubernetes_namespace", "namespace"),
        copy("__meta_kubernetes_service_name", "service"),
        copy("__meta_kubernetes_pod_name", "pod"),
        copy("__meta_kubernetes_pod_container_name", "container"),
    ]
}

fn sd_prefix(role: &str) -> &'static str {
    if role == "endpointslice" {
        "endpointslice"
    } else {
        "endpoint"
    }
}

/// `intstr.IntOrString.String()`.
pub(crate) fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}
