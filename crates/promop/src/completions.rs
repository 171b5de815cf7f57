//! `promop completions SHELL`: the shell completion script (clap_complete).
use std::io::Write;

use anyhow::Context;
use clap_complete::Shell;

/// `promop completions --help`: where each shell wants the script.
pub const LONG_ABOUT: &str = "\
Print the completion script of a shell to stdout.

  bash  source <(promop completions bash)        in ~/.bashrc, or save it as
        ~/.local/share/bash-completion/completions/promop
  zsh   promop completions zsh > DIR/_promop     DIR a directory of $fpath,
        before compinit runs
  fish  promop completions fish > ~/.config/fish/completions/promop.fish";

#[derive(clap::Args)]
pub struct Args {
    /// The shell to complete promop's commands and flags in.
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: &Args, mut command: clap::Command) -> anyhow::Result<()> {
    // Generated in memory: clap_complete panics on a failed write (a
    // closed pipe), an error here.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "promop", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("writing the completion script")
}
