//! `govwatch`: parsing, dispatch and the exit code only; each subcommand is a module of
//! [`commands`], its flags are in [`cli`], and the work is done by the crates under `crates/`.
//!
//! Exit codes: 0 ran, nothing found (or only `info` findings); 1 ran, findings present; 2 could not run; 3 interrupted
//! (the run can be resumed with `govwatch run --resume`).

/// Prints a line to stdout; a closed pipe (`govwatch probe … | head`) is not an error. Control
/// characters (what a hostile site's title or excerpt may carry: ESC sequences, bidirectional
/// overrides) are written escaped, never sent to the terminal.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write;
        let line = format!($($t)*);
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            govwatch_config::text::for_terminal(&line)
        );
    }};
}

mod cli;
mod commands;
mod progress;

/// jemalloc instead of the system allocator: with glibc's malloc a night of 1,000 sites kept
/// 1.5 GB resident for about 70 MB of live heap (freed memory stayed with the threads that had
/// used it); jemalloc hands freed pages back (`crawl.toml` `memory_budget_mb` is about resident
/// memory, so the allocator must not hoard it).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use anyhow::Result;
use clap::Parser;
use cli::{Cli, Cmd};
use commands::EXIT_FAILED;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info,govwatch=info",
        _ => {
            "debug,hyper=info,h2=info,rustls=info,hickory_proto=info,hickory_net=info,hickory_resolver=info"
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        // colours only for a person at a terminal, never into a pipe or a log file
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("govwatch：无法启动运行环境（{e}）");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match rt.block_on(dispatch(cli.cmd, cli.verbose)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!(
                "govwatch：{}",
                govwatch_config::text::for_terminal(&error_text(&e))
            );
            ExitCode::from(EXIT_FAILED)
        }
    }
}

async fn dispatch(cmd: Cmd, verbose: u8) -> Result<u8> {
    match cmd {
        Cmd::Run(a) => commands::run::cmd_run(a).await,
        Cmd::Probe(a) => commands::probe::cmd_probe(a, verbose).await,
        Cmd::Sites { cmd } => commands::sites::cmd_sites(cmd),
        Cmd::Accounts { cmd } => commands::accounts::cmd_accounts(cmd),
        Cmd::Media { cmd } => commands::media::cmd_media(cmd),
        Cmd::Demo(a) => commands::demo::cmd_demo(a).await,
        Cmd::Daemon(a) => commands::daemon::cmd_daemon(a).await,
        Cmd::Status(a) => commands::status::cmd_status(a),
        Cmd::Score(a) => commands::score::cmd_score(a),
        Cmd::Report(a) => commands::report::cmd_report(a),
        Cmd::Serve(a) => commands::serve::cmd_serve(a).await,
        Cmd::Merge(a) => commands::merge::cmd_merge(a),
        Cmd::Init(a) => commands::init::cmd_init(a),
        Cmd::Codes(a) => commands::codes::cmd_codes(a),
        Cmd::Findings(a) => commands::findings::cmd_findings(a),
        Cmd::Show(a) => commands::findings::cmd_show(a),
        Cmd::Review(a) => commands::review::cmd_review(a),
    }
}

/// The error and its causes: the first in words, each cause after it in parentheses (the raw
/// words of a library, kept as evidence), a cause left out when the text before already says it
/// (many errors print their source in their own message, so `{:#}` would repeat the OS error).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if text.is_empty() {
            text.push_str(&c);
        } else {
            text.push_str(&format!("（{c}）"));
        }
    }
    text
}
