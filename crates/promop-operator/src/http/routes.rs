//! What each listener serves. The web listener: `/metrics`, `/healthz`,
//! `/readyz` and the webhooks; the webhook listener: the webhooks and
//! `/healthz` only, so that the port the API server reaches (often opened to
//! the control plane by a firewall rule) exposes no metrics. Admission
//! reviews (`/admission-prometheusrules/validate|mutate`,
//! `/admission-alertmanagerconfigs/validate`) belong in [`webhooks`] when
//! they exist.
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;

use super::Limits;
use crate::telemetry;

/// The web listener's routes.
pub(super) fn web(metrics: PrometheusHandle, limits: &Limits) -> Router {
    webhooks(limits).route("/readyz", get(readyz)).route(
        "/metrics",
        get(move || {
            let body = metrics.render();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    body,
                )
            }
        }),
    )
}

/// The webhook listener's routes (and part of the web listener's).
pub(super) fn webhooks(limits: &Limits) -> Router {
    let body_timeout = limits.body_timeout;
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/convert",
            post(move |request: Request| convert(request, body_timeout))
                .layer(DefaultBodyLimit::max(limits.body_limit)),
        )
}

async fn readyz() -> impl IntoResponse {
    if telemetry::ready() {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced\n")
    }
}

/// `/convert` with a deadline on reading the body: the route's
/// [`DefaultBodyLimit`] makes axum's JSON extractor answer 413 to a body
/// over the limit, the deadline answers 408 to one that trickles in.
async fn convert(request: Request, body_timeout: Duration) -> Response {
    let review = tokio::time::timeout(
        body_timeout,
        axum::Json::<serde_json::Value>::from_request(request, &()),
    )
    .await;
    match review {
        Ok(Ok(review)) => crate::conversion::review(review).await.into_response(),
        Ok(Err(rejection)) => rejection.into_response(),
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            "timed out reading the request body\n",
        )
            .into_response(),
    }
}
