//! Inhibition rules of AlertmanagerConfigs.
use promop_api::v1alpha1::alertmanager_config::InhibitRule;

use super::matchers;
use super::version::{Feature, Version};
use crate::version::Gate;
use crate::yaml::{Mapping, Node};

/// Converts a rule; the matcher strategy is applied by the caller.
pub fn convert(rule: &InhibitRule, version: &Version) -> Mapping {
    let source = matchers::convert(rule.source_match.as_deref().unwrap_or_default(), version);
    let target = matchers::convert(rule.target_match.as_deref().unwrap_or_default(), version);
    let mut out = Mapping::new();
    out.insert("target_match", Mapping::sorted(target.equal))
        .insert("target_match_re", Mapping::sorted(target.regex))
        .insert("target_matchers", Node::from(target.matchers))
        .insert("source_match", Mapping::sorted(source.equal))
        .insert("source_match_re", Mapping::sorted(source.regex))
        .insert("source_matchers", Node::from(source.matchers))
        .insert("equal", Node::from(rule.equal.clone().unwrap_or_default()));
    out
}

/// The reference's version check of an object's inhibition rules.
pub fn check(rules: &[InhibitRule], name: &str, version: &Version) -> Result<(), String> {
    for (i, rule) in rules.iter().enumerate() {
        let source = rule.source_match.as_deref().unwrap_or_default();
        let target = rule.target_match.as_deref().unwrap_or_default();
        if !version.supports(Feature::MatchersV2) {
            if matchers::any_v2(source) || matchers::any_v2(target) {
                return Err(format!(
                    "'sourceMatch' and/or 'targetMatch' are using matching syntax which is supported in Alertmanager >= {} only (sourceMatch={}, targetMatch={})",
                    Feature::MatchersV2.minimum(),
                    matchers::go_list(source),
                    matchers::go_list(target)
                ));
            }
            continue;
        }
        for (j, m) in target.iter().enumerate() {
            matchers::validate(m).map_err(|e| {
                format!("invalid targetMatchers[{j}] in inhibitRule[{i}] in config {name}: {e}")
            })?;
        }
        for (j, m) in source.iter().enumerate() {
            matchers::validate(m).map_err(|e| {
                format!("invalid sourceMatchers[{j}] in inhibitRule[{i}] in config {name}: {e}")
            })?;
        }
    }
    Ok(())
}
