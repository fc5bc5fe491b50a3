//! The `tertulia` command: one binary for the server and its tools.

mod ot_lines;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

// The server allocates many small short-lived buffers per op (messages,
// JSON values, queue nodes); glibc's allocator was ~14% of its profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tertulia: video rooms with shared elements kept in sync by OT.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: web client, rooms and document sync on one port.
    Serve(Box<server::ServeConfig>),
    /// Read json0 requests as JSON lines on stdin and answer each with one
    /// JSON line on stdout (see README, "The OT line interface").
    Ot,
}

/// Parses the command line; for `serve --config <file>`, parses again with
/// the file's settings appended as flags where neither a flag nor an
/// environment variable gave them.
fn parse_cli() -> anyhow::Result<Cli> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cmd = Cli::command();
    let matches = cmd.clone().get_matches_from(&args);
    if let Some(("serve", serve_matches)) = matches.subcommand()
        && let Some(path) = serve_matches.get_one::<std::path::PathBuf>("config")
    {
        let serve = cmd
            .find_subcommand("serve")
            .expect("the serve subcommand exists");
        args.extend(server::config::config_file_args(
            serve,
            serve_matches,
            path,
        )?);
        let matches = cmd.get_matches_from(args);
        return Ok(Cli::from_arg_matches(&matches)?);
    }
    Ok(Cli::from_arg_matches(&matches)?)
}

fn main() -> anyhow::Result<()> {
    match parse_cli()?.command {
        Command::Serve(config) => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
                )
                .with_writer(std::io::stderr)
                .init();
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(config.worker_threads(cores))
                .enable_all()
                .build()?
                .block_on(server::serve(*config))
        }
        Command::Ot => ot_lines::run(std::io::stdin().lock(), std::io::stdout().lock()),
    }
}
