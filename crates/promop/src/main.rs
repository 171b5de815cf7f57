//! `promop`: the Prometheus Operator's API, served by a Rust operator.
mod crds;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Crds(args) => crds::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("promop: {err:#}");
            ExitCode::FAILURE
        }
    }
}
