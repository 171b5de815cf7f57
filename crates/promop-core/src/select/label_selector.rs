//! Kubernetes label selectors (`matchLabels` + `matchExpressions`), checked
//! and matched the way `metav1.LabelSelectorAsSelector` does it.
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use regex::Regex;

/// A compiled label selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// An unset selector: matches nothing.
    Nothing,
    /// An empty selector (`{}`): matches everything.
    Everything,
    /// All requirements must hold; sorted by key as Kubernetes sorts them.
    Requirements(Vec<Requirement>),
}

/// One condition on a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Equals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// Why a selector is invalid; the texts are those of Kubernetes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("{0:?} is not a valid label selector operator")]
    InvalidOperator(String),
    /// Field errors of one requirement (`[a, b]` when several, like an aggregate).
    #[error("{}", join_aggregate(.0))]
    Invalid(Vec<String>),
}

fn join_aggregate(errors: &[String]) -> String {
    match errors {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

impl Selector {
    /// Compiles an optional selector: unset selects nothing, `{}` everything.
    pub fn from_optional(selector: Option<&LabelSelector>) -> Result<Self, SelectorError> {
        selector.map_or(Ok(Selector::Nothing), Selector::new)
    }

    /// Compiles a selector, validating keys, values and operators.
    pub fn new(selector: &LabelSelector) -> Result<Self, SelectorError> {
        let labels = selector.match_labels.as_ref();
        let expressions = selector.match_expressions.as_deref().unwrap_or_default();
        if labels.is_none_or(BTreeMap::is_empty) && expressions.is_empty() {
            return Ok(Selector::Everything);
        }
        let mut requirements = Vec::new();
        for (key, value) in labels.into_iter().flatten() {
            requirements.push(Requirement::new(
                key,
                Operator::Equals,
                std::slice::from_ref(value),
            )?);
        }
        for expression in expressions {
            let operator = match expression.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => return Err(SelectorError::InvalidOperator(other.to_owned())),
            };
            let values = expression.values.as_deref().unwrap_or_default();
            requirements.push(Requirement::new(&expression.key, operator, values)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector::Requirements(requirements))
    }

    /// Parses a selector in kubectl's syntax (`a=b,c!=d,e in (f,g),h,!i`), as
    /// command-line flags give them; empty selects everything. `!=` is
    /// `notin` with one value (both match a missing label, as in Kubernetes).
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for term in top_level_terms(text) {
            let invalid =
                || SelectorError::Invalid(vec![format!("invalid selector term {term:?}")]);
            let set = |rest: &str| -> Result<Vec<String>, SelectorError> {
                let inner = rest
                    .trim()
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(invalid)?;
                Ok(inner.split(',').map(|v| v.trim().to_owned()).collect())
            };
            let words: Vec<&str> = term.split_whitespace().collect();
            let requirement = if let Some(key) = term.strip_prefix('!') {
                Requirement::new(key.trim(), Operator::DoesNotExist, &[])?
            } else if let Some((key, value)) = term.split_once("!=") {
                Requirement::new(key.trim(), Operator::NotIn, &[value.trim().to_owned()])?
            } else if let Some((key, value)) = term.split_once('=') {
                let value = value.strip_prefix('=').unwrap_or(value);
                Requirement::new(key.trim(), Operator::Equals, &[value.trim().to_owned()])?
            } else if words.len() >= 2 && matches!(words[1], "in" | "notin") {
                let operator = if words[1] == "in" {
                    Operator::In
                } else {
                    Operator::NotIn
                };
                let rest = term
                    .trim_start()
                    .strip_prefix(words[0])
                    .and_then(|r| r.trim_start().strip_prefix(words[1]))
                    .ok_or_else(invalid)?;
                Requirement::new(words[0], operator, &set(rest)?)?
            } else if words.len() == 1 {
                Requirement::new(words[0], Operator::Exists, &[])?
            } else {
                return Err(invalid());
            };
            requirements.push(requirement);
        }
        if requirements.is_empty() {
            return Ok(Selector::Everything);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector::Requirements(requirements))
    }

    /// Whether the labels satisfy the selector.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Everything => true,
            Selector::Requirements(requirements) => requirements.iter().all(|r| r.matches(labels)),
        }
    }
}

impl Requirement {
    fn new(key: &str, operator: Operator, values: &[String]) -> Result<Self, SelectorError> {
        let mut errors = Vec::new();
        if let Some(message) = label_key_error(key) {
            errors.push(format!("key: Invalid value: {key:?}: {message}"));
        }
        let shown = if values.is_empty() {
            "null".to_owned()
        } else {
            serde_json::to_string(values).unwrap_or_default()
        };
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => errors.push(format!(
                "values: Invalid value: {shown}: for 'in', 'notin' operators, values set can't be empty"
            )),
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => errors.push(format!(
                "values: Invalid value: {shown}: values set must be empty for exists and does not exist"
            )),
            _ => {}
        }
        for (i, value) in values.iter().enumerate() {
            if let Some(message) = label_value_error(value) {
                errors.push(format!(
                    "values[{i}][{key}]: Invalid value: {value:?}: {message}"
                ));
            }
        }
        if !errors.is_empty() {
            return Err(SelectorError::Invalid(errors));
        }
        Ok(Requirement {
            key: key.to_owned(),
            operator,
            values: values.to_vec(),
        })
    }

    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::Equals | Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

/// The selector in Kubernetes' string form (`app=web,tier in (a,b),!legacy`).
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Nothing => f.write_str("<unset: selects nothing>"),
            Selector::Everything => f.write_str("{} (selects everything)"),
            Selector::Requirements(requirements) => {
                let parts: Vec<String> = requirements.iter().map(Requirement::to_string).collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut values = self.values.clone();
        values.sort();
        let set = values.join(",");
        match self.operator {
            Operator::Equals => write!(f, "{}={set}", self.key),
            Operator::In => write!(f, "{} in ({set})", self.key),
            Operator::NotIn => write!(f, "{} notin ({set})", self.key),
            Operator::Exists => f.write_str(&self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
        }
    }
}

const LABEL_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

static LABEL_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{LABEL_NAME_FMT}$")).expect("static regex"));
static DNS1123_SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        .expect("static regex")
});

/// The Kubernetes complaint about a label key (`[prefix/]name`), if any.
/// Top-level comma-separated terms (commas inside `(...)` belong to a set).
fn top_level_terms(text: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0u32;
    text.split(move |c| {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        c == ',' && depth == 0
    })
    .map(str::trim)
    .filter(|term| !term.is_empty())
}

pub(crate) fn label_key_error(key: &str) -> Option<String> {
    let mut errors = Vec::new();
    let name = match key.split('/').collect::<Vec<_>>().as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_owned());
            } else if prefix.len() > 253 || !DNS1123_SUBDOMAIN.is_match(prefix) {
                errors.push("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".to_owned());
            }
            name
        }
        _ => {
            return Some(format!(
                "a valid label key {LABEL_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ));
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_owned());
    } else if name.len() > 63 {
        errors.push("name part must be no more than 63 bytes".to_owned());
    }
    if !LABEL_NAME.is_match(name) {
        errors.push(format!(
            "name part {LABEL_NAME_MSG} (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{LABEL_NAME_FMT}')"
        ));
    }
    (!errors.is_empty()).then(|| errors.join("; "))
}

/// The Kubernetes complaint about a label value, if any (empty is valid).
pub(crate) fn label_value_error(value: &str) -> Option<String> {
    let mut errors = Vec::new();
    if value.len() > 63 {
        errors.push("must be no more than 63 bytes".to_owned());
    }
    if !value.is_empty() && !LABEL_NAME.is_match(value) {
        errors.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_owned());
    }
    (!errors.is_empty()).then(|| errors.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubectl_selector_syntax() {
        let labels: BTreeMap<String, String> = [("app", "web"), ("tier", "front")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        for (text, matches) in [
            ("", true),
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("app!=db", true),
            ("app in (db, web)", true),
            ("app notin (db,web)", false),
            ("tier", true),
            ("!tier", false),
            ("!missing,app", true),
            ("domain in (x)", false),
        ] {
            assert_eq!(
                Selector::parse(text).unwrap().matches(&labels),
                matches,
                "{text}"
            );
        }
        assert!(Selector::parse("app in db").is_err());
        assert!(Selector::parse("a b c").is_err());
    }
}
