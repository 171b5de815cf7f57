//! Label matchers of routes and inhibition rules: the `name="value"` form
//! (Alertmanager ≥ 0.22) or the deprecated `match`/`match_re` maps.
use std::collections::BTreeMap;

use promop_api::v1alpha1::alertmanager_config::{MatchType, Matcher};

use super::version::{Feature, Version};
use crate::select::reasons::RejectionKind;

/// The matchers of a route or one side of an inhibition rule.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Converted {
    pub matchers: Vec<String>,
    pub equal: BTreeMap<String, String>,
    pub regex: BTreeMap<String, String>,
}

/// `name<op>"value"` with the value escaped like OpenMetrics label values.
pub fn matcher_string(name: &str, op: MatchType, value: &str) -> String {
    let escaped = value
        .replace('\\', r"\\")
        .replace('\n', r"\n")
        .replace('"', "\\\"");
    format!("{name}{}\"{escaped}\"", op.as_str())
}

/// Converts CRD matchers: a matcher with a `matchType` is always written in
/// the new syntax; one with only `regex` in the new syntax when the version
/// supports it, else in `match`/`match_re`.
pub fn convert(matchers: &[Matcher], version: &Version) -> Converted {
    let mut out = Converted::default();
    let v2 = version.supports(Feature::MatchersV2);
    for m in matchers {
        let value = m.value.as_deref().unwrap_or_default();
        let regex = m.regex.unwrap_or(false);
        if let Some(op) = m.match_type {
            out.matchers.push(matcher_string(&m.name, op, value));
        } else if v2 {
            let op = if regex {
                MatchType::Regexp
            } else {
                MatchType::Equal
            };
            out.matchers.push(matcher_string(&m.name, op, value));
        } else if regex {
            out.regex.insert(m.name.clone(), value.to_owned());
        } else {
            out.equal.insert(m.name.clone(), value.to_owned());
        }
    }
    out
}

/// Whether any matcher uses the new syntax (`matchType`).
pub fn any_v2(matchers: &[Matcher]) -> bool {
    matchers.iter().any(|m| m.match_type.is_some())
}

/// The reference's `Matcher.Validate`: only new-syntax matchers are checked.
pub fn validate(m: &Matcher) -> Result<(), RejectionKind> {
    if m.match_type.is_some() && m.name.trim().is_empty() {
        return Err("matcher 'name' is required".into());
    }
    Ok(())
}

/// Go's `%v` of a matcher list, for error messages.
pub fn go_list(matchers: &[Matcher]) -> String {
    let items: Vec<String> = matchers
        .iter()
        .map(|m| {
            format!(
                "{{{} {} {} {}}}",
                m.name,
                m.value.as_deref().unwrap_or_default(),
                m.match_type.map(MatchType::as_str).unwrap_or_default(),
                m.regex.unwrap_or(false)
            )
        })
        .collect();
    format!("[{}]", items.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_openmetrics() {
        assert_eq!(
            matcher_string("a", MatchType::Equal, "x\"y\\z\n"),
            r#"a="x\"y\\z\n""#
        );
        assert_eq!(
            matcher_string("a", MatchType::NotRegexp, "b.*"),
            r#"a!~"b.*""#
        );
    }
}
