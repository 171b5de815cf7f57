//! The stack's manifests: `deploy/local/*.yaml` with `${NAME}` placeholders
//! (ports, versions, the sink's URL) filled in, and the PrometheusRules of
//! the example stack (`deploy/examples`), applied unchanged so that the
//! local Prometheus records exactly what the dashboards query.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use promop_testenv::parse_yaml_documents;

/// The files applied later than the others, in this order: once the pods
/// run (their ports), and once Thanos Query runs (`--thanos`).
pub const AFTER_PODS: &str = "operated-endpoints.yaml";
pub const AFTER_QUERY: &str = "thanos-ruler.yaml";
const LATER: [&str; 2] = [AFTER_PODS, AFTER_QUERY];

/// The values of the placeholders.
pub type Values = BTreeMap<&'static str, String>;

/// Replaces every `${NAME}` of `text` by `values[NAME]`; an unknown NAME is
/// an error (a typo would otherwise reach the apiserver as text).
pub fn fill(text: &str, values: &Values) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .with_context(|| format!("unterminated placeholder at {:?}", &rest[start..]))?;
        let name = &after[..end];
        let value = values
            .get(name)
            .with_context(|| format!("unknown placeholder ${{{name}}}"))?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The `*.yaml` files of `dir`, sorted, filled, with those of `overlay`
/// (`deploy/local/thanos`): an overlay file replaces the file of `dir` of
/// the same name, its other files are added. `only` selects one of the
/// files applied later ([`AFTER_PODS`], [`AFTER_QUERY`]), and `None` every
/// other file; a selected file that is in neither directory is no document.
pub fn local(
    dir: &Path,
    overlay: Option<&Path>,
    values: &Values,
    only: Option<&str>,
) -> Result<String> {
    let mut files: BTreeMap<std::ffi::OsString, PathBuf> = BTreeMap::new();
    for d in std::iter::once(dir).chain(overlay) {
        for file in yaml_files(d)? {
            if let Some(name) = file.file_name() {
                files.insert(name.to_owned(), file);
            }
        }
    }
    let mut docs = Vec::new();
    for (name, file) in files {
        let later = LATER.iter().find(|l| name == **l).copied();
        if later != only {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        docs.push(fill(&text, values).with_context(|| format!("{}", file.display()))?);
    }
    if docs.is_empty() && only.is_none() {
        bail!("no manifests in {}", dir.display());
    }
    Ok(docs.join("\n---\n"))
}

/// Every PrometheusRule of the `*.yaml` files of `dir` (not recursive), as
/// YAML documents (JSON flow style).
pub fn example_rules(dir: &Path) -> Result<String> {
    let mut rules = Vec::new();
    for file in yaml_files(dir)? {
        let text = std::fs::read_to_string(&file)?;
        let docs = parse_yaml_documents(&text).with_context(|| format!("{}", file.display()))?;
        rules.extend(
            docs.into_iter()
                .filter(|d| d["kind"] == "PrometheusRule")
                .map(|d| d.to_string()),
        );
    }
    if rules.is_empty() {
        bail!("no PrometheusRule in {}", dir.display());
    }
    Ok(rules.join("\n---\n"))
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_placeholders_and_refuses_unknown_ones() {
        let values = Values::from([("PORT", "9090".to_owned())]);
        assert_eq!(
            fill("port: ${PORT} # ${PORT}$", &values).unwrap(),
            "port: 9090 # 9090$"
        );
        let err = fill("a: ${PROT}", &values).unwrap_err().to_string();
        assert_eq!(err, "unknown placeholder ${PROT}");
        assert!(fill("a: ${PORT", &values).is_err());
    }

    /// The manifests in deploy/local (and its `--thanos` overlay) use only
    /// placeholders the stack fills.
    #[test]
    fn deploy_local_parses_once_filled() {
        let dir = crate::repo_dir().join("deploy/local");
        let overlay = dir.join("thanos");
        let values: Values = crate::stack::PLACEHOLDERS
            .iter()
            .map(|name| (*name, "1".to_owned()))
            .collect();
        for overlay in [None, Some(overlay.as_path())] {
            let mut kinds = Vec::new();
            for only in [None, Some(AFTER_PODS), Some(AFTER_QUERY)] {
                let yaml = local(&dir, overlay, &values, only).unwrap();
                let docs = parse_yaml_documents(&yaml).unwrap();
                assert!(docs.iter().all(|d| d["kind"].is_string()), "{docs:?}");
                kinds.extend(docs.iter().map(|d| d["kind"].as_str().unwrap().to_owned()));
            }
            let rulers = kinds.iter().filter(|k| *k == "ThanosRuler").count();
            assert_eq!(rulers, usize::from(overlay.is_some()), "{kinds:?}");
        }
    }
}
