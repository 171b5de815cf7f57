//! Numbered progress lines of the start, on stderr, with the elapsed time.
//!
//! On a terminal the running step is one line that a ticker thread
//! rewrites (`\r`) with its elapsed seconds, ended by `ok (12.3s)`.
//! Elsewhere (CI logs, files) each step is one line once done, plus a
//! `still running` line every [`HEARTBEAT`] while a step lasts, so a log
//! shows which step hangs.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the terminal line is rewritten.
const REDRAW: Duration = Duration::from_millis(250);
/// How often a step still running is reported when not on a terminal.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// Where the lines go, and how.
struct Shared {
    out: Box<dyn Write + Send>,
    /// `\r`-rewritten line (a terminal of this many columns) or whole
    /// lines (`None`).
    tty: Option<usize>,
    heartbeat: Duration,
    running: Option<Running>,
}

struct Running {
    /// `[3/6] promop run`
    label: String,
    since: Instant,
    /// The elapsed time of the next heartbeat line (not on a terminal).
    next_beat: Duration,
    /// The seconds last shown (on a terminal).
    shown: Option<u64>,
}

pub struct Progress {
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
    step: usize,
    of: usize,
}

impl Progress {
    /// `of` steps, reported on stderr.
    pub fn stderr(of: usize) -> Self {
        let tty = std::io::stderr()
            .is_terminal()
            .then(|| columns().unwrap_or(80));
        Self::new(Box::new(std::io::stderr()), tty, HEARTBEAT, of)
    }

    fn new(out: Box<dyn Write + Send>, tty: Option<usize>, heartbeat: Duration, of: usize) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            out,
            tty,
            heartbeat,
            running: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let period = heartbeat.min(REDRAW);
        let ticker = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::park_timeout(period);
                    lock(&shared).tick();
                }
            })
        };
        Self {
            shared,
            stop,
            ticker: Some(ticker),
            step: 0,
            of,
        }
    }

    /// Ends the running step (`ok`) and starts the next one.
    pub fn step(&mut self, what: &str) {
        self.step += 1;
        let label = format!("[{}/{}] {what}", self.step, self.of);
        let mut shared = lock(&self.shared);
        shared.finish("ok");
        shared.running = Some(Running {
            label,
            since: Instant::now(),
            next_beat: shared.heartbeat,
            shown: None,
        });
        shared.tick();
    }

    /// Ends the running step (`ok`).
    pub fn done(&mut self) {
        lock(&self.shared).finish("ok");
    }
}

impl Drop for Progress {
    /// A step still running failed or was interrupted (the error or the
    /// signal is told next).
    fn drop(&mut self) {
        lock(&self.shared).finish("stopped");
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            ticker.thread().unpark();
            ticker.join().ok();
        }
    }
}

/// A poisoned lock only means a panic while printing: keep printing.
fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// Redraws the terminal line when its seconds change, or writes a
    /// heartbeat line when due.
    fn tick(&mut self) {
        let Some(running) = &mut self.running else {
            return;
        };
        let elapsed = running.since.elapsed();
        let line = match self.tty {
            Some(columns) => {
                if running.shown == Some(elapsed.as_secs()) {
                    return;
                }
                running.shown = Some(elapsed.as_secs());
                // One row: `\r` cannot go back up a wrapped line.
                let seconds = format!(" ... {}s", elapsed.as_secs());
                let room = columns.saturating_sub(seconds.len() + 1);
                format!("\r{}{seconds}", truncate(&running.label, room))
            }
            None if elapsed >= running.next_beat => {
                running.next_beat += self.heartbeat;
                format!(
                    "{} ... still running ({:.1}s)\n",
                    running.label,
                    secs(elapsed)
                )
            }
            None => return,
        };
        self.write(&line);
    }

    /// Ends the running step's line with `outcome` and the elapsed time.
    fn finish(&mut self, outcome: &str) {
        let Some(running) = self.running.take() else {
            return;
        };
        let elapsed = secs(running.since.elapsed());
        // `\x1b[K` clears what a longer redraw left on the line.
        let start = if self.tty.is_some() { "\r\x1b[K" } else { "" };
        let line = format!("{start}{} ... {outcome} ({elapsed:.1}s)\n", running.label);
        self.write(&line);
    }

    fn write(&mut self, text: &str) {
        // Progress is best effort: a closed stderr must not stop the stack.
        let _ = self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush());
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// At most `room` characters of `text`, the last one `…` when cut.
fn truncate(text: &str, room: usize) -> String {
    if text.chars().count() <= room {
        return text.to_owned();
    }
    let kept: String = text.chars().take(room.saturating_sub(1)).collect();
    kept + "…"
}

/// The width of the terminal on stderr.
fn columns() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a winsize into the pointer it is given,
    // which points to one that lives for the call.
    let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn pattern(text: &str) -> String {
        // Times vary: `(0.3s)` → `(T)`, `... 1s` → `... T`.
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() && out.ends_with(['(', ' ']) {
                while chars.next_if(|c| c.is_ascii_digit() || *c == '.').is_some() {}
                chars.next_if_eq(&'s');
                out.push('T');
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn off_a_terminal_each_step_is_one_line_with_heartbeats_while_it_lasts() {
        let buffer = Buffer::default();
        let mut progress = Progress::new(
            Box::new(buffer.clone()),
            None,
            Duration::from_millis(100),
            2,
        );
        progress.step("fast");
        progress.step("slow");
        // Until the ticker wrote a heartbeat (no timing assumed: a loaded
        // machine may schedule the ticker late).
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !buffer.text().contains("still running") && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        progress.done();
        drop(progress);
        let text = buffer.text();
        assert!(!text.contains('\r'), "{text:?}");
        let lines: Vec<String> = text.lines().map(pattern).collect();
        assert_eq!(lines[0], "[1/2] fast ... ok (T)", "{text}");
        assert_eq!(lines[1], "[2/2] slow ... still running (T)", "{text}");
        assert_eq!(lines.last().unwrap(), "[2/2] slow ... ok (T)", "{text}");
        assert!(lines.len() >= 3, "a heartbeat while the step lasts: {text}");
        assert!(
            lines[1..lines.len() - 1]
                .iter()
                .all(|l| l == "[2/2] slow ... still running (T)"),
            "{text}"
        );
    }

    #[test]
    fn on_a_terminal_the_running_line_is_redrawn_each_second_then_ended() {
        let buffer = Buffer::default();
        let mut progress = Progress::new(Box::new(buffer.clone()), Some(80), HEARTBEAT, 1);
        progress.step("wait");
        // Until the line was redrawn once (a late ticker may skip a second).
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while buffer.text().matches("\r[1/1] wait ... ").count() < 2
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        progress.done();
        drop(progress);
        let text = buffer.text();
        assert!(
            text.starts_with("\r[1/1] wait ... 0s\r[1/1] wait ... "),
            "{text:?}"
        );
        assert_eq!(text.matches("... 0s").count(), 1, "redrawn later: {text:?}");
        assert!(
            pattern(&text).ends_with("\r\x1b[K[1/1] wait ... ok (T)\n"),
            "{text:?}"
        );
        assert_eq!(text.matches('\n').count(), 1, "a single line: {text:?}");
    }

    #[test]
    fn a_step_still_running_when_dropped_is_stopped() {
        let buffer = Buffer::default();
        let mut progress = Progress::new(Box::new(buffer.clone()), None, HEARTBEAT, 3);
        progress.step("first");
        drop(progress);
        assert_eq!(pattern(&buffer.text()), "[1/3] first ... stopped (T)\n");
    }

    #[test]
    fn a_running_line_fits_one_row_of_the_terminal() {
        let buffer = Buffer::default();
        let mut progress = Progress::new(Box::new(buffer.clone()), Some(30), HEARTBEAT, 1);
        progress.step("etcd + kube-apiserver, orders-service");
        drop(progress);
        let text = buffer.text();
        let running = text.split('\r').nth(1).expect("the running line");
        assert_eq!(running, "[1/1] etcd + kube-api… ... 0s");
        assert_eq!(running.chars().count(), 30 - 1);
        assert!(
            text.contains("kube-apiserver, orders-service ... stopped ("),
            "{text:?}"
        );
    }
}
