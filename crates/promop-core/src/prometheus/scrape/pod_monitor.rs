//! Scrape jobs of a PodMonitor: one per endpoint, discovering the selected
//! Pods directly.
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use promop_api::v1::PodMonitor;
use promop_api::v1::pod_monitor::PodMetricsEndpoint;

use super::super::enforced_namespace_label::{ConfigKind, enforce};
use super::super::kubernetes_sd::{KubernetesSd, uses_role_selector};
use super::super::relabel::{self, copy, copy_label, filter, set};
use super::super::version::Feature;
use super::super::{Context, auth, proxy, sharding, tls};
use super::{JobSettings, Limits};
use crate::yaml::{Mapping, Node};

/// One job per endpoint, named `podMonitor/<ns>/<name>/<index>`.
pub(crate) fn jobs(ctx: &Context<'_>, pm: &PodMonitor) -> Vec<Node> {
    pm.spec
        .pod_metrics_endpoints
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, ep)| job(ctx, pm, ep, i))
        .collect()
}

fn job(ctx: &Context<'_>, pm: &PodMonitor, ep: &PodMetricsEndpoint, index: usize) -> Node {
    let namespace = pm.metadata.namespace.as_deref().unwrap_or_default();
    let name = pm.metadata.name.as_deref().unwrap_or_default();
    let spec = &pm.spec;
    let class = ctx.classes.resolve(spec.scrape_class.as_deref());
    let store = ctx.store(namespace);
    let version = &ctx.version;

    let mut cfg = Mapping::new();
    cfg.insert("job_name", format!("podMonitor/{namespace}/{name}/{index}"));
    super::append_honor_labels(&mut cfg, ctx, ep.honor_labels);
    super::append_honor_timestamps(&mut cfg, ctx, ep.honor_timestamps);
    super::append_track_timestamps_staleness(&mut cfg, ctx, ep.track_timestamps_staleness);
    let roles = ["pod"];
    KubernetesSd {
        role: "pod",
        namespace_selector: spec.namespace_selector.as_ref(),
        namespace,
        attach_node_metadata: super::attach_node_metadata(
            ctx,
            &class,
            spec.attach_metadata.as_ref(),
            Feature::PodMonitorAttachMetadata,
        ),
        role_selector: uses_role_selector(spec.selector_mechanism)
            .then_some((&roles[..], &spec.selector)),
    }
    .append(&mut cfg, ctx, &store);

    let http = &ep.http.http;
    super::TargetOptions {
        interval: ep.interval.as_deref(),
        scrape_timeout: ep.scrape_timeout.as_deref(),
        path: ep.path.as_deref(),
        params: ep.params.as_ref(),
        scheme: ep.scheme.as_ref().map(|s| s.to_lowercase()),
        follow_redirects: http.http.follow_redirects,
        enable_http2: http.http.enable_http2,
    }
    .append(&mut cfg, version);
    let tls_config = class.tls_config(tls::from_safe(http.tls_config.as_ref()));
    tls::append(&mut cfg, &store, version, tls_config.as_ref());
    auth::append_bearer_token_secret(&mut cfg, &store, http.http.bearer_token_secret.as_ref());
    auth::append_basic_auth(&mut cfg, &store, http.http.basic_auth.as_ref());
    auth::append_oauth2(&mut cfg, &store, version, http.http.oauth2.as_ref());
    proxy::append(&mut cfg, &store, version, &ep.http.proxy);
    let authorization = class.authorization(http.http.authorization.as_ref());
    auth::append_authorization(&mut cfg, &store, version, authorization.as_ref());

    let mut rules = vec![relabel::job_name_rule()];
    if ep.filter_running != Some(false) {
        rules.push(relabel::running_filter());
    }
    if !uses_role_selector(spec.selector_mechanism) {
        rules.extend(relabel::selector_filters(&spec.selector, "pod"));
    }
    rules.extend(port_filter(ep));
    rules.push(copy("__meta_kubernetes_namespace", "namespace"));
    rules.push(copy("__meta_kubernetes_pod_container_name", "container"));
    rules.push(copy("__meta_kubernetes_pod_name", "pod"));
    let pod_target_labels = spec.pod_target_labels.iter().flatten();
    for label in pod_target_labels.chain(ctx.workload.common().pod_target_labels.iter().flatten()) {
        rules.push(copy_label(
            "__meta_kubernetes_pod_label_",
            label,
            &relabel::sanitize_label_name(label),
        ));
    }
    // The monitor names the job unless `jobLabel` names a label with a value.
    rules.push(set("job", format!("{namespace}/{name}")));
    if let Some(label) = spec.job_label.as_deref().filter(|l| !l.is_empty()) {
        rules.push(copy_label("__meta_kubernetes_pod_label_", label, "job"));
    }
    rules.extend(super::endpoint_label(
        ep.port.as_deref(),
        ep.target_port.as_ref(),
    ));
    rules.extend(relabel::rules(class.relabelings()));
    let own = ep.relabelings.as_deref().unwrap_or_default();
    rules.extend(relabel::rules(&enforce(
        &ctx.workload,
        ConfigKind::PodMonitor,
        namespace,
        name,
        own,
    )));
    // A DaemonSet agent scrapes its own node: no sharding.
    if !ctx.workload.is_daemon_set() {
        sharding::append(&mut rules, ctx, "__address__");
    }
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
    let own = enforce(&ctx.workload, ConfigKind::PodMonitor, namespace, name, own);
    super::append_metric_relabelings(&mut cfg, &class, &own);
    Node::Map(cfg)
}

/// Keeps the container port of the endpoint (by name, else number).
fn port_filter(ep: &PodMetricsEndpoint) -> Option<Node> {
    let by_name = |name: &str| {
        filter(
            "keep",
            vec!["__meta_kubernetes_pod_container_port_name".into()],
            name,
        )
    };
    let by_number = |number: i32| {
        filter(
            "keep",
            vec!["__meta_kubernetes_pod_container_port_number".into()],
            number,
        )
    };
    if let Some(port) = ep.port.as_deref().filter(|p| !p.is_empty()) {
        return Some(by_name(port));
    }
    if let Some(number) = ep.port_number.filter(|n| *n != 0) {
        return Some(by_number(number));
    }
    match ep.target_port.as_ref()? {
        IntOrString::String(name) if !name.is_empty() => Some(by_name(name)),
        IntOrString::Int(number) if *number != 0 => Some(by_number(*number)),
        _ => None,
    }
}
