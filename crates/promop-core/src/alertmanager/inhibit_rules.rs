//! Inhibition rules of AlertmanagerConfigs.
use promop_api::v1alpha1::alertmanager_config::InhibitRule;

use super::matchers;
use super::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
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
pub fn check(rules: &[InhibitRule], name: &str, version: &Version) -> Result<(), RejectionKind> {
    for (i, rule) in rules.iter().enumerate() {
        let source = rule.source_match.as_deref().unwrap_or_default();
        let target = rule.target_match.as_deref().unwrap_or_default();
        if let Err(too_old) = version.requires(Feature::MatchersV2) {
            if matchers::any_v2(source) || matchers::any_v2(target) {
                let message = format!(
                    "'sourceMatch' and/or 'targetMatch' are using matching syntax which is supported in Alertmanager >= {} only (sourceMatch={}, targetMatch={})",
                    too_old.min_version,
                    matchers::go_list(source),
                    matchers::go_list(target)
                );
                return Err(RejectionKind::too_old(too_old, message));
            }
            continue;
        }
        for (j, m) in target.iter().enumerate() {
            matchers::validate(m).map_err(|e| {
                e.context(&format!(
                    "invalid targetMatchers[{j}] in inhibitRule[{i}] in config {name}"
                ))
            })?;
        }
        for (j, m) in source.iter().enumerate() {
            matchers::validate(m).map_err(|e| {
                e.context(&format!(
                    "invalid sourceMatchers[{j}] in inhibitRule[{i}] in config {name}"
                ))
            })?;
        }
    }
    Ok(())
}
