//! Admission decisions for the webhook endpoints of `promop run`: whether a
//! PrometheusRule or an AlertmanagerConfig sent by the API server is
//! allowed, and the patch the PrometheusRule mutation adds. The checks are
//! the ones the operator makes before using an object (rule files:
//! [`crate::prometheus::rules::validate`]; AlertmanagerConfig semantics:
//! [`crate::alertmanager::validate::semantic`]), so that what the webhook
//! admits the operator accepts; only the inputs that depend on a workload
//! (its version, enforced namespace label, Secrets) are left out, as the
//! reference's admission webhook leaves them out.
//!
//! Pure functions of the request's JSON object; the HTTP side is
//! `promop-operator`'s `admission` module.
mod alertmanager_config;
mod prometheus_rule;

pub use alertmanager_config::validate_alertmanager_config;
pub use prometheus_rule::{mutate_prometheus_rule, validate_prometheus_rule};

use crate::prometheus::rules::promql;

/// The metric and label name rules PromQL and rule files are checked with
/// (the reference's `--name-validation-scheme`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NameValidationScheme {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` metric names, `[a-zA-Z_][a-zA-Z0-9_]*`
    /// label names: the reference's default.
    #[default]
    Legacy,
    /// Any UTF-8 name (Prometheus 3).
    Utf8,
}

/// What the admission checks depend on: the webhook's flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub name_validation: NameValidationScheme,
    /// The PromQL parser's options (`--promql-options`).
    pub promql: promql::Features,
}

/// Why an object is refused: `message` is the summary the API server shows
/// the client, `causes` each problem with the field it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub message: String,
    pub causes: Vec<Cause>,
}

/// One problem: the field path in the object (`spec.groups[0].rules[1].expr`;
/// empty for the object as a whole) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub field: String,
    pub message: String,
}

impl Denial {
    /// A denial whose message is `summary` followed by the one cause, so
    /// that a client that shows only the message (kubectl) still reads the
    /// field and the problem.
    pub fn new(summary: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        let cause = Cause {
            field: field.into(),
            message: message.into(),
        };
        let detail = if cause.field.is_empty() {
            cause.message.clone()
        } else {
            format!("{}: {}", cause.field, cause.message)
        };
        Self {
            message: format!("{summary}: {detail}"),
            causes: vec![cause],
        }
    }
}
