//! The files a configuration names.

use super::*;

// ---------------------------------------------------------------------------
// The files a configuration names.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// A file the program reads.
    Read,
    /// A glob of files the program reads: its directory must exist.
    Glob,
    /// A file the program writes: its directory must exist.
    Write,
}

/// A path in a configuration, at `at` (`scrape_configs[2].tls_config.ca_file`).
pub(crate) struct Named {
    pub(crate) at: String,
    pub(crate) path: String,
    pub(crate) usage: Use,
}

pub(crate) fn named_files(doc: &Value) -> Vec<Named> {
    fn walk(value: &Value, at: &str, out: &mut Vec<Named>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let here = if at.is_empty() {
                        key.clone()
                    } else {
                        format!("{at}.{key}")
                    };
                    match child {
                        Value::String(path) if key.ends_with("_file") && !path.is_empty() => {
                            let usage = if WRITTEN_FILE_KEYS.contains(&key.as_str()) {
                                Use::Write
                            } else {
                                Use::Read
                            };
                            out.push(Named {
                                at: here,
                                path: path.clone(),
                                usage,
                            });
                        }
                        Value::Array(items) if FILE_LIST_KEYS.contains(&key.as_str()) => {
                            for (i, item) in items.iter().enumerate() {
                                let Some(path) = item.as_str().filter(|p| !p.is_empty()) else {
                                    continue;
                                };
                                let glob = path.contains(['*', '?', '[']);
                                out.push(Named {
                                    at: format!("{here}[{i}]"),
                                    path: path.to_owned(),
                                    usage: if glob { Use::Glob } else { Use::Read },
                                });
                            }
                        }
                        _ => walk(child, &here, out),
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, "", &mut out);
    out
}

/// The directory a glob or a written file lives in.
pub(crate) fn directory(path: &str, usage: Use) -> &str {
    let fixed = match usage {
        Use::Glob => &path[..path.find(['*', '?', '[']).unwrap_or(path.len())],
        _ => path,
    };
    fixed.rsplit_once('/').map_or("", |(dir, _)| dir)
}
