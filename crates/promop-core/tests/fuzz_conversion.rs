//! No panic on any `/convert` request: arbitrary ConversionReview bodies
//! (AlertmanagerConfigs of both versions drawn from our CRD schemas, other
//! kinds and versions, values of the wrong type, huge numbers, deep
//! nesting, random JSON, mutated and random bytes) go through what the
//! webhook does with them (`promop_operator`'s handler is reachable only
//! over HTTP): the JSON decoding of the body (axum's `Json` is
//! `serde_json::from_slice`), the review's fields, and the AlertmanagerConfig
//! v1beta1 ⇄ v1alpha1 conversion of every object; and the objects also go
//! through `promop render`'s reading, which converts v1beta1 the same way.
//!
//! Beyond no panic, the conversion must do what the API server relies on:
//! convert exactly the AlertmanagerConfigs of the two versions, set the
//! desired `apiVersion` and leave `kind`, `metadata` and `status` alone,
//! give a stable result after one round trip, and turn an object that
//! its version's schema accepts into one that decodes in the other version.
//!
//! ```text
//! PROMOP_FUZZ_SECONDS=600 cargo test --release -p promop-core --test fuzz_conversion -- --nocapture
//! PROMOP_FUZZ_CASES=100000 ...
//! ```
mod fuzz;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use fuzz::mutate::mutated;
use fuzz::{Mode, NAMES, NAMESPACES, any_string, from_schema_with, pick};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use promop_api::object::decode_object;
use promop_api::v1beta1::alertmanager_config::conversion::{V1ALPHA1, V1BETA1, convert};
use promop_core::manifests::{Loaded, Strictness};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

const DEFAULT_CASES: u32 = 256;

const REVIEW_VERSION: &str = "apiextensions.k8s.io/v1";

#[rustfmt::skip]
const API_VERSIONS: &[&str] = &[
    V1ALPHA1, V1BETA1, V1ALPHA1, V1BETA1, "monitoring.coreos.com/v1", "monitoring.coreos.com/v1beta2",
    "v1", "", "MONITORING.COREOS.COM/V1BETA1", "monitoring.coreos.com/v1alpha1 ",
];
#[rustfmt::skip]
const KINDS: &[&str] = &[
    "AlertmanagerConfig", "AlertmanagerConfig", "AlertmanagerConfig", "Prometheus",
    "alertmanagerconfig", "", "AlertmanagerConfigList",
];
/// Numbers at and beyond the edges of what JSON decoders keep exactly.
#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "0", "-0", "1e999", "-1e999", "18446744073709551616", "-9223372036854775809",
    "9223372036854775807", "1.7976931348623157e308", "4.9e-324", "1e-999", "0.1e1",
    "123456789012345678901234567890", "1E+2", "-0.0",
];

/// A JSON value of any shape, up to a few levels deep.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any_string().prop_map(Value::from),
        pick(API_VERSIONS).prop_map(Value::from),
    ];
    let keys = prop_oneof![
        3 => pick(&[
            "apiVersion", "kind", "metadata", "spec", "request", "uid", "objects",
            "desiredAPIVersion", "route", "routes", "matchers", "receivers", "timeIntervals",
            "muteTimeIntervals", "inhibitRules", "sourceMatch", "regex", "matchType",
            "opsgenieConfigs", "updateAlerts", "optional", "key", "name",
        ]),
        1 => any_string(),
    ];
    leaf.prop_recursive(4, 48, 4, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys.clone(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Fields that refer to each other or that conversion rewrites: matchers
/// with and without `regex`/`matchType`, Secret key selectors with
/// `optional`, OpsGenie's `updateAlerts`, time intervals.
fn config_fields(path: &str, schema: &Value, _: usize, mode: Mode) -> Option<BoxedStrategy<Value>> {
    if path.ends_with("matchers[]") || path.ends_with("atch[]") {
        let matcher = (
            pick(&["severity", "namespace", "a"]),
            any_string(),
            proptest::option::of(pick(&["=", "!=", "=~", "!~", ""])),
            proptest::option::of(prop_oneof![
                any::<bool>().prop_map(Value::from),
                fuzz::garbage(),
            ]),
        )
            .prop_map(|(name, value, match_type, regex)| {
                let mut m = json!({"name": name, "value": value});
                if let Some(t) = match_type {
                    m["matchType"] = t.into();
                }
                if let Some(r) = regex {
                    m["regex"] = r;
                }
                m
            });
        return match mode {
            Mode::Wild => Some(prop_oneof![6 => matcher, 1 => fuzz::garbage()].boxed()),
            _ => Some(matcher.boxed()),
        };
    }
    // A Secret key selector (an object with `name` and `key`).
    let properties = schema.get("properties")?;
    if properties.get("key").is_some() && properties.get("name").is_some() {
        let selector = (
            pick(fuzz::SECRET_NAMES),
            pick(fuzz::SECRET_KEYS),
            proptest::option::of(prop_oneof![
                3 => any::<bool>().prop_map(Value::from),
                1 => fuzz::garbage(),
            ]),
        )
            .prop_map(|(name, key, optional)| {
                let mut s = json!({"name": name, "key": key});
                if let Some(o) = optional {
                    s["optional"] = o;
                }
                s
            });
        return Some(selector.boxed());
    }
    None
}

/// An AlertmanagerConfig of `version`, with a status now and then.
fn alertmanager_config(version: &'static str, mode: Mode) -> BoxedStrategy<Value> {
    let mut schema = fuzz::spec_schema_at("alertmanagerconfigs", version);
    if let Value::Object(properties) = &mut schema["properties"] {
        // Both versions' names for time intervals, to see them renamed.
        if let Some(intervals) = properties
            .get("timeIntervals")
            .or_else(|| properties.get("muteTimeIntervals"))
            .cloned()
        {
            properties.insert("timeIntervals".into(), intervals.clone());
            properties.insert("muteTimeIntervals".into(), intervals);
        }
    }
    let route = schema["properties"]["route"].clone();
    let children = fuzz::child_routes(&route, mode, 3, &config_fields);
    let fields = move |path: &str, schema: &Value, depth: usize, mode: Mode| match path {
        "spec.route.routes" => Some(children.clone()),
        // Which name the version has, mostly.
        "spec.timeIntervals" if version == "v1alpha1" => {
            Some(prop_oneof![6 => Just(Value::Null), 1 => fuzz::garbage()].boxed())
        }
        "spec.muteTimeIntervals" if version == "v1beta1" => {
            Some(prop_oneof![6 => Just(Value::Null), 1 => fuzz::garbage()].boxed())
        }
        _ => config_fields(path, schema, depth, mode),
    };
    let api_version = match version {
        "v1beta1" => V1BETA1,
        _ => V1ALPHA1,
    };
    (
        from_schema_with(&schema, "spec", 0, mode, &fields),
        pick(NAMESPACES),
        pick(NAMES),
        fuzz::labels(),
        proptest::option::weighted(0.1, any_json()),
    )
        .prop_map(move |(mut spec, namespace, name, labels, status)| {
            if let Value::Object(map) = &mut spec {
                map.retain(|_, v| !v.is_null());
            }
            let mut object = fuzz::object(
                api_version,
                "AlertmanagerConfig",
                &namespace,
                &name,
                labels,
                spec,
            );
            object["metadata"]["uid"] = "0b9f3c1e-0000-4000-8000-000000000000".into();
            object["metadata"]["resourceVersion"] = "42".into();
            if let Some(status) = status {
                object["status"] = status;
            }
            object
        })
        .boxed()
}

/// An object of a review: an AlertmanagerConfig, or anything near one.
fn review_object() -> BoxedStrategy<Value> {
    let config = prop_oneof![
        3 => alertmanager_config("v1alpha1", Mode::Typed),
        3 => alertmanager_config("v1beta1", Mode::Typed),
        1 => alertmanager_config("v1alpha1", Mode::Wild),
        1 => alertmanager_config("v1beta1", Mode::Wild),
    ];
    let relabelled = (config.clone(), pick(API_VERSIONS), pick(KINDS)).prop_map(
        |(mut object, api_version, kind)| {
            object["apiVersion"] = api_version.into();
            object["kind"] = kind.into();
            object
        },
    );
    let wrong_types = (
        config.clone(),
        any_json(),
        pick(&["apiVersion", "kind", "spec", "metadata"]),
    )
        .prop_map(|(mut object, value, field)| {
            object[field] = value;
            object
        });
    prop_oneof![
        10 => config,
        2 => relabelled,
        1 => wrong_types,
        1 => any_json(),
    ]
    .boxed()
}

/// A ConversionReview as the API server sends it, or not quite.
fn review() -> BoxedStrategy<Value> {
    let uid = prop_oneof![
        8 => Just(json!("705ab4f5-6393-11e8-b7cc-42010a800002")),
        1 => any_json(),
    ];
    let desired = prop_oneof![
        8 => pick(&[V1ALPHA1, V1BETA1]).prop_map(Value::from),
        2 => pick(API_VERSIONS).prop_map(Value::from),
        1 => any_json(),
    ];
    let objects = prop_oneof![
        10 => proptest::collection::vec(review_object(), 0..=3).prop_map(Value::Array),
        1 => any_json(),
    ];
    (
        uid,
        desired,
        objects,
        prop_oneof![10 => Just(json!(REVIEW_VERSION)), 1 => any_json()],
        prop_oneof![10 => Just(json!("ConversionReview")), 1 => any_json()],
    )
        .prop_map(|(uid, desired, objects, api_version, kind)| {
            json!({
                "apiVersion": api_version,
                "kind": kind,
                "request": {"uid": uid, "desiredAPIVersion": desired, "objects": objects},
            })
        })
        .boxed()
}

/// `[[[[…]]]]` or `{"a":{"a":…}}`, `depth` deep, around the decoder's
/// recursion limit (128).
fn deep(depth: usize, object: bool) -> String {
    if object {
        format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
    } else {
        fuzz::mutate::nested("1", "[", "]", depth)
    }
}

/// A request body: JSON text of a review (edited now and then: numbers
/// beyond range, deep nesting, syntax errors), random JSON, random bytes.
fn body() -> BoxedStrategy<Vec<u8>> {
    let text = review().prop_map(|r| r.to_string()).boxed();
    // A value of the review replaced with a number or a nested one.
    let spliced = (
        review().prop_map(|r| r.to_string()),
        any::<u16>(),
        prop_oneof![
            2 => pick(NUMBERS),
            1 => (1usize..300, any::<bool>()).prop_map(|(d, o)| deep(d, o)),
        ],
    )
        .prop_map(|(text, at, value)| {
            // After a `:` the text holds a value: put ours in front of it.
            let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i + 1).collect();
            match colons.get(usize::from(at) % colons.len().max(1)) {
                Some(&i) => format!("{}{value},\"x\":{}", &text[..i], &text[i..]),
                None => text,
            }
        });
    // Child routes nested past the decoder's limit.
    let deep_routes = (review_object(), 1usize..100).prop_map(|(object, depth)| {
        let mut route = json!({"receiver": "r"});
        for _ in 0..depth {
            route = json!({"receiver": "r", "matchers": [{"name": "a", "value": "b"}], "routes": [route]});
        }
        let mut object = object;
        if object.is_object() {
            object["spec"] = json!({"route": route});
        }
        json!({"apiVersion": REVIEW_VERSION, "kind": "ConversionReview",
            "request": {"uid": "u", "desiredAPIVersion": V1BETA1, "objects": [object]}})
        .to_string()
    });
    let texts = prop_oneof![
        8 => text.clone(),
        3 => mutated(text),
        2 => spliced,
        1 => deep_routes,
        1 => any_json().prop_map(|v| v.to_string()),
    ]
    .prop_map(String::into_bytes);
    prop_oneof![
        15 => texts,
        1 => proptest::collection::vec(any::<u8>(), 0..512),
    ]
    .boxed()
}

static REVIEWS: AtomicU64 = AtomicU64::new(0);
static OBJECTS: AtomicU64 = AtomicU64::new(0);
static CONVERTED: AtomicU64 = AtomicU64::new(0);
static VALID: AtomicU64 = AtomicU64::new(0);
static RENDERED: AtomicU64 = AtomicU64::new(0);

fn other(version: &str) -> &'static str {
    if version == V1ALPHA1 {
        V1BETA1
    } else {
        V1ALPHA1
    }
}

/// Converts or fails the case: the conversion of an object that converted
/// once must succeed.
fn must_convert(object: &Value, to: &str) -> Result<Value, TestCaseError> {
    convert(object, to).ok_or_else(|| {
        TestCaseError::fail(format!(
            "converted object does not convert to {to}: {object}"
        ))
    })
}

/// The object (defaulted) if the API server would store it and the
/// operator read it: its version's schema accepts it and it decodes.
fn valid(object: &Value) -> Option<Value> {
    // The API server checks `metadata` itself.
    let metadata = object.get("metadata").cloned()?;
    serde_json::from_value::<ObjectMeta>(metadata).ok()?;
    let mut object = object.clone();
    promop_api::crd::apply_defaults(&mut object)?;
    if !promop_api::crd::validate(&object)?.is_empty() {
        return None;
    }
    decode_object(object.clone()).ok()?;
    Some(object)
}

/// One object of a review, converted to `desired`.
fn check_object(object: &Value, desired: &str) -> Result<(), TestCaseError> {
    OBJECTS.fetch_add(1, Relaxed);
    let converted = convert(object, desired);
    let versions = [V1ALPHA1, V1BETA1];
    let from = object["apiVersion"].as_str().unwrap_or_default();
    // An AlertmanagerConfig already in the desired version comes back as it
    // is, whatever the version (`convert` does not check it then).
    let convertible = object["kind"] == "AlertmanagerConfig"
        && object["apiVersion"].is_string()
        && ((versions.contains(&from) && versions.contains(&desired)) || from == desired);
    prop_assert_eq!(
        converted.is_some(),
        convertible,
        "converted or not, wrongly: {} to {}",
        object,
        desired
    );
    let Some(converted) = converted else {
        return Ok(());
    };
    CONVERTED.fetch_add(1, Relaxed);
    prop_assert_eq!(&converted["apiVersion"], &json!(desired));
    for field in ["kind", "metadata", "status"] {
        prop_assert_eq!(
            converted.get(field),
            object.get(field),
            "{} changed by the conversion of {}",
            field,
            object
        );
    }
    if !(versions.contains(&from) && versions.contains(&desired)) {
        return Ok(());
    }
    // After one round trip, round trips change nothing.
    let back = must_convert(&converted, other(desired))?;
    let once = must_convert(&back, desired)?;
    let twice = must_convert(&must_convert(&once, other(desired))?, desired)?;
    prop_assert_eq!(&once, &twice, "round trips differ for {}", object);
    // An object valid in its version decodes in the other one, as the
    // operator and `kubectl get` read it.
    if let Some(valid) = valid(object) {
        VALID.fetch_add(1, Relaxed);
        let mut other_version = must_convert(&valid, other(from))?;
        promop_api::crd::apply_defaults(&mut other_version);
        if let Err(e) = decode_object(other_version.clone()) {
            return Err(TestCaseError::fail(format!(
                "a valid {from} object does not decode once converted: {e}\n{valid}\n{other_version}"
            )));
        }
    }
    Ok(())
}

/// The property, for one request body.
fn check(body: &[u8]) -> Result<(), TestCaseError> {
    let Ok(review) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    REVIEWS.fetch_add(1, Relaxed);
    let request = review["request"].clone();
    let desired = request["desiredAPIVersion"].as_str().unwrap_or_default();
    let objects = request["objects"].as_array().map_or(&[][..], Vec::as_slice);
    let mut converted = Vec::new();
    for object in objects {
        check_object(object, desired)?;
        converted.extend(convert(object, desired));
        // `promop render` reads manifests the same way the API server
        // stores them: converted to v1alpha1.
        let mut loaded = Loaded::default();
        let manifest = fuzz::manifest(std::slice::from_ref(object));
        if loaded
            .add_yaml("review.yaml", &manifest, "default", Strictness::ObjectsOnly)
            .is_ok()
        {
            RENDERED.fetch_add(loaded.snapshot.alertmanager_configs.len() as u64, Relaxed);
        }
    }
    // The response holds the converted objects.
    let response = json!({"apiVersion": REVIEW_VERSION, "kind": "ConversionReview",
        "response": {"uid": request["uid"], "convertedObjects": converted,
                     "result": {"status": "Success"}}});
    let text = serde_json::to_vec(&response)
        .map_err(|e| TestCaseError::fail(format!("response does not serialize: {e}")))?;
    let _: Value = serde_json::from_slice(&text)
        .map_err(|e| TestCaseError::fail(format!("response does not parse: {e}")))?;
    Ok(())
}

#[test]
fn conversion_never_panics() {
    let t = Instant::now();
    let strategy = body();
    eprintln!("fuzz_conversion: strategy built in {:.1?}", t.elapsed());
    let total = fuzz::run(
        "fuzz_conversion",
        DEFAULT_CASES,
        &strategy,
        |body| check(body),
        |body| String::from_utf8_lossy(body).into_owned(),
    );
    eprintln!(
        "fuzz_conversion: {total} cases; {} reviews decoded, {} objects, {} converted, {} \
         valid ones decoded in the other version; {} read as manifests",
        REVIEWS.load(Relaxed),
        OBJECTS.load(Relaxed),
        CONVERTED.load(Relaxed),
        VALID.load(Relaxed),
        RENDERED.load(Relaxed),
    );
}
