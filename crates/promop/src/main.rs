//! `promop`: the Prometheus Operator's API, served by a Rust operator.
mod crds;
mod explain;
mod lint;
mod manifests;
mod render;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "promop",
    version,
    about = "The Prometheus Operator's API, served in Rust"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the CustomResourceDefinitions of monitoring.coreos.com as YAML.
    Crds(crds::Args),
    /// Print the Prometheus and Alertmanager configurations generated for manifests, offline.
    Render(render::Args),
    /// Explain which config objects each workload uses, and why the others are not used.
    Explain(explain::Args),
    /// Check manifests offline the way the operator checks objects (exit 1 on errors).
    #[command(long_about = lint::LONG_ABOUT)]
    Lint(lint::Args),
    /// Run the operator: reconcile Prometheus, PrometheusAgent and Alertmanager objects in the cluster.
    Run(run::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Crds(args) => crds::run(&args).map(|()| 0),
        Command::Render(args) => render::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Run(args) => run::run(&args).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("promop: {err:#}");
            // Input that cannot be used at all is told apart for CI gates.
            let unusable = err.downcast_ref::<manifests::UnusableInput>().is_some();
            ExitCode::from(if unusable { 2 } else { 1 })
        }
    }
}
