//! The `tertulia` command: one binary for the server and its tools.

mod ot_lines;

use clap::{Parser, Subcommand};

/// Tertulia: video rooms with shared elements kept in sync by OT.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read json0 requests as JSON lines on stdin and answer each with one
    /// JSON line on stdout (see README, "The OT line interface").
    Ot,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ot => ot_lines::run(std::io::stdin().lock(), std::io::stdout().lock()),
    }
}
