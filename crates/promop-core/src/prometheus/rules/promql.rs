//! PromQL parsed with `promql-parser` and printed the way Prometheus' Go
//! printer (`parser.Expr.String()`) prints it: the reference writes the
//! printed form of every expression it enforces a namespace label on.
//!
//! The crate's own `Display` differs from Go's in a few places, so the
//! printer is written here over the crate's AST: `ignoring ()` before
//! `group_left`/`group_right` (the crate omits it, producing PromQL Go does
//! not accept), `+Inf` (the crate prints `Inf`), a zero `offset` (Go drops
//! it), `@` before the epoch, and Go's `strconv.Quote` for strings and
//! label values. Compared with the reference's Go code on the 514
//! expressions of Prometheus' own parser tests (plus ours), 498 are parsed
//! or refused alike and print identically; the printing differences are
//! what the crate's AST cannot represent:
//! - a unary `+` (`+x`): the crate drops it, Go prints `+x`;
//! - a duration used as a number (`time() - 5m`): the crate keeps `300`, Go
//!   prints `5m`;
//! - string escapes of bytes that are not UTF-8 (`"\xff"`): a Rust string
//!   holds `ÿ`, Go prints `\xff`.
//!
//! Parsing differs where the crate refuses what Go accepts (`offset 0s`,
//! `anchored`/`smoothed` used as names, `offset -(5)`): such an expression
//! is rejected by promop and accepted by the reference.
use std::fmt::Write;
use std::time::{Duration, SystemTime};

use promql_parser::label::{Labels, Matcher};
use promql_parser::parser::{
    AggregateExpr, AtModifier, BinaryExpr, Expr, LabelModifier, Offset, VectorMatchCardinality,
    VectorSelector,
};
use promql_parser::util::display_duration;

use crate::select::reasons::RejectionKind;

/// The parser's feature flags (Prometheus' `--enable-feature=promql-…`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// `promql-experimental-functions`: `sort_by_label`, `limitk`, `info` …
    pub experimental_functions: bool,
    /// `promql-binop-fill-modifiers`: `fill`, `fill_left`, `fill_right`.
    pub binop_fill_modifiers: bool,
}

/// The deepest expression parsed ([`depth_bound`]). promql-parser and the
/// walks of this module recurse once per level, so that a deeper one (a
/// PrometheusRule with `sum(sum(…` a few thousand times) would overflow the
/// thread's stack and abort the operator; Prometheus has no such limit, but
/// no hand-written rule comes near it.
pub const MAX_DEPTH: usize = 512;

/// Parses an expression as Prometheus' parser does with `features`; the
/// error is the parser's message (or its panic's). What promql-parser
/// accepts beyond Prometheus (`or` in label matchers) is refused, and so is
/// an expression nested deeper than [`MAX_DEPTH`].
pub fn parse(expr: &str, features: Features) -> Result<Expr, RejectionKind> {
    if depth_bound(expr) > MAX_DEPTH {
        return Err(format!(
            "expression nested too deeply (more than {MAX_DEPTH} levels of parentheses and operators)"
        )
        .into());
    }
    // promql-parser panics on some input (a number out of range where a
    // duration goes: `x offset 1e309`, `x offset NaN`): an error like any other.
    let parsed =
        std::panic::catch_unwind(|| promql_parser::parser::parse(expr)).map_err(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("invalid expression: {why}")
        })??;
    match refused(&parsed, features) {
        Some(why) => Err(why.into()),
        None => Ok(parsed),
    }
}

/// An upper bound of the depth of the syntax tree of `expr`, found without
/// parsing it (the parser itself recurses): a group in parentheses,
/// brackets or braces counts one, plus one per operator directly in it,
/// plus its deepest group. Strings and comments count nothing; unclosed
/// groups are closed at the end.
fn depth_bound(expr: &str) -> usize {
    /// Operators of a group and the bound of its deepest group.
    #[derive(Default)]
    struct Group {
        operators: usize,
        deepest: usize,
    }
    fn close(stack: &mut Vec<Group>) {
        if let Some(group) = stack.pop() {
            let depth = 1 + group.operators + group.deepest;
            if let Some(parent) = stack.last_mut() {
                parent.deepest = parent.deepest.max(depth);
            }
        }
    }
    let mut stack = vec![Group::default(), Group::default()];
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                while let Some(d) = chars.next() {
                    if d == c {
                        break;
                    }
                    if d == '\\' && c != '`' {
                        chars.next();
                    }
                }
            }
            '#' => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => stack.push(Group::default()),
            ')' | ']' | '}' if stack.len() > 2 => close(&mut stack),
            '+' | '-' | '*' | '/' | '%' | '^' | '=' | '!' | '<' | '>' => {
                if let Some(group) = stack.last_mut() {
                    group.operators += 1;
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(&d) = chars.peek() {
                    if !(d.is_alphanumeric() || d == '_' || d == ':') {
                        break;
                    }
                    word.push(d);
                    chars.next();
                }
                let keyword = ["and", "or", "unless", "atan2"]
                    .iter()
                    .any(|k| word.eq_ignore_ascii_case(k));
                if let (true, Some(group)) = (keyword, stack.last_mut()) {
                    group.operators += 1;
                }
            }
            _ => {}
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    stack.first().map_or(0, |root| root.deepest)
}

/// The first construct of `expr` that Prometheus refuses with `features`.
fn refused(expr: &Expr, features: Features) -> Option<String> {
    let both = |a: &Expr, b: &Expr| refused(a, features).or_else(|| refused(b, features));
    match expr {
        Expr::Call(call) if call.func.experimental && !features.experimental_functions => {
            Some(format!("function {:?} is not enabled", call.func.name))
        }
        Expr::Call(call) => call.args.args.iter().find_map(|a| refused(a, features)),
        Expr::Aggregate(agg) => {
            let op = agg.op.to_string();
            if matches!(op.as_str(), "limitk" | "limit_ratio") && !features.experimental_functions {
                return Some(format!(
                    "{op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions"
                ));
            }
            match &agg.param {
                Some(param) => both(param, &agg.expr),
                None => refused(&agg.expr, features),
            }
        }
        Expr::Binary(b) => {
            let fill = b.modifier.as_ref().map(|m| &m.fill_values);
            if fill.is_some_and(|f| f.lhs.is_some() || f.rhs.is_some())
                && !features.binop_fill_modifiers
            {
                return Some(
                    "fill modifiers are experimental and must be enabled with --enable-feature=promql-binop-fill-modifiers"
                        .into(),
                );
            }
            both(&b.lhs, &b.rhs)
        }
        Expr::Paren(p) => refused(&p.expr, features),
        Expr::Unary(u) => refused(&u.expr, features),
        Expr::Subquery(s) => refused(&s.expr, features),
        Expr::VectorSelector(vs) => or_matchers(vs),
        Expr::MatrixSelector(ms) => or_matchers(&ms.vs),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => None,
    }
}

fn or_matchers(vs: &VectorSelector) -> Option<String> {
    (!vs.matchers.or_matchers.is_empty())
        .then(|| "unexpected identifier \"or\" in label matching, expected \",\" or \"}\"".into())
}

/// The expression as Go's `Expr.String()` prints it.
pub fn print(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

fn write_expr(out: &mut String, expr: &Expr) {
    match expr {
        Expr::Aggregate(agg) => write_aggregate(out, agg),
        Expr::Unary(unary) => {
            out.push('-');
            write_expr(out, &unary.expr);
        }
        Expr::Binary(binary) => write_binary(out, binary),
        Expr::Paren(paren) => {
            out.push('(');
            write_expr(out, &paren.expr);
            out.push(')');
        }
        Expr::Subquery(sub) => {
            write_expr(out, &sub.expr);
            let step = sub.step.as_ref().map(display_duration).unwrap_or_default();
            let _ = write!(out, "[{}:{step}]", display_duration(&sub.range));
            write_at_offset(out, sub.at.as_ref(), sub.offset.as_ref());
        }
        Expr::NumberLiteral(n) => out.push_str(&format_float(n.val)),
        Expr::StringLiteral(s) => out.push_str(&quote(&s.val)),
        Expr::VectorSelector(vs) => {
            write_selector(out, vs);
            write_at_offset(out, vs.at.as_ref(), vs.offset.as_ref());
        }
        Expr::MatrixSelector(ms) => {
            write_selector(out, &ms.vs);
            let _ = write!(out, "[{}]", display_duration(&ms.range));
            write_at_offset(out, ms.vs.at.as_ref(), ms.vs.offset.as_ref());
        }
        Expr::Call(call) => {
            out.push_str(call.func.name);
            out.push('(');
            for (i, arg) in call.args.args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, arg);
            }
            out.push(')');
        }
        // Never produced by the parser.
        Expr::Extension(ext) => {
            let _ = write!(out, "{ext:?}");
        }
    }
}

fn write_aggregate(out: &mut String, agg: &AggregateExpr) {
    let _ = write!(out, "{}", agg.op);
    match &agg.modifier {
        Some(LabelModifier::Exclude(labels)) => {
            let _ = write!(out, " without ({}) ", label_list(labels));
        }
        Some(LabelModifier::Include(labels)) if !labels.labels.is_empty() => {
            let _ = write!(out, " by ({}) ", label_list(labels));
        }
        _ => {}
    }
    out.push('(');
    if let Some(param) = &agg.param {
        write_expr(out, param);
        out.push_str(", ");
    }
    write_expr(out, &agg.expr);
    out.push(')');
}

fn write_binary(out: &mut String, binary: &BinaryExpr) {
    write_expr(out, &binary.lhs);
    let _ = write!(out, " {}", binary.op);
    if let Some(modifier) = &binary.modifier {
        if modifier.return_bool {
            out.push_str(" bool");
        }
        let grouped = matches!(
            modifier.card,
            VectorMatchCardinality::ManyToOne(_) | VectorMatchCardinality::OneToMany(_)
        );
        // Go prints the matching whenever it is `on`, names labels, or a
        // group modifier follows (then even an empty `ignoring ()`).
        match &modifier.matching {
            Some(LabelModifier::Include(labels)) => {
                let _ = write!(out, " on ({})", label_list(labels));
            }
            Some(LabelModifier::Exclude(labels)) if grouped || !labels.labels.is_empty() => {
                let _ = write!(out, " ignoring ({})", label_list(labels));
            }
            None if grouped => out.push_str(" ignoring ()"),
            _ => {}
        }
        match &modifier.card {
            VectorMatchCardinality::ManyToOne(labels) => {
                let _ = write!(out, " group_left ({})", label_list(labels));
            }
            VectorMatchCardinality::OneToMany(labels) => {
                let _ = write!(out, " group_right ({})", label_list(labels));
            }
            _ => {}
        }
        let fill = &modifier.fill_values;
        match (fill.lhs, fill.rhs) {
            (Some(l), Some(r)) if l == r => {
                let _ = write!(out, " fill ({})", format_float(l));
            }
            (lhs, rhs) => {
                if let Some(l) = lhs {
                    let _ = write!(out, " fill_left ({})", format_float(l));
                }
                if let Some(r) = rhs {
                    let _ = write!(out, " fill_right ({})", format_float(r));
                }
            }
        }
    }
    out.push(' ');
    write_expr(out, &binary.rhs);
}

/// `name{matchers}`, matchers sorted as printed (Go sorts the strings) and
/// the `__name__` matcher equal to the name left out.
fn write_selector(out: &mut String, vs: &VectorSelector) {
    let name = vs.name.as_deref().unwrap_or_default();
    let mut matchers: Vec<String> = vs
        .matchers
        .matchers
        .iter()
        .filter(|m| {
            !(m.name == "__name__"
                && m.op == promql_parser::label::MatchOp::Equal
                && m.value == name
                && !name.is_empty())
        })
        .map(matcher)
        .collect();
    matchers.sort();
    out.push_str(name);
    if !matchers.is_empty() {
        let _ = write!(out, "{{{}}}", matchers.join(","));
    }
}

fn matcher(m: &Matcher) -> String {
    let name = if is_legacy_name(&m.name) {
        m.name.clone()
    } else {
        quote(&m.name)
    };
    format!("{name}{}{}", m.op, quote(&m.value))
}

fn write_at_offset(out: &mut String, at: Option<&AtModifier>, offset: Option<&Offset>) {
    match at {
        Some(AtModifier::Start) => out.push_str(" @ start()"),
        Some(AtModifier::End) => out.push_str(" @ end()"),
        Some(AtModifier::At(time)) => {
            let seconds = match time.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(after) => after.as_secs_f64(),
                Err(before) => -before.duration().as_secs_f64(),
            };
            let _ = write!(out, " @ {seconds:.3}");
        }
        None => {}
    }
    match offset {
        Some(Offset::Pos(d)) if !is_zero(d) => {
            let _ = write!(out, " offset {}", display_duration(d));
        }
        Some(Offset::Neg(d)) if !is_zero(d) => {
            let _ = write!(out, " offset -{}", display_duration(d));
        }
        _ => {}
    }
}

/// Go keeps milliseconds of an offset (`model.Duration`); below that it is 0.
fn is_zero(d: &Duration) -> bool {
    d.as_millis() == 0
}

/// Labels of `by`, `without`, `on`, `ignoring` and `group_*`: quoted when
/// not a legacy label name.
fn label_list(labels: &Labels) -> String {
    labels
        .labels
        .iter()
        .map(|l| {
            if is_legacy_name(l) {
                l.clone()
            } else {
                quote(l)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_legacy_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .char_indices()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()))
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
pub(super) fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        v.to_string()
    }
}

/// Go's `strconv.Quote`: printable characters as they are, the others
/// escaped.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_depth_bound_counts_groups_and_operators_on_the_deepest_path() {
        assert_eq!(depth_bound("up"), 1);
        assert_eq!(depth_bound("sum(rate(x[5m]))"), 4);
        assert_eq!(depth_bound("a + b - c"), 3);
        assert_eq!(depth_bound("a and b or c unless d"), 4);
        assert_eq!(depth_bound("(a + b) * (c)"), 4);
        // Strings and comments count nothing.
        assert_eq!(depth_bound(r#"up{job=~"((((\"(("} # ((((("#), 3);
        // Unclosed groups are closed at the end, stray closings ignored.
        assert_eq!(depth_bound("((a"), 3);
        assert_eq!(depth_bound("a))"), 1);
    }

    // Found by tests/fuzz_rules.rs: promql-parser panicked on a number out
    // of range used as a duration (`Duration::from_secs_f64`).
    #[test]
    fn numbers_out_of_range_as_durations_are_errors_not_panics() {
        for expr in [
            "up offset 1e309",
            "up offset -1e309",
            "up offset NaN",
            "up offset 1e20",
            "info(clamp(job:up:sum{} offset 1e309-1h, scalar(job:up:sum @ 1700000000), 1e-3))",
        ] {
            let err = parse(expr, Features::default()).expect_err(expr);
            assert!(
                err.message()
                    .starts_with("invalid expression: cannot convert float seconds"),
                "{expr}: {err}"
            );
            assert!(super::super::enforce::enforce_expr(expr, "namespace", "ns1").is_err());
        }
        // In range, a number is a duration in seconds.
        assert_eq!(
            print(&parse("up offset 90", Features::default()).expect("parses")),
            "up offset 1m30s"
        );
    }

    // Found by tests/fuzz_rules.rs: each of these overflowed the stack of
    // a 2 MiB thread (the operator's runtime threads) at a few thousand
    // levels, in promql-parser (nested aggregations) or in the namespace
    // label enforcer and printer (long chains of binary operators).
    #[test]
    fn deep_expressions_are_refused_instead_of_overflowing_the_stack() {
        let deep = [
            format!("{}up{}", "sum(".repeat(50_000), ")".repeat(50_000)),
            format!("{}up{}", "(".repeat(50_000), ")".repeat(50_000)),
            format!("{}up", "-".repeat(50_000)),
            vec!["up"; 50_000].join(" + "),
            vec!["up"; 50_000].join(" or "),
            format!("{}up", "rate(".repeat(50_000)),
        ];
        for expr in deep {
            let err = parse(&expr, Features::default()).expect_err("too deep");
            assert!(err.message().contains("nested too deeply"), "{err}");
            let enforced = super::super::enforce::enforce_expr(&expr, "namespace", "ns1");
            assert!(enforced.is_err());
        }
        // Up to the limit, everything parses, prints and is enforced on a
        // thread with the operator's stack size.
        let run = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let n = MAX_DEPTH - 1;
                for expr in [
                    format!("{}up{}", "sum(".repeat(n), ")".repeat(n)),
                    vec!["up"; n + 1].join(" + "),
                    format!("{}up", "-".repeat(n)),
                ] {
                    assert_eq!(depth_bound(&expr), MAX_DEPTH);
                    let parsed = parse(&expr, Features::default()).expect("parses");
                    print(&parsed);
                    super::super::enforce::enforce_expr(&expr, "namespace", "ns1")
                        .expect("enforced");
                }
            })
            .expect("thread");
        run.join().expect("no overflow");
    }
}
