//! What each command's exit status means: one table per command, shown in
//! its `--help` ("Exit status:", see [`documented`]) and in its man page
//! ("EXIT STATUS"). The
//! tables follow the code: `main` maps an error to 1 and unusable input
//! ([`crate::manifests::is_unusable`]) to 2; clap exits with 2 on a usage
//! error; `render`, `explain` and `lint` return their own 0 or 1.
use std::fmt::Write as _;

/// One exit code and when it is returned.
pub type Code = (u8, &'static str);

const USAGE: &str = "a usage error: an unknown flag, a missing or invalid argument";

/// `promop` itself, and the commands without a table of their own.
pub const TOP: &[Code] = &[
    (0, "success"),
    (
        1,
        "an error (a file that cannot be read or written, a server that cannot be reached), \
         or the negative answer of a command: render: a workload could not be rendered; \
         explain: no workload uses the object; lint: errors were found",
    ),
    (
        2,
        "a usage error, or input that cannot be used at all: YAML that does not parse \
         (or nests too deep, or whose aliases expand beyond the limits), a file over \
         --max-file-size, a symlink loop, text that is not UTF-8, an unknown kind of \
         monitoring.coreos.com, a named file that is not made of Kubernetes objects; \
         render: a name that would write outside --out-dir",
    ),
];

/// `crds`, `completions`, `manpage`: nothing to judge, only to write.
pub const PLAIN: &[Code] = &[
    (0, "success"),
    (1, "the output could not be written"),
    (2, USAGE),
];

pub const RENDER: &[Code] = &[
    (
        0,
        "every Prometheus, PrometheusAgent and Alertmanager of the input was rendered \
         (objects skipped as invalid do not count), or there was none",
    ),
    (
        1,
        "a workload could not be rendered (the others are still printed), \
         --prometheus or --alertmanager names no workload of the input, \
         or another error (a file that cannot be read or written, \
         -o name without --objects)",
    ),
    (
        2,
        "input that cannot be used: YAML that does not parse (or nests deeper than \
         64 levels, or whose aliases expand beyond the limits), a file over \
         --max-file-size, a symlink loop, text that is not UTF-8, an unknown kind of \
         monitoring.coreos.com, a named file that is not made of Kubernetes objects, \
         a namespace or name that would write outside --out-dir (nothing is written); \
         or a usage error",
    ),
];

pub const EXPLAIN: &[Code] = &[
    (0, "explained; with OBJECT: at least one workload uses it"),
    (
        1,
        "with OBJECT: no workload uses it (or it is not in the input); \
         a workload got no configuration; or an error (an OBJECT that does not parse, \
         a file or a cluster that cannot be read)",
    ),
    (
        2,
        "input that cannot be used (YAML that does not parse or is beyond the \
         limits, a file over --max-file-size, a symlink loop, text that is not \
         UTF-8, an unknown kind of monitoring.coreos.com, a named file that is not \
         made of Kubernetes objects), or a usage error",
    ),
];

pub const LINT: &[Code] = &[
    (0, "no errors (warnings alone do not fail, unless --strict)"),
    (1, "errors were found (or warnings, with --strict)"),
    (
        2,
        "some input cannot be used: not YAML (or beyond the limits), not Kubernetes \
         objects, unreadable, over --max-file-size, a symlink loop, not UTF-8 \
         (reported as findings; the rest is still checked); or a usage error",
    ),
];

pub const RUN: &[Code] = &[
    (
        0,
        "stopped by SIGTERM or SIGINT after finishing the running reconciles",
    ),
    (
        1,
        "could not start (no usable kubeconfig, TLS files that cannot be read, \
         a listen address that cannot be bound), or the Lease was lost (--leader-elect)",
    ),
    (
        2,
        "invalid flags: an unknown flag, a value that does not parse, flags that \
         contradict each other",
    ),
];

pub const CONFIG_RELOADER: &[Code] = &[
    (
        0,
        "stopped by SIGTERM or SIGINT; with --watch-interval=0, the output was written",
    ),
    (
        1,
        "could not start: the config file or a watched directory cannot be read, \
         the output cannot be written, the listen address cannot be bound, \
         no usable kubeconfig (watch mode)",
    ),
    (
        2,
        "invalid flags: an unknown flag, a value that does not parse; \
         a --web-config-file that cannot be read or used (as the reference)",
    ),
];

/// The table of a subcommand, by name.
pub fn of(command: &str) -> &'static [Code] {
    match command {
        "render" => RENDER,
        "explain" => EXPLAIN,
        "lint" => LINT,
        "run" => RUN,
        "config-reloader" => CONFIG_RELOADER,
        "" | "promop" => TOP,
        _ => PLAIN,
    }
}

/// `command` and each subcommand with its "Exit status:" after its long
/// help (`--help`, not `-h`).
pub fn documented(command: clap::Command) -> clap::Command {
    let top = help(of(command.get_name()));
    command.after_long_help(top).mut_subcommands(|sub| {
        let codes = help(of(sub.get_name()));
        sub.after_long_help(codes)
    })
}

/// The "Exit status:" section of a `--help`.
pub fn help(codes: &[(u8, &str)]) -> String {
    let mut text = String::from("Exit status:");
    for (code, meaning) in codes {
        // Writing to a String cannot fail.
        let _ = write!(text, "\n  {code}  {}", wrap(meaning, 72, "\n     "));
    }
    text
}

/// `text` in lines of at most `width` characters (longer words stay
/// whole), joined by `separator`.
fn wrap(text: &str, width: usize, separator: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines.join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_each_code_on_its_own_indented_lines() {
        let long = "word ".repeat(30);
        let text = help(&[(0, "fine"), (1, &long)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Exit status:");
        assert_eq!(lines[1], "  0  fine");
        assert!(lines[2].starts_with("  1  word word"));
        assert!(lines[3].starts_with("     word"), "{text}");
        assert!(lines.iter().all(|l| l.len() <= 77), "{text}");
    }

    #[test]
    fn every_table_has_success_and_usage_codes() {
        use clap::CommandFactory;
        let command = crate::Cli::command();
        let subcommands = command.get_subcommands().map(clap::Command::get_name);
        for name in std::iter::once("promop").chain(subcommands) {
            let codes: Vec<u8> = of(name).iter().map(|(c, _)| *c).collect();
            assert_eq!(codes, [0, 1, 2], "{name}");
        }
    }
}
