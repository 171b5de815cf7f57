//! Reading manifest files, directories and stdin into a snapshot
//! (`promop_core::manifests` does the parsing).
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
pub use promop_core::manifests::{Loaded, Strictness, UnusableInput};

/// Reads every path (`-` is stdin; directories are walked for `*.yaml`,
/// `*.yml` and `*.json`). Objects without a namespace go to `namespace`.
/// The manifests a command reads (`-f`, repeatable) and the namespace of
/// objects that name none (`-n`).
#[derive(clap::Args)]
pub struct Input {
    /// Manifest file or directory (repeatable; `-` reads stdin). Directories
    /// are read recursively (*.yaml, *.yml, *.json).
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR",
        required = true
    )]
    pub files: Vec<PathBuf>,
    /// Namespace of objects that have none.
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
}

impl Input {
    /// The snapshot of every manifest (see [`load`]).
    pub fn load(&self) -> anyhow::Result<Loaded> {
        require_paths(&self.files)?;
        load(&self.files, &self.namespace)
    }
}

pub fn load(paths: &[PathBuf], namespace: &str) -> anyhow::Result<Loaded> {
    let mut loaded = Loaded::default();
    for (file, strictness) in inputs(paths)? {
        let text = read(&file)?;
        loaded.add_yaml(&file.display().to_string(), &text, namespace, strictness)?;
    }
    Ok(loaded)
}

/// The files to read, each with how strict reading it is: files met while
/// walking a directory may be other YAML (a raw Prometheus or Alertmanager
/// config kept next to the manifests) and those documents are skipped with
/// a warning; a file named explicitly must be made of Kubernetes objects.
pub fn inputs(paths: &[PathBuf]) -> anyhow::Result<Vec<(PathBuf, Strictness)>> {
    let mut files = Vec::new();
    for path in paths {
        let strictness = if path.is_dir() {
            Strictness::SkipOthers
        } else {
            Strictness::ObjectsOnly
        };
        files.extend(expand(path)?.into_iter().map(|f| (f, strictness)));
    }
    Ok(files)
}

/// The text of a file, or of stdin for `-`.
pub fn read(file: &Path) -> anyhow::Result<String> {
    if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("reading stdin")
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
    }
}

fn expand(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path == Path::new("-") || !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("reading {}", path.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            files.extend(expand(&entry)?);
        } else if entry
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            files.push(entry);
        }
    }
    Ok(files)
}

/// `promop render`'s and `promop lint`'s input must name at least one path.
pub fn require_paths(paths: &[PathBuf]) -> anyhow::Result<()> {
    if paths.is_empty() {
        bail!("no input: give manifests with -f FILE|DIR (or -f - for stdin)");
    }
    Ok(())
}
