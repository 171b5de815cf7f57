//! Probes of containers that listen on localhost only.
use k8s_openapi::api::core::v1::ExecAction;

/// A probe command fetching `url` with curl, or wget when curl is missing.
pub fn exec_get(url: &str) -> ExecAction {
    let script = format!(
        r#"if [ -x "$(command -v curl)" ]; then exec curl --fail {url}; elif [ -x "$(command -v wget)" ]; then exec wget -q -O /dev/null {url}; else exit 1; fi"#
    );
    ExecAction {
        command: Some(vec!["sh".into(), "-c".into(), script]),
    }
}

/// `path.Clean` of Go for URL paths: one slash between elements, no `.` or
/// `..` elements, no trailing slash (but the root), `.` for nothing.
pub fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// `scheme://host` followed by `path` as Go's `url.URL` prints it (a
/// relative path gets its leading slash).
pub fn url(scheme: &str, host: &str, path: &str) -> String {
    let slash = if path.is_empty() || path.starts_with('/') {
        ""
    } else {
        "/"
    };
    format!("{scheme}://{host}{slash}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_path_matches_go() {
        assert_eq!(clean_path("//-/reload"), "/-/reload");
        assert_eq!(clean_path("/prom/"), "/prom");
        assert_eq!(clean_path("prom/-/ready"), "prom/-/ready");
        assert_eq!(clean_path("/a/../b/./c"), "/b/c");
        assert_eq!(clean_path(""), ".");
        assert_eq!(
            url("http", "localhost:9090", "prom/-/reload"),
            "http://localhost:9090/prom/-/reload"
        );
    }
}
