//! When promop colours its output: only on a terminal, never with the
//! global `--no-color` flag, a non-empty `NO_COLOR` (<https://no-color.org>),
//! or `TERM` unset or `dumb`. What is coloured: clap's help and usage errors, and the
//! severity of `promop lint`'s findings. `promop run`'s logs never are
//! (logfmt and JSON are read by machines, like the reference's).
use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;

/// The global flag, also read before clap parses the arguments so that
/// clap's own help and errors follow it.
pub const NO_COLOR_FLAG: &str = "--no-color";

/// Whether `--no-color` is among the arguments (the program name first;
/// nothing after `--` counts).
pub fn flag_given(args: impl IntoIterator<Item = OsString>) -> bool {
    args.into_iter()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == NO_COLOR_FLAG)
}

/// Colour is refused whatever the stream: the flag, `NO_COLOR` set and not
/// empty, or no terminal type (`TERM` unset or `dumb`), as clap's and
/// ripgrep's detection refuse it.
pub fn refused(flag: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    flag || no_color.is_some_and(|v| !v.is_empty()) || term.is_none_or(|t| t == "dumb")
}

/// The decision for one stream: a terminal, and colour not [`refused`].
pub fn decide(flag: bool, no_color: Option<&OsStr>, term: Option<&OsStr>, terminal: bool) -> bool {
    terminal && !refused(flag, no_color, term)
}

/// Whether to colour stdout, from the environment.
pub fn stdout(flag: bool) -> bool {
    let (no_color, term) = (std::env::var_os("NO_COLOR"), std::env::var_os("TERM"));
    decide(
        flag,
        no_color.as_deref(),
        term.as_deref(),
        std::io::stdout().is_terminal(),
    )
}

/// clap's setting for its help and errors: never when refused, else its
/// own detection per stream (which honours the same variables).
pub fn clap_choice(flag: bool) -> clap::ColorChoice {
    let (no_color, term) = (std::env::var_os("NO_COLOR"), std::env::var_os("TERM"));
    if refused(flag, no_color.as_deref(), term.as_deref()) {
        clap::ColorChoice::Never
    } else {
        clap::ColorChoice::Auto
    }
}

/// Bold red (errors) and bold yellow (warnings).
#[derive(Clone, Copy)]
pub enum Paint {
    Red,
    Yellow,
}

impl Paint {
    /// `text` wrapped in this colour's escape sequences.
    pub fn apply(self, text: &str) -> String {
        let code = match self {
            Paint::Red => "1;31",
            Paint::Yellow => "1;33",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> OsString {
        OsString::from(s)
    }

    #[test]
    fn colour_only_on_a_terminal_without_a_refusal() {
        let xterm = Some(OsStr::new("xterm-256color"));
        assert!(decide(false, None, xterm, true));
        assert!(!decide(false, None, None, true), "no TERM");
        assert!(!decide(false, None, xterm, false), "not a terminal");
        assert!(!decide(true, None, xterm, true), "--no-color");
        assert!(!decide(false, Some(OsStr::new("1")), xterm, true));
        assert!(
            !decide(false, Some(OsStr::new("0")), xterm, true),
            "any value"
        );
        assert!(
            decide(false, Some(OsStr::new("")), xterm, true),
            "NO_COLOR set but empty does not refuse"
        );
        assert!(!decide(false, None, Some(OsStr::new("dumb")), true));
    }

    #[test]
    fn the_flag_counts_before_a_double_dash_only() {
        let args = |list: &[&str]| list.iter().map(|a| os(a)).collect::<Vec<_>>();
        assert!(flag_given(args(&["promop", "--no-color", "lint"])));
        assert!(flag_given(args(&[
            "promop",
            "lint",
            "-f",
            "x",
            "--no-color"
        ])));
        assert!(!flag_given(args(&["promop", "lint", "-f", "x"])));
        assert!(!flag_given(args(&[
            "promop",
            "explain",
            "--",
            "--no-color"
        ])));
        assert!(!flag_given(args(&["--no-color"])), "the program name");
    }

    #[test]
    fn paint_wraps_and_resets() {
        assert_eq!(Paint::Red.apply("error"), "\x1b[1;31merror\x1b[0m");
        assert_eq!(Paint::Yellow.apply("warning"), "\x1b[1;33mwarning\x1b[0m");
    }
}
