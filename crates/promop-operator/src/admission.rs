//! The admission webhooks (`admission.k8s.io/v1` AdmissionReviews) the
//! API server calls when `webhook.admission.enabled` is set in the chart:
//! `/admission-prometheusrules/validate`, `/admission-prometheusrules/mutate`
//! and `/admission-alertmanagerconfigs/validate`, the reference's paths.
//! The decisions are `promop_core::admission`'s; this module reads the
//! review, checks that it is about the resource the path expects and writes
//! the response (a denial as a `Status` with code 422, reason `Invalid`
//! and one cause per problem; a mutation as a base64 JSON Patch).
use axum::Json;
use axum::http::StatusCode;
use base64::Engine;
use promop_core::admission::{self, Denial, NameValidationScheme, Options};
use promop_core::prometheus::rules::promql;
use serde_json::{Value, json};

use crate::telemetry;

const REVIEW_VERSION: &str = "admission.k8s.io/v1";
const GROUP: &str = "monitoring.coreos.com";

/// The three endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Webhook {
    PrometheusRulesValidate,
    PrometheusRulesMutate,
    AlertmanagerConfigsValidate,
}

impl Webhook {
    pub const ALL: [Webhook; 3] = [
        Self::PrometheusRulesValidate,
        Self::PrometheusRulesMutate,
        Self::AlertmanagerConfigsValidate,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Self::PrometheusRulesValidate => "/admission-prometheusrules/validate",
            Self::PrometheusRulesMutate => "/admission-prometheusrules/mutate",
            Self::AlertmanagerConfigsValidate => "/admission-alertmanagerconfigs/validate",
        }
    }

    /// The `webhook` label of [`telemetry::ADMISSIONS`].
    fn label(self) -> &'static str {
        match self {
            Self::PrometheusRulesValidate => "prometheusrules-validate",
            Self::PrometheusRulesMutate => "prometheusrules-mutate",
            Self::AlertmanagerConfigsValidate => "alertmanagerconfigs-validate",
        }
    }

    fn resource(self) -> &'static str {
        match self {
            Self::AlertmanagerConfigsValidate => "alertmanagerconfigs",
            _ => "prometheusrules",
        }
    }
}

/// Answers an AdmissionReview; one that cannot be read gets 400.
pub fn review(
    webhook: Webhook,
    options: &Options,
    review: &Value,
) -> Result<Json<Value>, (StatusCode, String)> {
    let request = review
        .get("request")
        .filter(|_| review["apiVersion"] == REVIEW_VERSION && review["kind"] == "AdmissionReview")
        .ok_or((
            StatusCode::BAD_REQUEST,
            format!("expected a {REVIEW_VERSION} AdmissionReview with a request"),
        ))?;
    let mut response = match decide(webhook, options, request) {
        Ok(None) => json!({"allowed": true}),
        Ok(Some(patch)) => json!({
            "allowed": true,
            "patchType": "JSONPatch",
            "patch": base64::engine::general_purpose::STANDARD.encode(patch.to_string()),
        }),
        Err(denial) => {
            tracing::info!(
                webhook = webhook.path(),
                namespace = request["namespace"].as_str().unwrap_or_default(),
                name = request["name"].as_str().unwrap_or_default(),
                message = %denial.message,
                "admission denied"
            );
            json!({"allowed": false, "status": status(webhook, &denial)})
        }
    };
    let result = if response["allowed"] == true {
        "allowed"
    } else {
        "denied"
    };
    metrics::counter!(telemetry::ADMISSIONS, "webhook" => webhook.label(), "result" => result)
        .increment(1);
    response["uid"] = request["uid"].clone();
    Ok(Json(
        json!({"apiVersion": REVIEW_VERSION, "kind": "AdmissionReview", "response": response}),
    ))
}

/// Allowed (with the mutation's patch), or denied.
fn decide(webhook: Webhook, options: &Options, request: &Value) -> Result<Option<Value>, Denial> {
    let resource = &request["resource"];
    let object = &request["object"];
    let expected = match webhook {
        Webhook::AlertmanagerConfigsValidate => {
            resource["group"] == GROUP && resource["resource"] == webhook.resource()
        }
        _ => {
            resource["group"] == GROUP
                && resource["version"] == "v1"
                && resource["resource"] == webhook.resource()
        }
    };
    if !expected {
        return Err(Denial::new(
            "Unexpected resource kind",
            "",
            format!(
                "expected resource to be {}, but received {resource}",
                webhook.resource()
            ),
        ));
    }
    match webhook {
        Webhook::PrometheusRulesValidate => {
            admission::validate_prometheus_rule(object, options).map(|()| None)
        }
        Webhook::PrometheusRulesMutate => {
            admission::mutate_prometheus_rule(object).map(|ops| Some(Value::Array(ops)))
        }
        Webhook::AlertmanagerConfigsValidate => {
            let version = resource["version"].as_str().unwrap_or_default();
            admission::validate_alertmanager_config(object, version).map(|()| None)
        }
    }
}

/// The `metav1.Status` of a denial.
fn status(webhook: Webhook, denial: &Denial) -> Value {
    let causes: Vec<Value> = denial
        .causes
        .iter()
        .map(|c| json!({"field": c.field, "message": c.message}))
        .collect();
    json!({
        "status": "Failure",
        "reason": "Invalid",
        "code": 422,
        "message": denial.message,
        "details": {"name": webhook.resource(), "causes": causes},
    })
}

/// `--promql-options`: the reference's names, comma-separated.
pub fn parse_promql_options(text: &str) -> Result<promql::Features, String> {
    let mut features = promql::Features::default();
    for option in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        match option {
            "experimental-functions" => features.experimental_functions = true,
            "binop-fill-modifiers" => features.binop_fill_modifiers = true,
            // Accepted for compatibility; promop's PromQL parser has neither
            // (conformance/known-differences.md).
            "duration-expression-parsing" | "extended-range-selectors" => {}
            other => {
                return Err(format!(
                    "{other:?}: expected experimental-functions, duration-expression-parsing, extended-range-selectors or binop-fill-modifiers"
                ));
            }
        }
    }
    Ok(features)
}

/// `--name-validation-scheme`.
pub fn parse_name_validation_scheme(text: &str) -> Result<NameValidationScheme, String> {
    match text {
        "legacy" => Ok(NameValidationScheme::Legacy),
        "utf8" => Ok(NameValidationScheme::Utf8),
        other => Err(format!("{other:?}: expected legacy or utf8")),
    }
}

#[cfg(test)]
mod tests;
