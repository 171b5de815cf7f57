//! `scrape_configs`: the jobs of ServiceMonitors, PodMonitors, Probes and
//! ScrapeConfigs, then the additional scrape configs, and the settings
//! every job shares (honoring, limits, protocols, native histograms).
pub mod additional;
pub mod pod_monitor;
pub mod probe;
pub mod service_monitor;

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube_core::Resource;
use promop_api::common::{ByteSize, NativeHistogramConfig, ScrapeProtocol};

use super::generated::ObjectJobs;
use super::memo::{self, EmittedJobs, Used};
use super::version::{Feature, Version};
use super::{ConfigInput, Context, RejectedObject, scrape_config};
use crate::yaml::{Mapping, Node};

/// All scrape jobs, per config object, in the reference's order. An agent
/// in DaemonSet mode only scrapes PodMonitors and additional configs;
/// agents list PodMonitors and additional configs first.
pub(crate) fn jobs<'a>(
    ctx: &Context<'_>,
    input: &ConfigInput<'a>,
) -> Result<Vec<ObjectJobs>, RejectedObject> {
    let mut jobs = Vec::new();
    let mut used = Used::default();
    let service_monitors = |jobs: &mut Vec<_>, used: &mut _| {
        each(ctx, used, jobs, input.service_monitors, |sm| {
            Ok(service_monitor::jobs(ctx, sm))
        })
    };
    let pod_monitors = |jobs: &mut Vec<_>, used: &mut _| {
        each(ctx, used, jobs, input.pod_monitors, |pm| {
            Ok(pod_monitor::jobs(ctx, pm))
        })
    };
    let probes = |jobs: &mut Vec<_>, used: &mut _| {
        each(ctx, used, jobs, input.probes, |probe| {
            Ok(vec![probe::job(ctx, probe)])
        })
    };
    let scrape_configs = |jobs: &mut Vec<_>, used: &mut _| {
        each(ctx, used, jobs, input.scrape_configs, |sc| {
            scrape_config::job(ctx, sc).map(|job| job.into_iter().collect())
        })
    };
    let additional = |jobs: &mut Vec<ObjectJobs>| -> Result<(), RejectedObject> {
        jobs.push(ObjectJobs::Built(additional::jobs(ctx)?));
        Ok(())
    };
    if ctx.workload.server().is_some() {
        service_monitors(&mut jobs, &mut used)?;
        pod_monitors(&mut jobs, &mut used)?;
        probes(&mut jobs, &mut used)?;
        scrape_configs(&mut jobs, &mut used)?;
        additional(&mut jobs)?;
    } else {
        pod_monitors(&mut jobs, &mut used)?;
        additional(&mut jobs)?;
        if !ctx.workload.is_daemon_set() {
            service_monitors(&mut jobs, &mut used)?;
            probes(&mut jobs, &mut used)?;
            scrape_configs(&mut jobs, &mut used)?;
        }
    }
    if let Some((memo, _)) = ctx.memo {
        memo.retain(&used);
    }
    Ok(jobs)
}

/// Appends the jobs of each of `objects`, built by `build`.
fn each<'a, K: Resource<DynamicType = ()>>(
    ctx: &Context<'_>,
    used: &mut Used<'a>,
    jobs: &mut Vec<ObjectJobs>,
    objects: &[&'a K],
    build: impl Fn(&K) -> Result<Vec<Node>, RejectedObject>,
) -> Result<(), RejectedObject> {
    for object in objects {
        jobs.push(object_jobs(ctx, used, object.meta(), || build(object))?);
    }
    Ok(())
}

/// The jobs of one config object: with a memo, reused when nothing they
/// are built from changed, else built, emitted and kept.
fn object_jobs<'a>(
    ctx: &Context<'_>,
    used: &mut Used<'a>,
    meta: &'a ObjectMeta,
    build: impl FnOnce() -> Result<Vec<Node>, RejectedObject>,
) -> Result<ObjectJobs, RejectedObject> {
    let (Some((memo, context)), Some(lookups), Some(version)) =
        (ctx.memo, &ctx.lookups, memo::object_version(meta))
    else {
        return build().map(ObjectJobs::Built);
    };
    used.insert(version.0);
    if let Some(jobs) = memo.get(version, context, ctx.snapshot, &ctx.loaded) {
        return Ok(ObjectJobs::Emitted(jobs));
    }
    lookups.borrow_mut().clear();
    let nodes = build()?;
    let emitted = Arc::new(EmittedJobs::emit(&nodes));
    memo.put(version, context, lookups.take(), emitted.clone());
    Ok(ObjectJobs::Emitted(emitted))
}

/// The HTTP target options that ServiceMonitor and PodMonitor endpoints
/// write in the same order.
pub(crate) struct TargetOptions<'a> {
    pub interval: Option<&'a str>,
    pub scrape_timeout: Option<&'a str>,
    pub path: Option<&'a str>,
    pub params: Option<&'a std::collections::BTreeMap<String, Vec<String>>>,
    pub scheme: Option<String>,
    pub follow_redirects: Option<bool>,
    pub enable_http2: Option<bool>,
}

impl TargetOptions<'_> {
    /// Appends `scrape_interval` … `enable_http2`; empty strings count as unset.
    pub(crate) fn append(self, cfg: &mut Mapping, version: &Version) {
        let set = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_owned);
        cfg.insert_opt("scrape_interval", set(self.interval));
        cfg.insert_opt("scrape_timeout", set(self.scrape_timeout));
        cfg.insert_opt("metrics_path", set(self.path));
        if let Some(params) = self.params {
            cfg.insert("params", Mapping::sorted(params.clone()));
        }
        cfg.insert_opt("scheme", self.scheme);
        if version.supports(Feature::FollowRedirects) {
            cfg.insert_opt("follow_redirects", self.follow_redirects);
        }
        if version.supports(Feature::EnableHttp2) {
            cfg.insert_opt("enable_http2", self.enable_http2);
        }
    }
}

/// The `endpoint` label of a monitor's targets: the port name, else the
/// target port (name or number), else none.
pub(crate) fn endpoint_label(
    port: Option<&str>,
    target_port: Option<&k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
) -> Option<Node> {
    let value = match (port.filter(|p| !p.is_empty()), target_port) {
        (Some(port), _) => port.to_owned(),
        (None, Some(target)) => service_monitor::int_or_string(target),
        (None, None) => return None,
    };
    (!value.is_empty()).then(|| super::relabel::set("endpoint", value))
}

/// `honor_labels`, forced to false by `overrideHonorLabels`.
pub(crate) fn append_honor_labels(cfg: &mut Mapping, ctx: &Context<'_>, honor: Option<bool>) {
    let overridden = ctx.workload.common().override_honor_labels == Some(true);
    cfg.insert("honor_labels", honor.unwrap_or(false) && !overridden);
}

/// `honor_timestamps`, when set or forced to false by `overrideHonorTimestamps`.
pub(crate) fn append_honor_timestamps(cfg: &mut Mapping, ctx: &Context<'_>, honor: Option<bool>) {
    let overridden = ctx.workload.common().override_honor_timestamps == Some(true);
    if (honor.is_some() || overridden) && ctx.version.supports(Feature::HonorTimestamps) {
        cfg.insert("honor_timestamps", honor.unwrap_or(false) && !overridden);
    }
}

pub(crate) fn append_track_timestamps_staleness(
    cfg: &mut Mapping,
    ctx: &Context<'_>,
    track: Option<bool>,
) {
    if ctx.version.supports(Feature::TrackTimestampsStaleness) {
        cfg.insert_opt("track_timestamps_staleness", track);
    }
}

/// The name Prometheus knows a scrape protocol by.
pub(crate) fn protocol_name(p: ScrapeProtocol) -> &'static str {
    match p {
        ScrapeProtocol::PrometheusProto => "PrometheusProto",
        ScrapeProtocol::OpenMetricsText0_0_1 => "OpenMetricsText0.0.1",
        ScrapeProtocol::OpenMetricsText1_0_0 => "OpenMetricsText1.0.0",
        ScrapeProtocol::PrometheusText0_0_4 => "PrometheusText0.0.4",
        ScrapeProtocol::PrometheusText1_0_0 => "PrometheusText1.0.0",
    }
}

/// `scrape_protocols`, without the protocols the version does not know.
pub(crate) fn append_scrape_protocols(
    cfg: &mut Mapping,
    version: &Version,
    protocols: Option<&[ScrapeProtocol]>,
) {
    let Some(protocols) = protocols.filter(|p| !p.is_empty()) else {
        return;
    };
    if !version.supports(Feature::ScrapeProtocols) {
        return;
    }
    let names: Vec<&str> = protocols
        .iter()
        .filter(|p| {
            **p != ScrapeProtocol::PrometheusText1_0_0 || version.supports(Feature::PrometheusText1)
        })
        .map(|p| protocol_name(*p))
        .collect();
    cfg.insert("scrape_protocols", names);
}

pub(crate) fn append_fallback_scrape_protocol(
    cfg: &mut Mapping,
    version: &Version,
    protocol: Option<ScrapeProtocol>,
) {
    if version.supports(Feature::FallbackScrapeProtocol) {
        cfg.insert_opt("fallback_scrape_protocol", protocol.map(protocol_name));
    }
}

/// The per-object limits of a job.
#[derive(Clone, Copy, Default)]
pub(crate) struct Limits {
    pub sample: Option<i64>,
    pub target: Option<i64>,
    pub label: Option<i64>,
    pub label_name_length: Option<i64>,
    pub label_value_length: Option<i64>,
    pub keep_dropped_targets: Option<i64>,
}

/// Appends the limits, each capped by the workload's enforced limit.
pub(crate) fn append_limits(cfg: &mut Mapping, ctx: &Context<'_>, limits: Limits) {
    let cpf = ctx.workload.common();
    let entries = [
        (
            "sample_limit",
            None,
            limits.sample,
            cpf.enforced_sample_limit,
        ),
        (
            "target_limit",
            Some(Feature::TargetLimit),
            limits.target,
            cpf.enforced_target_limit,
        ),
        (
            "label_limit",
            Some(Feature::LabelLimits),
            limits.label,
            cpf.enforced_label_limit,
        ),
        (
            "label_name_length_limit",
            Some(Feature::LabelLimits),
            limits.label_name_length,
            cpf.enforced_label_name_length_limit,
        ),
        (
            "label_value_length_limit",
            Some(Feature::LabelLimits),
            limits.label_value_length,
            cpf.enforced_label_value_length_limit,
        ),
        (
            "keep_dropped_targets",
            Some(Feature::KeepDroppedTargets),
            limits.keep_dropped_targets,
            cpf.enforced_keep_dropped_targets,
        ),
    ];
    for (key, feature, limit, enforced) in entries {
        if feature.is_none_or(|f| ctx.version.supports(f)) {
            cfg.insert_opt(key, job_limit(&ctx.version, limit, enforced));
        }
    }
}

/// The limit of a job: the object's, capped by the enforced one. With no
/// object limit, the enforced one is repeated only for versions whose global
/// limits do not apply to every job.
fn job_limit(version: &Version, limit: Option<i64>, enforced: Option<i64>) -> Option<i64> {
    let set = |l: Option<i64>| l.filter(|l| *l != 0);
    let Some(enforced) = set(enforced) else {
        return limit;
    };
    match set(limit) {
        None if version.supports(Feature::GlobalScrapeLimits) => None,
        None => Some(enforced),
        Some(limit) => Some(limit.min(enforced)),
    }
}

/// `body_size_limit`: the object's, capped by the enforced one.
pub(crate) fn append_body_size_limit(cfg: &mut Mapping, ctx: &Context<'_>, own: Option<&ByteSize>) {
    let enforced = ctx
        .workload
        .common()
        .enforced_body_size_limit
        .as_ref()
        .filter(|b| !b.is_empty());
    let own = own.filter(|b| !b.is_empty());
    let limit = match (own, enforced) {
        (Some(own), Some(enforced)) if base2_bytes(own) > base2_bytes(enforced) => Some(enforced),
        (Some(own), _) => Some(own),
        (None, enforced) => enforced,
    };
    if ctx.version.supports(Feature::BodySizeLimit) {
        cfg.insert_opt("body_size_limit", limit.map(|l| l.to_string()));
    }
}

/// A byte size (`512KB`, `1.5GiB`) in bytes, units in powers of two
/// (`units.ParseBase2Bytes`); 0 when it does not parse.
pub(crate) fn base2_bytes(size: &str) -> f64 {
    let split = size
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(size.len());
    let (number, unit) = size.split_at(split);
    let power = match unit.trim_end_matches('B').trim_end_matches('i') {
        "" => 0,
        "K" => 1,
        "M" => 2,
        "G" => 3,
        "T" => 4,
        "P" => 5,
        "E" => 6,
        _ => return 0.0,
    };
    number.parse::<f64>().unwrap_or(0.0) * 1024f64.powi(power)
}

/// The native histogram settings of a job.
pub(crate) fn append_native_histograms(
    cfg: &mut Mapping,
    version: &Version,
    nhc: &NativeHistogramConfig,
) {
    if version.supports(Feature::ScrapeNativeHistograms) {
        cfg.insert_opt("scrape_native_histograms", nhc.scrape_native_histograms);
    }
    if version.supports(Feature::NativeHistogramBucketLimit) {
        cfg.insert_opt(
            "native_histogram_bucket_limit",
            nhc.native_histogram_bucket_limit,
        );
    }
    if version.supports(Feature::NativeHistogramMinBucketFactor) {
        cfg.insert_opt(
            "native_histogram_min_bucket_factor",
            nhc.native_histogram_min_bucket_factor
                .as_ref()
                .map(|q| quantity_f64(&q.0)),
        );
    }
    if let Some(classic) = nhc.scrape_classic_histograms {
        if version.supports(Feature::AlwaysScrapeClassicHistograms) {
            cfg.insert("always_scrape_classic_histograms", classic);
        } else if version.supports(Feature::ScrapeClassicHistograms) {
            cfg.insert("scrape_classic_histograms", classic);
        }
    }
    if version.supports(Feature::ConvertClassicHistogramsToNhcb) {
        cfg.insert_opt(
            "convert_classic_histograms_to_nhcb",
            nhc.convert_classic_histograms_to_nhcb,
        );
    }
}

/// A Kubernetes quantity as a float, computed like `AsApproximateFloat64`:
/// the unscaled integer times a power of ten (so `1.2` is
/// `12 * 0.1 = 1.2000000000000002`, as the reference prints it).
fn quantity_f64(q: &str) -> f64 {
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    let frac_part = frac_part.trim_end_matches('0');
    let unscaled: f64 = format!("{int_part}{frac_part}").parse().unwrap_or(0.0);
    let (binary, decimal_exp) = match suffix {
        "" => (1.0, 0),
        "m" => (1.0, -3),
        "k" => (1.0, 3),
        "M" => (1.0, 6),
        "G" => (1.0, 9),
        "T" => (1.0, 12),
        "Ki" => (1024.0, 0),
        "Mi" => (1024f64.powi(2), 0),
        "Gi" => (1024f64.powi(3), 0),
        s if s.starts_with(['e', 'E']) => (1.0, s[1..].parse().unwrap_or(0)),
        _ => (1.0, 0),
    };
    let exponent = decimal_exp - i32::try_from(frac_part.len()).unwrap_or(0);
    let base = unscaled * binary;
    // Correctly rounded 10^exponent, like Go's math.Pow10.
    let power: f64 = format!("1e{exponent}").parse().unwrap_or(1.0);
    if exponent == 0 { base } else { base * power }
}

/// The job-level settings that follow `relabel_configs` in every monitor
/// job: limits, native histograms, protocols and the body size limit.
pub(crate) struct JobSettings<'a> {
    pub limits: Limits,
    pub native_histograms: &'a NativeHistogramConfig,
    pub scrape_protocols: Option<&'a [ScrapeProtocol]>,
    pub fallback_scrape_protocol: Option<ScrapeProtocol>,
}

impl JobSettings<'_> {
    pub fn append(&self, cfg: &mut Mapping, ctx: &Context<'_>) {
        append_limits(cfg, ctx, self.limits);
        append_native_histograms(cfg, &ctx.version, self.native_histograms);
        append_scrape_protocols(cfg, &ctx.version, self.scrape_protocols);
        append_fallback_scrape_protocol(cfg, &ctx.version, self.fallback_scrape_protocol);
    }
}

/// `attach_metadata.node` of a monitor job: the object's or its class's
/// setting, forced on when topology sharding finds zones through nodes;
/// none when unset or not supported.
pub(crate) fn attach_node_metadata(
    ctx: &Context<'_>,
    class: &super::scrape_class::Class<'_>,
    own: Option<&promop_api::common::AttachMetadata>,
    feature: Feature,
) -> Option<bool> {
    let node = class.attach_metadata(own).map(|a| a.node == Some(true));
    let node = if super::sharding::needs_node_metadata(ctx) && node != Some(true) {
        Some(true)
    } else {
        node
    };
    node.filter(|_| ctx.version.supports(feature))
}

/// `metric_relabel_configs`: the class's rules, then the object's with the
/// namespace enforcement rule; absent when empty.
pub(crate) fn append_metric_relabelings(
    cfg: &mut Mapping,
    class: &super::scrape_class::Class<'_>,
    own: &[promop_api::common::RelabelConfig],
) {
    let rules: Vec<Node> = super::relabel::rules(class.metric_relabelings().iter().chain(own));
    if !rules.is_empty() {
        cfg.insert("metric_relabel_configs", rules);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_limits_follow_the_enforced_ones() {
        let v3 = Version::from_spec(Some("v3.0.0")).unwrap();
        let v2 = Version::from_spec(Some("v2.44.0")).unwrap();
        assert_eq!(job_limit(&v3, Some(100), Some(50)), Some(50));
        assert_eq!(job_limit(&v3, Some(10), Some(50)), Some(10));
        assert_eq!(job_limit(&v3, None, Some(50)), None);
        assert_eq!(job_limit(&v2, None, Some(50)), Some(50));
        assert_eq!(job_limit(&v3, Some(0), None), Some(0));
    }

    #[test]
    fn quantities_like_as_approximate_float64() {
        assert_eq!(quantity_f64("1.2"), 1.2000000000000002);
        assert_eq!(quantity_f64("1.5"), 1.5);
        assert_eq!(quantity_f64("2"), 2.0);
    }

    #[test]
    fn byte_sizes_in_powers_of_two() {
        assert_eq!(base2_bytes("1KB"), 1024.0);
        assert!(base2_bytes("1GiB") > base2_bytes("900MB"));
    }
}
