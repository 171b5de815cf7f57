//! The admission webhooks against the reference's `admission-webhook`
//! (v0.94.1): every PrometheusRule and AlertmanagerConfig of the
//! conformance corpus, plus hand-written invalid ones, sent as the same
//! AdmissionReview to both. The decisions (allowed or denied) and the
//! mutation's patch must be equal; promop's denial must name the field.
//! Prints the figure (`N objects, N agree`) for the notes.
//!
//! `PROMOP_SCENARIO=<family>/<name>` limits the corpus part.
use std::collections::BTreeSet;

use base64::Engine;
use promop_core::admission::{NameValidationScheme, Options};
use promop_operator::admission::{Webhook, parse_promql_options, review};
use promop_testenv::ReferenceAdmissionWebhook;
use promop_testenv::corpus::selected_scenarios;
use serde_json::{Value, json};

/// One object and the options both webhooks run with.
struct Case {
    id: String,
    object: Value,
}

fn review_of(object: &Value) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let resource = match object["kind"].as_str() {
        Some("PrometheusRule") => "prometheusrules",
        _ => "alertmanagerconfigs",
    };
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "0d5b7d4e-0000-4000-8000-000000000001",
            "kind": {"group": group, "version": version, "kind": object["kind"]},
            "resource": {"group": group, "version": version, "resource": resource},
            "namespace": object["metadata"]["namespace"],
            "name": object["metadata"]["name"],
            "operation": "CREATE",
            "userInfo": {"username": "test"},
            "object": object,
        },
    })
}

/// The patch operations of a response, in a stable order (the reference
/// walks Go maps, whose order varies).
fn patch_ops(response: &Value) -> BTreeSet<String> {
    let Some(patch) = response["patch"].as_str() else {
        return BTreeSet::new();
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(patch)
        .expect("base64 patch");
    let ops: Vec<Value> = serde_json::from_slice(&bytes).expect("JSON patch");
    ops.iter().map(Value::to_string).collect()
}

fn hand_written() -> Vec<Case> {
    let rule = |name: &str, groups: Value| Case {
        id: format!("hand-written/{name}"),
        object: json!({
            "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"groups": groups},
        }),
    };
    let amc = |name: &str, version: &str, spec: Value| Case {
        id: format!("hand-written/{name}"),
        object: json!({
            "apiVersion": format!("monitoring.coreos.com/{version}"), "kind": "AlertmanagerConfig",
            "metadata": {"name": name, "namespace": "default"},
            "spec": spec,
        }),
    };
    let receiver = |r: Value| json!({"route": {"receiver": "r"}, "receivers": [r]});
    vec![
        rule(
            "bad-promql",
            json!([{"name": "g", "rules": [{"alert": "A", "expr": "sum(rate(x[5m])"}]}]),
        ),
        rule(
            "duplicate-groups",
            json!([
                {"name": "g", "rules": [{"record": "a", "expr": "1"}]},
                {"name": "g", "rules": [{"record": "b", "expr": "1"}]},
            ]),
        ),
        rule(
            "bad-for",
            json!([{"name": "g", "rules": [{"alert": "A", "expr": "up", "for": "5 minutes"}]}]),
        ),
        rule(
            "record-and-alert",
            json!([{"name": "g", "rules": [{"alert": "A", "record": "r", "expr": "up"}]}]),
        ),
        rule(
            "bad-record-name",
            json!([{"name": "g", "rules": [{"record": "a-b", "expr": "up"}]}]),
        ),
        rule(
            "utf8-record-name",
            json!([{"name": "g", "rules": [{"record": "a.b", "expr": "up"}]}]),
        ),
        rule(
            "bad-template",
            json!([{"name": "g", "rules": [{"alert": "A", "expr": "up", "annotations": {"summary": "{{ $value "}}]}]),
        ),
        rule(
            "experimental-function",
            json!([{"name": "g", "rules": [{"record": "r", "expr": "sort_by_label(up, \"job\")"}]}]),
        ),
        rule(
            "numeric-label",
            json!([{"name": "g", "rules": [{"alert": "A", "expr": "up", "labels": {"severity": 2, "page": true}}]}]),
        ),
        rule(
            "annotations-on-record",
            json!([{"name": "g", "rules": [{"record": "r", "expr": "up", "annotations": {"a": "b"}}]}]),
        ),
        rule(
            "empty-for",
            json!([{"name": "g", "interval": "", "rules": [{"alert": "A", "expr": "up", "for": ""}]}]),
        ),
        rule(
            "valid",
            json!([{"name": "g", "interval": "30s", "rules": [{"alert": "A", "expr": "up == 0", "for": "5m", "labels": {"severity": "page"}}]}]),
        ),
        amc(
            "bad-receiver-url",
            "v1alpha1",
            receiver(json!({"name": "r", "webhookConfigs": [{"url": "ftp://example.com/x"}]})),
        ),
        amc(
            "bad-matcher",
            "v1alpha1",
            json!({"route": {"receiver": "r", "matchers": [{"name": "", "value": "x"}]}, "receivers": [{"name": "r"}]}),
        ),
        amc(
            "missing-receiver",
            "v1alpha1",
            json!({"route": {"receiver": "nobody"}, "receivers": [{"name": "r"}]}),
        ),
        amc(
            "duplicate-receivers",
            "v1alpha1",
            json!({"route": {"receiver": "r"}, "receivers": [{"name": "r"}, {"name": "r"}]}),
        ),
        amc(
            "v1beta1-valid",
            "v1beta1",
            receiver(json!({"name": "r", "webhookConfigs": [{"url": "https://example.com/x"}]})),
        ),
        amc(
            "v1beta1-bad-url",
            "v1beta1",
            receiver(json!({"name": "r", "webhookConfigs": [{"url": "example.com"}]})),
        ),
        amc(
            "v1beta1-missing-interval",
            "v1beta1",
            json!({"route": {"receiver": "r", "activeTimeIntervals": ["night"]}, "receivers": [{"name": "r"}]}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn admission_decisions_equal_the_references() {
    let reference = ReferenceAdmissionWebhook::start(&[])
        .await
        .expect("reference admission-webhook");
    let mut cases = Vec::new();
    for scenario in selected_scenarios().expect("corpus") {
        for doc in &scenario.docs {
            if matches!(
                doc["kind"].as_str(),
                Some("PrometheusRule" | "AlertmanagerConfig")
            ) {
                let name = doc["metadata"]["name"].as_str().unwrap_or_default();
                cases.push(Case {
                    id: format!("{}/{name}", scenario.id),
                    object: doc.clone(),
                });
            }
        }
    }
    let corpus = cases.len();
    cases.extend(hand_written());
    let outcome = compare(&reference, &Options::default(), &cases).await;
    println!(
        "admission: {} objects ({corpus} from the corpus, {} hand-written), {} agree with the reference's admission-webhook; {} denials by promop",
        cases.len(),
        cases.len() - corpus,
        outcome.agree,
        outcome.denied,
    );
    outcome.assert_all_agree(cases.len());
}

/// `--promql-options` and `--name-validation-scheme` change the decisions
/// the same way in both.
#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_flags_have_the_references_effect() {
    let reference = ReferenceAdmissionWebhook::start(&[
        "--promql-options=experimental-functions,binop-fill-modifiers",
        "--name-validation-scheme=utf8",
    ])
    .await
    .expect("reference admission-webhook");
    let options = Options {
        name_validation: NameValidationScheme::Utf8,
        promql: parse_promql_options("experimental-functions,binop-fill-modifiers").unwrap(),
    };
    let cases = hand_written();
    let outcome = compare(&reference, &options, &cases).await;
    outcome.assert_all_agree(cases.len());
    // Without the flags promop would deny the three cases they admit (UTF-8
    // recording rule names `a-b` and `a.b`, an experimental function).
    let default = compare(&reference, &Options::default(), &cases).await;
    assert_eq!(
        default.disagreements.len(),
        3,
        "{:?}",
        default.disagreements
    );
}

#[derive(Default)]
struct Outcome {
    agree: usize,
    denied: usize,
    disagreements: Vec<String>,
}

impl Outcome {
    fn assert_all_agree(&self, total: usize) {
        assert!(
            self.disagreements.is_empty(),
            "{} of {total} objects decided differently:\n{}",
            self.disagreements.len(),
            self.disagreements.join("\n")
        );
    }
}

/// Sends each case to both webhooks (validate, and mutate for rules).
async fn compare(
    reference: &ReferenceAdmissionWebhook,
    options: &Options,
    cases: &[Case],
) -> Outcome {
    let mut outcome = Outcome::default();
    for case in cases {
        let request = review_of(&case.object);
        let webhooks: &[Webhook] = if case.object["kind"] == "PrometheusRule" {
            &[
                Webhook::PrometheusRulesValidate,
                Webhook::PrometheusRulesMutate,
            ]
        } else {
            &[Webhook::AlertmanagerConfigsValidate]
        };
        let mut same = true;
        for &webhook in webhooks {
            let expected = reference
                .review(webhook.path(), &request)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", case.id, reference.logs()));
            let actual = review(webhook, options, &request).expect("a review").0;
            let (expected, actual) = (&expected["response"], &actual["response"]);
            assert_eq!(actual["uid"], request["request"]["uid"], "{}", case.id);
            if expected["allowed"] != actual["allowed"] || patch_ops(expected) != patch_ops(actual)
            {
                same = false;
                outcome.disagreements.push(format!(
                    "{} {}: reference {} {}, promop {} {}",
                    case.id,
                    webhook.path(),
                    expected["allowed"],
                    expected["status"]["details"]["causes"],
                    actual["allowed"],
                    actual["status"]["message"],
                ));
            }
            if actual["allowed"] == false {
                outcome.denied += 1;
                let message = actual["status"]["message"].as_str().unwrap_or_default();
                let cause = &actual["status"]["details"]["causes"][0];
                assert!(
                    message.contains("spec") || message.starts_with("Cannot unmarshal"),
                    "{}: promop's message names no field: {message}",
                    case.id
                );
                assert!(cause["message"].is_string(), "{}: no cause", case.id);
            }
        }
        if same {
            outcome.agree += 1;
        }
    }
    outcome
}
