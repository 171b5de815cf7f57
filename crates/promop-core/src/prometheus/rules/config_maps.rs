//! The rule ConfigMaps: rule files packed, in key order, into ConfigMaps of
//! at most [`MAX_CONFIG_MAP_DATA_SIZE`] bytes of data each, named
//! `<prefix>-rulefiles-<n>`, labelled and owned like the reference's.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use promop_api::v1::PrometheusRule;

use super::{RuleContext, file_name, rule_file};
use crate::k8s::metadata::{Labels, Owner, controlled};
use crate::k8s::numbered::{Numbered, numbered};
use crate::prometheus::Workload;
use crate::prometheus::memo::{Memo, Used};
use crate::select::Selection;
use crate::select::reasons::{RejectedObject, Rejection};
use crate::snapshot::Snapshot;

/// Data one rule ConfigMap may hold: half of Kubernetes' 1 MiB object limit,
/// leaving room for metadata (`operator.MaxConfigMapDataSize`).
pub const MAX_CONFIG_MAP_DATA_SIZE: usize = super::validate::MAX_FILE_SIZE;

/// A Prometheus mounts at least this many rule ConfigMaps, listing names
/// that may not exist yet, so that its StatefulSet does not change as rules
/// come and go (the ConfigMap volumes are optional).
const MIN_PROMETHEUS_MOUNTS: usize = 3;

/// The rule ConfigMaps of a workload.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleConfigMaps {
    /// The ConfigMaps to write (a Prometheus always has at least one, empty
    /// when no rule is selected, as the reference writes it).
    pub config_maps: Vec<ConfigMap>,
    /// The ConfigMaps to mount and list in `rule_files`: those written, then
    /// for a Prometheus placeholders up to three.
    pub names: Vec<String>,
    /// Selected PrometheusRules that were rejected, by `namespace/name`.
    pub rejected: Vec<RejectedObject>,
}

/// The rule ConfigMaps of a Prometheus (none for a PrometheusAgent) from
/// its selection. The snapshot is not needed beyond the selected objects; it
/// is taken like every other generator takes it.
pub fn config_maps(
    _snapshot: &Snapshot,
    workload: Workload<'_>,
    selection: &Selection<'_>,
    memo: Option<&Memo>,
) -> Result<RuleConfigMaps, RejectedObject> {
    let Workload::Prometheus(prometheus) = workload else {
        return Ok(RuleConfigMaps::default());
    };
    let ctx = RuleContext::for_prometheus(prometheus).map_err(|message| {
        let rejection = Rejection::new("spec.version", message);
        RejectedObject::new(
            workload.kind(),
            workload.namespace(),
            workload.name(),
            rejection,
        )
    })?;
    let rules = &selection.prometheus_rules;
    let mut out = build(
        rules.selected.iter().map(|s| s.object),
        &ctx,
        memo,
        &Target {
            prefix: format!("prometheus-{}", workload.name()),
            namespace: workload.namespace(),
            name_label: ("prometheus-name", workload.name()),
            owner: Owner {
                api_version: "monitoring.coreos.com/v1".into(),
                kind: "Prometheus".into(),
                name: workload.name().to_owned(),
                uid: prometheus.metadata.uid.clone().unwrap_or_default(),
            },
        },
    );
    out.rejected.extend(rules.rejected(PROMETHEUS_RULE));
    sort_rejected(&mut out.rejected);
    let extra = MIN_PROMETHEUS_MOUNTS.saturating_sub(out.names.len());
    let first = out.names.len();
    out.names.extend(
        (first..first + extra)
            .map(|i| config_map_name(&format!("prometheus-{}", workload.name()), i)),
    );
    Ok(out)
}

/// Where the ConfigMaps go and how they are marked.
pub(super) struct Target<'a> {
    pub prefix: String,
    pub namespace: &'a str,
    pub name_label: (&'static str, &'a str),
    pub owner: Owner,
}

/// The ConfigMaps of the files of `rules`, with those that are invalid;
/// with a memo, the files of unchanged rules are reused.
pub(super) fn build<'r>(
    rules: impl Iterator<Item = &'r PrometheusRule>,
    ctx: &RuleContext,
    memo: Option<&Memo>,
    target: &Target<'_>,
) -> RuleConfigMaps {
    let mut files = BTreeMap::new();
    let mut rejected = Vec::new();
    let mut used = Used::default();
    let context = memo.map(|_| ctx.hash()).unwrap_or_default();
    for rule in rules {
        let file = match memo {
            Some(memo) => {
                used.extend(rule.metadata.uid.as_deref());
                memo.rule_file(&rule.metadata, context, || rule_file(rule, ctx))
            }
            None => rule_file(rule, ctx),
        };
        match file {
            Ok(content) => {
                files.insert(file_name(rule), content);
            }
            Err(why) => {
                let meta = &rule.metadata;
                let namespace = meta.namespace.as_deref().unwrap_or_default();
                let name = meta.name.as_deref().unwrap_or_default();
                rejected.push(RejectedObject::new(PROMETHEUS_RULE, namespace, name, why));
            }
        }
    }
    if let Some(memo) = memo {
        memo.retain_rule_files(&used);
    }
    let labels: Labels = [(
        target.name_label.0.to_owned(),
        target.name_label.1.to_owned(),
    )]
    .into();
    let config_maps: Vec<ConfigMap> = pack(files)
        .into_iter()
        .enumerate()
        .map(|(i, data)| ConfigMap {
            metadata: controlled(
                &config_map_name(&target.prefix, i),
                target.namespace,
                &target.owner,
                &labels,
                &Labels::new(),
            ),
            data: (!data.is_empty()).then_some(data),
            ..ConfigMap::default()
        })
        .collect();
    let names = config_maps
        .iter()
        .filter_map(|cm| cm.metadata.name.clone())
        .collect();
    RuleConfigMaps {
        config_maps,
        names,
        rejected,
    }
}

fn config_map_name(prefix: &str, index: usize) -> String {
    numbered(&Numbered::of(prefix).rule_files, index)
}

/// Splits the files, in key order, into buckets: a file that does not fit
/// in the current bucket opens the next one (the reference's packing). There
/// is always a first bucket, possibly empty.
pub fn pack(files: BTreeMap<String, String>) -> Vec<BTreeMap<String, String>> {
    let mut buckets = vec![BTreeMap::new()];
    let mut size = 0;
    for (key, content) in files {
        if size + content.len() > MAX_CONFIG_MAP_DATA_SIZE {
            buckets.push(BTreeMap::new());
            size = 0;
        }
        size += content.len();
        if let Some(bucket) = buckets.last_mut() {
            bucket.insert(key, content);
        }
    }
    buckets
}

const PROMETHEUS_RULE: &str = "PrometheusRule";

/// In `namespace/name` order, as the reference lists them.
pub(super) fn sort_rejected(rejected: &mut [RejectedObject]) {
    rejected.sort_by_cached_key(|r| format!("{}/{}", r.namespace, r.name));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: usize) -> String {
        "x".repeat(n)
    }

    // The reference's packing: files in key order, a new ConfigMap when the
    // next file would take the current one over the limit.
    #[test]
    fn files_are_packed_in_key_order_up_to_the_limit() {
        let half = MAX_CONFIG_MAP_DATA_SIZE / 2;
        let files: BTreeMap<String, String> = [
            ("c.yaml".to_owned(), file(half)),
            ("a.yaml".to_owned(), file(half)),
            ("b.yaml".to_owned(), file(1)),
            ("d.yaml".to_owned(), file(half)),
        ]
        .into();
        let buckets = pack(files);
        let keys: Vec<Vec<&str>> = buckets
            .iter()
            .map(|b| b.keys().map(String::as_str).collect())
            .collect();
        assert_eq!(keys, [vec!["a.yaml", "b.yaml"], vec!["c.yaml", "d.yaml"]]);
    }

    #[test]
    fn a_full_bucket_is_allowed_and_no_rules_make_one_empty_bucket() {
        let files: BTreeMap<String, String> =
            [("a.yaml".to_owned(), file(MAX_CONFIG_MAP_DATA_SIZE))].into();
        assert_eq!(pack(files).len(), 1);
        assert_eq!(pack(BTreeMap::new()), vec![BTreeMap::new()]);
    }
}
