//! Conversion between the served v1beta1 and the stored v1alpha1
//! AlertmanagerConfig, as the reference's conversion webhook does it: the
//! API server stores every AlertmanagerConfig as v1alpha1 and asks the
//! webhook (`promop run` serves `/convert`) whenever a client reads or
//! writes v1beta1; `promop render` converts v1beta1 manifests the same way.
//!
//! The versions differ in names, not in meaning: `timeIntervals` (v1beta1)
//! is `muteTimeIntervals` (v1alpha1); v1alpha1 matchers may still carry the
//! deprecated `regex` flag instead of a `matchType`; Secret key selectors
//! of v1alpha1 have an `optional` field, and OpsGenie an `updateAlerts`
//! field, that v1beta1 lacks (dropped, as the reference drops them).
use serde_json::{Map, Value};

pub const V1ALPHA1: &str = "monitoring.coreos.com/v1alpha1";
pub const V1BETA1: &str = "monitoring.coreos.com/v1beta1";

/// An AlertmanagerConfig (JSON, either version) in `api_version`; `None`
/// for another version or kind.
pub fn convert(object: &Value, api_version: &str) -> Option<Value> {
    if object["kind"] != "AlertmanagerConfig" {
        return None;
    }
    let from = object["apiVersion"].as_str()?;
    match (from, api_version) {
        (a, b) if a == b => Some(object.clone()),
        (V1BETA1, V1ALPHA1) => Some(to_v1alpha1(object)),
        (V1ALPHA1, V1BETA1) => Some(to_v1beta1(object)),
        _ => None,
    }
}

/// v1beta1 → v1alpha1.
pub fn to_v1alpha1(object: &Value) -> Value {
    let mut out = object.clone();
    out["apiVersion"] = V1ALPHA1.into();
    if let Some(spec) = out.get_mut("spec").and_then(Value::as_object_mut) {
        rename(spec, "timeIntervals", "muteTimeIntervals");
    }
    out
}

/// v1alpha1 → v1beta1.
pub fn to_v1beta1(object: &Value) -> Value {
    let mut out = object.clone();
    out["apiVersion"] = V1BETA1.into();
    let Some(spec) = out.get_mut("spec").and_then(Value::as_object_mut) else {
        return out;
    };
    rename(spec, "muteTimeIntervals", "timeIntervals");
    if let Some(route) = spec.get_mut("route") {
        route_matchers(route);
    }
    for rule in items(spec.get_mut("inhibitRules")) {
        for side in ["sourceMatch", "targetMatch"] {
            items(rule.get_mut(side)).for_each(matcher);
        }
    }
    for receiver in items(spec.get_mut("receivers")) {
        if let Some(receiver) = receiver.as_object_mut() {
            for (kind, configs) in receiver.iter_mut() {
                for config in items(Some(configs)) {
                    if kind == "opsgenieConfigs"
                        && let Some(c) = config.as_object_mut()
                    {
                        c.remove("updateAlerts");
                    }
                    drop_optional(config);
                }
            }
        }
    }
    out
}

fn rename(map: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = map.remove(from) {
        map.insert(to.to_owned(), v);
    }
}

fn items(value: Option<&mut Value>) -> impl Iterator<Item = &mut Value> {
    value
        .and_then(Value::as_array_mut)
        .into_iter()
        .flat_map(|a| a.iter_mut())
}

/// The matchers of a route and of its child routes (nested at any depth).
fn route_matchers(route: &mut Value) {
    items(route.get_mut("matchers")).for_each(matcher);
    items(route.get_mut("routes")).for_each(route_matchers);
}

/// `regex` becomes the match type it stood for when none is set.
fn matcher(m: &mut Value) {
    let Some(m) = m.as_object_mut() else { return };
    let regex = m.remove("regex").and_then(|r| r.as_bool()).unwrap_or(false);
    if m.get("matchType")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        m.insert("matchType".into(), (if regex { "=~" } else { "=" }).into());
    }
}

/// Removes `optional` from every Secret key selector under `value`.
fn drop_optional(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("key") && map.get("optional").is_some_and(Value::is_boolean) {
                map.remove("optional");
            }
            map.values_mut().for_each(drop_optional);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_optional),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn beta() -> Value {
        json!({
            "apiVersion": V1BETA1, "kind": "AlertmanagerConfig",
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {
                "route": {"receiver": "r", "muteTimeIntervals": ["night"],
                          "matchers": [{"name": "x", "value": "y", "matchType": "=~"}]},
                "receivers": [{"name": "r", "pagerdutyConfigs": [{"routingKey": {"name": "s", "key": "k"}}]}],
                "timeIntervals": [{"name": "night", "timeIntervals": [{"times": [{"startTime": "00:00", "endTime": "06:00"}]}]}]
            }
        })
    }

    #[test]
    fn v1beta1_time_intervals_are_stored_as_mute_time_intervals() {
        let alpha = convert(&beta(), V1ALPHA1).expect("an AlertmanagerConfig");
        assert_eq!(alpha["apiVersion"], V1ALPHA1);
        assert_eq!(alpha["spec"]["muteTimeIntervals"][0]["name"], "night");
        assert!(alpha["spec"].get("timeIntervals").is_none());
        assert_eq!(alpha["spec"]["route"], beta()["spec"]["route"]);
        assert_eq!(alpha["spec"]["receivers"], beta()["spec"]["receivers"]);
    }

    #[test]
    fn a_round_trip_gives_the_v1beta1_object_back() {
        let alpha = to_v1alpha1(&beta());
        assert_eq!(to_v1beta1(&alpha), beta());
    }

    #[test]
    fn v1alpha1_only_fields_are_translated_or_dropped() {
        let alpha = json!({
            "apiVersion": V1ALPHA1, "kind": "AlertmanagerConfig",
            "spec": {
                "route": {"receiver": "r",
                          "matchers": [{"name": "a", "value": "b", "regex": true}],
                          "routes": [{"matchers": [{"name": "c", "value": "d"}]}]},
                "inhibitRules": [{"sourceMatch": [{"name": "e", "value": "f", "regex": false, "matchType": "!="}]}],
                "receivers": [{"name": "r",
                    "opsgenieConfigs": [{"updateAlerts": true, "apiKey": {"name": "s", "key": "k", "optional": true}}]}]
            }
        });
        let beta = convert(&alpha, V1BETA1).expect("an AlertmanagerConfig");
        assert_eq!(
            beta["spec"]["route"]["matchers"][0],
            json!({"name": "a", "value": "b", "matchType": "=~"})
        );
        assert_eq!(
            beta["spec"]["route"]["routes"][0]["matchers"][0]["matchType"],
            "="
        );
        assert_eq!(
            beta["spec"]["inhibitRules"][0]["sourceMatch"][0],
            json!({"name": "e", "value": "f", "matchType": "!="})
        );
        assert_eq!(
            beta["spec"]["receivers"][0]["opsgenieConfigs"][0],
            json!({"apiKey": {"name": "s", "key": "k"}})
        );
    }

    #[test]
    fn other_kinds_and_versions_are_not_converted() {
        let mut other = beta();
        other["kind"] = "Prometheus".into();
        assert!(convert(&other, V1ALPHA1).is_none());
        assert!(convert(&beta(), "monitoring.coreos.com/v1").is_none());
        assert_eq!(convert(&beta(), V1BETA1), Some(beta()));
    }
}
