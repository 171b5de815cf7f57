//! Container image references built from a workload's image fields.

/// Why no image reference could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("couldn't parse image reference {0:?}")]
    Invalid(String),
    #[error("couldn't generate an image reference since version is empty")]
    NoVersion,
}

/// The image of a container: `image` as given when set; else `base` when it
/// already has a tag or digest; else `base` with the SHA digest, the tag or
/// the version, in that order of preference.
pub fn path(
    image: Option<&str>,
    base: &str,
    version: &str,
    tag: Option<&str>,
    sha: Option<&str>,
) -> Result<String, ImageError> {
    if let Some(image) = image.filter(|i| !i.trim().is_empty()) {
        return Ok(image.to_owned());
    }
    let reference = Reference::parse(base).ok_or_else(|| ImageError::Invalid(base.to_owned()))?;
    if reference.tagged || reference.digested {
        return Ok(base.to_owned());
    }
    match (sha.filter(|s| !s.is_empty()), tag.filter(|t| !t.is_empty())) {
        (Some(sha), _) => Ok(format!("{base}@sha256:{sha}")),
        // A tag goes on the normalized name (`docker.io/library/…`).
        (None, Some(tag)) => Ok(format!("{}:{tag}", reference.normalized)),
        (None, None) if version.is_empty() => Err(ImageError::NoVersion),
        (None, None) => Ok(format!("{base}:{version}")),
    }
}

/// The parts of a Docker image reference that decide how it is completed.
struct Reference {
    normalized: String,
    tagged: bool,
    digested: bool,
}

impl Reference {
    fn parse(raw: &str) -> Option<Self> {
        if raw.is_empty() || raw != raw.trim() {
            return None;
        }
        let (name, digested) = match raw.split_once('@') {
            Some((name, digest)) => (name, !digest.is_empty()),
            None => (raw, false),
        };
        // A tag is a `:` after the last `/` (before it, `:` is a registry port).
        let last = name.rsplit('/').next().unwrap_or(name);
        let (repository, tagged) = match last.rsplit_once(':') {
            Some(_) => (&name[..name.len() - last.len() + last.find(':')?], true),
            None => (name, false),
        };
        if repository.is_empty() || repository.chars().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        Some(Self {
            normalized: normalize(repository),
            tagged,
            digested,
        })
    }
}

/// Docker's normalization: a name without registry is on docker.io, and a
/// single-component one in its `library/` namespace.
fn normalize(repository: &str) -> String {
    match repository.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => {
            repository.to_owned()
        }
        Some(_) => format!("docker.io/{repository}"),
        None => format!("docker.io/library/{repository}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_precedence_follows_the_reference() {
        let base = "quay.io/prometheus/prometheus";
        assert_eq!(
            path(None, base, "v3.5.0", None, None).unwrap(),
            "quay.io/prometheus/prometheus:v3.5.0"
        );
        assert_eq!(
            path(Some("my/img:1"), base, "v3", None, None).unwrap(),
            "my/img:1"
        );
        assert_eq!(
            path(None, base, "v3", Some("t"), Some("abc")).unwrap(),
            "quay.io/prometheus/prometheus@sha256:abc"
        );
        assert_eq!(
            path(None, "prom", "v3", Some("t"), None).unwrap(),
            "docker.io/library/prom:t"
        );
        assert_eq!(
            path(None, "reg:5000/p:1.0", "v3", Some("t"), None).unwrap(),
            "reg:5000/p:1.0"
        );
        assert_eq!(path(None, base, "", None, None), Err(ImageError::NoVersion));
    }
}
