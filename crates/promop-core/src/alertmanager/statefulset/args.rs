//! The flags of the alertmanager container, in the reference's order, up to
//! `--cluster.reconnect-timeout`; the web and cluster TLS configuration
//! files follow with their volumes. A flag the version lacks is left out, so
//! is a duration of zero or less (Alertmanager would not start).
use promop_api::v1::workload::Argument;

use super::{Context, MESH_PORT, WEB_PORT};
use crate::alertmanager::ignored_fields::kept;
use crate::alertmanager::version::Feature;
use crate::k8s::args::flag;
use crate::k8s::pod::string_of;
use crate::prometheus::scrape::base2_bytes;

const DEFAULT_RETENTION: &str = "120h";
const CONFIG_FILE: &str = "/etc/alertmanager/config_out/alertmanager.env.yaml";
const STORAGE_DIR: &str = "/alertmanager";

pub(super) fn flags(ctx: &Context<'_>) -> Vec<Argument> {
    let spec = ctx.spec;
    let version = &ctx.version;
    let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let mut flags = vec![
        flag("config.file", CONFIG_FILE),
        flag("storage.path", STORAGE_DIR),
        flag(
            "data.retention",
            kept(&spec.retention).unwrap_or(DEFAULT_RETENTION),
        ),
    ];
    // A single replica gossips with nobody: an empty address turns the
    // cluster off (the `=` is part of the flag's name upstream).
    if ctx.replicas == 1 && spec.force_enable_cluster_mode != Some(true) {
        flags.push(flag("cluster.listen-address=", ""));
    } else {
        flags.push(flag(
            "cluster.listen-address",
            format!("[$(POD_IP)]:{MESH_PORT}"),
        ));
    }
    let listen = if ctx.listen_local { "127.0.0.1" } else { "" };
    flags.push(flag("web.listen-address", format!("{listen}:{WEB_PORT}")));
    if let Some(url) = set(&spec.external_url) {
        flags.push(flag("web.external-url", url));
    }
    let features = spec.enable_features.as_deref().unwrap_or_default();
    if version.supports(Feature::EnableFeatureFlag) && !features.is_empty() {
        flags.push(flag("enable-feature", features.join(",")));
    }
    flags.push(flag("web.route-prefix", ctx.route_prefix.clone()));
    if let Some(web) = spec
        .web
        .as_ref()
        .filter(|_| version.supports(Feature::WebFlags))
    {
        if let Some(n) = web.get_concurrency {
            flags.push(flag("web.get-concurrency", n.to_string()));
        }
        if let Some(n) = web.timeout {
            flags.push(flag("web.timeout", n.to_string()));
        }
    }
    if let Some(limits) = spec
        .limits
        .as_ref()
        .filter(|_| version.supports(Feature::SilenceLimits))
    {
        if let Some(n) = limits.max_silences {
            flags.push(flag("silences.max-silences", n.to_string()));
        }
        if let Some(bytes) = limits
            .max_per_silence_bytes
            .as_ref()
            .filter(|b| !b.0.is_empty())
        {
            flags.push(flag(
                "silences.max-per-silence-bytes",
                (base2_bytes(&bytes.0) as i64).to_string(),
            ));
        }
    }
    if let Some(seconds) = spec
        .min_ready_seconds
        .filter(|_| version.supports(Feature::DispatchStartDelay))
    {
        // The user's own start delay wins (negated or not).
        let given = spec
            .additional_args
            .iter()
            .flatten()
            .any(|a| a.name == "dispatch.start-delay" || a.name == "no-dispatch.start-delay");
        if !given {
            flags.push(flag("dispatch.start-delay", format!("{seconds}s")));
        }
    }
    let level = spec.log_level.as_ref().map(string_of).unwrap_or_default();
    if !level.is_empty() && level != "info" {
        flags.push(flag("log.level", level));
    }
    let format = spec.log_format.as_ref().map(string_of).unwrap_or_default();
    if version.supports(Feature::LogFormatFlag) && !format.is_empty() && format != "logfmt" {
        flags.push(flag("log.format", format));
    }
    if let Some(address) = set(&spec.cluster_advertise_address) {
        flags.push(flag("cluster.advertise-address", address));
    }
    let durations = [
        ("cluster.gossip-interval", &spec.cluster_gossip_interval),
        ("cluster.pushpull-interval", &spec.cluster_pushpull_interval),
        ("cluster.peer-timeout", &spec.cluster_peer_timeout),
    ];
    for (name, value) in durations {
        if let Some(d) = kept(value) {
            flags.push(flag(name, d));
        }
    }
    if version.supports(Feature::ClusterPeerName) {
        // The pod's name unless the user names the peer.
        let name = set(&spec.cluster_peer_name).unwrap_or_else(|| "$(POD_NAME)".to_owned());
        flags.push(flag("cluster.peer-name", name));
    }
    // 0.26 rejects gossip from another cluster with a recycled pod IP.
    if version.supports(Feature::ClusterLabel) {
        let label = spec
            .cluster_label
            .clone()
            .unwrap_or_else(|| format!("{}/{}", ctx.namespace, ctx.name));
        flags.push(flag("cluster.label", label));
    }
    let domain = match ctx.options.cluster_domain.as_str() {
        "" => ctx.service_name().to_owned(),
        cluster => format!("{}.{}.svc.{cluster}.", ctx.service_name(), ctx.namespace),
    };
    for i in 0..ctx.replicas {
        flags.push(flag(
            "cluster.peer",
            format!("{}-{i}.{domain}:{MESH_PORT}", ctx.prefixed),
        ));
    }
    for peer in spec.additional_peers.iter().flatten() {
        flags.push(flag("cluster.peer", peer.clone()));
    }
    // A restarted member leaves the cluster in minutes instead of 6 hours.
    flags.push(flag("cluster.reconnect-timeout", "5m"));
    flags
}
