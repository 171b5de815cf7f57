//! Inputs the fuzz target (`fuzz_pipeline.rs`) found to break the pipeline;
//! each must now give a clear error naming the field instead.
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::namespaces::WatchedNamespaces;

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
    match prometheus_config(s, workload, &WatchedNamespaces::all()) {
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
