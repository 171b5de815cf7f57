//! Relabeling rules, checked as the reference's `LabelConfigValidator` does:
//! the regex must compile (RE2 syntax, anchored and with `(?s)` like
//! Prometheus), each action needs its fields, some actions need a newer
//! Prometheus, and label names follow the version's naming scheme.
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use promop_api::common::RelabelConfig;
use regex::Regex;

use crate::prometheus::version::needs;
use crate::prometheus::{Feature, Version};
use crate::select::reasons::{Rejection, RejectionKind};

// Prometheus' defaults: a field equal to one counts as unset.
const DEFAULT_REGEX: &str = "(.*)";
const DEFAULT_SEPARATOR: &str = ";";
const DEFAULT_REPLACEMENT: &str = "$1";

/// Prometheus' legacy target-label pattern, which also allows `$1`/`${name}`.
static LEGACY_TARGET_WITH_VARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:[a-zA-Z_]|\$(?:\{[0-9A-Za-z_]+\}|[0-9A-Za-z_]+))+[0-9A-Za-z_]*)+$")
        .expect("static regex")
});

/// Patterns already checked, with the error of those that do not compile:
/// every reconcile validates every relabeling of every selected monitor,
/// and compiling them again was a large part of a reconcile's CPU time.
/// Cleared when full, so that users' patterns cannot grow it without bound.
static CHECKED: LazyLock<Mutex<HashMap<String, Result<(), RejectionKind>>>> =
    LazyLock::new(Mutex::default);
const CHECKED_MAX: usize = 10_000;

/// Whether `regex` compiles as Prometheus anchors it; the error on one line.
fn check_regex(regex: &str) -> Result<(), RejectionKind> {
    let cache = || CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(result) = cache().get(regex) {
        return result.clone();
    }
    let result = Regex::new(&format!("^(?s:{regex})$"))
        .map(drop)
        .map_err(|e| e.to_string().replace('\n', " ").into());
    let mut checked = cache();
    if checked.len() >= CHECKED_MAX {
        checked.clear();
    }
    checked.insert(regex.to_owned(), result.clone());
    result
}

/// Whether a label name is valid: UTF-8 names from Prometheus 3, the legacy
/// `[a-zA-Z_][a-zA-Z0-9_]*` before.
pub(crate) fn is_valid_label_name(name: &str, utf8: bool) -> bool {
    if name.is_empty() {
        return false;
    }
    if utf8 {
        return true; // a Rust string is always valid UTF-8
    }
    name.char_indices()
        .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()))
}

/// Checks every rule of a list; the path names the list (`...relabelings`).
pub(super) fn validate_relabel_configs(
    configs: Option<&Vec<RelabelConfig>>,
    version: &Version,
    path: &str,
) -> Result<(), Rejection> {
    for (i, config) in configs.into_iter().flatten().enumerate() {
        validate_relabel_config(config, version)
            .map_err(|message| Rejection::new(format!("{path}[{i}]"), message))?;
    }
    Ok(())
}

/// Checks one rule; the error is the reference's message.
pub fn validate_relabel_config(
    config: &RelabelConfig,
    version: &Version,
) -> Result<(), RejectionKind> {
    let shown = config
        .action
        .as_deref()
        .filter(|a| !a.is_empty())
        .unwrap_or("replace");
    let action = shown.to_lowercase();
    let action = action.as_str();
    let target = config.target_label.as_deref().unwrap_or_default();
    let regex = config.regex.as_deref().unwrap_or_default();
    let modulus = config.modulus.unwrap_or_default();
    let replacement = config.replacement.as_deref();
    let separator = config.separator.as_deref();
    let valid_name =
        |name: &str| is_valid_label_name(name, version.supports(Feature::Utf8LabelNames));
    let gate = match action {
        "lowercase" | "uppercase" => Some(Feature::RelabelLowercaseUppercase),
        "keepequal" | "dropequal" => Some(Feature::RelabelKeepEqualDropEqual),
        _ => None,
    };
    if let Some(feature) = gate {
        needs(version, feature, |min| {
            format!("{shown} relabel action is only supported from Prometheus version {min}")
        })?;
    }
    check_regex(regex)
        .map_err(|e| e.context(&format!("invalid regex {regex} for relabel configuration")))?;
    if modulus == 0 && action == "hashmod" {
        return Err("relabel configuration for hashmod requires non-zero modulus".into());
    }
    let writes_target = matches!(
        action,
        "replace" | "hashmod" | "lowercase" | "uppercase" | "keepequal" | "dropequal"
    );
    if writes_target && target.is_empty() {
        return Err(
            format!("relabel configuration for {shown} action needs targetLabel value").into(),
        );
    }
    // The reference checks replace's target label against the plain naming
    // scheme even when it holds `$1`-style variables (so Prometheus 2 refuses
    // them), and so does it for hashmod and the case/equality actions.
    if writes_target && !valid_name(target) {
        return Err(format!("{target:?} is invalid 'target_label' for {shown} action").into());
    }
    let replacement_set = replacement.is_some_and(|r| r != DEFAULT_REPLACEMENT);
    let case_or_equal = matches!(
        action,
        "lowercase" | "uppercase" | "keepequal" | "dropequal"
    );
    if case_or_equal && replacement_set {
        return Err(format!("'replacement' can not be set for {shown} action").into());
    }
    if action == "labelmap"
        && let Some(replacement) = replacement
    {
        let valid = if version.supports(Feature::Utf8LabelNames) {
            valid_name(replacement)
        } else {
            LEGACY_TARGET_WITH_VARS.is_match(replacement)
        };
        if !valid {
            return Err(
                format!("{replacement:?} is invalid 'replacement' for {shown} action").into(),
            );
        }
    }
    let modulus_set = modulus != 0;
    let separator_set = separator.is_some_and(|s| s != DEFAULT_SEPARATOR);
    if matches!(action, "keepequal" | "dropequal")
        && ((!regex.is_empty() && regex != DEFAULT_REGEX)
            || modulus_set
            || separator_set
            || replacement_set)
    {
        return Err(format!(
            "{shown} action requires only 'source_labels' and `target_label`, and no other fields"
        )
        .into());
    }
    let has_sources = config.source_labels.as_ref().is_some_and(|s| !s.is_empty());
    if matches!(action, "labeldrop" | "labelkeep")
        && (has_sources || !target.is_empty() || modulus_set || separator_set || replacement_set)
    {
        return Err(format!("{shown} action requires only 'regex', and no other fields").into());
    }
    Ok(())
}
