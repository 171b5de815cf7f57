//! The Grafana dashboards query only metrics that exist.
use super::*;

// --- dashboards ---------------------------------------------------------------

/// Every `expr` of a dashboard's panels (rows' nested panels included).
pub(super) fn exprs(panels: &Value, out: &mut Vec<String>) {
    for panel in panels.as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                out.push(expr.to_owned());
            }
        }
        exprs(&panel["panels"], out);
    }
}

/// The metric names an expression selects.
pub(super) fn metric_names(expr: &Expr, out: &mut BTreeSet<String>) {
    match expr {
        Expr::VectorSelector(vs) => out.extend(vs.name.clone()),
        Expr::MatrixSelector(ms) => out.extend(ms.vs.name.clone()),
        Expr::Aggregate(a) => {
            metric_names(&a.expr, out);
            if let Some(param) = &a.param {
                metric_names(param, out);
            }
        }
        Expr::Binary(b) => {
            metric_names(&b.lhs, out);
            metric_names(&b.rhs, out);
        }
        Expr::Unary(u) => metric_names(&u.expr, out),
        Expr::Paren(p) => metric_names(&p.expr, out),
        Expr::Subquery(s) => metric_names(&s.expr, out),
        Expr::Call(call) => call.args.args.iter().for_each(|a| metric_names(a, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// orders-service's metric names, each checked against its source
/// (examples/orders-service/src/metrics.rs), with the series a histogram
/// exports.
fn orders_service_metrics() -> BTreeSet<String> {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/orders-service/src/metrics.rs");
    let source = std::fs::read_to_string(&source).expect("orders-service's metrics.rs");
    let mut names = BTreeSet::new();
    for (metric, histogram) in [
        ("orders_total", false),
        ("order_duration_seconds", true),
        ("active_orders", false),
    ] {
        assert!(
            source.contains(&format!("\"{metric}\"")),
            "orders-service no longer exports {metric}"
        );
        if histogram {
            for suffix in ["_bucket", "_sum", "_count"] {
                names.insert(format!("{metric}{suffix}"));
            }
        } else {
            names.insert(metric.to_owned());
        }
    }
    // metrics-process' collector (process_<field>), which orders-service runs.
    names.extend(["process_cpu_seconds_total", "process_resident_memory_bytes"].map(String::from));
    names
}

fn promop_metrics() -> BTreeSet<String> {
    use promop_operator::telemetry as t;
    let mut names: BTreeSet<String> = [
        t::RECONCILES,
        t::RECONCILE_ERRORS,
        t::WATCH_EVENTS,
        t::REJECTED,
        t::WRITES,
        t::LEADER,
        t::CACHES_SYNCED,
        t::BUILD_INFO,
    ]
    .map(String::from)
    .into();
    for suffix in ["_bucket", "_sum", "_count"] {
        names.insert(format!("{}{suffix}", t::RECONCILE_DURATION));
    }
    names
}

pub(super) fn recording_rules(objects: &[Value]) -> BTreeSet<String> {
    of_kind(objects, "PrometheusRule")
        .iter()
        .flat_map(|r| r["spec"]["groups"].as_array().cloned().unwrap_or_default())
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["record"].as_str().map(String::from))
        .collect()
}

#[test]
fn dashboards_parse_and_query_only_known_metrics() {
    let objects = example_stack_objects();
    let recorded = recording_rules(&objects);
    assert!(
        recorded.contains("job:order_duration_seconds:p99_5m"),
        "{recorded:?}"
    );
    let orders = orders_service_metrics();
    let promop = promop_metrics();
    // `up` is written by Prometheus itself for every target.
    let known: BTreeSet<String> = orders
        .iter()
        .chain(&promop)
        .chain(&recorded)
        .cloned()
        .chain(["up".to_owned()])
        .collect();

    let mut used_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let config_maps: Vec<&Value> = of_kind(&objects, "ConfigMap")
        .into_iter()
        .filter(|c| c["metadata"]["labels"]["grafana_dashboard"] == "1")
        .collect();
    assert_eq!(
        config_maps.len(),
        2,
        "dashboards of orders-service and promop"
    );
    for cm in config_maps {
        for (key, json) in cm["data"].as_object().expect("data") {
            assert!(key.ends_with(".json"), "{key}");
            let dashboard: Value = serde_json::from_str(json.as_str().expect("text"))
                .unwrap_or_else(|e| panic!("{key}: {e}"));
            let uid = dashboard["uid"].as_str().expect("uid").to_owned();
            let mut all = Vec::new();
            exprs(&dashboard["panels"], &mut all);
            assert!(all.len() >= 8, "{uid}: {} queries", all.len());
            for expr in all {
                let parsed = parse(&expr, Features::default())
                    .unwrap_or_else(|e| panic!("{uid}: {expr}: {e}"));
                let mut names = BTreeSet::new();
                metric_names(&parsed, &mut names);
                assert!(!names.is_empty(), "{uid}: {expr} selects no metric");
                for n in names {
                    assert!(known.contains(&n), "{uid}: {expr}: unknown metric {n}");
                    used_by.entry(uid.clone()).or_default().insert(n);
                }
            }
        }
    }
    // Each dashboard covers the metrics it is about (directly or recorded).
    let orders_used = &used_by["orders-service"];
    for m in [
        "orders_total",
        "order_duration_seconds_bucket",
        "active_orders",
    ] {
        assert!(
            orders_used.contains(m),
            "orders-service dashboard lacks {m}"
        );
    }
    let promop_used = &used_by["promop"];
    for m in [
        "promop_reconcile_duration_seconds_bucket",
        "promop_reconcile_errors_total",
        "promop_rejected_objects_total",
        "promop_writes_total",
        "promop_leader",
    ] {
        assert!(promop_used.contains(m), "promop dashboard lacks {m}");
    }
    // promop_reconciles_total is read through its recording rule.
    assert!(promop_used.contains("controller:promop_reconciles:rate5m"));
}
