//! Reading manifest files, directories and stdin into a snapshot
//! (`promop_core::manifests` does the parsing), within limits: a file over
//! `--max-file-size`, a symlink loop or text that is not UTF-8 is refused
//! before it is parsed (exit status 2, see [`is_unusable`]).
use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
pub use promop_core::manifests::{Loaded, Strictness, UnusableInput};

/// The manifests a command reads (`-f`, repeatable) and the namespace of
/// objects that name none (`-n`).
#[derive(clap::Args)]
pub struct Input {
    /// Manifest file or directory (repeatable; `-` reads stdin). Directories
    /// are read recursively (*.yaml, *.yml, *.json; each directory once, a
    /// symlink back to a directory being read is an error).
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
    #[command(flatten)]
    pub limits: Limits,
}

impl Input {
    /// The snapshot of every manifest (see [`load`]).
    pub fn load(&self) -> anyhow::Result<Loaded> {
        require_paths(&self.files)?;
        load(&self.files, &self.namespace, &self.limits)
    }
}

/// How much input the offline commands accept.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Limits {
    /// Refuse an input file (or stdin) larger than this: bytes, or a number
    /// with a unit (KiB, MiB, GiB; kB, MB, GB). YAML is also refused when
    /// it nests deeper than 64 levels or its aliases expand to more than
    /// the text holds ("billion laughs").
    #[arg(long, value_name = "SIZE", default_value = "16MiB")]
    pub max_file_size: ByteSize,
}

/// Reads every path (`-` is stdin; directories are walked for `*.yaml`,
/// `*.yml` and `*.json`). Objects without a namespace go to `namespace`.
pub fn load(paths: &[PathBuf], namespace: &str, limits: &Limits) -> anyhow::Result<Loaded> {
    let mut loaded = Loaded::default();
    for entry in inputs(paths)? {
        let (file, strictness) = entry?;
        let text = read(&file, limits)?;
        loaded.add_yaml(&file.display().to_string(), &text, namespace, strictness)?;
    }
    Ok(loaded)
}

/// A file to read, with how strict reading it is, or one refused while
/// walking a directory.
pub type Entry = Result<(PathBuf, Strictness), RefusedFile>;

/// The files to read, in order, each with how strict reading it is: files
/// met while walking a directory may be other YAML (a raw Prometheus or
/// Alertmanager config kept next to the manifests) and those documents are
/// skipped with a warning; a file named explicitly must be made of
/// Kubernetes objects. A symlink loop met while walking is an entry of its
/// own; an error reading a directory ends the walk.
pub fn inputs(paths: &[PathBuf]) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for path in paths {
        let directory = (path != Path::new("-"))
            .then(|| std::fs::metadata(path).ok())
            .flatten()
            .filter(|m| m.is_dir());
        match directory {
            Some(metadata) => {
                let mut walk = Walk::default();
                walk.directory(path, identity(&metadata))?;
                entries.extend(
                    walk.entries
                        .into_iter()
                        .map(|e| e.map(|f| (f, Strictness::SkipOthers))),
                );
            }
            None => entries.push(Ok((path.clone(), Strictness::ObjectsOnly))),
        }
    }
    Ok(entries)
}

/// Device and inode: the identity of a directory, whatever the path to it.
type Identity = (u64, u64);

fn identity(metadata: &std::fs::Metadata) -> Identity {
    (metadata.dev(), metadata.ino())
}

/// A directory tree being walked.
#[derive(Default)]
struct Walk {
    /// The directories from the root to the one being read.
    ancestors: Vec<(Identity, PathBuf)>,
    /// Every directory read: one reached again through a symlink is not
    /// read twice.
    seen: HashSet<Identity>,
    entries: Vec<Result<PathBuf, RefusedFile>>,
}

impl Walk {
    fn directory(&mut self, dir: &Path, id: Identity) -> anyhow::Result<()> {
        if !self.seen.insert(id) {
            return Ok(());
        }
        let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading {}", dir.display()))?;
        children.sort();
        self.ancestors.push((id, dir.to_owned()));
        for child in children {
            self.child(child)?;
        }
        self.ancestors.pop();
        Ok(())
    }

    fn child(&mut self, child: PathBuf) -> anyhow::Result<()> {
        let manifest = child
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
        match std::fs::metadata(&child) {
            Ok(metadata) if metadata.is_dir() => {
                let id = identity(&metadata);
                match self.ancestors.iter().find(|(a, _)| *a == id) {
                    Some((_, ancestor)) => {
                        let problem = Problem::SymlinkLoop {
                            back_to: Some(ancestor.clone()),
                        };
                        self.entries.push(Err(RefusedFile::new(&child, problem)));
                    }
                    None => self.directory(&child, id)?,
                }
            }
            // FIFOs, sockets and devices are never read while walking.
            Ok(metadata) if !metadata.is_file() => {}
            Err(e) if is_symlink_loop(&e) => {
                let problem = Problem::SymlinkLoop { back_to: None };
                self.entries.push(Err(RefusedFile::new(&child, problem)));
            }
            // A dangling symlink is reported when it is read.
            _ if manifest => self.entries.push(Ok(child)),
            _ => {}
        }
        Ok(())
    }
}

fn is_symlink_loop(error: &std::io::Error) -> bool {
    error.raw_os_error() == Some(libc::ELOOP)
}

/// The text of a file, or of stdin for `-`, refused (a [`RefusedFile`])
/// when it is larger than the limit, behind a symlink loop, or not UTF-8.
pub fn read(file: &Path, limits: &Limits) -> anyhow::Result<String> {
    let limit = limits.max_file_size;
    let refused = |problem| RefusedFile::new(file, problem);
    let bytes = if file == Path::new("-") {
        read_at_most(std::io::stdin().lock(), limit).context("reading stdin")?
    } else {
        let reading = || format!("reading {}", file.display());
        let metadata = match std::fs::metadata(file) {
            Err(e) if is_symlink_loop(&e) => {
                return Err(refused(Problem::SymlinkLoop { back_to: None }).into());
            }
            other => other.with_context(reading)?,
        };
        if metadata.is_file() && metadata.len() > limit.0 {
            let size = Some(ByteSize(metadata.len()));
            return Err(refused(Problem::TooLarge { size, limit }).into());
        }
        let opened = std::fs::File::open(file).with_context(reading)?;
        read_at_most(opened, limit).with_context(reading)?
    };
    let Some(bytes) = bytes else {
        return Err(refused(Problem::TooLarge { size: None, limit }).into());
    };
    decode(bytes).map_err(|problem| refused(problem).into())
}

/// All of `reader`, or `None` when it holds more than `limit` bytes (a
/// pipe or a device never says its size before it is read).
fn read_at_most(reader: impl Read, limit: ByteSize) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.0.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit.0).then_some(bytes))
}

/// UTF-8 text, or where it is not.
fn decode(bytes: Vec<u8>) -> Result<String, Problem> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Problem::Utf16);
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let before = &bytes[..offset];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        // The prefix is valid UTF-8: columns count characters.
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Problem::NotUtf8 {
            byte: bytes[offset],
            line: before.iter().filter(|&&b| b == b'\n').count() + 1,
            column,
        }
    })
}

/// `promop render`'s and `promop lint`'s input must name at least one path.
pub fn require_paths(paths: &[PathBuf]) -> anyhow::Result<()> {
    if paths.is_empty() {
        bail!("no input: give manifests with -f FILE|DIR (or -f - for stdin)");
    }
    Ok(())
}

/// A file refused before it is parsed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", name(path))]
pub struct RefusedFile {
    pub path: PathBuf,
    pub problem: Problem,
}

impl RefusedFile {
    fn new(path: &Path, problem: Problem) -> Self {
        Self {
            path: path.to_owned(),
            problem,
        }
    }
}

/// A file's name in messages (`-` is stdin).
fn name(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Why a file is refused.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// Larger than `--max-file-size` (the size is unknown for a stream).
    #[error(
        "{}, over the limit of {limit} on input files (raise it with --max-file-size)",
        size.map_or(format!("more than {limit}"), |s| s.to_string())
    )]
    TooLarge {
        size: Option<ByteSize>,
        limit: ByteSize,
    },
    /// A symlink leading back to a directory being read (`back_to`), or a
    /// chain of symlinks the system gives up on.
    #[error(
        "symlink loop: {}; not followed",
        back_to.as_ref().map_or(
            "too many levels of symbolic links".to_owned(),
            |dir| format!("it leads back to {}, which contains it", dir.display()),
        )
    )]
    SymlinkLoop { back_to: Option<PathBuf> },
    #[error(
        "not UTF-8: byte 0x{byte:02X} at line {line} column {column} is not valid UTF-8 \
         (manifests are UTF-8 text)"
    )]
    NotUtf8 {
        byte: u8,
        line: usize,
        column: usize,
    },
    #[error("not UTF-8: UTF-16 text (byte order mark); convert it to UTF-8")]
    Utf16,
}

/// Whether an error is about input that cannot be used at all (exit
/// status 2) rather than a failure to do the job (1).
pub fn is_unusable(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.is::<UnusableInput>() || e.is::<RefusedFile>() || e.is::<crate::render::OutsideOutDir>()
    })
}

/// A size in bytes: `--max-file-size 16MiB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

const UNITS: [(&str, u64); 7] = [
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("GB", 1_000_000_000),
    ("MB", 1_000_000),
    ("kB", 1_000),
    ("B", 1),
];

impl FromStr for ByteSize {
    type Err = String;

    /// A number of bytes, optionally followed by a unit of [`UNITS`]
    /// (case-insensitive, `Mi` for `MiB` too).
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a size: a number of bytes, or e.g. 16MiB"))?;
        let unit = unit.trim();
        let multiplier = if unit.is_empty() {
            1
        } else {
            UNITS
                .iter()
                .find(|(name, _)| {
                    unit.eq_ignore_ascii_case(name)
                        || (name.ends_with("iB") && unit.eq_ignore_ascii_case(&name[..2]))
                })
                .map(|(_, m)| *m)
                .ok_or_else(|| {
                    format!("unknown unit {unit:?}: use B, KiB, MiB, GiB, kB, MB or GB")
                })?
        };
        match number.checked_mul(multiplier) {
            Some(0) => Err("the size must be at least 1 byte".to_owned()),
            Some(bytes) => Ok(ByteSize(bytes)),
            None => Err(format!("{text:?} is too large")),
        }
    }
}

impl fmt::Display for ByteSize {
    /// In the largest binary unit that divides it, else with one decimal
    /// (`16 MiB`, `20.5 MiB`, `300 bytes`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, size) in UNITS.iter().filter(|(u, _)| u.ends_with("iB")) {
            if self.0 >= *size {
                return if self.0.is_multiple_of(*size) {
                    write!(f, "{} {unit}", self.0 / size)
                } else {
                    write!(f, "{:.1} {unit}", self.0 as f64 / *size as f64)
                };
            }
        }
        write!(f, "{} bytes", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_or_without_a_unit() {
        let parse = |s: &str| s.parse::<ByteSize>().map(|b| b.0);
        assert_eq!(parse("16MiB"), Ok(16 << 20));
        assert_eq!(parse("16Mi"), Ok(16 << 20));
        assert_eq!(parse("16 mib"), Ok(16 << 20));
        assert_eq!(parse("1GiB"), Ok(1 << 30));
        assert_eq!(parse("100MB"), Ok(100_000_000));
        assert_eq!(parse("2kB"), Ok(2_000));
        assert_eq!(parse("512"), Ok(512));
        assert_eq!(parse("512B"), Ok(512));
        assert!(parse("0").unwrap_err().contains("at least 1 byte"));
        assert!(parse("16XB").unwrap_err().contains("unknown unit"));
        assert!(parse("MiB").unwrap_err().contains("not a size"));
        assert!(parse("99999999999GiB").unwrap_err().contains("too large"));
    }

    #[test]
    fn sizes_print_in_binary_units() {
        assert_eq!(ByteSize(16 << 20).to_string(), "16 MiB");
        assert_eq!(ByteSize((20 << 20) + (1 << 19)).to_string(), "20.5 MiB");
        assert_eq!(ByteSize(2048).to_string(), "2 KiB");
        assert_eq!(ByteSize(300).to_string(), "300 bytes");
    }

    #[test]
    fn text_that_is_not_utf8_is_located() {
        let problem = decode(b"a: 1\nname: caf\xe9\n".to_vec()).unwrap_err();
        assert_eq!(
            problem.to_string(),
            "not UTF-8: byte 0xE9 at line 2 column 10 is not valid UTF-8 (manifests are UTF-8 text)"
        );
        assert!(matches!(
            decode(b"\xff\xfea\0".to_vec()),
            Err(Problem::Utf16)
        ));
        assert_eq!(decode("é: ü".as_bytes().to_vec()).unwrap(), "é: ü");
    }
}
