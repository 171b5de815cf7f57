//! The config the server reads: the input (a mounted file, or a Secret's
//! value in watch mode) gunzipped when it is gzip, `$(VAR)`s expanded, and
//! written to --config-envsubst-file only when its bytes change, so the
//! server's file is never rewritten for nothing.
use std::io::{self, Read};
use std::path::Path;

use crate::envsubst::{self, Environment};

/// The gzip magic and deflate method, as the reference detects compression.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("decompress {what}: {source}")]
    Gunzip { what: String, source: io::Error },
    #[error("write {path}: {source}")]
    Write { path: String, source: io::Error },
}

/// The expanded config and the unset variables it references.
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub unset: Vec<String>,
}

/// `what` names the input in errors (a path, or `Secret ns/name key`).
pub fn render(input: &[u8], what: &str, env: &Environment) -> Result<Rendered, Error> {
    let plain;
    let input = if input.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(input)
            .read_to_end(&mut out)
            .map_err(|source| Error::Gunzip {
                what: what.to_owned(),
                source,
            })?;
        plain = out;
        &plain[..]
    } else {
        input
    };
    let expanded = envsubst::expand(input, env);
    Ok(Rendered {
        bytes: expanded.bytes,
        unset: expanded.unset,
    })
}

pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Writes `bytes` to `path` unless it holds them already; a temporary file
/// renamed over `path` means a reader never sees half a file. Returns
/// whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, Error> {
    if holds(path, bytes) {
        return Ok(false);
    }
    let error = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes).map_err(error)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        error(e)
    })?;
    Ok(true)
}

/// Whether the file at `path` holds exactly `bytes`, read in chunks: a
/// config of tens of megabytes is not held twice for the comparison.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    if file.metadata().map(|m| m.len()).ok() != u64::try_from(bytes.len()).ok() {
        return false;
    }
    let mut reader = io::BufReader::with_capacity(64 * 1024, file);
    let mut chunk = [0u8; 64 * 1024];
    let mut rest = bytes;
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if rest.len() >= n && rest[..n] == chunk[..n] => rest = &rest[n..],
            Ok(_) | Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn gzip_and_plain_inputs_render_the_same() {
        let env = Environment::new([("POD_NAME".into(), "p-0".into())], "POD_NAME");
        let text = b"replica: $(POD_NAME)\n";
        for input in [text.to_vec(), gzip(text)] {
            let out = render(&input, "test", &env).unwrap();
            assert_eq!(out.bytes, b"replica: p-0\n");
        }
        // Shorter than the magic: plain.
        assert_eq!(render(b"a", "t", &env).unwrap().bytes, b"a");
        assert!(render(&GZIP_MAGIC, "t", &env).is_err());
    }

    #[test]
    fn writes_only_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.yaml");
        assert!(write_if_changed(&path, b"a").unwrap());
        assert!(!write_if_changed(&path, b"a").unwrap());
        assert!(write_if_changed(&path, b"b").unwrap());
        assert!(write_if_changed(&path, b"c").unwrap(), "same length");
        let big = vec![7u8; 200_000];
        assert!(write_if_changed(&path, &big).unwrap());
        assert!(!write_if_changed(&path, &big).unwrap());
        assert!(write_if_changed(&path, b"b").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"b");
        assert!(!dir.path().join("out.yaml.tmp").exists());
        assert!(write_if_changed(&dir.path().join("missing/out"), b"a").is_err());
    }
}
