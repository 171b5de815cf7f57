//! The pod's filesystem: a root directory in the kubelet's scratch space
//! that mirrors the host's `/`, entered with `chroot` inside a private
//! mount namespace, where each volumeMount is bound at its mountPath.
//!
//! Mount paths such as `/etc/prometheus/config_out` or `/prometheus` do not
//! exist on the host, and creating them there is not ours to do. So the
//! root is assembled from host entries: every host directory on the way to
//! a missing mount path is *mirrored* (an empty scratch directory whose
//! entries are bind mounts of the host's, symlinks copied as symlinks),
//! every other entry is bound recursively (`mount --rbind`, keeping
//! `/proc`, `/dev`, ... with their submounts). The missing mount points are
//! plain directories or files created in the mirror. Nothing is created or
//! mounted on the host: the script runs under `unshare --mount
//! --propagation private`, and the scratch directory only holds empty mount
//! points once the namespace is gone.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A volumeMount: `source` (a host path in the scratch space) bound at
/// `target` (an absolute path in the pod).
#[derive(Debug, Clone)]
pub(super) struct Mount {
    pub target: PathBuf,
    pub source: PathBuf,
    pub read_only: bool,
}

/// Builds the root under `root` (creating the mirror's mount points) and
/// returns the shell script that, run as `sh <script> <workdir> <program>
/// <args>...` in a fresh mount namespace, mounts everything and executes
/// the program chrooted there, in `workdir`.
pub(super) fn prepare(root: &Path, mounts: &[Mount]) -> Result<String> {
    let mut mounts = mounts.to_vec();
    // Parents before the mounts nested in them.
    mounts.sort_by(|a, b| a.target.cmp(&b.target));

    let mut mirrored = BTreeSet::from([PathBuf::from("/")]);
    // (mount, its path under `root`), missing mount points to create.
    let mut placed: Vec<(&Mount, PathBuf)> = Vec::new();
    let mut create: Vec<(PathBuf, bool)> = Vec::new();
    for m in &mounts {
        if !m.target.is_absolute() {
            bail!("mountPath {} is not absolute", m.target.display());
        }
        let is_dir = m.source.is_dir();
        let outer = placed
            .iter()
            .rev()
            .find(|(outer, _)| m.target.starts_with(&outer.target));
        let at = if let Some((outer, outer_at)) = outer {
            // Nested in another volume: the mount point goes into that
            // volume's directory (ours), as a kubelet creates it there.
            let rel = m.target.strip_prefix(&outer.target)?;
            create_mount_point(&outer.source.join(rel), is_dir)?;
            outer_at.join(rel)
        } else {
            let (existing, missing) = resolve_on_host(&m.target)?;
            if missing.is_empty() {
                if existing.is_dir() != is_dir {
                    bail!(
                        "mountPath {} exists on the host as a {}",
                        m.target.display(),
                        if is_dir { "file" } else { "directory" }
                    );
                }
            } else {
                mirrored.extend(existing.ancestors().map(Path::to_path_buf));
                let mut path = existing.clone();
                path.extend(&missing);
                create.push((path, is_dir));
            }
            let mut at = under(root, &existing);
            at.extend(&missing);
            at
        };
        placed.push((m, at));
    }

    let mut script = String::from("set -e\n");
    mirror(root, Path::new("/"), &mirrored, &mut script)?;
    for (path, is_dir) in &create {
        create_mount_point(&under(root, path), *is_dir)?;
    }
    for (m, at) in &placed {
        let (source, at) = (quote(&m.source), quote(at));
        writeln!(script, "mount --bind {source} {at}")?;
        if m.read_only {
            writeln!(script, "mount -o remount,bind,ro {at}")?;
        }
    }
    writeln!(
        script,
        r#"exec chroot {} /bin/sh -c 'cd "$0" && exec "$@"' "$@""#,
        quote(root)
    )?;
    Ok(script)
}

/// Recreates host directory `dir` under `root`: mirrored children recurse,
/// other directories and files are bound, symlinks copied.
fn mirror(
    root: &Path,
    dir: &Path,
    mirrored: &BTreeSet<PathBuf>,
    script: &mut String,
) -> Result<()> {
    let here = under(root, dir);
    std::fs::create_dir_all(&here)?;
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let host = entry.path();
        let at = here.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&host)?, &at)?;
        } else if mirrored.contains(&host) {
            mirror(root, &host, mirrored, script)?;
        } else {
            create_mount_point(&at, kind.is_dir())?;
            let how = if kind.is_dir() { "--rbind" } else { "--bind" };
            // An entry gone since the listing is skipped, not fatal.
            let (host, at) = (quote(&host), quote(&at));
            writeln!(
                script,
                "mount {how} {host} {at} || echo 'kubelet: skipped '{host} >&2"
            )?;
        }
    }
    Ok(())
}

/// The longest existing prefix of `path` on the host, symlinks resolved,
/// and the components after it.
fn resolve_on_host(path: &Path) -> Result<(PathBuf, Vec<OsString>)> {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_owned()),
            _ => None,
        })
        .collect();
    let mut existing = PathBuf::from("/");
    for (i, part) in parts.iter().enumerate() {
        let next = existing.join(part);
        match std::fs::canonicalize(&next) {
            Ok(resolved) => existing = resolved,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if next.symlink_metadata().is_ok() {
                    bail!("{} is a dangling symlink on the host", next.display());
                }
                return Ok((existing, parts[i..].to_vec()));
            }
            Err(e) => return Err(e).with_context(|| format!("resolving {}", next.display())),
        }
    }
    Ok((existing, Vec::new()))
}

/// `host_path` (absolute) under `root`.
fn under(root: &Path, host_path: &Path) -> PathBuf {
    root.join(host_path.strip_prefix("/").unwrap_or(host_path))
}

fn create_mount_point(path: &Path, is_dir: bool) -> Result<()> {
    let result = if is_dir {
        std::fs::create_dir_all(path)
    } else {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::File::options()
            .create(true)
            .append(true)
            .open(path)
            .map(drop)
    };
    result.with_context(|| format!("creating mount point {}", path.display()))
}

/// Single-quoted for `sh`.
fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}
