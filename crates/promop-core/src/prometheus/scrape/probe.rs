//! The scrape job of a Probe: targets (static, or discovered Ingresses)
//! passed as the `target` parameter of a prober such as the blackbox exporter.
use promop_api::v1::Probe;
use promop_api::v1::probe::{ProbeTargetIngress, ProbeTargetStaticConfig, ProberSpec};

use super::super::enforced_namespace_label::{ConfigKind, enforce};
use super::super::kubernetes_sd::KubernetesSd;
use super::super::relabel::{self, copy, set};
use super::super::scrape_class::Class;
use super::super::version::Feature;
use super::super::{Context, auth, proxy, sharding, tls};
use super::{JobSettings, Limits};
use crate::yaml::{Mapping, Node};

/// The job named `probe/<ns>/<name>`.
pub(crate) fn job(ctx: &Context<'_>, probe: &Probe) -> Node {
    let namespace = probe.metadata.namespace.as_deref().unwrap_or_default();
    let name = probe.metadata.name.as_deref().unwrap_or_default();
    let spec = &probe.spec;
    let class = ctx.classes.resolve(spec.scrape_class.as_deref());
    let store = ctx.store(namespace);
    let version = &ctx.version;
    let default_prober = ProberSpec::default();
    let prober = spec.prober.as_ref().unwrap_or(&default_prober);

    let mut cfg = Mapping::new();
    cfg.insert("job_name", format!("probe/{namespace}/{name}"));
    super::append_honor_timestamps(&mut cfg, ctx, Some(true));
    cfg.insert("metrics_path", prober.path.as_deref().unwrap_or_default());
    cfg.insert_opt(
        "scrape_interval",
        spec.interval.as_deref().filter(|s| !s.is_empty()),
    );
    cfg.insert_opt(
        "scrape_timeout",
        spec.scrape_timeout.as_deref().filter(|s| !s.is_empty()),
    );
    cfg.insert_opt("scheme", prober.scheme.as_ref().map(|s| s.to_lowercase()));
    let params = params(probe);
    if !params.is_empty() {
        cfg.insert("params", params);
    }
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
    // Probes have no body size limit of their own: only the enforced one.
    super::append_body_size_limit(&mut cfg, ctx, None);
    proxy::append(&mut cfg, &store, version, &prober.proxy);
    let http = &spec.http;
    if version.supports(Feature::FollowRedirects) {
        cfg.insert_opt("follow_redirects", http.http.follow_redirects);
    }
    if version.supports(Feature::EnableHttp2) {
        cfg.insert_opt("enable_http2", http.http.enable_http2);
    }
    let tls_config = class.tls_config(tls::from_safe(http.tls_config.as_ref()));
    tls::append(&mut cfg, &store, version, tls_config.as_ref());

    let mut rules = vec![relabel::job_name_rule()];
    if let Some(job) = spec.job_name.as_deref().filter(|j| !j.is_empty()) {
        rules.push(set("job", job));
    }
    let targets = spec.targets.as_ref();
    let own_rules = |configs: &Option<Vec<_>>| {
        let own = configs.as_deref().unwrap_or_default();
        relabel::rules(&enforce(
            &ctx.workload,
            ConfigKind::Probe,
            namespace,
            name,
            own,
        ))
    };
    if let Some(static_config) = targets.and_then(|t| t.static_config.as_ref()) {
        cfg.insert(
            "static_configs",
            vec![static_targets(static_config, namespace)],
        );
        rules.push(copy("__address__", "__param_target"));
        rules.push(copy("__param_target", "instance"));
        rules.push(set("__address__", prober.url.as_str()));
        rules.extend(relabel::rules(class.relabelings()));
        rules.extend(own_rules(&static_config.relabeling_configs));
    } else if let Some(ingress) = targets.and_then(|t| t.ingress.as_ref()) {
        rules.extend(ingress_rules(ingress, prober, &class));
        KubernetesSd {
            role: "ingress",
            namespace_selector: ingress.namespace_selector.as_ref(),
            namespace,
            attach_node_metadata: None,
            role_selector: None,
        }
        .append(&mut cfg, ctx, &store);
        rules.extend(own_rules(&ingress.relabeling_configs));
    }
    sharding::append(&mut rules, ctx, "__param_target");
    cfg.insert("relabel_configs", rules);

    auth::append_bearer_token_secret(&mut cfg, &store, http.http.bearer_token_secret.as_ref());
    auth::append_basic_auth(&mut cfg, &store, http.http.basic_auth.as_ref());
    auth::append_oauth2(&mut cfg, &store, version, http.http.oauth2.as_ref());
    let authorization = class.authorization(http.http.authorization.as_ref());
    auth::append_authorization(&mut cfg, &store, version, authorization.as_ref());
    let own = spec.metric_relabelings.as_deref().unwrap_or_default();
    let own = enforce(&ctx.workload, ConfigKind::Probe, namespace, name, own);
    super::append_metric_relabelings(&mut cfg, &class, &own);
    Node::Map(cfg)
}

/// `params`: the module first, then the other parameters in order.
fn params(probe: &Probe) -> Mapping {
    let mut m = Mapping::new();
    let module = probe.spec.module.as_deref().filter(|m| !m.is_empty());
    if let Some(module) = module {
        m.insert("module", vec![module]);
    }
    for p in probe.spec.params.iter().flatten() {
        if module.is_some() && p.name == "module" {
            continue;
        }
        m.insert(p.name.clone(), p.values.clone().unwrap_or_default());
    }
    m
}

/// The static targets, labelled with the Probe's namespace unless a
/// `namespace` label is given.
fn static_targets(config: &ProbeTargetStaticConfig, namespace: &str) -> Node {
    let mut labels = config.labels.clone().unwrap_or_default();
    labels
        .entry("namespace".to_owned())
        .or_insert_with(|| namespace.to_owned());
    let mut m = Mapping::new();
    m.insert("targets", config.static_.clone().unwrap_or_default());
    m.insert("labels", Mapping::sorted(labels));
    Node::Map(m)
}

/// Ingress selection, the probed URL built from the Ingress, then the
/// prober's address.
fn ingress_rules(
    ingress: &ProbeTargetIngress,
    prober: &ProberSpec,
    class: &Class<'_>,
) -> Vec<Node> {
    let mut rules = ingress
        .selector
        .as_ref()
        .map(|s| relabel::selector_filters(s, "ingress"))
        .unwrap_or_default();
    let mut url = Mapping::new();
    url.insert(
        "source_labels",
        vec![
            "__meta_kubernetes_ingress_scheme",
            "__address__",
            "__meta_kubernetes_ingress_path",
        ],
    );
    url.insert("separator", ";");
    url.insert("regex", "(.+);(.+);(.+)");
    url.insert("target_label", "__param_target");
    url.insert("replacement", "${1}://${2}${3}");
    url.insert("action", "replace");
    rules.push(Node::Map(url));
    rules.push(copy("__meta_kubernetes_namespace", "namespace"));
    rules.push(copy("__meta_kubernetes_ingress_name", "ingress"));
    let mut address = Mapping::new();
    address.insert("source_labels", vec!["__address__"]);
    address.insert("separator", ";");
    address.insert("regex", "(.*)");
    address.insert("target_label", "__tmp_ingress_address");
    address.insert("replacement", "$1");
    address.insert("action", "replace");
    rules.push(Node::Map(address));
    rules.push(copy("__param_target", "instance"));
    rules.push(set("__address__", prober.url.as_str()));
    rules.extend(relabel::rules(class.relabelings()));
    rules
}
