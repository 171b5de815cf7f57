//! `promop explain` on manifests: each config object of each workload is
//! "used" or "not used" with the reason the selection gives (selector,
//! namespace selector, invalid field), objects the API server's schema
//! would refuse are listed apart, and with an OBJECT argument the exit
//! status tells whether any workload uses it (0) or none does (1).
use std::path::PathBuf;
use std::process::Command;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/explain")
}

/// (exit code, stdout lines) of `promop explain -f tests/explain ARGS`.
fn explain(args: &[&str]) -> (i32, Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_promop"))
        .arg("explain")
        .arg("-f")
        .arg(fixtures())
        .args(args)
        .output()
        .expect("promop runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    (
        out.status.code().unwrap_or(-1),
        stdout.lines().map(str::to_owned).collect(),
    )
}

#[test]
fn every_object_of_every_workload_is_explained() {
    let (code, lines) = explain(&[]);
    assert_eq!(code, 0, "{lines:#?}");
    let expected = [
        "Prometheus monitoring/main",
        "  ServiceMonitor other/elsewhere: not used: namespace other does not match serviceMonitorNamespaceSelector team=shop",
        "  ServiceMonitor shop/orders: used",
        "  ServiceMonitor shop/unlabelled: not used: labels do not match serviceMonitorSelector release=main",
        "Alertmanager monitoring/main",
        "  AlertmanagerConfig shop/dangling: not used: rejected: spec: receiver \"missing\" not found",
        "  AlertmanagerConfig shop/pager: used",
        "  AlertmanagerConfig shop/quiet: not used: labels do not match alertmanagerConfigSelector route=yes",
        "Refused by the API server's schema (no workload sees them):",
    ];
    for line in expected {
        assert!(
            lines.iter().any(|l| l == line),
            "no line {line:?} in {lines:#?}"
        );
    }
    let rejected = lines
        .iter()
        .find(|l| l.starts_with("  ServiceMonitor shop/bad-regex: "))
        .expect("the invalid monitor is explained");
    assert!(
        rejected.contains("not used: rejected: spec.endpoints[0].relabelings[0]: invalid regex ("),
        "{rejected}"
    );
    let refused = lines
        .iter()
        .find(|l| l.starts_with("  ServiceMonitor shop/schema: "))
        .expect("the refused monitor is listed");
    assert!(refused.contains("spec.endpoints[0].scheme"), "{refused}");
}

#[test]
fn one_object_exits_0_when_used_and_1_when_not() {
    assert_eq!(
        explain(&["servicemonitor/shop/orders"]),
        (
            0,
            vec![
                "Prometheus monitoring/main".to_owned(),
                "  ServiceMonitor shop/orders: used".to_owned()
            ]
        )
    );
    let (code, lines) = explain(&["smon/unlabelled", "-n", "shop"]);
    assert_eq!(code, 1);
    assert_eq!(
        lines[1],
        "  ServiceMonitor shop/unlabelled: not used: labels do not match serviceMonitorSelector release=main"
    );
    let (code, lines) = explain(&["amcfg/shop/pager"]);
    assert_eq!((code, lines.len()), (0, 2), "{lines:#?}");
    let (code, lines) = explain(&["smon/shop/schema"]);
    assert_eq!(code, 1);
    assert_eq!(
        lines[0],
        "Refused by the API server's schema (no workload sees them):"
    );
    let (code, lines) = explain(&["probe/shop/none"]);
    assert_eq!(
        (code, lines),
        (1, vec!["Probe shop/none: not in the input".to_owned()])
    );
}

#[test]
fn a_workload_filter_and_a_bad_object_name() {
    let (code, lines) = explain(&["--alertmanager", "monitoring/main"]);
    assert_eq!(code, 0);
    assert!(
        !lines.iter().any(|l| l.contains("Prometheus ")),
        "{lines:#?}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_promop"))
        .args(["explain", "-f"])
        .arg(fixtures())
        .arg("deployment/shop/x")
        .output()
        .expect("promop runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("deployment/shop/x: unknown kind"));
}
