//! `promop manpage [--dir DIR]`: promop(1) and one page per command
//! (`promop-render.1`, ...), generated from the CLI's definition
//! (clap_mangen), with the EXIT STATUS of [`crate::exit_status`].
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap_mangen::Man;

use crate::exit_status;

#[derive(clap::Args)]
pub struct Args {
    /// Write promop.1 and one page per command (promop-render.1, ...) into
    /// DIR instead of printing promop(1) to stdout.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(args: &Args, command: clap::Command) -> anyhow::Result<()> {
    // Built once, so that each command knows its full name (promop-render).
    let mut root = command.disable_help_subcommand(true);
    root.build();
    let Some(dir) = &args.dir else {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(page(&root)?.as_bytes())
            .and_then(|()| out.flush())
            .context("writing the man page");
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let commands =
        std::iter::once(&root).chain(root.get_subcommands().filter(|c| !c.is_hide_set()));
    for command in commands {
        let file = dir.join(format!("{}.1", file_stem(command)));
        std::fs::write(&file, page(command)?)
            .with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(())
}

/// `promop`, `promop-render`, ...
fn file_stem(command: &clap::Command) -> String {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned()
}

/// The page of `command` in roff: clap_mangen's sections, with EXIT STATUS
/// (instead of the `--help`'s "Exit status:" text) before VERSION.
fn page(command: &clap::Command) -> anyhow::Result<String> {
    let codes = exit_status::of(command.get_name());
    let command = command.clone().after_long_help(None::<&str>);
    let mut roff = Vec::new();
    Man::new(command)
        .source(format!("promop {}", env!("CARGO_PKG_VERSION")))
        .render(&mut roff)
        .context("rendering the man page")?;
    let mut page = String::from_utf8(roff).context("the man page is not UTF-8")?;
    let section = exit_section(codes);
    match page.find("\n.SH VERSION") {
        Some(at) => page.insert_str(at + 1, &section),
        None => page.push_str(&section),
    }
    Ok(page)
}

fn exit_section(codes: &[(u8, &str)]) -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in codes {
        // Writing to a String cannot fail.
        let _ = write!(roff, ".TP\n\\fB{code}\\fR\n{}\n", escape(meaning));
    }
    roff
}

/// Text as roff reads it literally: backslashes and dashes escaped, no
/// line taken for a request.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_text_literal() {
        assert_eq!(escape("--strict"), "\\-\\-strict");
        assert_eq!(escape(r"a\b"), r"a\eb");
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("'quoted'"), "\\&'quoted'");
    }

    #[test]
    fn exit_section_has_one_tagged_paragraph_per_code() {
        let roff = exit_section(&[(0, "fine"), (2, "a usage error")]);
        assert_eq!(
            roff,
            ".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\nfine\n.TP\n\\fB2\\fR\na usage error\n"
        );
    }
}
