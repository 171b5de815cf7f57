//! The routing tree of an AlertmanagerConfig, prefixed with the object's
//! `namespace/name/` and restricted by the matcher strategy.
use promop_api::v1::alertmanager::AlertmanagerConfigMatcherStrategyType as Strategy;
use promop_api::v1alpha1::alertmanager_config::{MatchType, Route};

use super::matchers::{self, matcher_string};
use super::version::{Feature, Version};
use crate::yaml::{Mapping, Node};

/// `<namespace>/<cr>/<name>`, or "" for an empty name.
pub fn namespaced(name: &str, namespace: &str, cr: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("{namespace}/{cr}/{name}")
    }
}

/// Converts a route and its children (already validated by selection).
pub fn convert(route: &Route, namespace: &str, cr: &str, version: &Version) -> Mapping {
    let converted = matchers::convert(route.matchers.as_deref().unwrap_or_default(), version);
    let children: Vec<Node> = route
        .child_routes()
        .unwrap_or_default()
        .iter()
        .map(|child| Node::Map(convert(child, namespace, cr, version)))
        .collect();
    let prefixed = |names: &Option<Vec<String>>| -> Vec<Node> {
        names
            .iter()
            .flatten()
            .map(|n| Node::Str(namespaced(n, namespace, cr)))
            .collect()
    };
    let mut out = Mapping::new();
    out.insert(
        "receiver",
        namespaced(route.receiver.as_deref().unwrap_or_default(), namespace, cr),
    )
    .insert(
        "group_by",
        Node::from(route.group_by.clone().unwrap_or_default()),
    )
    .insert("match", Mapping::sorted(converted.equal))
    .insert("match_re", Mapping::sorted(converted.regex))
    .insert("matchers", Node::from(converted.matchers))
    .insert("continue", route.continue_.unwrap_or(false))
    .insert("routes", Node::Seq(children))
    .insert_opt(
        "group_wait",
        route.group_wait.as_ref().map(|d| d.0.as_str()),
    )
    .insert_opt(
        "group_interval",
        route.group_interval.as_ref().map(|d| d.0.as_str()),
    )
    .insert_opt(
        "repeat_interval",
        route.repeat_interval.as_ref().map(|d| d.0.as_str()),
    )
    .insert(
        "mute_time_intervals",
        Node::Seq(prefixed(&route.mute_time_intervals)),
    )
    .insert(
        "active_time_intervals",
        Node::Seq(prefixed(&route.active_time_intervals)),
    );
    out
}

/// How the routes and inhibition rules of an AlertmanagerConfig are tied
/// to its namespace (`spec.alertmanagerConfigMatcherStrategy`).
pub struct Enforcer<'a> {
    pub strategy: Strategy,
    pub alertmanager_namespace: &'a str,
    pub version: Version,
}

impl Enforcer<'_> {
    /// Whether alerts must come from the object's namespace.
    fn applies(&self, namespace: &str) -> bool {
        match self.strategy {
            Strategy::None => false,
            Strategy::OnNamespaceExceptForAlertmanagerNamespace => {
                namespace != self.alertmanager_namespace
            }
            Strategy::OnNamespace => true,
        }
    }

    /// The top-level route of an AlertmanagerConfig: restricted to its
    /// namespace, and always `continue: true` so that alerts reach the
    /// routes after it.
    pub fn route(&self, mut route: Mapping, namespace: &str) -> Mapping {
        if self.applies(namespace) {
            if self.version.supports(Feature::MatchersV2) {
                push_str(&mut route, "matchers", namespace_matcher(namespace));
            } else if let Some(Node::Map(m)) = route.get_mut("match") {
                set_sorted(m, "namespace", namespace);
            }
        }
        if let Some(c) = route.get_mut("continue") {
            *c = Node::Bool(true);
        }
        route
    }

    /// An inhibition rule restricted to alerts of the object's namespace.
    pub fn inhibit_rule(&self, mut rule: Mapping, namespace: &str) -> Mapping {
        if !self.applies(namespace) {
            return rule;
        }
        for key in ["source_match_re", "target_match_re"] {
            if let Some(Node::Map(m)) = rule.get_mut(key) {
                remove(m, "namespace");
            }
        }
        if !self.version.supports(Feature::MatchersV2) {
            for key in ["source_match", "target_match"] {
                if let Some(Node::Map(m)) = rule.get_mut(key) {
                    set_sorted(m, "namespace", namespace);
                }
            }
            return rule;
        }
        let matcher = namespace_matcher(namespace);
        for key in ["source_matchers", "target_matchers"] {
            let present = match rule.get(key) {
                Some(Node::Seq(items)) => items.iter().any(
                    |i| matches!(i, Node::Str(s) if s.replace(' ', "") == matcher.replace(' ', "")),
                ),
                _ => false,
            };
            if !present {
                push_str(&mut rule, key, matcher.clone());
            }
        }
        for key in ["source_match", "target_match"] {
            if let Some(Node::Map(m)) = rule.get_mut(key) {
                remove(m, "namespace");
            }
        }
        rule
    }
}

fn namespace_matcher(namespace: &str) -> String {
    matcher_string("namespace", MatchType::Equal, namespace)
}

fn push_str(map: &mut Mapping, key: &str, value: String) {
    match map.get_mut(key) {
        Some(Node::Seq(items)) => items.push(Node::Str(value)),
        _ => {
            map.insert(key, Node::Seq(vec![Node::Str(value)]));
        }
    }
}

/// Sets a key of a mapping kept sorted (a Go map).
fn set_sorted(map: &mut Mapping, key: &str, value: &str) {
    let mut entries: Vec<(String, Node)> = map
        .iter()
        .filter(|(k, _)| *k != key)
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    entries.push((key.to_owned(), Node::Str(value.to_owned())));
    *map = Mapping::sorted(entries);
}

fn remove(map: &mut Mapping, key: &str) {
    let entries: Vec<(String, Node)> = map
        .iter()
        .filter(|(k, _)| *k != key)
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    *map = Mapping::sorted(entries);
}
