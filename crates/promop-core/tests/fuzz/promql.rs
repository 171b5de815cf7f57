//! The PromQL grammar of `fuzz_rules.rs`: expressions built from small pools
//! of valid and odd pieces, typed (vectors, scalars, ranges) or not.
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Strategy};

use crate::fuzz::pick;

// PromQL pieces: metric names, label names and values, durations, numbers,
// strings, functions, aggregations, operators. Each pool comes in a valid
// and an odd flavour (keywords as names, bad escapes, wrong arities ...).
#[rustfmt::skip]
const METRICS: &[&str] = &[
    "up", "http_requests_total", "node_cpu_seconds_total", "job:up:sum", "a", "_x",
    "{\"utf8.metric\"}",
];
#[rustfmt::skip]
const ODD_METRICS: &[&str] = &[
    "on", "by", "sum", "inf", "nan", "offset", "bool", "start", "end", "ignoring", "anchored",
    "smoothed", "\"utf8.metric\"", "1a", "",
];
#[rustfmt::skip]
const LABELS: &[&str] = &[
    "job", "instance", "namespace", "__name__", "le", "code", "\"a.b\"", "\"ünï\"", "_x",
];
#[rustfmt::skip]
const ODD_LABELS: &[&str] = &["on", "by", "or", "\"\"", "0a", "a.b", "`a`"];
#[rustfmt::skip]
const MATCH_OPS: &[&str] = &["=", "!=", "=~", "!~"];
#[rustfmt::skip]
const ODD_MATCH_OPS: &[&str] = &["==", "~", "=!", " = "];
#[rustfmt::skip]
const VALUES: &[&str] = &[
    "\"\"", "\"a\"", "\"api\"", "\"ns1\"", "\".*\"", "\"a|b\"", "\"[a-z]+\"", "'x'", "`raw`",
    "\"\\\\\"", "\"\\n\"", "\"\\u00e9\"", "\"🙂\"", "\"{{ x }}\"", "\"\\\"\"", "\"(?i)Up\"",
    "\"a{2,}\"",
];
#[rustfmt::skip]
const ODD_VALUES: &[&str] = &["\"(\"", "\"\\xff\"", "\"\\q\"", "\"a{2,1}\"", "\"\\p{Foo}\"", "a", "\"\n\""];
#[rustfmt::skip]
const RANGES: &[&str] = &["5m", "1h", "30s", "1ms", "1d2h", "1y", "1w", "90m", "5m30s", "1h1m1s1ms"];
#[rustfmt::skip]
const ODD_RANGES: &[&str] = &[
    "0s", "1.5h", "9999999999999y", "-5m", "", "1e3", "100", "1m1h", "5M", "${x}", "1e309", "Inf",
    "NaN", "1e20", "0x10",
];
#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "0", "1", "0.5", ".5", "1e3", "1e-3", "0x1F", "Inf", "+Inf", "-Inf", "NaN", "314e-2", "1.",
    "0.000000001", "100",
];
#[rustfmt::skip]
const ODD_NUMBERS: &[&str] = &["1e400", "-1e400", "9223372036854775808", "1_000", "0x", "1e", "0b1"];
#[rustfmt::skip]
const STRING_LITERALS: &[&str] = &[
    "\"v\"", "\"\"", "'single'", "`raw`", "\"\\u00e9\\t\"", "\"$1\"", "\"(.*)\"", "\"a\\\"b\"",
];
/// Functions of one instant-vector argument.
#[rustfmt::skip]
const VECTOR_FUNCTIONS: &[&str] = &[
    "abs", "absent", "ceil", "exp", "floor", "ln", "round", "sort", "sqrt", "timestamp",
    "histogram_count", "year", "sgn", "deg",
];
/// Functions of one range-vector argument.
#[rustfmt::skip]
const RANGE_FUNCTIONS: &[&str] = &[
    "rate", "irate", "increase", "delta", "deriv", "changes", "resets", "avg_over_time",
    "count_over_time", "last_over_time", "absent_over_time", "present_over_time",
    "mad_over_time", "stddev_over_time",
];
#[rustfmt::skip]
const AGGREGATIONS: &[&str] = &["sum", "avg", "min", "max", "count", "stddev", "group"];
/// Aggregations with a scalar parameter.
#[rustfmt::skip]
const PARAM_AGGREGATIONS: &[&str] = &["topk", "bottomk", "quantile", "limitk", "limit_ratio"];
#[rustfmt::skip]
const ODD_FUNCTIONS: &[&str] = &[
    "rate", "info", "sort_by_label", "label_replace", "label_join", "predict_linear",
    "double_exponential_smoothing", "holt_winters", "no_such_function", "vector", "time",
    "count_values", "topk", "histogram_quantile", "clamp", "quantile_over_time",
];
#[rustfmt::skip]
const ARITHMETIC: &[&str] = &["+", "-", "*", "/", "%", "^", "atan2"];
#[rustfmt::skip]
const COMPARISONS: &[&str] = &["==", "!=", ">", "<", ">=", "<="];
#[rustfmt::skip]
const SET_OPS: &[&str] = &["and", "or", "unless"];
#[rustfmt::skip]
const MODIFIERS: &[&str] = &[
    "", "", "", " on (job)", " ignoring (code)", " on () group_left", " on (a) group_left (b)",
    " ignoring (x) group_right (y, z)", " on(job) group_left fill(0)", " fill (1)",
    " fill_left (1) fill_right (2)", " on (\"a.b\")", " ignoring () group_right",
];
#[rustfmt::skip]
const ODD_MODIFIERS: &[&str] = &[" group_left", " on (job) on (code)", " bool", " fill ()", " on"];
#[rustfmt::skip]
const GROUPINGS: &[&str] = &[
    "", "", " by (job)", " without (instance)", " by ()", " by (\"a.b\", le)", " without ()",
];
#[rustfmt::skip]
const AT_OFFSETS: &[&str] = &[
    "", "", "", "", " offset 5m", " offset -1h", " @ 1700000000", " @ start()", " @ end()",
    " @ 1700000000.123 offset 1d", " offset 1y", " @ 0",
];
#[rustfmt::skip]
const ODD_AT_OFFSETS: &[&str] = &[
    " offset 0s", " @ -1", " @ 1e20", " @ -1e20", " @ NaN", " offset 1y @ end()", " @ Inf",
    " offset 1e309", " offset -NaN", " offset 1e20", " offset 90", " @ 1e309",
];

/// Mostly from `valid`, sometimes from `odd` (never when `clean`).
fn mostly(
    valid: &'static [&'static str],
    odd: &'static [&'static str],
    clean: bool,
) -> BoxedStrategy<String> {
    if clean {
        return pick(valid);
    }
    prop_oneof![12 => pick(valid), 1 => pick(odd)].boxed()
}

/// A vector selector, with or without a range.
fn selector(range: bool, clean: bool) -> BoxedStrategy<String> {
    let matcher = (
        mostly(LABELS, ODD_LABELS, clean),
        mostly(MATCH_OPS, ODD_MATCH_OPS, clean),
        mostly(VALUES, ODD_VALUES, clean),
    )
        .prop_map(|(l, o, v)| l + &o + &v);
    (
        mostly(METRICS, ODD_METRICS, clean),
        proptest::option::weighted(0.5, proptest::collection::vec(matcher, 0..=3)),
        mostly(RANGES, ODD_RANGES, clean),
        mostly(AT_OFFSETS, ODD_AT_OFFSETS, clean),
    )
        .prop_map(move |(name, matchers, r, at)| {
            let mut out = match (name.strip_suffix('}'), matchers) {
                (Some(braced), Some(m)) if !m.is_empty() => format!("{braced},{}}}", m.join(",")),
                (_, Some(m)) => format!("{name}{{{}}}", m.join(",")),
                (_, None) => name,
            };
            if out.is_empty() {
                out = "{}".into();
            }
            if range {
                out = format!("{out}[{r}]");
            }
            out + &at
        })
        .boxed()
}

fn scalar_leaf(clean: bool) -> BoxedStrategy<String> {
    prop_oneof![
        6 => mostly(NUMBERS, ODD_NUMBERS, clean),
        1 => Just("time()".to_owned()),
        1 => Just("-1".to_owned()),
    ]
    .boxed()
}

/// Type-correct PromQL (an instant vector) from a small grammar; odd
/// pieces (bad escapes, keywords as names ...) now and then unless `clean`.
pub(crate) fn typed_promql(clean: bool) -> BoxedStrategy<String> {
    selector(false, clean)
        .prop_recursive(5, 32, 3, move |vector| {
            let scalar = prop_oneof![
                3 => scalar_leaf(clean),
                1 => vector.clone().prop_map(|v| format!("scalar({v})")),
            ];
            let range = prop_oneof![
                3 => selector(true, clean),
                1 => (vector.clone(), mostly(RANGES, ODD_RANGES, clean), pick(&["", "1m", "10s"]),
                      mostly(AT_OFFSETS, ODD_AT_OFFSETS, clean))
                    .prop_map(|(v, r, step, at)| format!("({v})[{r}:{step}]{at}")),
            ];
            let binary_op = prop_oneof![
                3 => pick(ARITHMETIC),
                2 => pick(COMPARISONS),
                1 => pick(COMPARISONS).prop_map(|c| c + " bool"),
                2 => pick(SET_OPS),
            ];
            prop_oneof![
                3 => (pick(RANGE_FUNCTIONS), range.clone()).prop_map(|(f, r)| format!("{f}({r})")),
                2 => (pick(VECTOR_FUNCTIONS), vector.clone()).prop_map(|(f, v)| format!("{f}({v})")),
                1 => (scalar.clone(), range.clone())
                    .prop_map(|(q, r)| format!("quantile_over_time({q}, {r})")),
                1 => (scalar.clone(), vector.clone())
                    .prop_map(|(q, v)| format!("histogram_quantile({q}, {v})")),
                1 => (vector.clone(), scalar.clone(), scalar.clone())
                    .prop_map(|(v, a, b)| format!("clamp({v}, {a}, {b})")),
                1 => vector.clone().prop_map(|v| {
                    format!("label_replace({v}, \"dst\", \"$1\", \"src\", \"(.*)\")")
                }),
                1 => vector.clone().prop_map(|v| format!("sort_by_label({v}, \"job\")")),
                1 => scalar.clone().prop_map(|s| format!("vector({s})")),
                3 => (pick(AGGREGATIONS), pick(GROUPINGS), vector.clone(), any::<bool>())
                    .prop_map(|(op, g, v, before)| if before {
                        format!("{op}{g} ({v})")
                    } else {
                        format!("{op}({v}){g}")
                    }),
                1 => (pick(PARAM_AGGREGATIONS), pick(GROUPINGS), scalar.clone(), vector.clone())
                    .prop_map(|(op, g, k, v)| format!("{op}{g} ({k}, {v})")),
                1 => (pick(GROUPINGS), vector.clone())
                    .prop_map(|(g, v)| format!("count_values{g} (\"value\", {v})")),
                4 => (vector.clone(), binary_op.clone(), mostly(MODIFIERS, ODD_MODIFIERS, clean),
                      vector.clone())
                    .prop_map(|(l, op, m, r)| format!("{l} {op}{m} {r}")),
                2 => (vector.clone(), binary_op, scalar.clone(), any::<bool>())
                    .prop_map(|(v, op, s, left)| if left {
                        format!("{s} {op} {v}")
                    } else {
                        format!("{v} {op} {s}")
                    }),
                1 => vector.clone().prop_map(|v| format!("({v})")),
                1 => vector.clone().prop_map(|v| format!("-{v}")),
                1 => vector.prop_map(|v| format!("info({v})")),
            ]
        })
        .boxed()
}

/// PromQL without regard to types and arities.
fn untyped_promql() -> BoxedStrategy<String> {
    let clean = false;
    let leaf = prop_oneof![
        6 => selector(false, clean),
        2 => selector(true, clean),
        2 => scalar_leaf(clean),
        1 => pick(STRING_LITERALS),
    ];
    leaf.prop_recursive(4, 24, 3, move |inner| {
        prop_oneof![
            3 => (pick(ODD_FUNCTIONS), proptest::collection::vec(inner.clone(), 0..=3))
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            2 => (pick(PARAM_AGGREGATIONS), pick(GROUPINGS), proptest::collection::vec(inner.clone(), 0..=3))
                .prop_map(|(op, g, args)| format!("{op}{g} ({})", args.join(", "))),
            3 => (inner.clone(), pick(ARITHMETIC), pick(ODD_MODIFIERS), inner.clone())
                .prop_map(|(l, op, m, r)| format!("{l} {op}{m} {r}")),
            1 => (inner.clone(), mostly(RANGES, ODD_RANGES, clean), mostly(AT_OFFSETS, ODD_AT_OFFSETS, clean))
                .prop_map(|(e, r, at)| format!("{e}[{r}]{at}")),
        ]
    })
    .boxed()
}

pub(crate) fn promql_text() -> BoxedStrategy<String> {
    prop_oneof![5 => typed_promql(false), 1 => untyped_promql()].boxed()
}
