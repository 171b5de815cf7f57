//! Orders, their simulated handling, and the HTTP routes.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::metrics::Metrics;
use crate::trace::{self, Tracer};

/// Orders kept for `GET /orders/{id}`; older ones are forgotten so that a
/// long run under load keeps a bounded memory.
const KEPT_ORDERS: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Order {
    pub id: u64,
    pub status: Status,
    pub duration_seconds: f64,
}

/// How long the simulated work of an order lasts.
#[derive(Clone, Copy, Debug)]
pub struct WorkTime {
    pub min: Duration,
    pub max: Duration,
}

/// What will happen to one order: drawn before the work starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    pub status: Status,
    pub work: Duration,
}

/// Draws an order's outcome (failed with probability `failure_ratio`, in
/// 0..=1) and its work time: cubing a uniform draw skews it towards `min`
/// with a long tail towards `max`, like real latencies (median at an eighth
/// of the range).
pub fn plan(rng: &mut impl Rng, failure_ratio: f64, work: WorkTime) -> Plan {
    let status = if rng.random_bool(failure_ratio) {
        Status::Failed
    } else {
        Status::Ok
    };
    let skew = rng.random::<f64>().powi(3);
    Plan {
        status,
        work: work.min + (work.max - work.min).mul_f64(skew),
    }
}

/// Shared by the handlers.
pub struct AppState {
    pub metrics: Metrics,
    ready: AtomicBool,
    next_id: AtomicU64,
    orders: Mutex<BTreeMap<u64, Order>>,
    rng: Mutex<StdRng>,
    failure_ratio: f64,
    work: WorkTime,
}

impl AppState {
    pub fn new(failure_ratio: f64, work: WorkTime, seed: Option<u64>) -> Self {
        let rng = seed.map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64);
        Self {
            metrics: Metrics::new(),
            ready: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            orders: Mutex::new(BTreeMap::new()),
            rng: Mutex::new(rng),
            failure_ratio,
            work,
        }
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// Handles one order: simulated work, then the outcome is recorded.
    async fn place_order(&self) -> Order {
        let _active = self.metrics.order_started();
        let started = Instant::now();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // A poisoned lock only means another handler panicked; the
        // generator and the map are still usable.
        let plan = plan(
            &mut *self.rng.lock().unwrap_or_else(PoisonError::into_inner),
            self.failure_ratio,
            self.work,
        );
        tokio::time::sleep(plan.work).await;
        let duration = started.elapsed();
        self.metrics.order_finished(plan.status, duration);
        let order = Order {
            id,
            status: plan.status,
            duration_seconds: duration.as_secs_f64(),
        };
        tracing::debug!(
            id,
            status = plan.status.as_str(),
            ?duration,
            "order handled"
        );
        let mut orders = self.orders.lock().unwrap_or_else(PoisonError::into_inner);
        orders.insert(id, order.clone());
        if orders.len() > KEPT_ORDERS {
            orders.pop_first();
        }
        order
    }

    fn order(&self, id: u64) -> Option<Order> {
        let orders = self.orders.lock().unwrap_or_else(PoisonError::into_inner);
        orders.get(&id).cloned()
    }
}

/// The API and probes; `/metrics` too unless it has its own listener. With
/// a tracer, each API request (not the probes) is a span.
pub fn router(state: Arc<AppState>, with_metrics: bool, tracer: Option<Arc<Tracer>>) -> Router {
    let api = Router::new()
        .route("/orders", post(create_order))
        .route("/orders/{id}", get(get_order));
    let api = match tracer {
        Some(tracer) => api.route_layer(middleware::from_fn_with_state(tracer, trace::layer)),
        None => api,
    };
    let api = api
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    let api = if with_metrics {
        api.merge(metrics_router())
    } else {
        api
    };
    api.with_state(state)
}

pub fn metrics_router() -> Router<Arc<AppState>> {
    Router::new().route("/metrics", get(metrics))
}

/// 201 with the order; a failed order answers 500 (the simulated backend
/// failed) and is still stored.
async fn create_order(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let order = state.place_order().await;
    let code = match order.status {
        Status::Ok => StatusCode::CREATED,
        Status::Failed => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (code, Json(order))
}

async fn get_order(State(state): State<Arc<AppState>>, Path(id): Path<u64>) -> impl IntoResponse {
    state.order(id).map(Json).ok_or(StatusCode::NOT_FOUND)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    if state.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORK: WorkTime = WorkTime {
        min: Duration::from_millis(10),
        max: Duration::from_millis(1010),
    };

    fn draws(seed: u64, failure_ratio: f64, count: usize) -> Vec<Plan> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..count)
            .map(|_| plan(&mut rng, failure_ratio, WORK))
            .collect()
    }

    fn failures(plans: &[Plan]) -> usize {
        plans.iter().filter(|p| p.status == Status::Failed).count()
    }

    #[test]
    fn same_seed_same_orders() {
        assert_eq!(draws(7, 0.3, 100), draws(7, 0.3, 100));
        assert_ne!(draws(7, 0.3, 100), draws(8, 0.3, 100));
    }

    #[test]
    fn failure_ratio_sets_the_share_of_failures() {
        assert_eq!(failures(&draws(1, 0.0, 1000)), 0);
        assert_eq!(failures(&draws(1, 1.0, 1000)), 1000);
        // 10 000 draws at 0.2: the standard deviation is 40, so ±200 is
        // a wide margin for any seed.
        let share = failures(&draws(1, 0.2, 10_000));
        assert!((1800..=2200).contains(&share), "{share} failures");
    }

    #[test]
    fn work_times_stay_in_range_and_skew_fast() {
        let plans = draws(3, 0.0, 10_000);
        assert!(
            plans
                .iter()
                .all(|p| (WORK.min..=WORK.max).contains(&p.work))
        );
        let mut works: Vec<_> = plans.iter().map(|p| p.work).collect();
        works.sort();
        // The median of u³ is 1/8: 10ms + 1s/8 = 135ms.
        let median = works[works.len() / 2].as_secs_f64();
        assert!((0.11..0.16).contains(&median), "median {median}");
        assert!(works[works.len() * 99 / 100] > Duration::from_millis(900));
    }

    #[test]
    fn fixed_work_time() {
        let fixed = WorkTime {
            min: Duration::from_millis(50),
            max: Duration::from_millis(50),
        };
        let mut rng = StdRng::seed_from_u64(0);
        assert_eq!(plan(&mut rng, 0.5, fixed).work, Duration::from_millis(50));
    }
}
