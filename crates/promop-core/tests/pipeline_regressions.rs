//! Inputs the fuzz targets (`fuzz_*.rs`) found to break the pipeline; each
//! must now give a clear error naming the field instead.
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::prometheus::rules::config_maps;
use promop_core::select::ScrapeScope;

fn error_of(manifest: &str) -> String {
    let mut loaded = Loaded::default();
    loaded
        .add_yaml("test", manifest, "default", Strictness::ObjectsOnly)
        .expect("manifest is usable");
    let s = &loaded.snapshot;
    let workload = s
        .prometheuses
        .first()
        .map(Workload::Prometheus)
        .or_else(|| s.prometheus_agents.first().map(Workload::Agent))
        .expect("a workload");
    match prometheus_config(s, workload, &ScrapeScope::default()) {
        Ok(_) => panic!("expected an error for:\n{manifest}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn absurd_shard_counts_are_refused_instead_of_exhausting_memory() {
    let error = error_of(
        "apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec: {version: v3.5.0, shards: 2147483647, serviceMonitorSelector: {}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: monitoring}
spec: {selector: {}, endpoints: [{port: web}]}
",
    );
    assert_eq!(
        error,
        "Prometheus monitoring/k8s: spec.shards: 2147483647 exceeds the supported maximum of 10000"
    );
}

#[test]
fn a_tls_key_given_as_file_and_secret_is_refused() {
    let error = error_of(
        "apiVersion: monitoring.coreos.com/v1alpha1
kind: PrometheusAgent
metadata: {name: agent, namespace: monitoring}
spec:
  version: v3.5.0
  remoteWrite:
  - url: http://example.com/path
    tlsConfig: {keyFile: /etc/key, keySecret: {name: tls, key: key}}
",
    );
    assert_eq!(
        error,
        "PrometheusAgent monitoring/agent: spec.remoteWrite[0].tlsConfig.keyFile: \
         cannot specify both 'keyFile' and 'keySecret'"
    );
}

// fuzz_conversion.rs: `metadata` of another type than a mapping panicked
// while reading manifests (`promop render`, `promop lint`).
#[test]
fn metadata_that_is_not_a_mapping_is_unusable_input() {
    for metadata in ["false", "[a]", "1", "x"] {
        let manifest = format!(
            "apiVersion: monitoring.coreos.com/v1alpha1\nkind: AlertmanagerConfig\nmetadata: {metadata}\nspec: {{}}\n"
        );
        let mut loaded = Loaded::default();
        let error = loaded
            .add_yaml("test", &manifest, "default", Strictness::ObjectsOnly)
            .expect_err("not an object");
        assert_eq!(
            error.to_string(),
            "test: document 0: AlertmanagerConfig: metadata: must be a mapping"
        );
    }
    // An explicit null is no metadata at all (the name is then missing).
    let mut loaded = Loaded::default();
    loaded
        .add_yaml(
            "test",
            "apiVersion: v1\nkind: Secret\nmetadata: null\n",
            "default",
            Strictness::ObjectsOnly,
        )
        .expect("usable");
}

// fuzz_rules.rs: PromQL that made promql-parser panic (a number out of
// range as a duration) or that overflowed the stack (nesting) rejects the
// PrometheusRule alone.
#[test]
fn promql_that_broke_the_parser_rejects_the_rule() {
    let deep = format!("{}up{}", "sum(".repeat(40_000), ")".repeat(40_000));
    for (expr, why) in [
        (
            "up offset 1e309",
            "invalid expression: cannot convert float seconds",
        ),
        (deep.as_str(), "expression nested too deeply"),
    ] {
        let manifest = format!(
            "apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: k8s, namespace: monitoring}}
spec: {{version: v3.5.0, ruleSelector: {{}}, enforcedNamespaceLabel: namespace}}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: bad, namespace: monitoring}}
spec: {{groups: [{{name: g, rules: [{{alert: A, expr: '{expr}'}}]}}]}}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: good, namespace: monitoring}}
spec: {{groups: [{{name: g, rules: [{{alert: A, expr: up == 0}}]}}]}}
"
        );
        let mut loaded = Loaded::default();
        loaded
            .add_yaml("test", &manifest, "default", Strictness::ObjectsOnly)
            .expect("usable");
        let s = &loaded.snapshot;
        let workload = Workload::Prometheus(&s.prometheuses[0]);
        let output = prometheus_config(s, workload, &ScrapeScope::default()).expect("config");
        let maps = config_maps(s, workload, &output.selection, None).expect("rule config maps");
        let files: Vec<&String> = maps.config_maps[0]
            .data
            .iter()
            .flat_map(|d| d.keys())
            .collect();
        assert_eq!(files, ["monitoring-good-.yaml"]);
        let rejected: Vec<String> = output.rejected().iter().map(|r| r.to_string()).collect();
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert!(
            rejected[0]
                .starts_with("PrometheusRule monitoring/bad: spec.groups[0].rules[0].expr: ")
                && rejected[0].contains(why),
            "{rejected:?}"
        );
    }
}
