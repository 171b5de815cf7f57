//! Volume names derived from the names of Secrets and ConfigMaps: valid
//! DNS-1123 labels, with a hash suffix where two long names could collide.
use std::sync::LazyLock;

use regex::Regex;
use xxhash_rust::xxh64::xxh64;

const MAX_LABEL: usize = 63;

static INVALID: LazyLock<Regex> = LazyLock::new(|| Regex::new("[^-a-z0-9]+").expect("valid regex"));
static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").expect("valid regex"));

/// A name that is not a valid DNS-1123 label even after sanitizing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid DNS-1123 label")]
pub struct InvalidLabel(pub String);

/// `<prefix>-<name>`, lower-cased, runs of other characters than `[-a-z0-9]`
/// replaced by `-`, no leading or trailing `-`.
fn sanitized(prefix: &str, name: &str) -> String {
    let joined = if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{}-{name}", prefix.trim_end_matches('-'))
    };
    INVALID
        .replace_all(&joined.to_lowercase(), "-")
        .trim_matches('-')
        .to_owned()
}

fn checked(name: String) -> Result<String, InvalidLabel> {
    if name.len() <= MAX_LABEL && LABEL.is_match(&name) {
        Ok(name)
    } else {
        Err(InvalidLabel(name))
    }
}

/// The sanitized name cut at 63 characters.
pub fn label(prefix: &str, name: &str) -> Result<String, InvalidLabel> {
    let mut out = sanitized(prefix, name);
    out.truncate(MAX_LABEL);
    checked(out)
}

/// The sanitized name cut at 54 characters and suffixed with `-` and the
/// first 8 hex digits of the xxHash64 of `name`, so that long names stay unique.
pub fn unique_label(prefix: &str, name: &str) -> Result<String, InvalidLabel> {
    let mut hash = format!("-{:x}", xxh64(name.as_bytes(), 0));
    hash.truncate(9);
    let mut out = sanitized(prefix, name);
    out.truncate(MAX_LABEL - 9);
    out.push_str(&hash);
    checked(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_sanitized_and_cut() {
        assert_eq!(
            label("secret", "Some.Odd_Name").unwrap(),
            "secret-some-odd-name"
        );
        assert_eq!(label("configmap", &"a".repeat(80)).unwrap().len(), 63);
        let unique = unique_label("web-config-tls-secret-key-", "web-tls").unwrap();
        assert!(unique.starts_with("web-config-tls-secret-key-web-tls-"));
        assert_eq!(unique.len(), "web-config-tls-secret-key-web-tls-".len() + 8);
    }
}
