//! A config object rejected for a missing Secret names every Secret and
//! ConfigMap it references, so that the operator, starting with a cold
//! cache, fetches them all after one generation instead of one per
//! generation (issue 11: "a monitor with several Secret references on a
//! cold cache must settle in one reconcile").
use promop_core::manifests::{Loaded, Strictness};
use promop_core::pipeline::prometheus_config;
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;
use promop_core::snapshot::ObjectKey;

const MANIFESTS: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  serviceMonitorSelector: {}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app, namespace: monitoring}
spec:
  selector: {}
  endpoints:
  - port: web
    basicAuth:
      username: {name: user, key: name}
      password: {name: pass, key: value}
    tlsConfig:
      ca: {configMap: {name: ca-bundle, key: ca.crt}}
      cert: {secret: {name: client, key: tls.crt}}
      keySecret: {name: client-key, key: tls.key}
"#;

#[test]
fn a_rejected_monitor_names_every_reference_at_once() {
    let mut loaded = Loaded::default();
    loaded
        .add_yaml("m.yaml", MANIFESTS, "default", Strictness::ObjectsOnly)
        .unwrap();
    let snapshot = &loaded.snapshot;
    let prometheus = &snapshot.prometheuses[0];
    let output = prometheus_config(
        snapshot,
        Workload::Prometheus(prometheus),
        &ScrapeScope::default(),
    )
    .unwrap();
    assert!(output.selection.service_monitors.selected.is_empty());
    let reads = snapshot.reads.keys();
    let key = |name: &str| ObjectKey::new("monitoring", name);
    for secret in ["user", "pass", "client", "client-key"] {
        assert!(reads.secrets.contains(&key(secret)), "{secret}: {reads:?}");
    }
    assert!(reads.config_maps.contains(&key("ca-bundle")), "{reads:?}");
}
