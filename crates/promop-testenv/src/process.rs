//! Shared spawn / kill / wait-ready logic of every test-bed process.

use std::fs::File;
use std::future::Future;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// A child process that is killed (with its whole process group) when this
/// handle drops. Its stdout and stderr go to a log file.
#[derive(Debug)]
pub struct ManagedProcess {
    name: String,
    child: Option<Child>,
    log_path: PathBuf,
}

impl ManagedProcess {
    /// Spawns `cmd` in a new process group, with `PR_SET_PDEATHSIG=SIGKILL`
    /// (so it dies with the spawning thread even if nothing runs `Drop`),
    /// stdin closed and stdout+stderr appended to `log_path`.
    pub fn spawn(name: &str, mut cmd: Command, log_path: &Path) -> Result<Self> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(log_path)
            .with_context(|| format!("creating log file {}", log_path.display()))?;
        let log_err = log.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls (prctl, getppid) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent {
                    return Err(std::io::Error::other("parent exited"));
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {name} ({:?})", cmd.get_program()))?;
        Ok(Self {
            name: name.to_owned(),
            child: Some(child),
            log_path: log_path.to_owned(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PID (also the process group id), if still running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The whole log so far.
    pub fn logs(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let all = self.logs();
        let v: Vec<&str> = all.lines().collect();
        v[v.len().saturating_sub(lines)..].join("\n")
    }

    /// Ok while the process runs; an error with the log's tail once it exited.
    pub fn check_running(&mut self) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            bail!("{} was stopped", self.name);
        };
        match child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(anyhow!(
                "{} exited ({status}); last lines of {}:\n{}",
                self.name,
                self.log_path.display(),
                self.log_tail(40)
            )),
        }
    }

    /// Polls `probe` every 100ms until it returns Ok, the process exits, or
    /// `timeout` passes. Errors carry the last probe error and the log's tail.
    pub async fn wait_ready<F, Fut>(&mut self, timeout: Duration, mut probe: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let start = Instant::now();
        loop {
            self.check_running()?;
            let last = match probe().await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if start.elapsed() > timeout {
                // One last look: a process that died explains itself best.
                self.check_running()?;
                bail!(
                    "{} not ready after {:?} (last probe error: {last:#}); last lines of {}:\n{}",
                    self.name,
                    timeout,
                    self.log_path.display(),
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Graceful stop: SIGTERM to the process group, then [`Self::stop`]
    /// (SIGKILL) if the process has not exited within `grace`. Returns
    /// whether it exited on its own. Idempotent.
    pub async fn terminate(&mut self, grace: Duration) -> bool {
        let Some(child) = self.child.as_mut() else {
            return true;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: plain syscall; the group id is the child's pid.
            unsafe {
                libc::kill(-pid, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + grace;
        let exited = loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break true,
                Ok(None) if Instant::now() >= deadline => break false,
                Ok(None) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        // Also kills what is left of the group, and reaps.
        self.stop();
        exited
    }

    /// Kills the process group (SIGKILL) and reaps the child. Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: plain syscall; the group id is the child's pid.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A currently free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Builds a [`Command`] for an installed test-bed binary.
pub(crate) fn command(binary: &str) -> Result<Command> {
    Ok(Command::new(crate::paths::binary(binary)?))
}

/// Like [`command`], for a Debian-packaged binary that reads assets from
/// hard-coded `/usr/share/...` paths (Alertmanager's `default.tmpl`): runs
/// it in a private mount namespace where the unpacked package's `usr/share`
/// is overlaid on `/usr/share`. Nothing changes outside that namespace.
/// Needs root (`unshare -m`), as the whole test bed does.
pub(crate) fn command_with_package_share(binary: &str, package_share: &Path) -> Result<Command> {
    let bin = crate::paths::binary(binary)?;
    if !package_share.is_dir() {
        bail!(
            "{binary}'s assets not found in {}: run testenv/install.sh",
            package_share.display()
        );
    }
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(r#"mount -t overlay overlay -o "lowerdir=$1:/usr/share" /usr/share && shift && exec "$@""#)
        .arg("sh")
        .arg(package_share)
        .arg(bin);
    Ok(cmd)
}

/// A throwaway directory (data, configuration, logs) that is removed on
/// drop, unless the thread is panicking or `PROMOP_TESTENV_KEEP` is set:
/// then it is kept and its path printed, for the logs.
#[derive(Debug)]
pub struct ScratchDir(Option<tempfile::TempDir>);

impl ScratchDir {
    pub fn new(prefix: &str) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .with_context(|| format!("creating a {prefix}* directory"))?;
        Ok(Self(Some(dir)))
    }

    pub fn path(&self) -> &Path {
        self.0
            .as_ref()
            .map(tempfile::TempDir::path)
            .expect("present until drop")
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let keep = std::thread::panicking() || std::env::var_os("PROMOP_TESTENV_KEEP").is_some();
        if let Some(dir) = self.0.take()
            && keep
        {
            eprintln!(
                "promop-testenv: kept {} (logs inside)",
                dir.keep().display()
            );
        }
    }
}

/// Runs `start` up to 3 times while it fails because a port picked by
/// [`free_port`] was taken in between by someone else.
pub(crate) async fn retry_on_port_clash<T, F, Fut>(mut start: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 1;
    loop {
        match start().await {
            Err(e) if attempt < 3 && format!("{e:#}").contains("address already in use") => {
                attempt += 1;
            }
            other => return other,
        }
    }
}
