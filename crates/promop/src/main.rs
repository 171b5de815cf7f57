//! `promop`: the Prometheus Operator's API, served by a Rust operator.
mod cluster;
mod color;
mod completions;
mod config_reloader;
mod crds;
mod exit_status;
mod explain;
mod lint;
mod manifests;
mod manpage;
mod render;
mod run;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "promop",
    version,
    about = "The Prometheus Operator's API, served in Rust"
)]
struct Cli {
    /// Never colour the output (also: NO_COLOR set and not empty). Colour
    /// is used only on a terminal.
    #[arg(long = "no-color", global = true)]
    no_color: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the CustomResourceDefinitions of monitoring.coreos.com as YAML.
    Crds(crds::Args),
    /// Print the Prometheus and Alertmanager configurations generated for manifests, offline.
    Render(Box<render::Args>),
    /// Explain which config objects each workload uses, and why the others are not used.
    Explain(explain::Args),
    /// Check manifests offline the way the operator checks objects (exit 1 on errors).
    #[command(long_about = lint::LONG_ABOUT)]
    Lint(lint::Args),
    /// Run the operator: reconcile Prometheus, PrometheusAgent and Alertmanager objects in the cluster.
    Run(run::Args),
    /// Keep a server's config file in sync and reload it (the reference's prometheus-config-reloader, plus a watch mode).
    #[command(long_about = config_reloader::LONG_ABOUT)]
    ConfigReloader(Box<config_reloader::Args>),
    /// Print the completion script of bash, zsh, fish, elvish or PowerShell.
    #[command(long_about = completions::LONG_ABOUT)]
    Completions(completions::Args),
    /// Print the man page promop(1), or write one page per command into a directory.
    Manpage(manpage::Args),
}

fn main() -> ExitCode {
    // Read before parsing: clap's own help and errors follow the flag too.
    let no_color = color::flag_given(std::env::args_os());
    let mut command = exit_status::documented(Cli::command()).color(color::clap_choice(no_color));
    let matches = command.clone().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut command).exit());
    if !matches!(cli.command, Command::Run(_) | Command::ConfigReloader(_)) {
        stop_quietly_on_closed_pipe();
    }
    let result = match cli.command {
        Command::Crds(args) => crds::run(&args).map(|()| 0),
        Command::Render(args) => render::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Lint(args) => lint::run(&args, color::stdout(cli.no_color)),
        Command::Run(args) => run::run(&args).map(|()| 0),
        Command::ConfigReloader(args) => config_reloader::run(*args),
        Command::Completions(args) => completions::run(&args, command).map(|()| 0),
        Command::Manpage(args) => manpage::run(&args, command).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("promop: {err:#}");
            // Input that cannot be used at all is told apart for CI gates.
            ExitCode::from(if manifests::is_unusable(&err) { 2 } else { 1 })
        }
    }
}

/// `promop render … | head` ends like any Unix filter when the reader goes
/// away, instead of panicking on the failed print (Rust ignores SIGPIPE).
/// Not for `run`, whose sockets must report closed peers as errors.
fn stop_quietly_on_closed_pipe() {
    // SAFETY: restores the default action of one signal before any thread
    // is started; no handler is installed.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
