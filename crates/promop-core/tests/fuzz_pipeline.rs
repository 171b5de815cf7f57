//! No panic on any input: arbitrary ServiceMonitors, PodMonitors, Probes and
//! ScrapeConfigs, generated from our own CRD schemas, go through the whole
//! `promop render` path (manifests → snapshot → selection → generation →
//! YAML), and the emitted YAML must parse back.
//!
//! The generator (shared with the other fuzz targets, `fuzz/mod.rs`) walks
//! the openAPIV3Schema of each kind's `spec`: objects get
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
mod fuzz;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use fuzz::{
    CERT, KEY, Mode, NAMES, NAMESPACES, any_string, from_schema, labels, pick, reduced, spec_schema,
};
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::TestCaseError;
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

/// The Prometheus spec schema reduced to [`PROMETHEUS_FIELDS`].
fn prometheus_spec_schema() -> Value {
    reduced(spec_schema("prometheuses"), PROMETHEUS_FIELDS)
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
        fuzz::manifest(&self.documents)
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
            let mut documents = fuzz::namespaces();
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
    let scope = ScrapeScope::default();
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
        let Ok(output) = prometheus_config(snapshot, workload, &scope) else {
            continue;
        };
        let _ = output.rejected();
        let yaml = output.config.text();
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
            let json = output
                .config
                .tree()
                .expect("built without a memo")
                .to_json();
            prop_assert_eq!(&parsed, &json, "YAML and JSON forms differ:\n{}", yaml);
        }
    }
    Ok(())
}

#[test]
fn render_path_never_panics() {
    let strict = std::env::var_os("PROMOP_FUZZ_STRICT").is_some();
    let t = Instant::now();
    let strategy = case();
    eprintln!("fuzz_pipeline: strategy built in {:.1?}", t.elapsed());
    let total = fuzz::run(
        "fuzz_pipeline",
        DEFAULT_CASES,
        &strategy,
        |case| check(case, strict),
        Case::manifest,
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
