//! Access to the reference's files in `../shared/upstream` (next to the clone).
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// `shared/upstream/prometheus-operator-v0.94.1`, found next to the workspace
/// (`PROMOP_SHARED` overrides the `shared` directory).
pub fn upstream_dir() -> PathBuf {
    let shared = std::env::var_os("PROMOP_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("upstream/prometheus-operator-v0.94.1");
    assert!(
        dir.is_dir(),
        "{} not found: the reference files live in shared/ next to the clone (or set PROMOP_SHARED)",
        dir.display()
    );
    dir
}

/// Every YAML document of a file, as JSON values.
pub fn documents(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_multiple::<Value>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// The upstream CRD (with every served version) of a kind.
pub fn upstream_crd(kind: &str) -> Value {
    let dir = upstream_dir().join("example/prometheus-operator-crd-full");
    let file = dir.join(format!(
        "monitoring.coreos.com_{}s.yaml",
        kind.to_lowercase()
    ));
    let file = if file.exists() {
        file
    } else {
        dir.join(format!("monitoring.coreos.com_{}.yaml", plural(kind)))
    };
    documents(&file)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{} is empty", file.display()))
}

fn plural(kind: &str) -> String {
    match kind {
        "Prometheus" => "prometheuses".into(),
        other => format!("{}s", other.to_lowercase()),
    }
}
