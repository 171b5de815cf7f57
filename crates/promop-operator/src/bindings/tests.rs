use super::*;
use promop_core::desired::{OperatorOptions, prometheus_state};
use promop_core::manifests::{Loaded, Strictness};
use promop_core::prometheus::Workload;
use promop_core::select::ScrapeScope;

/// A Prometheus selecting `team: a` monitors and rules of its namespace; a
/// valid ServiceMonitor and one whose basic-auth Secret is missing, one of another team, a rule whose
/// PromQL does not parse (rejected by the rule generation, not the
/// selection).
const FIXTURE: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: ns}
spec:
  serviceMonitorSelector: {matchLabels: {team: a}}
  ruleSelector: {matchLabels: {team: a}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: good, namespace: ns, labels: {team: a}}
spec:
  selector: {matchLabels: {app: good}}
  endpoints: [{port: web}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bad, namespace: ns, labels: {team: a}}
spec:
  selector: {matchLabels: {app: bad}}
  endpoints:
  - port: web
    basicAuth:
      username: {name: creds, key: user}
      password: {name: creds, key: password}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: other, namespace: ns, labels: {team: b}}
spec:
  selector: {matchLabels: {app: other}}
  endpoints: [{port: web}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: broken, namespace: ns, labels: {team: a}}
spec:
  groups: [{name: g, rules: [{alert: A, expr: "sum(("}]}]
"#;

fn fixture_verdicts() -> Verdicts {
    let mut loaded = Loaded::default();
    loaded
        .add_yaml("fixture", FIXTURE, "default", Strictness::ObjectsOnly)
        .unwrap();
    let snapshot = &loaded.snapshot;
    let workload = Workload::Prometheus(&snapshot.prometheuses[0]);
    let state = prometheus_state(
        snapshot,
        workload,
        &ScrapeScope::reference(),
        &OperatorOptions::default(),
    )
    .unwrap();
    verdicts(&state.output.selection, &state.rejected())
}

fn key(kind: Kind, name: &str) -> (Kind, ObjectKey) {
    (kind, ObjectKey::new("ns", name))
}

#[test]
fn selected_objects_get_a_verdict_and_rejected_ones_their_reason() {
    let verdicts = fixture_verdicts();
    assert_eq!(
        verdicts.get(&key(Kind::ServiceMonitor, "good")),
        Some(&None)
    );
    let bad = verdicts[&key(Kind::ServiceMonitor, "bad")].as_deref();
    assert!(
        bad.is_some_and(|m| m.contains("spec.endpoints[0]")),
        "the rejection names the field: {bad:?}"
    );
    assert!(!verdicts.contains_key(&key(Kind::ServiceMonitor, "other")));
    let rule = verdicts[&key(Kind::PrometheusRule, "broken")].as_deref();
    assert!(rule.is_some(), "rejected by the rule generation");
    assert_eq!(verdicts.len(), 3);
}

fn binder(name: &str) -> Binder {
    Binder {
        resource: "prometheuses",
        namespace: "ns".into(),
        name: name.into(),
    }
}

fn at(seconds: i64) -> Time {
    Time(k8s_openapi::jiff::Timestamp::from_second(seconds).unwrap())
}

fn conditions(bindings: &[WorkloadBinding], name: &str) -> ConfigResourceCondition {
    let binding = bindings.iter().find(|b| b.name == name).unwrap();
    binding.conditions.as_ref().unwrap()[0].clone()
}

#[test]
fn an_accepted_object_is_bound_once_and_not_rewritten() {
    let main = binder("main");
    let bindings = updated(&[], &main, Some(&None), Some(3), &at(1)).unwrap();
    let accepted = conditions(&bindings, "main");
    assert_eq!(
        (accepted.type_.as_str(), accepted.status.as_str()),
        ("Accepted", "True")
    );
    assert_eq!(
        (
            accepted.reason,
            accepted.message,
            accepted.observed_generation
        ),
        (None, None, Some(3))
    );
    assert_eq!(bindings[0].group, "monitoring.coreos.com");
    assert_eq!(bindings[0].resource, "prometheuses");
    assert_eq!(
        updated(&bindings, &main, Some(&None), Some(3), &at(2)),
        None,
        "same verdict, only the time differs: nothing to write"
    );
    let newer = updated(&bindings, &main, Some(&None), Some(4), &at(2)).unwrap();
    assert_eq!(conditions(&newer, "main").observed_generation, Some(4));
    assert_eq!(conditions(&newer, "main").last_transition_time, at(2));
}

#[test]
fn a_rejection_says_why_and_keeps_other_workloads_bindings() {
    let other = updated(&[], &binder("other"), Some(&None), Some(1), &at(1)).unwrap();
    let why = Some("spec.endpoints[0].port: invalid".to_owned());
    let both = updated(&other, &binder("main"), Some(&why), Some(1), &at(2)).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(both[0], other[0], "another workload's binding is untouched");
    let rejected = conditions(&both, "main");
    assert_eq!(rejected.status, "False");
    assert_eq!(rejected.reason.as_deref(), Some("InvalidConfiguration"));
    assert_eq!(rejected.message, why);
}

#[test]
fn a_binding_goes_when_its_workload_no_longer_selects_the_object() {
    let main = binder("main");
    assert_eq!(updated(&[], &main, None, Some(1), &at(1)), None);
    let other = updated(&[], &binder("other"), Some(&None), Some(1), &at(1)).unwrap();
    let both = updated(&other, &main, Some(&None), Some(1), &at(1)).unwrap();
    assert_eq!(updated(&both, &main, None, Some(1), &at(2)), Some(other));
    let agent = Binder {
        resource: "prometheusagents",
        ..binder("main")
    };
    assert_eq!(
        updated(&both, &agent, None, Some(1), &at(2)),
        None,
        "a binding of another resource with the same name is not ours"
    );
}
