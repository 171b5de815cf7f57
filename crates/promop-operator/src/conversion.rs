//! The CRD conversion webhook (`POST /convert`) for AlertmanagerConfig, the
//! endpoint the reference serves from its admission webhook: the API server
//! stores v1alpha1 and sends a `ConversionReview` whenever a client reads
//! or writes v1beta1 (CRD `spec.conversion.strategy: Webhook`). The
//! conversion itself is `promop_api`'s, shared with `promop render`.
use axum::Json;
use axum::http::StatusCode;
use promop_api::v1beta1::alertmanager_config::conversion;
use serde_json::{Value, json};

use crate::telemetry;

const REVIEW_VERSION: &str = "apiextensions.k8s.io/v1";

/// Answers a `ConversionReview`; a review that cannot be read gets 400, an
/// object that cannot be converted a `Failure` result naming it.
pub async fn review(Json(review): Json<Value>) -> Result<Json<Value>, (StatusCode, String)> {
    let request = review
        .get("request")
        .filter(|_| review["apiVersion"] == REVIEW_VERSION && review["kind"] == "ConversionReview")
        .ok_or((
            StatusCode::BAD_REQUEST,
            format!("expected a {REVIEW_VERSION} ConversionReview with a request"),
        ))?;
    let uid = request["uid"].clone();
    let desired = request["desiredAPIVersion"].as_str().unwrap_or_default();
    let objects = request["objects"].as_array().map_or(&[][..], Vec::as_slice);
    let converted: Result<Vec<Value>, String> = objects
        .iter()
        .map(|object| {
            conversion::convert(object, desired).ok_or_else(|| {
                format!(
                    "cannot convert {} {}/{} from {} to {desired}",
                    object["kind"].as_str().unwrap_or("object"),
                    object["metadata"]["namespace"].as_str().unwrap_or_default(),
                    object["metadata"]["name"].as_str().unwrap_or_default(),
                    object["apiVersion"].as_str().unwrap_or("no apiVersion"),
                )
            })
        })
        .collect();
    let response = match converted {
        Ok(objects) => {
            metrics::counter!(telemetry::CONVERSIONS, "result" => "success")
                .increment(objects.len() as u64);
            json!({"uid": uid, "convertedObjects": objects, "result": {"status": "Success"}})
        }
        Err(message) => {
            metrics::counter!(telemetry::CONVERSIONS, "result" => "failure").increment(1);
            tracing::warn!(%message, "conversion refused");
            json!({"uid": uid, "result": {"status": "Failure", "message": message}})
        }
    };
    Ok(Json(
        json!({"apiVersion": REVIEW_VERSION, "kind": "ConversionReview", "response": response}),
    ))
}
