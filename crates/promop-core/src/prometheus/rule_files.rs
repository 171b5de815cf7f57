//! `rule_files`: one glob per rule ConfigMap, written whenever the
//! Prometheus has a rule selector (even when no rule is selected).
use promop_api::v1::PrometheusSpec;

use crate::yaml::Mapping;

/// Where the rule ConfigMaps are mounted.
pub const RULES_DIR: &str = "/etc/prometheus/rules";

pub fn append(cfg: &mut Mapping, spec: &PrometheusSpec, config_maps: &[String]) {
    if spec.rule_selector.is_none() {
        return;
    }
    let globs: Vec<String> = config_maps
        .iter()
        .map(|name| format!("{RULES_DIR}/{name}/*.yaml"))
        .collect();
    cfg.insert("rule_files", globs);
}
