//! Sharding of targets over the Prometheus shards: the hash of the target
//! address modulo the number of shards must equal the shard's number
//! (`$(SHARD)`, substituted at runtime). With topology sharding, targets are
//! first kept by zone and hashed among the shards of that zone.
use promop_api::v1::prometheus::{ShardingStrategyMode, TopologyShardingStrategy};

use super::Context;
use crate::yaml::{Mapping, Node};

const SHARD_ENV: &str = "SHARD";
const INZONE_SHARD_ENV: &str = "INZONE_SHARD";
pub const TOPOLOGY_ZONE_ENV: &str = "TOPOLOGY_ZONE";

const HASH_LABEL: &str = "__tmp_hash";
/// Set by a user rule to keep a target on every shard.
const DISABLE_SHARDING_LABEL: &str = "__tmp_disable_sharding";
const TOPOLOGY_LABEL: &str = "__tmp_topology";

/// The topology strategy when the feature gate is on and the workload asks
/// for topology sharding.
pub(crate) fn topology_strategy<'a>(ctx: &Context<'a>) -> Option<&'a TopologyShardingStrategy> {
    if !ctx.capabilities.topology_sharding {
        return None;
    }
    let strategy = ctx.workload.common().sharding_strategy.as_ref()?;
    if strategy.mode != Some(ShardingStrategyMode::Topology) {
        return None;
    }
    strategy.topology.as_ref()
}

/// The zones of active topology sharding (none: sharding by address only).
pub(crate) fn topology_zones<'a>(ctx: &Context<'a>) -> Option<&'a [String]> {
    topology_strategy(ctx)?
        .values
        .as_deref()
        .filter(|values| !values.is_empty())
}

/// Appends the sharding rules hashing `label` (`__address__`, or
/// `__param_target` for probes).
pub(crate) fn append(relabelings: &mut Vec<Node>, ctx: &Context<'_>, label: &str) {
    let shards = ctx.shards;
    if ctx.capabilities.shard_retention_policy {
        // Shards beyond the current count (kept after a scale-down) scrape nothing.
        relabelings.push(rule(&[
            ("target_label", "__tmp_current_shard".into()),
            ("replacement", format!("$({SHARD_ENV})").into()),
            ("action", "replace".into()),
        ]));
        let in_range: Vec<String> = (0..shards).map(|i| i.to_string()).collect();
        relabelings.push(rule(&[
            ("source_labels", vec!["__tmp_current_shard"].into()),
            ("regex", in_range.join("|").into()),
            ("action", "keep".into()),
        ]));
    }

    let (modulus, shard_env) = match topology_zones(ctx) {
        Some(zones) => {
            append_topology(relabelings, ctx);
            let zones = i32::try_from(zones.len()).unwrap_or(i32::MAX);
            ((shards / zones).max(1), INZONE_SHARD_ENV)
        }
        None => (shards, SHARD_ENV),
    };

    relabelings.push(rule(&[
        ("source_labels", vec![label, HASH_LABEL].into()),
        ("target_label", HASH_LABEL.into()),
        ("regex", "(.+);".into()),
        ("replacement", "$1".into()),
        ("action", "replace".into()),
    ]));
    relabelings.push(rule(&[
        ("source_labels", vec![HASH_LABEL].into()),
        ("target_label", HASH_LABEL.into()),
        ("modulus", modulus.into()),
        ("action", "hashmod".into()),
    ]));
    relabelings.push(rule(&[
        (
            "source_labels",
            vec![HASH_LABEL, DISABLE_SHARDING_LABEL].into(),
        ),
        ("regex", format!("$({shard_env});|.+;.+").into()),
        ("action", "keep".into()),
    ]));
}

/// The zone of a target comes from its EndpointSlice, else from the pod's
/// (or, on older clusters, the node's) zone label; targets of other zones
/// are dropped.
fn append_topology(relabelings: &mut Vec<Node>, ctx: &Context<'_>) {
    relabelings.push(rule(&[
        (
            "source_labels",
            vec![
                "__meta_kubernetes_endpointslice_endpoint_zone",
                TOPOLOGY_LABEL,
            ]
            .into(),
        ),
        ("target_label", TOPOLOGY_LABEL.into()),
        ("regex", "(.+);".into()),
        ("replacement", "$1".into()),
        ("action", "replace".into()),
    ]));
    let object = if ctx.capabilities.pod_topology_labels {
        "pod"
    } else {
        "node"
    };
    relabelings.push(rule(&[
        (
            "source_labels",
            vec![
                format!("__meta_kubernetes_{object}_label_topology_kubernetes_io_zone"),
                format!("__meta_kubernetes_{object}_labelpresent_topology_kubernetes_io_zone"),
                TOPOLOGY_LABEL.to_owned(),
            ]
            .into(),
        ),
        ("target_label", TOPOLOGY_LABEL.into()),
        ("regex", "(.+);true;".into()),
        ("replacement", "$1".into()),
        ("action", "replace".into()),
    ]));
    relabelings.push(rule(&[
        (
            "source_labels",
            vec![TOPOLOGY_LABEL, DISABLE_SHARDING_LABEL].into(),
        ),
        ("regex", format!("$({TOPOLOGY_ZONE_ENV});|.+;.+").into()),
        ("action", "keep".into()),
    ]));
}

/// Whether topology sharding needs node metadata to find the zone of pods.
pub(crate) fn needs_node_metadata(ctx: &Context<'_>) -> bool {
    topology_zones(ctx).is_some() && !ctx.capabilities.pod_topology_labels
}

/// Whether user rules already shard the job (then no rules are added).
pub(crate) fn has_hashmod(relabelings: &[Node]) -> bool {
    relabelings.iter().any(|r| match r {
        Node::Map(m) => m.get("action") == Some(&Node::from("hashmod")),
        _ => false,
    })
}

fn rule(items: &[(&str, Node)]) -> Node {
    let mut m = Mapping::new();
    for (k, v) in items {
        m.insert(*k, v.clone());
    }
    Node::Map(m)
}
