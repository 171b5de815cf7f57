//! No panic on any Alertmanager configuration input: arbitrary
//! AlertmanagerConfigs (v1alpha1, and v1beta1 converted on the way in),
//! generated from our CRD schemas with child routes, receiver and time
//! interval names that refer to each other, and arbitrary base
//! configurations in the `alertmanager.yaml` key of the user's Secret
//! (random bytes, arbitrary text, and YAML drawn from the reference's
//! configuration types, then mutated), go through the Alertmanager
//! generation path: selection by an Alertmanager (`alertmanagerConfigSelector`,
//! `alertmanagerConfiguration`, matcher strategy, version), the merge, the
//! sanitizing by version, the objects the operator writes, `promop lint`.
//!
//! Errors are fine; panics are not, and neither is a generated
//! configuration that does not parse or that our own loader refuses.
//!
//! ```text
//! PROMOP_FUZZ_SECONDS=600 cargo test --release -p promop-core --test fuzz_alertmanager -- --nocapture
//! PROMOP_FUZZ_CASES=100000 ...
//! ```
mod fuzz;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use fuzz::mutate::mutated;
use fuzz::{Mode, NAMES, NAMESPACES, any_string, from_schema_with, pick};
use promop_core::alertmanager::types::{self, Struct, Ty};
use promop_core::alertmanager::version::Version;
use promop_core::alertmanager::{base_config, merges, sanitize, version_of};
use promop_core::desired::{OperatorOptions, alertmanager_objects};
use promop_core::pipeline::alertmanager_config;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::yaml::{Mapping, Node};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

const DEFAULT_CASES: u32 = 96;

#[rustfmt::skip]
const VERSIONS: &[&str] = &[
    "v0.33.1", "v0.28.1", "v0.27.0", "v0.26.0", "v0.25.0", "v0.24.0", "v0.22.0", "v0.20.0",
    "v0.15.0", "",
];
const ODD_VERSIONS: &[&str] = &[
    "0.14.0",
    "v1.0.0",
    "garbage",
    "latest",
    "v0.15",
    "0.28.0-rc.0",
];

/// Names that routes, receivers and time intervals share.
const RECEIVERS: &[&str] = &["r0", "r1", "r2"];
const INTERVALS: &[&str] = &["ti0", "ti1"];
#[rustfmt::skip]
const LABEL_NAMES: &[&str] = &[
    "namespace", "severity", "alertname", "job", "a.b", "", "🙂", "__name__", "0a",
];
#[rustfmt::skip]
const URLS: &[&str] = &[
    "https://hooks.example.com/services/x", "http://example.com:8080/p", "http://[::1]:9093/",
    "https://example.com/{{ .GroupLabels.x }}", "not a url", "ftp://x", "http://[::1", "",
    "https://user:pass@example.com/", "//example.com", "http://", "https://a b",
];
/// Values of the keys of the Secret `creds` (receivers take URLs, tokens,
/// keys and passwords from it).
#[rustfmt::skip]
const SECRET_VALUES: &[&str] = &[
    "https://hooks.example.com/services/x", "http://example.com:8080/p", "t0k3n", "", "not a url",
    "http://[::1", "user:pass", "line\nbreak", "  spaced  ", "🙂", "12345", "true",
];

/// The reference's configuration structs, walked to build YAML that looks
/// like a user's `alertmanager.yaml`: plausible values for what each key
/// names (receivers, matchers, durations, hosts, URLs, time ranges ...).
fn struct_value(def: &'static Struct, depth: usize) -> BoxedStrategy<Value> {
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = def
        .fields
        .iter()
        .map(|field| {
            let key = field.key;
            let likely = matches!(key, "route" | "receivers" | "receiver" | "name");
            let p = if likely {
                0.9
            } else {
                (0.3 - 0.05 * depth as f64).max(0.05)
            };
            proptest::option::weighted(p, ty_value(&field.ty, key, depth))
                .prop_map(move |v| v.map(|v| (key.to_owned(), v)))
                .boxed()
        })
        .collect();
    fields
        .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect()))
        .boxed()
}

fn ty_value(ty: &'static Ty, key: &'static str, depth: usize) -> BoxedStrategy<Value> {
    let value = match ty {
        Ty::Str => str_value(key).prop_map(Value::from).boxed(),
        Ty::Bool => prop_oneof![
            8 => any::<bool>().prop_map(Value::from),
            1 => pick(&["yes", "on", "1"]).prop_map(Value::from),
        ]
        .boxed(),
        Ty::Int => fuzz::any_integer(None, Mode::Wild),
        Ty::Duration => prop_oneof![
            4 => pick(fuzz::DURATIONS),
            1 => pick(&["1h30m", "1.5h", "-1s", "1h0m0s", "10000000000000h"]),
        ]
        .prop_map(Value::from)
        .boxed(),
        Ty::HostPort => pick(&[
            "smtp.example.com:587",
            "[::1]:25",
            "host",
            ":25",
            "a:b:c",
            "",
            "[::1",
            "h:",
        ])
        .prop_map(Value::from)
        .boxed(),
        Ty::Any => fuzz::garbage(),
        Ty::StrMap => proptest::collection::btree_map(pick(LABEL_NAMES), str_value(key), 0..=2)
            .prop_map(|m| json!(m))
            .boxed(),
        Ty::StrSeqMap => proptest::collection::btree_map(
            pick(&["X-Header", "Proxy-Authorization", ""]),
            proptest::collection::vec(any_string(), 0..=2),
            0..=2,
        )
        .prop_map(|m| json!(m))
        .boxed(),
        Ty::Seq(item) | Ty::FlowSeq(item) => {
            proptest::collection::vec(ty_value(item, key, depth + 1), 0..=3)
                .prop_map(Value::Array)
                .boxed()
        }
        Ty::Struct(def) if depth > 4 => Just(json!({})).boxed(),
        Ty::Struct(def) => struct_value(def, depth + 1),
        Ty::Structs(_) if depth > 4 => Just(json!([])).boxed(),
        Ty::Structs(def) => proptest::collection::vec(struct_value(def, depth + 1), 0..=2)
            .prop_map(Value::Array)
            .boxed(),
    };
    // Now and then a value of the wrong type.
    prop_oneof![30 => value, 1 => fuzz::garbage()].boxed()
}

/// A string for the key `key` of the reference's structs.
fn str_value(key: &str) -> BoxedStrategy<String> {
    let mostly =
        |values: &'static [&'static str]| prop_oneof![6 => pick(values), 1 => any_string()].boxed();
    match key {
        "receiver" | "name" => mostly(RECEIVERS),
        "mute_time_intervals" | "active_time_intervals" => mostly(INTERVALS),
        "matchers" | "source_matchers" | "target_matchers" => mostly(&[
            "severity=\"critical\"",
            "a=~\"b.*\"",
            "foo!=bar",
            "{a=\"b\"}",
            "a=~\"(\"",
            "\"a.b\"=\"c\"",
            "a!~\"\"",
            "a=",
            "=b",
            "a==b",
        ]),
        "group_by" | "equal" => mostly(&["alertname", "job", "...", "namespace", "a.b"]),
        "group_wait" | "group_interval" | "repeat_interval" => mostly(fuzz::DURATIONS),
        "start_time" | "end_time" => mostly(&["00:00", "06:00", "23:59", "24:00", "25:00", "1:00"]),
        "weekdays" => mostly(&[
            "monday",
            "monday:friday",
            "saturday:sunday",
            "funday",
            "friday:monday",
        ]),
        "days_of_month" => mostly(&["1", "1:5", "-1", "-3:-1", "0", "32", "5:1"]),
        "months" => mostly(&["january", "1:3", "december:january", "13", "jan"]),
        "years" => mostly(&["2020", "2020:2030", "2030:2020", "0", "-1"]),
        "location" => mostly(&["UTC", "Europe/Berlin", "Local", "Nowhere/None", ""]),
        "templates" => mostly(&["/etc/am/*.tmpl", "a.tmpl", "[", ""]),
        "min_version" | "max_version" => mostly(&["TLS12", "TLS13", "TLS10", "SSL3"]),
        k if k.ends_with("url") => mostly(URLS),
        k if k.ends_with("_file") => mostly(&["/etc/secret", "", "relative/path"]),
        _ => any_string(),
    }
}

/// A JSON value as a YAML tree (the emitter's input).
fn node(value: &Value) -> Node {
    match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Node::Int(i),
            None => Node::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Node::Str(s.clone()),
        Value::Array(items) => Node::Seq(items.iter().map(node).collect()),
        Value::Object(map) => {
            let mut m = Mapping::new();
            for (k, v) in map {
                m.insert(k.as_str(), node(v));
            }
            Node::Map(m)
        }
    }
}

/// Configurations users write, as starting points for mutations.
#[rustfmt::skip]
const KNOWN_CONFIGS: &[&str] = &[
    base_config::DEFAULT_CONFIG,
    "global:\n  resolve_timeout: 5m\n  smtp_smarthost: smtp.example.com:587\n  smtp_from: am@example.com\nroute:\n  receiver: r0\n  group_by: [alertname, job]\n  routes:\n  - receiver: r1\n    matchers: ['severity=\"critical\"']\n    continue: true\n  - receiver: r2\n    match_re:\n      job: api.*\n    mute_time_intervals: [ti0]\nreceivers:\n- name: r0\n- name: r1\n  webhook_configs:\n  - url: http://example.com/hook\n    send_resolved: true\n- name: r2\n  email_configs:\n  - to: a@example.com\ninhibit_rules:\n- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [alertname]\ntime_intervals:\n- name: ti0\n  time_intervals:\n  - times:\n    - start_time: \"00:00\"\n      end_time: \"06:00\"\n    weekdays: ['saturday:sunday']\ntemplates:\n- /etc/alertmanager/config/*.tmpl\n",
    "route:\n  receiver: r0\nreceivers:\n- name: r0\n  slack_configs:\n  - api_url: https://hooks.slack.com/x\n    channel: '#alerts'\n    http_config:\n      proxy_url: http://proxy:3128\n      tls_config:\n        insecure_skip_verify: true\n  pagerduty_configs:\n  - routing_key: abc\n    details:\n      a: b\n",
    "route: {receiver: r0, routes: [{receiver: r0, matchers: [a=b]}]}\nreceivers: [{name: r0}]\n",
    "route:\n  receiver: r0\nreceivers:\n- name: r0\n  telegram_configs:\n  - bot_token: x\n    chat_id: 123\n  opsgenie_configs:\n  - api_key: k\n    responders:\n    - name: team\n      type: team\n",
    "&a route: *a\n",
    "a: &x [*x]\n",
    "{{ template }}",
];

/// The text of `alertmanager.yaml` in the user's Secret.
#[derive(Clone, Debug)]
enum BaseConfig {
    Text(String),
    Bytes(Vec<u8>),
}

fn base_config() -> BoxedStrategy<BaseConfig> {
    let structured = struct_value(&types::CONFIG, 0).prop_flat_map(|value| {
        let yaml = promop_core::yaml::to_string(&node(&value));
        prop_oneof![4 => Just(yaml), 1 => Just(value.to_string())]
    });
    prop_oneof![
        // Valid ones, so that AlertmanagerConfigs get merged.
        4 => pick(&KNOWN_CONFIGS[..5]).prop_map(BaseConfig::Text),
        4 => mutated(structured.boxed()).prop_map(BaseConfig::Text),
        2 => mutated(pick(KNOWN_CONFIGS)).prop_map(BaseConfig::Text),
        1 => any_string().prop_map(BaseConfig::Text),
        1 => proptest::collection::vec(any::<u8>(), 0..256).prop_map(BaseConfig::Bytes),
    ]
    .boxed()
}

/// A Secret holding a base configuration (and a template beside it).
fn config_secret(name: &str, config: &BaseConfig) -> Value {
    let mut secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": "default"},
        "stringData": {"tmpl.tmpl": "{{ define \"x\" }}x{{ end }}"},
    });
    match config {
        BaseConfig::Text(text) => secret["stringData"]["alertmanager.yaml"] = text.as_str().into(),
        BaseConfig::Bytes(bytes) => {
            let encoded =
                serde_json::to_value(k8s_openapi::ByteString(bytes.clone())).unwrap_or_default();
            secret["data"] = json!({ "alertmanager.yaml": encoded });
        }
    }
    secret
}

/// The Secrets that AlertmanagerConfigs refer to, in both namespaces.
fn referenced_secrets() -> BoxedStrategy<Vec<Value>> {
    proptest::collection::vec(pick(SECRET_VALUES), fuzz::SECRET_KEYS.len())
        .prop_map(|values| {
            let creds: serde_json::Map<String, Value> = fuzz::SECRET_KEYS
                .iter()
                .zip(values)
                .map(|(k, v)| ((*k).to_owned(), v.into()))
                .collect();
            let mut out = Vec::new();
            for ns in NAMESPACES {
                let meta = |name: &str| json!({"name": name, "namespace": ns});
                out.push(json!({"apiVersion": "v1", "kind": "Secret",
                    "metadata": meta("creds"), "stringData": creds}));
                out.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("tls"),
                    "stringData": {"ca.crt": fuzz::CERT, "tls.crt": fuzz::CERT, "tls.key": fuzz::KEY}}));
                out.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("bad-tls"),
                    "stringData": {"ca.crt": "not a cert", "tls.crt": fuzz::KEY, "tls.key": fuzz::CERT}}));
                out.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("tls"),
                    "data": {"ca.crt": fuzz::CERT}}));
            }
            out
        })
        .boxed()
}

/// Fields of AlertmanagerConfigs (either version) that name each other or
/// that the schema only knows as strings.
fn config_fields(path: &str, schema: &Value, mode: Mode) -> Option<BoxedStrategy<Value>> {
    if schema.get("type") != Some(&json!("string")) {
        return None;
    }
    let mostly = |values: &'static [&'static str]| Some(fuzz::one_of(values, schema, mode));
    let last = path.rsplit('.').next().unwrap_or(path);
    match last {
        "receiver" => mostly(RECEIVERS),
        "muteTimeIntervals[]" | "activeTimeIntervals[]" => mostly(INTERVALS),
        "groupBy[]" | "equal[]" => mostly(&["alertname", "job", "...", "namespace", "a.b"]),
        "startTime" | "endTime" => mostly(&["00:00", "06:00", "23:59", "24:00", "25:00", "1:00"]),
        "weekdays[]" => mostly(&["monday", "monday:friday", "saturday:sunday", "funday"]),
        "months[]" => mostly(&["january", "1:3", "december:january", "13", "jan"]),
        "years[]" => mostly(&["2020", "2020:2030", "2030:2020", "0"]),
        "location" => mostly(&["UTC", "Europe/Berlin", "Local", "Nowhere/None"]),
        "groupWait" | "groupInterval" | "repeatInterval" | "timeout" | "expire" | "retry"
        | "ttl" => Some(fuzz::durations(schema, mode)),
        "name" if path.ends_with("receivers[].name") => mostly(RECEIVERS),
        "name" if path.ends_with("imeIntervals[].name") => mostly(INTERVALS),
        "name" if path.ends_with("atch[].name") || path.ends_with("matchers[].name") => {
            mostly(LABEL_NAMES)
        }
        l if l.ends_with("URL") || l.ends_with("Url") || l == "url" => mostly(URLS),
        _ => None,
    }
}

/// An AlertmanagerConfig of either version.
fn config_object(version: &'static str, mode: Mode) -> BoxedStrategy<Value> {
    let schema = fuzz::spec_schema_at("alertmanagerconfigs", version);
    let route = schema["properties"]["route"].clone();
    let children = fuzz::child_routes(&route, mode, 3, &|path, schema, _, mode| {
        config_fields(path, schema, mode)
    });
    let fields = move |path: &str, schema: &Value, _: usize, mode: Mode| match path {
        "spec.route.routes" => Some(children.clone()),
        _ => config_fields(path, schema, mode),
    };
    let api_version = match version {
        "v1beta1" => "monitoring.coreos.com/v1beta1",
        _ => "monitoring.coreos.com/v1alpha1",
    };
    (
        from_schema_with(&schema, "spec", 0, mode, &fields),
        pick(NAMESPACES),
        pick(NAMES),
        fuzz::labels(),
    )
        .prop_map(move |(spec, namespace, name, labels)| {
            fuzz::object(
                api_version,
                "AlertmanagerConfig",
                &namespace,
                &name,
                labels,
                spec,
            )
        })
        .boxed()
}

const ALERTMANAGER_FIELDS: &[&str] = &[
    "alertmanagerConfigMatcherStrategy",
    "alertmanagerConfiguration",
    "configSecret",
    "web",
    "clusterTLS",
];

fn alertmanager_fields(
    path: &str,
    schema: &Value,
    _: usize,
    mode: Mode,
) -> Option<BoxedStrategy<Value>> {
    match path {
        "spec.alertmanagerConfiguration.name" => Some(fuzz::one_of(NAMES, schema, mode)),
        "spec.configSecret" => Some(fuzz::one_of(
            &["am-config", "alertmanager-main", "missing", ""],
            schema,
            mode,
        )),
        _ => config_fields(path, schema, mode),
    }
}

/// An Alertmanager `default/main`: merging (selecting every
/// AlertmanagerConfig, or built from one) or not (the Secret as it is).
fn alertmanager(mode: Mode) -> BoxedStrategy<Value> {
    let schema = fuzz::reduced(fuzz::spec_schema("alertmanagers"), ALERTMANAGER_FIELDS);
    (
        from_schema_with(&schema, "spec", 2, mode, &alertmanager_fields),
        prop_oneof![3 => Just(String::new()), 6 => pick(VERSIONS), 1 => pick(ODD_VERSIONS)],
        proptest::bool::weighted(0.75),
        pick(NAMES),
    )
        .prop_map(|(mut spec, version, selects, name)| {
            if let Value::Object(map) = &mut spec {
                // Built from an AlertmanagerConfig: one that may exist.
                if let Some(Value::Object(c)) = map.get_mut("alertmanagerConfiguration") {
                    c.entry("name").or_insert(name.into());
                }
                if selects {
                    map.insert("alertmanagerConfigSelector".into(), json!({}));
                    map.insert("alertmanagerConfigNamespaceSelector".into(), json!({}));
                }
                if !version.is_empty() {
                    map.insert("version".into(), version.into());
                }
            }
            fuzz::object(
                "monitoring.coreos.com/v1",
                "Alertmanager",
                "default",
                "main",
                Value::Null,
                spec,
            )
        })
        .boxed()
}

#[derive(Debug, Clone)]
struct Case {
    documents: Vec<Value>,
    /// The base configurations of `alertmanager-main` and `am-config`.
    bases: Vec<BaseConfig>,
}

fn case() -> BoxedStrategy<Case> {
    prop_oneof![
        3 => case_of(Mode::Typed),
        1 => case_of(Mode::Sparse),
        1 => case_of(Mode::Wild),
    ]
    .boxed()
}

fn case_of(mode: Mode) -> BoxedStrategy<Case> {
    let config = prop_oneof![
        3 => config_object("v1alpha1", mode),
        1 => config_object("v1beta1", mode),
    ];
    (
        proptest::collection::vec(config, 0..=3),
        alertmanager(mode),
        // `alertmanager-main` (the default Secret) mostly valid, so that the
        // merge runs; `am-config` anything.
        (
            prop_oneof![
                3 => pick(&KNOWN_CONFIGS[..5]).prop_map(BaseConfig::Text),
                1 => base_config(),
            ],
            base_config(),
        )
            .prop_map(|(main, other)| vec![main, other]),
        referenced_secrets(),
    )
        .prop_map(|(configs, am, bases, secrets)| {
            let mut documents = fuzz::namespaces();
            documents.extend(secrets);
            documents.push(config_secret("alertmanager-main", &bases[0]));
            documents.push(config_secret("am-config", &bases[1]));
            documents.extend(configs);
            documents.push(am);
            Case { documents, bases }
        })
        .boxed()
}

impl Case {
    fn show(&self) -> String {
        format!(
            "{}\nbase configurations: {:?}",
            fuzz::manifest(&self.documents),
            self.bases
        )
    }
}

static DECODED: AtomicU64 = AtomicU64::new(0);
static REJECTED: AtomicU64 = AtomicU64::new(0);
static MERGED: AtomicU64 = AtomicU64::new(0);
static RAW: AtomicU64 = AtomicU64::new(0);
static OBJECTS: AtomicU64 = AtomicU64::new(0);
static BASES: AtomicU64 = AtomicU64::new(0);
static SANITIZED: AtomicU64 = AtomicU64::new(0);

fn versions() -> Vec<Version> {
    [
        (0, 15, 0),
        (0, 22, 0),
        (0, 25, 0),
        (0, 27, 0),
        (0, 28, 1),
        (0, 33, 1),
    ]
    .into_iter()
    .map(|(a, b, c)| Version::from(semver::Version::new(a, b, c)))
    .collect()
}

/// The default version: sanitizing drops nothing.
fn latest() -> Version {
    Version::parse(promop_core::version::DEFAULT_ALERTMANAGER_VERSION).expect("version")
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

/// A base configuration that our loader accepts, sanitized for each
/// version, prints as YAML that the loader accepts again.
fn check_base(text: &str) -> Result<(), TestCaseError> {
    let Ok(config) = base_config::parse(text) else {
        return Ok(());
    };
    BASES.fetch_add(1, Relaxed);
    for version in versions() {
        let mut config = config.clone();
        if sanitize::config(&mut config, &version).is_err() {
            continue;
        }
        SANITIZED.fetch_add(1, Relaxed);
        let printed = promop_core::yaml::to_string(&Node::Map(config));
        parse_yaml(&printed).map_err(|e| {
            TestCaseError::fail(format!(
                "sanitized configuration is not YAML: {e}\n{printed}"
            ))
        })?;
        // Older versions lose fields (time intervals before 0.24, say) and
        // then may refer to what is gone, as with the reference.
        if let (true, Err(e)) = (version == latest(), base_config::parse(&printed)) {
            return Err(TestCaseError::fail(format!(
                "sanitized configuration refused when read again: {e}\n{printed}"
            )));
        }
    }
    Ok(())
}

/// The property: the Alertmanager paths never panic, and what they
/// generate loads.
fn check(case: &Case) -> Result<(), TestCaseError> {
    for base in &case.bases {
        match base {
            BaseConfig::Text(text) => check_base(text)?,
            BaseConfig::Bytes(bytes) => check_base(&String::from_utf8_lossy(bytes))?,
        }
    }
    let Some(loaded) = fuzz::load_and_lint(&case.documents) else {
        return Ok(());
    };
    let snapshot = &loaded.snapshot;
    DECODED.fetch_add(snapshot.alertmanager_configs.len() as u64, Relaxed);
    let watched = WatchedNamespaces::all();
    for am in &snapshot.alertmanagers {
        let Ok(output) = alertmanager_config(snapshot, am, &watched) else {
            continue;
        };
        REJECTED.fetch_add(output.rejected().len() as u64, Relaxed);
        if merges(am) {
            MERGED.fetch_add(1, Relaxed);
            let config = &output.config;
            parse_yaml(config).map_err(|e| {
                TestCaseError::fail(format!(
                    "generated configuration is not YAML: {e}\n{config}"
                ))
            })?;
            let latest = version_of(am).is_ok_and(|v| v == latest());
            if let (true, Err(e)) = (latest, base_config::parse(config)) {
                return Err(TestCaseError::fail(format!(
                    "generated configuration refused when read again: {e}\n{config}"
                )));
            }
        } else {
            RAW.fetch_add(1, Relaxed);
            // `promop render -o json` of a configuration used as it is.
            let _ = parse_yaml(&output.config);
        }
        if alertmanager_objects(snapshot, am, &output.config, &OperatorOptions::default()).is_ok() {
            OBJECTS.fetch_add(1, Relaxed);
        }
    }
    Ok(())
}

#[test]
fn alertmanager_paths_never_panic() {
    let t = Instant::now();
    let strategy = case();
    eprintln!("fuzz_alertmanager: strategy built in {:.1?}", t.elapsed());
    let total = fuzz::run(
        "fuzz_alertmanager",
        DEFAULT_CASES,
        &strategy,
        check,
        Case::show,
    );
    eprintln!(
        "fuzz_alertmanager: {total} cases; {} AlertmanagerConfigs decoded, {} rejected; {} \
         merged and {} raw configurations, {} with their objects; {} base configurations \
         read, {} sanitized",
        DECODED.load(Relaxed),
        REJECTED.load(Relaxed),
        MERGED.load(Relaxed),
        RAW.load(Relaxed),
        OBJECTS.load(Relaxed),
        BASES.load(Relaxed),
        SANITIZED.load(Relaxed),
    );
}
