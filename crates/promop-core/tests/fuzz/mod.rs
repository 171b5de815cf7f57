//! What the fuzz targets (`tests/fuzz_*.rs`) share: values drawn from our
//! own CRD schemas, strings that exercise parsers and emitters, mutations of
//! text, and the runner with its switches.
//!
//! The schema walker: objects get a random subset of their properties
//! (required ones almost always), enums a listed value or sometimes garbage,
//! strings plausible values (durations, regexes, Secret names and keys that
//! exist) or arbitrary Unicode, integers anything from negative to huge,
//! arrays 0-3 items; now and then a value has the wrong type. A target can
//! take over any field by its path ([`Override`]), e.g. to put PromQL where
//! the schema only says "string".
//!
//! The runner: a short deterministic run by default (a fixed seed, so that
//! CI fails only when the code changes); long runs with fresh seeds:
//!
//! ```text
//! PROMOP_FUZZ_SECONDS=600 cargo test --release -p promop-core --test fuzz_<target> -- --nocapture
//! PROMOP_FUZZ_CASES=100000 ...
//! ```
//!
//! `PROMOP_FUZZ_DUMP=<file>` writes each case to the file before it runs:
//! after a crash that is not a panic (a stack overflow aborts the process),
//! the file holds the input.
// Each target uses its own part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::{Value, json};

pub mod mutate;

pub const NAMESPACES: &[&str] = &["default", "team-a"];
pub const NAMES: &[&str] = &["m0", "m1", "m2"];

/// A self-signed certificate and its key (openssl, P-256): the reference and
/// promop parse TLS material taken from Secrets.
pub const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBhDCCASmgAwIBAgIUHtggemN+2TxjuPevO2mKTF/DteUwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLcHJvbW9wLWZ1enowIBcNMjYxMTI1MTgyMzIxWhgPMjEyNjEx
MDExODIzMjFaMBYxFDASBgNVBAMMC3Byb21vcC1mdXp6MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEwzk0CapnSN7nFwALC3idqzKJNxmxN0k6nwcNFpO9lIOWhjDc
8WySzTYp2Met7B3Rkn/LulAUbzwdlR3MAR5UWKNTMFEwHQYDVR0OBBYEFP80hVAV
4F6lP2DdliMv9mIemdEzMB8GA1UdIwQYMBaAFP80hVAV4F6lP2DdliMv9mIemdEz
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhANoBqkOjoWPbrCxC
fFd+yuteYLWqE1pmcmGxMeGi68SgAiEAji50/m+f5r64o3+mScN2SksYC4xv3HY8
m7IledxXeS8=
-----END CERTIFICATE-----
";
pub const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzKgyUQZlA+XAQRQ4
U3GR3BBhBIeboLFvlZnU4j6m7zShRANCAATDOTQJqmdI3ucXAAsLeJ2rMok3GbE3
STqfBw0Wk72Ug5aGMNzxbJLNNinYx63sHdGSf8u6UBRvPB2VHcwBHlRY
-----END PRIVATE KEY-----
";

/// Names and keys of the Secrets and ConfigMaps that exist, so that
/// references resolve often enough to reach the credential code.
pub const SECRET_NAMES: &[&str] = &["creds", "tls", "bad-tls", "missing"];
#[rustfmt::skip]
pub const SECRET_KEYS: &[&str] = &[
    "username", "password", "token", "client-id", "client-secret", "ca.crt", "tls.crt", "tls.key",
    "nope",
];

/// Strings that exercise parsers and the emitter: durations, regexes,
/// templates, YAML indicators, numbers and booleans in disguise, Unicode.
#[rustfmt::skip]
pub const STRINGS: &[&str] = &[
    "", "0", "30s", "1m", "1h30m", "5m0s", "-1s", "1y", "100ms", "0s", "10MB", "1KiB", "50%",
    "__name__", "__address__", "__meta_kubernetes_pod_label_(.+)", "job", "instance", "(.*)",
    ".+", "a|b", "[", "(", "\\", "$1", "${1}", "${2}foo", "$$", "{{ .x }}",
    "http://example.com/path", "https://[::1]:9090", "10.0.0.1:9090", "example.com", "/metrics",
    "/etc/prometheus/secrets/x", "null", "~", "true", "no", "On", "1e3", "0x1F", "0o17", "1_000",
    ".inf", "-.nan", "2001-12-14", "- a", ": b", "? c", "#d", "&e", "*f", "!g", "|h", ">i", "%j",
    "@k", "`l", "'m'", "\"n\"", "a: b", "a #b", "tab\there", "new\nline", "trail ", " lead",
    "\u{0}", "\u{85}", "\u{feff}x", "ünïcødé", "日本語", "🙂", "\u{202e}rtl",
];

/// Values that validated strings accept: durations, sizes, selector
/// operators, label names, URLs, hosts. A schema `pattern` picks those it
/// accepts.
#[rustfmt::skip]
pub const PLAUSIBLE: &[&str] = &[
    "30s", "1m", "5m", "1h", "0s", "10s", "100ms", "1d", "2w", "1y", "1h30m", "app", "team", "a",
    "web", "http", "https", "metrics", "/metrics", "http://example.com:8080/path",
    "https://example.com", "example.com:9090", "10.0.0.1", "1KiB", "10MB", "1GB", "100", "50%",
    "__name__", "job", "instance", "foo_bar", "creds", "tls",
];
pub const OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist"];

/// Durations at the edges: zero, overflowing units, repeated and unordered
/// units, Go's and Prometheus' spellings.
#[rustfmt::skip]
pub const DURATIONS: &[&str] = &[
    "0", "0s", "1ms", "30s", "5m", "1h", "1d", "1w", "1y", "1h30m", "1y2w3d4h5m6s7ms",
    "292y", "293y", "300000000y", "9223372036854775807ms", "18446744073709551616s",
    "99999999999999999999999h", "1s1s", "1m1h", "1.5h", "-1s", "+1s", "1", "s", "1 s", "1µs",
    "1us", "1ns", "1H", "",
];

/// Durations for a field of `schema`: those its `pattern` accepts, unless
/// anything goes.
pub fn durations(schema: &Value, mode: Mode) -> BoxedStrategy<Value> {
    let pattern = schema.get("pattern").and_then(Value::as_str);
    let re = pattern.and_then(|p| regex::Regex::new(p).ok());
    let accepted: Vec<&'static str> = DURATIONS
        .iter()
        .copied()
        .filter(|d| re.as_ref().is_none_or(|re| re.is_match(d)))
        .collect();
    let strings = match (mode, accepted.is_empty()) {
        (Mode::Wild, _) | (_, true) => prop_oneof![3 => pick(DURATIONS), 1 => any_string()].boxed(),
        _ => proptest::sample::select(accepted)
            .prop_map(str::to_owned)
            .boxed(),
    };
    strings.prop_map(Value::from).boxed()
}

/// One of `values` for a string field of `schema`: unless anything goes,
/// only those its `pattern` accepts (and none of them: any string); now and
/// then any string anyway.
pub fn one_of(values: &'static [&'static str], schema: &Value, mode: Mode) -> BoxedStrategy<Value> {
    let pattern = schema.get("pattern").and_then(Value::as_str);
    let re = pattern.and_then(|p| regex::Regex::new(p).ok());
    let accepted: Vec<&'static str> = values
        .iter()
        .copied()
        .filter(|v| mode == Mode::Wild || re.as_ref().is_none_or(|re| re.is_match(v)))
        .collect();
    let strings = if accepted.is_empty() {
        any_string()
    } else {
        prop_oneof![
            8 => proptest::sample::select(accepted).prop_map(str::to_owned),
            1 => any_string(),
        ]
        .boxed()
    };
    strings.prop_map(Value::from).boxed()
}

/// Strings for a schema with a `pattern`: mostly ones it accepts.
fn matching(pattern: &str) -> Option<BoxedStrategy<String>> {
    let re = regex::Regex::new(pattern).ok()?;
    let accepted: Vec<&'static str> = STRINGS
        .iter()
        .chain(PLAUSIBLE)
        .copied()
        .filter(|s| re.is_match(s))
        .collect();
    if accepted.is_empty() {
        return None;
    }
    Some(
        proptest::sample::select(accepted)
            .prop_map(str::to_owned)
            .boxed(),
    )
}

pub fn pick(values: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(values)
        .prop_map(str::to_owned)
        .boxed()
}

pub fn any_string() -> BoxedStrategy<String> {
    prop_oneof![
        5 => pick(STRINGS),
        2 => "[a-z_][a-z0-9_]{0,8}",
        2 => "\\PC{0,16}",
        1 => ".{0,24}",
    ]
    .boxed()
}

/// A string for a property named `name`: Secret names and keys come mostly
/// from the ones that exist.
pub fn string_for(name: &str) -> BoxedStrategy<String> {
    match name {
        "name" => prop_oneof![3 => pick(SECRET_NAMES), 1 => any_string()].boxed(),
        "key" => prop_oneof![3 => pick(SECRET_KEYS), 1 => any_string()].boxed(),
        "namespace" => prop_oneof![3 => pick(NAMESPACES), 1 => any_string()].boxed(),
        "operator" => prop_oneof![9 => pick(OPERATORS), 1 => any_string()].boxed(),
        // Label values (selectors, maps): mostly valid ones.
        "values" | "" => prop_oneof![6 => "[a-z0-9]{0,6}", 1 => any_string()].boxed(),
        "scrapeClass" => prop_oneof![3 => pick(SECRET_NAMES), 1 => any_string()].boxed(),
        _ => any_string(),
    }
}

/// How far from valid a case may stray.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// What the API server would store: right types, listed enum values,
    /// integers in range, required fields present (strings still arbitrary:
    /// patterns and CEL rules are not enforced). Reaches the generators.
    Typed,
    /// Typed, with few optional fields: small objects, most of them valid,
    /// so that the generators run.
    Sparse,
    /// Anything goes now and then: wrong types, unlisted enum values, integers
    /// out of range, missing required fields. Reaches the decoders' errors.
    Wild,
}

/// An integer for a schema `format` (`int32`, `int64` or none).
pub fn any_integer(format: Option<&str>, mode: Mode) -> BoxedStrategy<Value> {
    let edges: &'static [i64] = match (format, mode) {
        (Some("int32"), Mode::Typed | Mode::Sparse) => &[i32::MIN as i64, i32::MAX as i64, -1, 0],
        _ => &[
            i64::MIN,
            i64::MAX,
            i32::MIN as i64,
            i32::MAX as i64,
            u32::MAX as i64,
            1 << 53,
        ],
    };
    let wide = match (format, mode) {
        (Some("int32"), Mode::Typed | Mode::Sparse) => any::<i32>().prop_map(Value::from).boxed(),
        (_, Mode::Typed | Mode::Sparse) => any::<i64>().prop_map(Value::from).boxed(),
        (_, Mode::Wild) => prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
        ]
        .boxed(),
    };
    prop_oneof![
        4 => (-3i64..100).prop_map(Value::from),
        1 => proptest::sample::select(edges).prop_map(Value::from),
        1 => wide,
    ]
    .boxed()
}

/// A value of any JSON type, shallow: what a user might write by mistake.
pub fn garbage() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any_integer(None, Mode::Wild),
        any::<f64>().prop_map(|f| json!(f)),
        any_string().prop_map(Value::from),
        proptest::collection::vec(any_string().prop_map(Value::from), 0..3).prop_map(Value::from),
        proptest::collection::btree_map(any_string(), any_string(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect())),
    ]
    .boxed()
}

/// Probability that a property is present at `depth`: the deeper, the
/// sparser, so that objects stay small but every field is reached.
fn presence(depth: usize, required: bool, mode: Mode) -> f64 {
    match (required, mode) {
        (true, Mode::Typed | Mode::Sparse) => 1.0,
        (true, Mode::Wild) => 0.95,
        (false, Mode::Sparse) => 0.05,
        (false, _) => (0.35 - 0.06 * depth as f64).max(0.1),
    }
}

/// A target's own values for some fields: called with the field's path
/// (property names joined by `.`, from the root given to
/// [`from_schema_with`]; array items add `[]`, map values `.*`), its
/// schema, depth and mode; `None` leaves the field to the schema.
pub type Override<'a> = &'a dyn Fn(&str, &Value, usize, Mode) -> Option<BoxedStrategy<Value>>;

fn no_override(_: &str, _: &Value, _: usize, _: Mode) -> Option<BoxedStrategy<Value>> {
    None
}

/// A strategy for values of `schema` (a property at `path`, whose last
/// name picks plausible strings: see [`string_for`]).
pub fn from_schema(schema: &Value, path: &str, depth: usize, mode: Mode) -> BoxedStrategy<Value> {
    from_schema_with(schema, path, depth, mode, &no_override)
}

/// [`from_schema`] with some fields drawn by `over` (`path` is the path of
/// `schema` itself).
pub fn from_schema_with(
    schema: &Value,
    path: &str,
    depth: usize,
    mode: Mode,
    over: Override<'_>,
) -> BoxedStrategy<Value> {
    if let Some(strategy) = over(path, schema, depth, mode) {
        return strategy;
    }
    let typed = typed_from_schema(schema, path, depth, mode, over);
    if depth == 0 || mode != Mode::Wild {
        return typed;
    }
    prop_oneof![60 => typed, 1 => garbage()].boxed()
}

/// The property name at the end of `path` (`""` for map values).
fn name_of(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    match last.trim_end_matches("[]") {
        "*" => "",
        name => name,
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn typed_from_schema(
    schema: &Value,
    path: &str,
    depth: usize,
    mode: Mode,
    over: Override<'_>,
) -> BoxedStrategy<Value> {
    let name = name_of(path);
    let format = schema.get("format").and_then(Value::as_str);
    if let Some(Value::Array(values)) = schema.get("enum") {
        let listed = proptest::sample::select(values.clone());
        if mode != Mode::Wild {
            return listed.boxed();
        }
        return prop_oneof![
            12 => listed,
            1 => proptest::sample::select(values.clone())
                .prop_map(|v| Value::from(v.as_str().unwrap_or_default().to_lowercase())),
            1 => any_string().prop_map(Value::from),
        ]
        .boxed();
    }
    if schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return prop_oneof![
            any_integer(format, mode),
            string_for(name).prop_map(Value::from)
        ]
        .boxed();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => object_from_schema(schema, path, depth, mode, over),
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            let items = from_schema_with(&items, &format!("{path}[]"), depth + 1, mode, over);
            if mode == Mode::Wild {
                return proptest::collection::vec(items, 0..=3)
                    .prop_map(Value::Array)
                    .boxed();
            }
            // As the API server stores lists: long enough, without repeated
            // set items or map keys.
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let min = usize::try_from(min).unwrap_or(3).min(3);
            let list_type = schema.get("x-kubernetes-list-type").and_then(Value::as_str);
            let keys: Vec<String> = schema
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|k| {
                    k.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let unique = match list_type {
                Some("set") => Some(Vec::new()),
                Some("map") => Some(keys),
                _ => None,
            };
            proptest::collection::vec(items, min..=3.max(min))
                .prop_map(move |items| Value::Array(deduplicated(items, unique.as_deref())))
                .boxed()
        }
        Some("string") => {
            let pattern = schema.get("pattern").and_then(Value::as_str);
            let strings = match (pattern.and_then(matching), mode) {
                (Some(accepted), Mode::Typed | Mode::Sparse) => {
                    prop_oneof![4 => accepted, 1 => string_for(name)].boxed()
                }
                (Some(accepted), Mode::Wild) => prop_oneof![accepted, string_for(name)].boxed(),
                (None, Mode::Typed | Mode::Sparse) => {
                    prop_oneof![1 => pick(PLAUSIBLE), 2 => string_for(name)].boxed()
                }
                (None, Mode::Wild) => string_for(name),
            };
            let min = match mode {
                Mode::Wild => 0,
                _ => schema.get("minLength").and_then(Value::as_u64).unwrap_or(0),
            };
            let min = usize::try_from(min).unwrap_or(0);
            strings
                .prop_map(move |mut s| {
                    // Long enough, as the API server requires.
                    while s.chars().count() < min {
                        s.push('x');
                    }
                    Value::from(s)
                })
                .boxed()
        }
        Some("integer") | Some("number") => any_integer(format, mode),
        Some("boolean") => any::<bool>().prop_map(Value::from).boxed(),
        _ => garbage(),
    }
}

/// `items` without repeated values (`unique` empty: a set) or repeated
/// values of the keys `unique` (a map list); all of them without `unique`.
fn deduplicated(items: Vec<Value>, unique: Option<&[String]>) -> Vec<Value> {
    let Some(keys) = unique else {
        return items;
    };
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for item in items {
        let id: Vec<Value> = if keys.is_empty() {
            vec![item.clone()]
        } else {
            keys.iter()
                .map(|k| item.get(k).cloned().unwrap_or_default())
                .collect()
        };
        if !seen.contains(&id) {
            seen.push(id);
            out.push(item);
        }
    }
    out
}

fn object_from_schema(
    schema: &Value,
    path: &str,
    depth: usize,
    mode: Mode,
    over: Override<'_>,
) -> BoxedStrategy<Value> {
    if let Some(Value::Object(properties)) = schema.get("properties") {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = properties
            .iter()
            .map(|(prop, sub)| {
                let p = presence(depth, required.contains(&prop.as_str()), mode);
                let prop_name = prop.clone();
                let field = from_schema_with(sub, &join(path, prop), depth + 1, mode, over)
                    .prop_map(move |v| (prop_name.clone(), v));
                if p >= 1.0 {
                    field.prop_map(Some).boxed()
                } else {
                    proptest::option::weighted(p, field).boxed()
                }
            })
            .collect();
        return fields
            .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect()))
            .boxed();
    }
    if let Some(values @ Value::Object(_)) = schema.get("additionalProperties") {
        let key = match mode {
            Mode::Typed | Mode::Sparse => "[a-z][a-z0-9]{0,6}".boxed(),
            Mode::Wild => prop_oneof![3 => "[a-z_]{1,8}", 1 => any_string()].boxed(),
        };
        let value = from_schema_with(values, &join(path, "*"), depth + 1, mode, over);
        return proptest::collection::btree_map(key, value, 0..=3)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
            .boxed();
    }
    // Free-form objects (preserve-unknown-fields).
    proptest::collection::btree_map("[a-z]{1,6}", garbage(), 0..=2)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

/// Child routes of an AlertmanagerConfig route (schema `route`, fields
/// under `route.`): free-form in the schema, routes in fact, `levels` deep;
/// now and then not objects at all when anything goes.
pub fn child_routes(
    route: &Value,
    mode: Mode,
    levels: usize,
    over: Override<'_>,
) -> BoxedStrategy<Value> {
    if levels == 0 {
        return Just(json!([])).boxed();
    }
    let below = child_routes(route, mode, levels - 1, over);
    let fields = move |path: &str, schema: &Value, depth: usize, mode: Mode| match path {
        "route.routes" => Some(below.clone()),
        _ => over(path, schema, depth, mode),
    };
    let child = from_schema_with(route, "route", 2, mode, &fields);
    let item = match mode {
        Mode::Wild => prop_oneof![8 => child, 1 => garbage()].boxed(),
        _ => child,
    };
    proptest::collection::vec(item, 0..=2)
        .prop_map(Value::Array)
        .boxed()
}

/// The openAPIV3Schema of `spec` of every CRD version, by plural and
/// version, and the first version of each plural; generating the CRDs is
/// slow, so once per process.
struct Schemas {
    specs: HashMap<(String, String), Value>,
    first: HashMap<String, String>,
}

static SCHEMAS: LazyLock<Schemas> = LazyLock::new(|| {
    let mut specs = HashMap::new();
    let mut first = HashMap::new();
    for crd in promop_api::crd::all() {
        let plural = crd.spec.names.plural.clone();
        for version in &crd.spec.versions {
            let schema = version
                .schema
                .as_ref()
                .and_then(|s| s.open_api_v3_schema.as_ref())
                .expect("CRD without schema");
            let value = serde_json::to_value(schema).expect("schema serializes");
            specs.insert(
                (plural.clone(), version.name.clone()),
                value["properties"]["spec"].clone(),
            );
            first
                .entry(plural.clone())
                .or_insert_with(|| version.name.clone());
        }
    }
    Schemas { specs, first }
});

/// The spec schema of the first version of a CRD.
pub fn spec_schema(plural: &str) -> Value {
    let version = SCHEMAS
        .first
        .get(plural)
        .unwrap_or_else(|| panic!("no CRD {plural}"));
    spec_schema_at(plural, version)
}

/// The spec schema of one version of a CRD.
pub fn spec_schema_at(plural: &str, version: &str) -> Value {
    SCHEMAS
        .specs
        .get(&(plural.to_owned(), version.to_owned()))
        .unwrap_or_else(|| panic!("no CRD {plural} {version}"))
        .clone()
}

/// A spec schema reduced to `fields`, none of them required.
pub fn reduced(mut schema: Value, fields: &[&str]) -> Value {
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        properties.retain(|k, _| fields.contains(&k.as_str()));
    }
    schema["required"] = json!([]);
    schema
}

/// Labels of an object, sometimes none.
pub fn labels() -> BoxedStrategy<Value> {
    proptest::option::weighted(
        0.3,
        proptest::collection::btree_map("[a-z]{1,3}", "[a-z]{0,3}", 1..=2),
    )
    .prop_map(|m| json!(m))
    .boxed()
}

/// `apiVersion`, `kind`, `metadata` (name, namespace, labels) and `spec`.
pub fn object(
    api_version: &str,
    kind: &str,
    namespace: &str,
    name: &str,
    labels: Value,
    spec: Value,
) -> Value {
    let mut metadata = json!({"name": name, "namespace": namespace});
    if !labels.is_null() {
        metadata["labels"] = labels;
    }
    json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec})
}

/// Namespaces `default` and `team-a` (labelled `team: a`).
pub fn namespaces() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "team-a", "labels": {"team": "a"}}}),
    ]
}

/// Documents as `promop render` reads them (JSON is YAML). Characters
/// that YAML does not allow in a document (DEL, C1 controls) are escaped,
/// as a JSON encoder may leave them raw (they only occur in strings).
/// The documents loaded as `promop render` loads them, then linted (the
/// findings printed); `None` when the input is unusable (an error is fine,
/// a panic is not).
pub fn load_and_lint(documents: &[Value]) -> Option<promop_core::manifests::Loaded> {
    use promop_core::manifests::{Loaded, Strictness};
    let mut loaded = Loaded::default();
    loaded
        .add_yaml(
            "fuzz.yaml",
            &manifest(documents),
            "default",
            Strictness::ObjectsOnly,
        )
        .ok()?;
    for finding in promop_core::lint::lint(&loaded, &Default::default()) {
        let _ = finding.to_string();
    }
    Some(loaded)
}

pub fn manifest(documents: &[Value]) -> String {
    let docs: Vec<String> = documents.iter().map(Value::to_string).collect();
    let mut out = String::new();
    for c in docs.join("\n---\n").chars() {
        match c {
            '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

pub fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Runs `check` on cases of `strategy`: `default_cases` with a fixed seed,
/// or `PROMOP_FUZZ_CASES` of them, or rounds with fresh seeds for
/// `PROMOP_FUZZ_SECONDS`. Fails with every failing case (shrunk, shown by
/// `show`); returns the number of cases run.
pub fn run<T: Clone + Debug>(
    name: &str,
    default_cases: u32,
    strategy: &BoxedStrategy<T>,
    check: impl Fn(&T) -> Result<(), TestCaseError>,
    show: impl Fn(&T) -> String,
) -> u64 {
    let seconds = env_number("PROMOP_FUZZ_SECONDS");
    let cases = env_number("PROMOP_FUZZ_CASES").map_or(default_cases, |c| c as u32);
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let dump = std::env::var_os("PROMOP_FUZZ_DUMP");
    let started = Instant::now();
    let (mut total, mut failures) = (0u64, Vec::new());
    loop {
        let chunk = if deadline.is_some() { 256 } else { cases };
        let config = Config {
            cases: chunk,
            failure_persistence: None,
            max_shrink_time: if deadline.is_some() { 30_000 } else { 120_000 },
            ..Config::default()
        };
        // The default run is deterministic (a fixed seed): it fails only when
        // the code changes. Long runs draw a fresh seed per round.
        let mut runner = match deadline {
            Some(_) => TestRunner::new(config),
            None => {
                TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
            }
        };
        let checked = |case: T| {
            if let Some(path) = &dump {
                // A stack overflow aborts the process before proptest can
                // report the case: the last one is on disk.
                let _ = std::fs::write(path, show(&case));
            }
            check(&case)
        };
        match runner.run(strategy, checked) {
            Ok(()) => {}
            Err(TestError::Fail(why, case)) => {
                let report = format!("{why}\nminimal input:\n{}", show(&case));
                eprintln!("{name}: FAILURE after {total} cases: {report}");
                failures.push(report);
                if deadline.is_none() {
                    break;
                }
            }
            Err(TestError::Abort(why)) => panic!("aborted: {why}"),
        }
        total += u64::from(chunk);
        match deadline {
            Some(d) if Instant::now() < d => {
                if total % 2560 == 0 {
                    eprintln!("{name}: {total} cases so far ({:.0?})", started.elapsed());
                }
            }
            _ => break,
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} failing cases (see above)",
        failures.len()
    );
    eprintln!(
        "{name}: {total} cases in {:.1?}, no panic",
        started.elapsed()
    );
    total
}
