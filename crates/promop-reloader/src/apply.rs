//! One pass of the reloader, shared by file mode and watch mode: render the
//! config to the output file (when it changed), fingerprint the watched
//! directories, and tell whether the server must reload — the input or the
//! directories differ from what the last successful reload saw, or that
//! reload failed.
use std::hash::{DefaultHasher, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::config_file::{self, Rendered};
use crate::envsubst::Environment;
use crate::metrics::Metrics;
use crate::watched_dirs::{self, Fingerprint};

/// Where the config comes from.
#[derive(Clone, Debug)]
pub enum Input {
    /// No config, only directories (e.g. Alertmanager's, ThanosRuler's).
    None,
    /// --config-file.
    File(PathBuf),
    /// watch mode: the Secret's value as last received (`None` until the
    /// Secret has been seen). `what` names it in messages.
    Latest {
        what: String,
        value: Arc<Mutex<Option<Vec<u8>>>>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config_file::Error),
    #[error("watched directory {}: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a pass found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    config: Option<u64>,
    dirs: Option<Fingerprint>,
}

pub struct Applier {
    input: Input,
    output: Option<PathBuf>,
    dirs: Vec<PathBuf>,
    env: Environment,
    metrics: Arc<Metrics>,
    /// What the server was last reloaded with; `None` before the first
    /// reload, so the first pass always reloads (as the reference does).
    reloaded: Option<Seen>,
}

impl Applier {
    pub fn new(
        input: Input,
        output: Option<PathBuf>,
        dirs: Vec<PathBuf>,
        env: Environment,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            input,
            output,
            dirs,
            env,
            metrics,
            reloaded: None,
        }
    }

    /// Whether a watch-mode input has been received at all.
    pub fn ready(&self) -> bool {
        match &self.input {
            Input::Latest { value, .. } => value.lock().is_ok_and(|v| v.is_some()),
            _ => true,
        }
    }

    /// Writes the output and returns what was seen, and whether it differs
    /// from the last reload.
    pub fn prepare(&mut self) -> Result<(Seen, bool), Error> {
        Metrics::inc(&self.metrics.config_apply_operations);
        let config = match &self.input {
            Input::None => None,
            Input::File(path) => {
                let raw = config_file::read(path)?;
                Some(self.write(&raw, &path.display().to_string())?)
            }
            Input::Latest { what, value } => {
                let raw = value.lock().map(|v| v.clone()).unwrap_or_default();
                match raw {
                    Some(raw) => Some(self.write(&raw, what)?),
                    None => None,
                }
            }
        };
        let dirs = watched_dirs::fingerprint(&self.dirs)
            .map_err(|(path, source)| Error::Dir { path, source })?;
        let seen = Seen { config, dirs };
        Ok((seen, self.reloaded != Some(seen)))
    }

    /// Renders `raw` into the output file; returns the input's hash.
    fn write(&self, raw: &[u8], what: &str) -> Result<u64, Error> {
        if let Some(output) = &self.output {
            let Rendered { bytes, unset } = config_file::render(raw, what, &self.env)?;
            for name in &unset {
                tracing::warn!(
                    err = %format!("found reference to unset environment variable {name:?}"),
                    "expand environment variable"
                );
            }
            Metrics::set(
                &self.metrics.config_environment_variable_expansion_errors,
                unset.len() as u64,
            );
            if config_file::write_if_changed(output, &bytes)? {
                tracing::debug!(out = %output.display(), "config written");
            }
        }
        let mut hasher = DefaultHasher::new();
        hasher.write(raw);
        Ok(hasher.finish())
    }

    /// Records a successful reload of what `seen` describes.
    pub fn reloaded(&mut self, seen: Seen) {
        self.reloaded = Some(seen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_wanted_first_then_only_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.yaml");
        let output = dir.path().join("out.yaml");
        let rules = dir.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        std::fs::write(&input, "a: $(X)\n").unwrap();
        let env = Environment::new([("X".into(), "1".into())], "POD_NAME");
        let mut applier = Applier::new(
            Input::File(input.clone()),
            Some(output.clone()),
            vec![rules.clone()],
            env,
            Arc::default(),
        );
        let (seen, changed) = applier.prepare().unwrap();
        assert!(changed, "first pass");
        assert_eq!(std::fs::read(&output).unwrap(), b"a: 1\n");
        // Until a reload succeeds, the same state still wants one.
        assert!(applier.prepare().unwrap().1);
        applier.reloaded(seen);
        assert!(!applier.prepare().unwrap().1);
        std::fs::write(rules.join("r.yaml"), "groups: []").unwrap();
        let (seen, changed) = applier.prepare().unwrap();
        assert!(changed, "a rule file");
        applier.reloaded(seen);
        std::fs::write(&input, "a: 2\n").unwrap();
        assert!(applier.prepare().unwrap().1, "the config");
        assert_eq!(std::fs::read(&output).unwrap(), b"a: 2\n");
        std::fs::remove_file(&input).unwrap();
        assert!(applier.prepare().is_err());
    }

    #[test]
    fn watch_mode_input_waits_for_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let value = Arc::new(Mutex::new(None));
        let output = dir.path().join("out.yaml");
        let input = Input::Latest {
            what: "Secret ns/s".into(),
            value: value.clone(),
        };
        let env = Environment::default();
        let mut applier = Applier::new(input, Some(output.clone()), vec![], env, Arc::default());
        assert!(!applier.ready());
        *value.lock().unwrap() = Some(b"x".to_vec());
        assert!(applier.ready());
        assert!(applier.prepare().unwrap().1);
        assert_eq!(std::fs::read(&output).unwrap(), b"x");
    }
}
