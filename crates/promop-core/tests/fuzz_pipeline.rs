//! No panic on any input: arbitrary ServiceMonitors, PodMonitors, Probes and
//! ScrapeConfigs, generated from our own CRD schemas, go through the whole
//! `promop render` path (manifests → snapshot → selection → generation →
//! YAML), and the emitted YAML must parse back.
//!
//! The generator walks the openAPIV3Schema of each kind's `spec`: objects get
//! a random subset of their properties (required ones almost always), enums a
//! listed value or sometimes garbage, strings plausible values (durations,
//! regexes, Secret names and keys that exist) or arbitrary Unicode, integers
//! anything from negative to huge, arrays 0-3 items; now and then a value has
//! the wrong type. A Prometheus (and sometimes a PrometheusAgent) with
//! config-relevant fields drawn the same way selects everything.
//!
//! Errors are fine; panics and unparsable output are not. The default run is
//! short; for long runs:
//!
//! ```text
//! PROMOP_FUZZ_SECONDS=600 cargo test --release -p promop-core --test fuzz_pipeline -- --nocapture
//! PROMOP_FUZZ_CASES=100000 ...
//! ```
//!
//! `PROMOP_FUZZ_STRICT=1` also requires that the parsed YAML equals the
//! configuration's JSON form (the emitter kept every value's type and text).
use std::collections::HashMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::namespaces::WatchedNamespaces;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::{Value, json};

const DEFAULT_CASES: u32 = 64;

/// The config kinds under test: (apiVersion, kind, CRD plural).
const CONFIG_KINDS: [(&str, &str, &str); 4] = [
    (
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        "servicemonitors",
    ),
    ("monitoring.coreos.com/v1", "PodMonitor", "podmonitors"),
    ("monitoring.coreos.com/v1", "Probe", "probes"),
    (
        "monitoring.coreos.com/v1alpha1",
        "ScrapeConfig",
        "scrapeconfigs",
    ),
];

/// Fields of the Prometheus spec that change the generated configuration
/// (the pod template and storage fields only cost time here).
const PROMETHEUS_FIELDS: &[&str] = &[
    "additionalScrapeConfigs",
    "alerting",
    "arbitraryFSAccessThroughSMs",
    "bodySizeLimit",
    "convertClassicHistogramsToNHCB",
    "enforcedBodySizeLimit",
    "enforcedKeepDroppedTargets",
    "enforcedLabelLimit",
    "enforcedLabelNameLengthLimit",
    "enforcedLabelValueLengthLimit",
    "enforcedNamespaceLabel",
    "enforcedSampleLimit",
    "enforcedTargetLimit",
    "evaluationInterval",
    "excludedFromEnforcement",
    "externalLabels",
    "ignoreNamespaceSelectors",
    "keepDroppedTargets",
    "labelLimit",
    "nameEscapingScheme",
    "nameValidationScheme",
    "overrideHonorLabels",
    "overrideHonorTimestamps",
    "prometheusExternalLabelName",
    "remoteRead",
    "remoteWrite",
    "replicaExternalLabelName",
    "ruleSelector",
    "sampleLimit",
    "scrapeClasses",
    "scrapeClassicHistograms",
    "scrapeInterval",
    "scrapeProtocols",
    "scrapeTimeout",
    "serviceDiscoveryRole",
    "shardRetentionPolicy",
    "shards",
    "targetLimit",
    "tracingConfig",
    "tsdb",
    "otlp",
];

const VERSIONS: &[&str] = &[
    "v3.5.0", "v3.0.0", "v2.55.1", "v2.45.0", "v2.37.0", "v2.20.0",
];
const ODD_VERSIONS: &[&str] = &["3.1.0", "v1.0.0", "", "latest", "v99.0.0", "garbage"];

const NAMESPACES: &[&str] = &["default", "team-a"];
const NAMES: &[&str] = &["m0", "m1", "m2"];

/// A self-signed certificate and its key (openssl, P-256): the reference and
/// promop parse TLS material taken from Secrets.
const CERT: &str = "-----BEGIN CERTIFICATE-----
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
const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzKgyUQZlA+XAQRQ4
U3GR3BBhBIeboLFvlZnU4j6m7zShRANCAATDOTQJqmdI3ucXAAsLeJ2rMok3GbE3
STqfBw0Wk72Ug5aGMNzxbJLNNinYx63sHdGSf8u6UBRvPB2VHcwBHlRY
-----END PRIVATE KEY-----
";

/// Names and keys of the Secrets and ConfigMaps that exist, so that
/// references resolve often enough to reach the credential code.
const SECRET_NAMES: &[&str] = &["creds", "tls", "bad-tls", "missing"];
#[rustfmt::skip]
const SECRET_KEYS: &[&str] = &[
    "username", "password", "token", "client-id", "client-secret", "ca.crt", "tls.crt", "tls.key",
    "nope",
];

/// Strings that exercise parsers and the emitter: durations, regexes,
/// templates, YAML indicators, numbers and booleans in disguise, Unicode.
#[rustfmt::skip]
const STRINGS: &[&str] = &[
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
const PLAUSIBLE: &[&str] = &[
    "30s", "1m", "5m", "1h", "0s", "10s", "100ms", "1d", "2w", "1y", "1h30m", "app", "team", "a",
    "web", "http", "https", "metrics", "/metrics", "http://example.com:8080/path",
    "https://example.com", "example.com:9090", "10.0.0.1", "1KiB", "10MB", "1GB", "100", "50%",
    "__name__", "job", "instance", "foo_bar", "creds", "tls",
];
const OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist"];

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

fn pick(values: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(values)
        .prop_map(str::to_owned)
        .boxed()
}

fn any_string() -> BoxedStrategy<String> {
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
fn string_for(name: &str) -> BoxedStrategy<String> {
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
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
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
fn any_integer(format: Option<&str>, mode: Mode) -> BoxedStrategy<Value> {
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
fn garbage() -> BoxedStrategy<Value> {
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

/// A strategy for values of `schema` (a property called `name`).
fn from_schema(schema: &Value, name: &str, depth: usize, mode: Mode) -> BoxedStrategy<Value> {
    let typed = typed_from_schema(schema, name, depth, mode);
    if depth == 0 || mode != Mode::Wild {
        return typed;
    }
    prop_oneof![60 => typed, 1 => garbage()].boxed()
}

fn typed_from_schema(schema: &Value, name: &str, depth: usize, mode: Mode) -> BoxedStrategy<Value> {
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
        Some("object") => object_from_schema(schema, depth, mode),
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            proptest::collection::vec(from_schema(&items, name, depth + 1, mode), 0..=3)
                .prop_map(Value::Array)
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
            strings.prop_map(Value::from).boxed()
        }
        Some("integer") | Some("number") => any_integer(format, mode),
        Some("boolean") => any::<bool>().prop_map(Value::from).boxed(),
        _ => garbage(),
    }
}

fn object_from_schema(schema: &Value, depth: usize, mode: Mode) -> BoxedStrategy<Value> {
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
                let field = from_schema(sub, prop, depth + 1, mode)
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
        let value = from_schema(values, "", depth + 1, mode);
        return proptest::collection::btree_map(key, value, 0..=3)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
            .boxed();
    }
    // Free-form objects (preserve-unknown-fields).
    proptest::collection::btree_map("[a-z]{1,6}", garbage(), 0..=2)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

/// The openAPIV3Schema of `spec` of every CRD (first version), by plural;
/// generating the CRDs is slow, so once per process.
static SPEC_SCHEMAS: LazyLock<HashMap<String, Value>> = LazyLock::new(|| {
    let mut out = HashMap::new();
    for crd in promop_api::crd::all() {
        let schema = crd.spec.versions[0]
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .expect("CRD without schema");
        let value = serde_json::to_value(schema).expect("schema serializes");
        out.insert(crd.spec.names.plural, value["properties"]["spec"].clone());
    }
    out
});

fn spec_schema(plural: &str) -> Value {
    SPEC_SCHEMAS
        .get(plural)
        .unwrap_or_else(|| panic!("no CRD {plural}"))
        .clone()
}

/// The Prometheus spec schema reduced to [`PROMETHEUS_FIELDS`].
fn prometheus_spec_schema() -> Value {
    let mut schema = spec_schema("prometheuses");
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        properties.retain(|k, _| PROMETHEUS_FIELDS.contains(&k.as_str()));
    }
    schema["required"] = json!([]);
    schema
}

fn labels() -> BoxedStrategy<Value> {
    proptest::option::weighted(
        0.3,
        proptest::collection::btree_map("[a-z]{1,3}", "[a-z]{0,3}", 1..=2),
    )
    .prop_map(|m| json!(m))
    .boxed()
}

/// One document of a case: a config object of any of the four kinds.
fn config_object(mode: Mode) -> BoxedStrategy<Value> {
    let kinds: Vec<BoxedStrategy<Value>> = CONFIG_KINDS
        .iter()
        .map(|&(api_version, kind, plural)| {
            (
                from_schema(&spec_schema(plural), "spec", 0, mode),
                pick(NAMESPACES),
                pick(NAMES),
                labels(),
            )
                .prop_map(move |(spec, namespace, name, labels)| {
                    let mut metadata = json!({"name": name, "namespace": namespace});
                    if !labels.is_null() {
                        metadata["labels"] = labels;
                    }
                    json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec})
                })
                .boxed()
        })
        .collect();
    proptest::strategy::Union::new(kinds).boxed()
}

/// A workload that selects every config object in every namespace.
fn workload(api_version: &'static str, kind: &'static str, mode: Mode) -> BoxedStrategy<Value> {
    let versions = match mode {
        Mode::Typed | Mode::Sparse => {
            prop_oneof![9 => pick(VERSIONS), 1 => pick(ODD_VERSIONS)].boxed()
        }
        Mode::Wild => prop_oneof![pick(VERSIONS), pick(ODD_VERSIONS)].boxed(),
    };
    (
        // Few top-level fields (as if deeper): each may make generation fail.
        from_schema(&prometheus_spec_schema(), "spec", 4, mode),
        versions,
    )
        .prop_map(move |(mut spec, version)| {
            // A spec of the wrong type stays as drawn (the object is skipped).
            if let Value::Object(map) = &mut spec {
                for selector in [
                    "serviceMonitorSelector",
                    "serviceMonitorNamespaceSelector",
                    "podMonitorSelector",
                    "podMonitorNamespaceSelector",
                    "probeSelector",
                    "probeNamespaceSelector",
                    "scrapeConfigSelector",
                    "scrapeConfigNamespaceSelector",
                ] {
                    map.insert(selector.into(), json!({}));
                }
                if !version.is_empty() {
                    map.insert("version".into(), version.into());
                }
                // Scrape classes that config objects name (see SECRET_NAMES).
                map.entry("scrapeClasses")
                    .or_insert_with(|| json!([{"name": "creds"}, {"name": "tls"}]));
                if kind == "PrometheusAgent" {
                    // Server-only fields; the agent's schema would prune them.
                    for field in [
                        "alerting",
                        "evaluationInterval",
                        "ruleSelector",
                        "remoteRead",
                    ] {
                        map.remove(field);
                    }
                }
            }
            json!({
                "apiVersion": api_version,
                "kind": kind,
                "metadata": {"name": "main", "namespace": "default"},
                "spec": spec,
            })
        })
        .boxed()
}

/// Secrets and a ConfigMap in both namespaces; the credential values are
/// drawn too (they end up in the configuration).
fn secrets() -> BoxedStrategy<Vec<Value>> {
    (any_string(), any_string())
        .prop_map(|(user, password)| {
            let mut out = Vec::new();
            for ns in NAMESPACES {
                let meta = |name: &str| json!({"name": name, "namespace": ns});
                out.push(
                    json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("creds"),
                "stringData": {"username": user, "password": password, "token": "t0k3n",
                               "client-id": "id", "client-secret": "s3cr3t"}}),
                );
                out.push(
                    json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("tls"),
                "stringData": {"ca.crt": CERT, "tls.crt": CERT, "tls.key": KEY}}),
                );
                out.push(
                    json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("bad-tls"),
                "stringData": {"ca.crt": "not a cert", "tls.crt": KEY, "tls.key": CERT}}),
                );
                out.push(
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("tls"),
                "data": {"ca.crt": CERT}}),
                );
            }
            out
        })
        .boxed()
}

#[derive(Debug, Clone)]
struct Case {
    documents: Vec<Value>,
}

impl Case {
    /// The manifests as `promop render` would read them (JSON is YAML).
    fn manifest(&self) -> String {
        let docs: Vec<String> = self.documents.iter().map(Value::to_string).collect();
        docs.join("\n---\n")
    }
}

fn case() -> BoxedStrategy<Case> {
    prop_oneof![
        2 => case_of(Mode::Sparse),
        2 => case_of(Mode::Typed),
        1 => case_of(Mode::Wild),
    ]
    .boxed()
}

fn case_of(mode: Mode) -> BoxedStrategy<Case> {
    (
        proptest::collection::vec(config_object(mode), 1..=4),
        workload("monitoring.coreos.com/v1", "Prometheus", mode),
        proptest::option::weighted(
            0.2,
            workload("monitoring.coreos.com/v1alpha1", "PrometheusAgent", mode),
        ),
        secrets(),
    )
        .prop_map(|(objects, prometheus, agent, secrets)| {
            let mut documents = vec![
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
                json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "team-a", "labels": {"team": "a"}}}),
            ];
            documents.extend(secrets);
            documents.extend(objects);
            documents.push(prometheus);
            documents.extend(agent);
            Case { documents }
        })
        .boxed()
}

/// How deep the cases reach, printed at the end: decoded config objects,
/// objects skipped while loading, configurations generated, scrape jobs.
static DECODED: AtomicU64 = AtomicU64::new(0);
static SKIPPED: AtomicU64 = AtomicU64::new(0);
static CONFIGS: AtomicU64 = AtomicU64::new(0);
static JOBS: AtomicU64 = AtomicU64::new(0);

/// The property: the render path never panics, and what it prints parses.
fn check(case: &Case, strict: bool) -> Result<(), TestCaseError> {
    let mut loaded = Loaded::default();
    if loaded
        .add_yaml(
            "fuzz.yaml",
            &case.manifest(),
            "default",
            Strictness::ObjectsOnly,
        )
        .is_err()
    {
        return Ok(());
    }
    let watched = WatchedNamespaces::all();
    let snapshot = &loaded.snapshot;
    let decoded = snapshot.service_monitors.len()
        + snapshot.pod_monitors.len()
        + snapshot.probes.len()
        + snapshot.scrape_configs.len();
    DECODED.fetch_add(decoded as u64, Relaxed);
    let skipped = loaded
        .warnings
        .iter()
        .filter(|w| w.ends_with("object skipped"));
    SKIPPED.fetch_add(skipped.count() as u64, Relaxed);
    let workloads = snapshot
        .prometheuses
        .iter()
        .map(Workload::Prometheus)
        .chain(snapshot.prometheus_agents.iter().map(Workload::Agent));
    for workload in workloads {
        let Ok(output) = prometheus_config(snapshot, workload, &watched) else {
            continue;
        };
        let _ = output.rejected();
        let yaml = promop_core::yaml::to_string(&output.config);
        CONFIGS.fetch_add(1, Relaxed);
        let jobs = yaml.lines().filter(|l| l.starts_with("- job_name:"));
        JOBS.fetch_add(jobs.count() as u64, Relaxed);
        // The check is about syntax. What yaml.v2 itself writes is accepted:
        // repeated keys of a Go MapSlice (the reference repeats an agent's
        // `storage`, and Probe params with one name twice, which the API
        // server's list-map check refuses but offline validation does not yet),
        // and numbers out of float range, which yaml.v2 keeps as strings.
        let mut options = serde_saphyr::Options::default();
        options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
        options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
        let parsed: Value = serde_saphyr::from_str_with_options(&yaml, options).map_err(|e| {
            TestCaseError::fail(format!("emitted YAML does not parse: {e}\n{yaml}"))
        })?;
        if strict {
            let json = output.config.to_json();
            prop_assert_eq!(&parsed, &json, "YAML and JSON forms differ:\n{}", yaml);
        }
    }
    Ok(())
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn render_path_never_panics() {
    let seconds = env_number("PROMOP_FUZZ_SECONDS");
    let cases = env_number("PROMOP_FUZZ_CASES").map_or(DEFAULT_CASES, |c| c as u32);
    let strict = std::env::var_os("PROMOP_FUZZ_STRICT").is_some();
    let t = Instant::now();
    let strategy = case();
    eprintln!("fuzz_pipeline: strategy built in {:.1?}", t.elapsed());
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
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
        match runner.run(&strategy, |case| check(&case, strict)) {
            Ok(()) => {}
            Err(TestError::Fail(why, case)) => {
                let report = format!("{why}\nminimal input (manifests):\n{}", case.manifest());
                eprintln!("fuzz_pipeline: FAILURE after {total} cases: {report}");
                failures.push(report);
                if deadline.is_none() {
                    break;
                }
            }
            Err(TestError::Abort(why)) => panic!("aborted: {why}"),
        }
        total += u64::from(chunk);
        match deadline {
            Some(d) if Instant::now() < d => eprintln!("fuzz_pipeline: {total} cases so far"),
            _ => break,
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases (see above)",
        failures.len()
    );
    eprintln!(
        "fuzz_pipeline: {total} cases, no panic; {} config objects decoded, {} skipped \
         as invalid, {} configurations with {} scrape jobs",
        DECODED.load(Relaxed),
        SKIPPED.load(Relaxed),
        CONFIGS.load(Relaxed),
        JOBS.load(Relaxed)
    );
}
