//! `promop crds`: ten CRDs on stdout, or one file each with `--out-dir`,
//! named like the reference's files and equal to what promop-api generates.
use std::process::Command;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

fn promop(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_promop"))
        .args(args)
        .output()
        .expect("promop runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn stdout_holds_every_crd() {
    let out = promop(&["crds"]);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let crds: Vec<CustomResourceDefinition> =
        serde_saphyr::from_multiple(&text).expect("CRDs parse back");
    let names: Vec<String> = crds
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    let expected: Vec<String> = promop_api::crd::all()
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    assert_eq!(names, expected);
    assert_eq!(names.len(), 10);
}

#[test]
fn out_dir_writes_one_file_per_crd_named_like_upstream() {
    let dir = tempfile::tempdir().expect("temp dir");
    promop(&["crds", "--out-dir", &dir.path().to_string_lossy()]);
    for crd in promop_api::crd::all() {
        let file = dir.path().join(format!(
            "monitoring.coreos.com_{}.yaml",
            crd.spec.names.plural
        ));
        let text = std::fs::read_to_string(&file).expect("CRD file written");
        let written: CustomResourceDefinition = serde_saphyr::from_str(&text).expect("CRD parses");
        assert_eq!(written, crd, "{}", file.display());
        let upstream = promop_testenv::upstream_dir()
            .join("example/prometheus-operator-crd-full")
            .join(file.file_name().expect("file name"));
        assert!(
            upstream.exists(),
            "no upstream file named like {}",
            file.display()
        );
    }
}
