//! Relabeling rules: actions, fields and label names by Prometheus version.
use super::*;

fn relabel(value: Value) -> RelabelConfig {
    serde_json::from_value(value).unwrap()
}

/// The message of a refused rule.
fn check_relabel(version: &str, value: Value) -> Result<(), String> {
    validate_relabel_config(&relabel(value), &parse_version(version).unwrap())
        .map_err(|kind| kind.message().to_owned())
}

#[test]
fn relabel_actions_need_their_prometheus_version() {
    // lowercase/uppercase from 2.36.0, keepequal/dropequal from 2.41.0.
    let lower = json!({"action": "Lowercase", "sourceLabels": ["a"], "targetLabel": "b"});
    assert_eq!(
        check_relabel("v2.35.0", lower.clone()).unwrap_err(),
        "Lowercase relabel action is only supported from Prometheus version 2.36.0"
    );
    assert!(check_relabel("v2.36.0", lower.clone()).is_ok());
    let kind = validate_relabel_config(&relabel(lower), &parse_version("v2.35.0").unwrap());
    assert!(
        matches!(
            kind,
            Err(RejectionKind::TooOld {
                min_version: "2.36.0",
                ..
            })
        ),
        "{kind:?}"
    );
    let equal = json!({"action": "dropequal", "sourceLabels": ["a"], "targetLabel": "b"});
    assert!(check_relabel("v2.40.0", equal.clone()).is_err());
    assert!(check_relabel("2.41", equal).is_ok());
}

#[test]
fn relabel_actions_need_their_fields() {
    let v = "v2.45.0";
    assert_eq!(
        check_relabel(
            v,
            json!({"action": "hashmod", "sourceLabels": ["a"], "targetLabel": "b"})
        )
        .unwrap_err(),
        "relabel configuration for hashmod requires non-zero modulus"
    );
    assert!(
        check_relabel(
            v,
            json!({"action": "hashmod", "targetLabel": "b", "modulus": 3})
        )
        .is_ok()
    );
    // replace is the default action and needs a target label.
    assert_eq!(
        check_relabel(v, json!({"sourceLabels": ["a"]})).unwrap_err(),
        "relabel configuration for replace action needs targetLabel value"
    );
    assert!(
        check_relabel(v, json!({"regex": "foo(", "action": "keep"}))
            .unwrap_err()
            .starts_with("invalid regex foo( for relabel configuration")
    );
    assert_eq!(
        check_relabel(
            v,
            json!({"action": "labeldrop", "regex": "x", "sourceLabels": ["a"]})
        )
        .unwrap_err(),
        "labeldrop action requires only 'regex', and no other fields"
    );
    // Defaults count as unset.
    assert!(
        check_relabel(
            v,
            json!({"action": "labelkeep", "regex": "x", "separator": ";", "replacement": "$1"})
        )
        .is_ok()
    );
    assert_eq!(
        check_relabel(
            v,
            json!({"action": "keepequal", "targetLabel": "b", "regex": "x"})
        )
        .unwrap_err(),
        "keepequal action requires only 'source_labels' and `target_label`, and no other fields"
    );
    assert_eq!(
        check_relabel(
            v,
            json!({"action": "uppercase", "targetLabel": "b", "replacement": "x"})
        )
        .unwrap_err(),
        "'replacement' can not be set for uppercase action"
    );
}

#[test]
fn relabel_label_names_follow_the_version_naming_scheme() {
    // replace target labels are checked as plain names: `${1}` and dotted
    // names are refused before Prometheus 3 (legacy scheme), accepted after.
    let templated = json!({"sourceLabels": ["a"], "targetLabel": "${1}"});
    assert!(check_relabel("v2.55.1", templated.clone()).is_err());
    assert!(check_relabel("v3.0.0", templated).is_ok());
    let dotted = json!({"sourceLabels": ["a"], "targetLabel": "service.name"});
    assert_eq!(
        check_relabel("v2.55.1", dotted.clone()).unwrap_err(),
        "\"service.name\" is invalid 'target_label' for replace action"
    );
    assert!(check_relabel("v3.0.0", dotted).is_ok());
    // labelmap replacements may hold variables in the legacy scheme.
    assert!(
        check_relabel(
            "v2.55.1",
            json!({"action": "labelmap", "regex": "x_(.+)", "replacement": "y_${1}"})
        )
        .is_ok()
    );
    assert!(
        check_relabel(
            "v2.55.1",
            json!({"action": "labelmap", "replacement": "1abc"})
        )
        .is_err()
    );
}

#[test]
fn versions_parse_tolerantly() {
    assert_eq!(
        *parse_version("v2.45").unwrap().semver(),
        semver::Version::new(2, 45, 0)
    );
    assert_eq!(
        *parse_version(" 3.13.1 ").unwrap().semver(),
        semver::Version::new(3, 13, 1)
    );
    assert!(*parse_version("v3.0.0-rc.0").unwrap().semver() < semver::Version::new(3, 0, 0));
    assert!(parse_version("latest").is_err());
}
