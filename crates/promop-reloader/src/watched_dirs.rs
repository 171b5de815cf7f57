//! What "a watched directory changed" means: a fingerprint of every file
//! below it (path and content), walked as the reference walks it —
//! recursively, symlinks to files followed, symlinks to directories not
//! (a kubelet volume's `..data` link would count every file twice).
use std::hash::{DefaultHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};

/// A 64-bit hash is enough to tell a change: nobody crafts collisions of
/// their own rule files, and holding the files' bytes instead could cost
/// megabytes.
pub type Fingerprint = u64;

/// `None` when there is no directory to watch; an error names the path.
pub fn fingerprint(dirs: &[PathBuf]) -> Result<Option<Fingerprint>, (PathBuf, io::Error)> {
    if dirs.is_empty() {
        return Ok(None);
    }
    let mut hasher = DefaultHasher::new();
    for dir in dirs {
        // The directory itself may be a symlink: resolve it, as the reference.
        let root = std::fs::canonicalize(dir).map_err(|e| (dir.clone(), e))?;
        walk(&root, &mut hasher)?;
    }
    Ok(Some(hasher.finish()))
}

fn walk(dir: &Path, hasher: &mut DefaultHasher) -> Result<(), (PathBuf, io::Error)> {
    let at = |p: &Path| {
        let p = p.to_owned();
        move |e| (p, e)
    };
    let mut entries = std::fs::read_dir(dir)
        .and_then(|r| {
            r.map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(at(dir))?;
    // Lexical order: the same files give the same fingerprint.
    entries.sort();
    for path in entries {
        let link = std::fs::symlink_metadata(&path).map_err(at(&path))?;
        let target = std::fs::metadata(&path).map_err(at(&path))?;
        if link.is_dir() {
            walk(&path, hasher)?;
        } else if !target.is_dir() {
            let content = std::fs::read(&path).map_err(at(&path))?;
            hasher.write(path.as_os_str().as_encoded_bytes());
            hasher.write_u8(0xff);
            hasher.write(&content);
            hasher.write_u8(0xff);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_of_content_names_and_files_below_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = [dir.path().to_owned()];
        let fp = || fingerprint(&dirs).unwrap().unwrap();
        let empty = fp();
        std::fs::write(dir.path().join("a.yaml"), "x").unwrap();
        let one = fp();
        assert_ne!(one, empty);
        assert_eq!(fp(), one, "stable");
        std::fs::write(dir.path().join("a.yaml"), "y").unwrap();
        let changed = fp();
        assert_ne!(changed, one);
        std::fs::rename(dir.path().join("a.yaml"), dir.path().join("b.yaml")).unwrap();
        assert_ne!(fp(), changed);
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let before = fp();
        std::fs::write(dir.path().join("sub/c"), "z").unwrap();
        assert_ne!(fp(), before);
        assert_eq!(fingerprint(&[]).unwrap(), None);
        assert!(fingerprint(&[dir.path().join("missing")]).is_err());
    }

    #[test]
    fn a_kubelet_volume_counts_each_file_once() {
        // ..2024_x/a, ..data -> ..2024_x, a -> ..data/a
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("..v1")).unwrap();
        std::fs::write(d.join("..v1/a"), "one").unwrap();
        std::os::unix::fs::symlink("..v1", d.join("..data")).unwrap();
        std::os::unix::fs::symlink("..data/a", d.join("a")).unwrap();
        let dirs = [d.to_owned()];
        let v1 = fingerprint(&dirs).unwrap();
        // The kubelet's atomic update: a new version dir, the link swapped.
        std::fs::create_dir(d.join("..v2")).unwrap();
        std::fs::write(d.join("..v2/a"), "two").unwrap();
        std::os::unix::fs::symlink("..v2", d.join("..data_tmp")).unwrap();
        std::fs::rename(d.join("..data_tmp"), d.join("..data")).unwrap();
        std::fs::remove_dir_all(d.join("..v1")).unwrap();
        assert_ne!(fingerprint(&dirs).unwrap(), v1);
    }
}
