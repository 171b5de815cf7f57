//! Relabeling rules shared by the scrape jobs: user rules, selector
//! filters and the small fixed rules the reference writes.
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use promop_api::common::RelabelConfig;

use crate::yaml::{Mapping, Node};

/// A label name with every character outside `[a-zA-Z0-9_]` replaced by `_`,
/// as Kubernetes service discovery does for meta labels.
pub fn sanitize_label_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A user relabeling rule, fields in the reference's order, unset ones omitted.
pub fn rule(rc: &RelabelConfig) -> Node {
    let mut m = Mapping::new();
    if let Some(labels) = rc.source_labels.as_ref().filter(|l| !l.is_empty()) {
        m.insert("source_labels", labels.clone());
    }
    m.insert_opt("separator", rc.separator.clone());
    m.insert_opt(
        "target_label",
        rc.target_label.clone().filter(|t| !t.is_empty()),
    );
    m.insert_opt("regex", rc.regex.clone().filter(|r| !r.is_empty()));
    m.insert_opt("modulus", rc.modulus.filter(|m| *m != 0));
    m.insert_opt("replacement", rc.replacement.clone());
    m.insert_opt(
        "action",
        rc.action
            .as_deref()
            .filter(|a| !a.is_empty())
            .map(str::to_lowercase),
    );
    Node::Map(m)
}

/// User relabeling rules.
pub fn rules<'a>(rcs: impl IntoIterator<Item = &'a RelabelConfig>) -> Vec<Node> {
    rcs.into_iter().map(rule).collect()
}

/// `{source_labels: [source], target_label: target}`.
pub fn copy(source: &str, target: &str) -> Node {
    let mut m = Mapping::new();
    m.insert("source_labels", vec![source]);
    m.insert("target_label", target);
    Node::Map(m)
}

/// `{target_label: target, replacement: value}`.
pub fn set(target: &str, value: impl Into<Node>) -> Node {
    let mut m = Mapping::new();
    m.insert("target_label", target);
    m.insert("replacement", value);
    Node::Map(m)
}

/// `{action, source_labels, regex}`: a keep or drop filter.
pub fn filter(action: &str, sources: Vec<String>, regex: impl Into<Node>) -> Node {
    let mut m = Mapping::new();
    m.insert("action", action);
    m.insert("source_labels", sources);
    m.insert("regex", regex);
    Node::Map(m)
}

/// Copies a discovered label onto the target when it has a value.
pub fn copy_label(meta_prefix: &str, label: &str, target: &str) -> Node {
    let mut m = Mapping::new();
    m.insert(
        "source_labels",
        vec![format!("{meta_prefix}{}", sanitize_label_name(label))],
    );
    m.insert("target_label", target);
    m.insert("regex", "(.+)");
    m.insert("replacement", "${1}");
    Node::Map(m)
}

/// The first rule of every job: keep the job name in `__tmp_prometheus_job_name`.
pub fn job_name_rule() -> Node {
    copy("job", "__tmp_prometheus_job_name")
}

/// Drops pods that are not running any more.
pub fn running_filter() -> Node {
    filter(
        "drop",
        vec!["__meta_kubernetes_pod_phase".into()],
        "(Failed|Succeeded)",
    )
}

/// A label selector turned into keep/drop rules on the discovered labels of
/// `object` (`service`, `pod`, `ingress`): matchLabels sorted by key, then
/// matchExpressions in order.
pub fn selector_filters(selector: &LabelSelector, object: &str) -> Vec<Node> {
    let label = |k: &str| {
        format!(
            "__meta_kubernetes_{object}_label_{}",
            sanitize_label_name(k)
        )
    };
    let present = |k: &str| {
        format!(
            "__meta_kubernetes_{object}_labelpresent_{}",
            sanitize_label_name(k)
        )
    };
    let mut out = Vec::new();
    for (key, value) in selector.match_labels.iter().flatten() {
        out.push(filter(
            "keep",
            vec![label(key), present(key)],
            format!("({value});true"),
        ));
    }
    for exp in selector.match_expressions.iter().flatten() {
        let values = exp.values.as_deref().unwrap_or_default().join("|");
        let key = exp.key.as_str();
        match exp.operator.as_str() {
            "In" => out.push(filter(
                "keep",
                vec![label(key), present(key)],
                format!("({values});true"),
            )),
            "NotIn" => out.push(filter(
                "drop",
                vec![label(key), present(key)],
                format!("({values});true"),
            )),
            "Exists" => out.push(filter("keep", vec![present(key)], "true")),
            "DoesNotExist" => out.push(filter("drop", vec![present(key)], "true")),
            _ => {}
        }
    }
    out
}

/// The selector in the Kubernetes label selector syntax (`a=b,c in (d,e)`),
/// requirements sorted by key, as `metav1.LabelSelectorAsSelector(...).String()`.
pub fn selector_string(selector: &LabelSelector) -> String {
    let mut reqs: Vec<(String, String)> = Vec::new();
    for (key, value) in selector.match_labels.iter().flatten() {
        reqs.push((key.clone(), format!("{key}={value}")));
    }
    for exp in selector.match_expressions.iter().flatten() {
        let mut values = exp.values.clone().unwrap_or_default();
        values.sort();
        let key = &exp.key;
        let text = match exp.operator.as_str() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        };
        reqs.push((key.clone(), text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_like_kubernetes_sd() {
        assert_eq!(
            sanitize_label_name("app.kubernetes.io/name"),
            "app_kubernetes_io_name"
        );
    }
}
