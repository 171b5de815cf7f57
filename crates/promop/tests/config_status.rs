//! `--feature-gates=StatusForConfigurationResources=true` on the test bed:
//! the ServiceMonitors and PrometheusRules a Prometheus selects get a
//! binding in `status.bindings` (Accepted, or not and why), another
//! Prometheus's binding on the same object is left alone, a binding goes
//! when its Prometheus stops selecting the object or is deleted (the
//! status-cleanup finalizer holds the deletion until then), and no status
//! holds a Secret's value. The reference operator run with the same gate on
//! the same inputs writes the same bindings (but for times and messages).
mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use anyhow::{Result, bail, ensure};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, ResourceExt};
use promop_api::v1::{Prometheus, ServiceMonitor};
use promop_testenv::{ReferenceOperator, TestEnv, apply_manifests};
use serde_json::{Value, json};

use common::Operator;

const GATE: &str = "--feature-gates=StatusForConfigurationResources=true";
const NS: &str = "apps";
const TIMEOUT: Duration = Duration::from_secs(60);
const SECRET_VALUE: &str = "hunter2-do-not-leak";
const FINALIZER: &str = "monitoring.coreos.com/status-cleanup";

/// Two Prometheuses and a PrometheusAgent (which, as in the reference, gets
/// the finalizer but writes no binding) select `team: a` ServiceMonitors
/// and rules (only `main` has a rule selector): `good`
/// (basic auth from an existing Secret), `bad` (its password key does not
/// exist), a rule whose PromQL does not parse; `other` is of another team.
fn inputs() -> String {
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: creds, namespace: {NS}}}
stringData: {{user: admin, password: {SECRET_VALUE}}}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: main, namespace: {NS}}}
spec:
  serviceMonitorSelector: {{matchLabels: {{team: a}}}}
  ruleSelector: {{matchLabels: {{team: a}}}}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: second, namespace: {NS}}}
spec:
  serviceMonitorSelector: {{matchLabels: {{team: a}}}}
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: PrometheusAgent
metadata: {{name: agent, namespace: {NS}}}
spec:
  serviceMonitorSelector: {{matchLabels: {{team: a}}}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: good, namespace: {NS}, labels: {{team: a}}}}
spec:
  selector: {{matchLabels: {{app: good}}}}
  endpoints:
  - port: web
    basicAuth:
      username: {{name: creds, key: user}}
      password: {{name: creds, key: password}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: bad, namespace: {NS}, labels: {{team: a}}}}
spec:
  selector: {{matchLabels: {{app: bad}}}}
  endpoints:
  - port: web
    basicAuth:
      username: {{name: creds, key: user}}
      password: {{name: creds, key: nope}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: other, namespace: {NS}, labels: {{team: b}}}}
spec:
  selector: {{matchLabels: {{app: other}}}}
  endpoints: [{{port: web}}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: broken, namespace: {NS}, labels: {{team: a}}}}
spec:
  groups: [{{name: g, rules: [{{alert: A, expr: "sum(("}}]}}]
"#
    )
}

/// The bindings of an object: `(resource, name) → (status, reason, message)`.
type Bindings = BTreeMap<(String, String), (String, String, String)>;

fn bindings_of(object: &Value) -> Bindings {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let list = object["status"]["bindings"].as_array().cloned();
    list.unwrap_or_default()
        .iter()
        .map(|b| {
            let c = &b["conditions"][0];
            assert_eq!(b["group"], "monitoring.coreos.com");
            assert_eq!(b["namespace"], NS);
            assert_eq!(c["type"], "Accepted");
            (
                (text(&b["resource"]), text(&b["name"])),
                (text(&c["status"]), text(&c["reason"]), text(&c["message"])),
            )
        })
        .collect()
}

fn api(client: &Client, kind: &str) -> Api<DynamicObject> {
    let version = if kind == "PrometheusAgent" {
        "v1alpha1"
    } else {
        "v1"
    };
    let gvk = GroupVersionKind::gvk("monitoring.coreos.com", version, kind);
    Api::namespaced_with(client.clone(), NS, &ApiResource::from_gvk(&gvk))
}

/// The bindings of `kind` `name`, as JSON (status included).
async fn object(client: &Client, kind: &str, name: &str) -> Result<Value> {
    Ok(serde_json::to_value(api(client, kind).get(name).await?)?)
}

/// Polls `check` (Ok(None): not yet) until it answers, for [`TIMEOUT`].
async fn eventually<T, F, Fut>(what: &str, check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    promop_testenv::poll::until(what, TIMEOUT, check).await
}

/// Waits until `kind` `name` has bindings to exactly `workloads` (names of
/// Prometheuses), and returns them.
async fn wait_bound(
    client: &Client,
    kind: &str,
    name: &str,
    workloads: &[&str],
) -> Result<Bindings> {
    let what = format!("{kind} {name} bound to {workloads:?}");
    eventually(&what, || async {
        let bindings = bindings_of(&object(client, kind, name).await?);
        let names: Vec<&str> = bindings.keys().map(|(_, n)| n.as_str()).collect();
        Ok((names == workloads).then_some(bindings))
    })
    .await
}

fn accepted(bindings: &Bindings, workload: &str) -> (String, String, String) {
    bindings[&("prometheuses".to_owned(), workload.to_owned())].clone()
}

#[tokio::test]
async fn selected_objects_get_bindings_and_lose_them() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, &inputs()).await?;
    let operator = Operator::start(&env, env.dir(), "promop", &[GATE])?;

    let good = wait_bound(&client, "ServiceMonitor", "good", &["main", "second"]).await?;
    for workload in ["main", "second"] {
        assert_eq!(
            accepted(&good, workload),
            ("True".into(), "".into(), "".into())
        );
    }
    let bad = wait_bound(&client, "ServiceMonitor", "bad", &["main", "second"]).await?;
    let (status, reason, message) = accepted(&bad, "main");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "InvalidConfiguration")
    );
    ensure!(
        message.contains("basicAuth") && message.contains("nope"),
        "the message names the field and the key: {message}"
    );
    let rule = wait_bound(&client, "PrometheusRule", "broken", &["main"]).await?;
    ensure!(accepted(&rule, "main").0 == "False", "{rule:?}");
    let other = object(&client, "ServiceMonitor", "other").await?;
    ensure!(
        other.get("status").is_none(),
        "not selected, no status: {other}"
    );
    let prometheuses: Api<Prometheus> = Api::namespaced(client.clone(), NS);
    let main = prometheuses.get("main").await?;
    ensure!(main.finalizers() == [FINALIZER], "{:?}", main.finalizers());
    let agents = api(&client, "PrometheusAgent");
    let finalized = eventually("PrometheusAgent agent with the finalizer", || async {
        let agent = agents.get("agent").await?;
        Ok((agent.finalizers() == [FINALIZER]).then_some(()))
    });
    finalized.await?;
    agents.delete("agent", &DeleteParams::default()).await?;
    eventually("PrometheusAgent agent gone", || async {
        Ok(agents.get_opt("agent").await?.is_none().then_some(()))
    })
    .await?;
    let monitors: Api<ServiceMonitor> = Api::namespaced(client.clone(), NS);
    for monitor in monitors.list(&Default::default()).await? {
        let status = serde_json::to_string(&monitor.status)?;
        ensure!(!status.contains(SECRET_VALUE), "a Secret value in {status}");
    }

    // main stops selecting team a: its bindings go, second's stay.
    let patch = json!({"spec": {"serviceMonitorSelector": {"matchLabels": {"team": "c"}}}});
    prometheuses
        .patch("main", &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    let good = wait_bound(&client, "ServiceMonitor", "good", &["second"]).await?;
    assert_eq!(accepted(&good, "second").0, "True");
    wait_bound(&client, "ServiceMonitor", "bad", &["second"]).await?;
    wait_bound(&client, "PrometheusRule", "broken", &["main"]).await?;

    // Deleting a Prometheus removes its bindings, then its finalizer.
    prometheuses
        .delete("second", &DeleteParams::default())
        .await?;
    wait_bound(&client, "ServiceMonitor", "good", &[]).await?;
    wait_bound(&client, "ServiceMonitor", "bad", &[]).await?;
    eventually("Prometheus second gone", || async {
        Ok(prometheuses
            .get_opt("second")
            .await?
            .is_none()
            .then_some(()))
    })
    .await?;
    prometheuses
        .delete("main", &DeleteParams::default())
        .await?;
    wait_bound(&client, "PrometheusRule", "broken", &[]).await?;
    let logs = operator.logs();
    ensure!(!logs.contains(SECRET_VALUE), "a Secret value in the log");
    Ok(())
}

/// The bindings of every input object once they settle.
async fn settled_bindings(client: &Client) -> Result<BTreeMap<String, Bindings>> {
    let expected = [
        ("ServiceMonitor", "good", 2),
        ("ServiceMonitor", "bad", 2),
        ("ServiceMonitor", "other", 0),
        ("PrometheusRule", "broken", 1),
    ];
    let mut all = BTreeMap::new();
    for (kind, name, count) in expected {
        let what = format!("{kind} {name} with {count} bindings");
        let bindings = eventually(&what, || async {
            let bindings = bindings_of(&object(client, kind, name).await?);
            Ok((bindings.len() == count).then_some(bindings))
        })
        .await?;
        all.insert(format!("{kind} {name}"), bindings);
    }
    Ok(all)
}

/// Same inputs, same gate: the reference's bindings and promop's name the
/// same workloads with the same status and reason. Messages are compared
/// apart: promop's name the field path (`promop explain`'s wording).
#[tokio::test]
async fn bindings_match_the_reference() -> Result<()> {
    let reference_env = TestEnv::with_upstream_crds().await?;
    let client = reference_env.client();
    apply_manifests(&client, &inputs()).await?;
    let reference = ReferenceOperator::start(&reference_env, &[GATE]).await?;
    let expected = settled_bindings(&client).await;
    let expected = match expected {
        Ok(expected) => expected,
        Err(e) => bail!("{e}\nreference log:\n{}", reference.log_tail(40)),
    };
    drop(reference);

    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    apply_manifests(&client, &inputs()).await?;
    let _operator = Operator::start(&env, env.dir(), "promop", &[GATE])?;
    let actual = settled_bindings(&client).await?;
    let without_messages = |all: &BTreeMap<String, Bindings>| {
        let mut all = all.clone();
        for bindings in all.values_mut() {
            for (_, _, message) in bindings.values_mut() {
                *message = (!message.is_empty()).to_string();
            }
        }
        all
    };
    assert_eq!(without_messages(&actual), without_messages(&expected));
    Ok(())
}
