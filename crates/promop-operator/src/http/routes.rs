//! What each listener serves. The web listener: `/metrics`, `/healthz`,
//! `/readyz` and the webhooks; the webhook listener: the webhooks and
//! `/healthz` only, so that the port the API server reaches (often opened to
//! the control plane by a firewall rule) exposes no metrics. The webhooks
//! are `/convert` and the admission reviews
//! (`/admission-prometheusrules/validate|mutate`,
//! `/admission-alertmanagerconfigs/validate`), all with the same limits on
//! the request body.
use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use promop_core::admission::Options;
use serde_json::Value;

use super::Limits;
use crate::admission::{self, Webhook};
use crate::telemetry;

/// The web listener's routes.
pub(super) fn web(metrics: PrometheusHandle, limits: &Limits, admission: Options) -> Router {
    webhooks(limits, admission)
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(move || {
                let mut body = metrics.render();
                body.push_str(&telemetry::conditions::render());
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
pub(super) fn webhooks(limits: &Limits, options: Options) -> Router {
    let body_timeout = limits.body_timeout;
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/convert",
            post(move |request: Request| {
                review(request, body_timeout, |review| async move {
                    crate::conversion::review(axum::Json(review))
                        .await
                        .into_response()
                })
            })
            .layer(DefaultBodyLimit::max(limits.body_limit)),
        );
    for webhook in Webhook::ALL {
        router = router.route(
            webhook.path(),
            post(move |request: Request| {
                review(request, body_timeout, move |review| async move {
                    admission::review(webhook, &options, &review).into_response()
                })
            })
            .layer(DefaultBodyLimit::max(limits.body_limit)),
        );
    }
    router
}

async fn readyz() -> impl IntoResponse {
    if telemetry::ready() {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced\n")
    }
}

/// A review (conversion or admission) with a deadline on reading the body:
/// the route's [`DefaultBodyLimit`] makes axum's JSON extractor answer 413
/// to a body over the limit, the deadline answers 408 to one that trickles
/// in.
async fn review<F, R>(request: Request, body_timeout: Duration, answer: F) -> Response
where
    F: FnOnce(Value) -> R,
    R: Future<Output = Response>,
{
    let review = tokio::time::timeout(
        body_timeout,
        axum::Json::<Value>::from_request(request, &()),
    )
    .await;
    match review {
        Ok(Ok(axum::Json(review))) => answer(review).await,
        Ok(Err(rejection)) => rejection.into_response(),
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            "timed out reading the request body\n",
        )
            .into_response(),
    }
}
