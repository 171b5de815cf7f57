//! The config-reloader sidecar's job, done by the kubelet: the file named by
//! its `--config-file` (gunzipped when it starts with gzip's magic bytes)
//! is written to its `--config-envsubst-file` with `$(NAME)` replaced by the
//! sidecar's environment variable NAME, references to unset variables kept
//! as they are (the operator runs the reloader with
//! `TolerateEnvVarExpansionErrors`). Like the reloader, the environment
//! also has `STATEFULSET_ORDINAL_NUMBER`, the trailing digits of `POD_NAME`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};
use flate2::read::GzDecoder;

/// The reloader's paths (on the host) and environment.
#[derive(Debug)]
pub(super) struct ConfigReloader {
    pub input: PathBuf,
    pub output: PathBuf,
    env: BTreeMap<String, String>,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b, 0x08];

impl ConfigReloader {
    pub fn new(input: PathBuf, output: PathBuf, mut env: BTreeMap<String, String>) -> Self {
        let ordinal = env.get("POD_NAME").map(|name| {
            let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            name[name.len() - digits..].to_owned()
        });
        if let Some(ordinal) = ordinal {
            env.insert("STATEFULSET_ORDINAL_NUMBER".into(), ordinal);
        }
        Self { input, output, env }
    }

    /// Writes the substituted configuration (temporary file + rename, so
    /// Prometheus never reads half a file).
    pub fn run(&self) -> Result<()> {
        let raw = std::fs::read(&self.input)
            .with_context(|| format!("reading {}", self.input.display()))?;
        let text = if raw.starts_with(GZIP_MAGIC) {
            let mut text = String::new();
            GzDecoder::new(raw.as_slice())
                .read_to_string(&mut text)
                .with_context(|| format!("gunzipping {}", self.input.display()))?;
            text
        } else {
            String::from_utf8(raw).with_context(|| format!("{}", self.input.display()))?
        };
        let dir = self.output.parent().context("output without a directory")?;
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(
            &mut tmp,
            expand(&text, |n| self.env.get(n).cloned()).as_bytes(),
        )?;
        tmp.persist(&self.output)
            .with_context(|| format!("writing {}", self.output.display()))?;
        Ok(())
    }
}

/// Replaces `$(NAME)` (NAME of `[A-Za-z0-9_]+`) by `lookup(NAME)`, keeping
/// the reference when it yields None. Also how a kubelet expands container
/// args and env values (apart from its `$$` escape, which is not handled).
pub(super) fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        match (name.is_empty(), after[name_len..].starts_with(')')) {
            (false, true) => {
                match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[start..start + 3 + name_len]),
                }
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push_str("$(");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_set_variables_and_keeps_unset_ones() {
        let env = BTreeMap::from([("SHARD".to_owned(), "0".to_owned())]);
        let got = expand("a $(SHARD) $(UNSET) $(bad-name) $( $(SHARD", |n| {
            env.get(n).cloned()
        });
        assert_eq!(got, "a 0 $(UNSET) $(bad-name) $( $(SHARD");
    }

    #[test]
    fn ordinal_comes_from_the_pod_name() {
        let env = BTreeMap::from([("POD_NAME".to_owned(), "prometheus-main-12".to_owned())]);
        let r = ConfigReloader::new(PathBuf::new(), PathBuf::new(), env);
        assert_eq!(r.env["STATEFULSET_ORDINAL_NUMBER"], "12");
    }
}
