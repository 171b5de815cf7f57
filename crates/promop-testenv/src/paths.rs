//! Where the test bed finds its binaries and the shared upstream material.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// `${PROMOP_TESTENV:-$HOME/.cache/promop/testenv}/bin`.
pub fn bin_dir() -> PathBuf {
    testenv_dir().join("bin")
}

/// `usr/share` of a Debian package unpacked by `testenv/install.sh`
/// (`<testenv>/pkgs/<component>/usr/share`).
pub(crate) fn package_share_dir(component: &str) -> PathBuf {
    testenv_dir().join("pkgs").join(component).join("usr/share")
}

/// `${PROMOP_TESTENV:-$HOME/.cache/promop/testenv}`.
pub fn testenv_dir() -> PathBuf {
    match std::env::var_os("PROMOP_TESTENV") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            PathBuf::from(home).join(".cache/promop/testenv")
        }
    }
}

/// The path of an installed test-bed binary, or an error telling how to
/// install it.
pub fn binary(name: &str) -> Result<PathBuf> {
    binary_in(&bin_dir(), name)
}

pub(crate) fn binary_in(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        bail!(
            "{name} not found in {}: run testenv/install.sh",
            dir.display()
        )
    }
}

/// The `shared/` directory beside the workspace (`<workspace>/../shared`),
/// or `$PROMOP_SHARED` when set.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PROMOP_SHARED").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // crates/promop-testenv -> workspace -> its parent
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The upstream Prometheus Operator material (`shared/upstream/prometheus-operator-v0.94.1`).
pub fn upstream_dir() -> PathBuf {
    shared_dir().join("upstream/prometheus-operator-v0.94.1")
}

/// The release of an installed binary (`bin/<name>`) as its `--version`
/// prints it, without a `+` suffix (e.g. `0.33.1` of `alertmanager,
/// version 0.33.1 (branch: debian/sid, ...)`).
pub fn installed_release(name: &str) -> Result<String> {
    let out = std::process::Command::new(binary(name)?)
        .arg("--version")
        .output()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let release = text
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .with_context(|| format!("no version in {text:?}"))?;
    Ok(release.split('+').next().unwrap_or(release).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binary_names_the_installer() {
        let dir = tempfile::tempdir().unwrap();
        let err = binary_in(dir.path(), "kube-apiserver").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("kube-apiserver not found in "), "{msg}");
        assert!(msg.ends_with(": run testenv/install.sh"), "{msg}");
    }
}
