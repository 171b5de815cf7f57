//! Every custom resource among the reference's examples (and our maximal
//! fixtures) decodes into our types with no unknown field and encodes back to
//! the same object.
mod support;

use std::path::{Path, PathBuf};

use promop_api::object::{decode_object, is_monitoring_kind};
use serde_json::Value;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn monitoring_documents(files: &[PathBuf]) -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    for file in files {
        for (i, doc) in support::documents(file).into_iter().enumerate() {
            let api_version = doc["apiVersion"].as_str().unwrap_or_default();
            let kind = doc["kind"].as_str().unwrap_or_default();
            if is_monitoring_kind(api_version, kind) {
                docs.push((format!("{}#{i} {kind}", file.display()), doc));
            }
        }
    }
    docs
}

/// Upstream examples that upstream's own CRDs reject (the API server refuses
/// them), with the error our decoder must give for them.
const INVALID_EXAMPLES: &[(&str, &str)] = &[
    (
        "scrapeclass-example-definition.yaml#0",
        "missing field `metadata`",
    ),
    (
        "scrapeclass-example-podmonitor.yaml#0",
        "spec: missing field `selector`",
    ),
    (
        "scrapeclass-example-servicemonitor.yaml#0",
        "spec: missing field `selector`",
    ),
];

/// The API server prunes explicit nulls; so does the comparison.
fn prune_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(prune_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(prune_nulls),
        _ => {}
    }
}

fn assert_round_trip(docs: Vec<(String, Value)>) -> usize {
    let mut failures = Vec::new();
    let count = docs.len();
    for (name, mut doc) in docs {
        prune_nulls(&mut doc);
        let invalid = INVALID_EXAMPLES
            .iter()
            .find(|(file, _)| name.contains(file));
        match (decode_object(doc.clone()), invalid) {
            (Err(e), Some((_, expected))) if e.to_string().contains(expected) => {}
            (Err(e), _) => failures.push(format!("{name}: {e}")),
            (Ok(_), Some((_, expected))) => failures.push(format!(
                "{name}: accepted, but upstream's CRD rejects it ({expected})"
            )),
            (Ok(decoded), None) => {
                if !decoded.unknown_fields.is_empty() {
                    failures.push(format!(
                        "{name}: unknown fields {:?}",
                        decoded.unknown_fields
                    ));
                }
                let back = decoded.object.to_value().expect("typed object encodes");
                if back != doc {
                    failures.push(format!(
                        "{name}: changed by the round trip\n  in:  {doc}\n  out: {back}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    count
}

#[test]
fn upstream_examples_round_trip() {
    let mut files = Vec::new();
    let example = support::upstream_dir().join("example");
    for entry in std::fs::read_dir(&example).expect("example dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() && !name.contains("-crd") {
            yaml_files(&path, &mut files);
        }
    }
    let count = assert_round_trip(monitoring_documents(&files));
    assert!(
        count >= 10,
        "only {count} custom resources found among the examples"
    );
}

#[test]
fn maximal_fixtures_round_trip() {
    let mut files = Vec::new();
    yaml_files(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/maximal"),
        &mut files,
    );
    let count = assert_round_trip(monitoring_documents(&files));
    assert!(count >= 1, "no maximal fixture found");
}
