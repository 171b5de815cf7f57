//! The base configuration from the Secret `spec.configSecret` (default
//! `alertmanager-<name>`, key `alertmanager.yaml`): used as it is when the
//! Alertmanager selects no AlertmanagerConfigs, else parsed into the
//! reference's types and checked like Alertmanager's own loader does.
use std::collections::BTreeSet;

use promop_api::v1::Alertmanager;

use super::types::{self, CONFIG};
use crate::prometheus::secret_yaml::Parsed;
use crate::select::reasons::RejectionKind;
use crate::snapshot::Snapshot;
use crate::yaml::{Mapping, Node};

/// The key of the configuration in the Secret.
pub const CONFIG_KEY: &str = "alertmanager.yaml";

/// What the reference uses when the Secret, its key or its value is missing.
pub const DEFAULT_CONFIG: &str = "route:\n  receiver: 'null'\nreceivers:\n- name: 'null'";

/// The name of the Secret holding the user's configuration.
pub fn secret_name(am: &Alertmanager) -> String {
    match am.spec.config_secret.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => name.to_owned(),
        None => format!(
            "alertmanager-{}",
            am.metadata.name.as_deref().unwrap_or_default()
        ),
    }
}

/// The raw configuration text of the Secret, or the default one.
pub fn raw(snapshot: &Snapshot, am: &Alertmanager) -> String {
    let namespace = am.metadata.namespace.as_deref().unwrap_or_default();
    match snapshot.secret_value(namespace, &secret_name(am), CONFIG_KEY) {
        Some(bytes) if !bytes.is_empty() => String::from_utf8_lossy(bytes).into_owned(),
        _ => DEFAULT_CONFIG.to_owned(),
    }
}

/// Parses the user's configuration into the reference's types and runs
/// the checks of Alertmanager's loader that matter for routing.
pub fn parse(text: &str) -> Result<Mapping, RejectionKind> {
    let Parsed(node) = serde_saphyr::from_str(text)
        .map_err(|e| format!("yaml: {}", crate::yaml::parse_error(&e)))?;
    let node = match node {
        Node::Null => Node::Map(Mapping::new()),
        other => other,
    };
    let shaped =
        types::shape(&node, &CONFIG).map_err(|e| format!("yaml: unmarshal errors: {e}"))?;
    let Node::Map(config) = shaped else {
        return Err("yaml: not a mapping".into());
    };
    load_checks(&config)?;
    root_route(&config).map_err(|e| e.context("check AlertmanagerConfig root route failed"))?;
    Ok(config)
}

fn names<'a>(config: &'a Mapping, key: &str) -> Vec<&'a str> {
    match config.get(key) {
        Some(Node::Seq(items)) => items
            .iter()
            .filter_map(|i| match i {
                Node::Map(m) => match m.get("name") {
                    Some(Node::Str(s)) => Some(s.as_str()),
                    _ => Some(""),
                },
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A subset of Alertmanager's `config.Load` validation.
fn load_checks(config: &Mapping) -> Result<(), RejectionKind> {
    let mut receivers = BTreeSet::new();
    for name in names(config, "receivers") {
        if name.is_empty() {
            return Err("missing name in receiver".into());
        }
        if !receivers.insert(name) {
            return Err(format!("notification config name {name:?} is not unique").into());
        }
    }
    let mut intervals = BTreeSet::new();
    for key in ["mute_time_intervals", "time_intervals"] {
        for name in names(config, key) {
            if name.is_empty() {
                return Err(format!("missing name in {}", key.trim_end_matches('s')).into());
            }
            if !intervals.insert(name) {
                return Err(format!("time interval {name:?} is not unique").into());
            }
        }
    }
    let Some(Node::Map(route)) = config.get("route") else {
        return Err("no routes provided".into());
    };
    if matches!(route.get("receiver"), None | Some(Node::Str(_)) if text(route, "receiver").is_empty())
    {
        return Err("root route must specify a default receiver".into());
    }
    for key in ["match", "match_re", "matchers"] {
        if non_empty(route, key) {
            return Err("root route must not have any matchers".into());
        }
    }
    if non_empty(route, "mute_time_intervals") {
        return Err("root route must not have any mute time intervals".into());
    }
    if non_empty(route, "active_time_intervals") {
        return Err("root route must not have any active time intervals".into());
    }
    check_route(route, &receivers, &intervals)
}

fn text<'a>(m: &'a Mapping, key: &str) -> &'a str {
    match m.get(key) {
        Some(Node::Str(s)) => s,
        _ => "",
    }
}

fn non_empty(m: &Mapping, key: &str) -> bool {
    match m.get(key) {
        Some(Node::Seq(s)) => !s.is_empty(),
        Some(Node::Map(m)) => !m.is_empty(),
        Some(Node::Str(s)) => !s.is_empty(),
        Some(Node::Bool(b)) => *b,
        _ => false,
    }
}

fn check_route(
    route: &Mapping,
    receivers: &BTreeSet<&str>,
    intervals: &BTreeSet<&str>,
) -> Result<(), RejectionKind> {
    let receiver = text(route, "receiver");
    if !receiver.is_empty() && !receivers.contains(receiver) {
        return Err(format!("undefined receiver {receiver:?} used in route").into());
    }
    for key in ["mute_time_intervals", "active_time_intervals"] {
        if let Some(Node::Seq(items)) = route.get(key) {
            for item in items {
                if let Node::Str(name) = item
                    && !intervals.contains(name.as_str())
                {
                    return Err(format!("undefined time interval {name:?} used in route").into());
                }
            }
        }
    }
    if let Some(Node::Seq(children)) = route.get("routes") {
        for child in children {
            if let Node::Map(child) = child {
                check_route(child, receivers, intervals)?;
            }
        }
    }
    Ok(())
}

/// `checkAlertmanagerConfigRootRoute`.
pub fn root_route(config: &Mapping) -> Result<(), RejectionKind> {
    let Some(Node::Map(route)) = config.get("route") else {
        return Err("root route must exist".into());
    };
    if non_empty(route, "continue") {
        return Err("cannot have continue in root route".into());
    }
    if text(route, "receiver").is_empty() {
        return Err("root route's receiver must exist".into());
    }
    if ["matchers", "match", "match_re"]
        .iter()
        .any(|k| non_empty(route, k))
    {
        return Err("'matchers' not permitted on root route".into());
    }
    if non_empty(route, "mute_time_intervals") {
        return Err("'mute_time_intervals' not permitted on root route".into());
    }
    if non_empty(route, "active_time_intervals") {
        return Err("'active_time_intervals' not permitted on root route".into());
    }
    Ok(())
}
