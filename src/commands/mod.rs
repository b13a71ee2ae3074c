//! One module per subcommand (`govwatch <verb>`), each with the printers of its output, like
//! lychee-bin's `commands/`. This module holds what several of them share: the exit codes, the
//! monitoring time of `--as-of`, the stop signal, the probe rules, the default run and padding
//! for tables with Chinese text.

pub(crate) mod accounts;
pub(crate) mod codes;
pub(crate) mod daemon;
pub(crate) mod demo;
pub(crate) mod findings;
pub(crate) mod init;
pub(crate) mod media;
pub(crate) mod merge;
pub(crate) mod probe;
pub(crate) mod report;
pub(crate) mod review;
pub(crate) mod run;
pub(crate) mod score;
pub(crate) mod serve;
pub(crate) mod sites;
pub(crate) mod status;

use anyhow::{Result, anyhow};
use govwatch_config::ConfigDir;
use govwatch_model::Timestamp;
use govwatch_store::Store;

/// Ran; nothing found (or only `info` findings).
pub(crate) const EXIT_CLEAN: u8 = 0;
/// Ran; findings present.
pub(crate) const EXIT_FINDINGS: u8 = 1;
/// Could not run.
pub(crate) const EXIT_FAILED: u8 = 2;
/// Interrupted; `govwatch run --resume` continues the run.
pub(crate) const EXIT_INTERRUPTED: u8 = 3;

/// `--as-of` as a monitoring time: dates without a zone are China time (+08:00); absent, now in
/// China time to the second.
pub(crate) fn monitoring_time(s: Option<&str>) -> Result<Timestamp> {
    match s {
        Some(s) => Ok(govwatch_model::time::parse_as_of(s)?),
        None => Ok(govwatch_model::time::china_now()),
    }
}

/// Resolves when Ctrl-C or SIGTERM arrives.
pub(crate) fn stop_signal() -> impl std::future::Future<Output = ()> {
    // the handlers are installed now, when the command asks for them, not when the future is
    // first polled: a SIGTERM that comes right after the start line is a clean stop, not a kill
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The probe rules of a configuration directory; the rule files it lacks are read as the shipped
/// ones, said once on stderr ([`govwatch_config::shipped::missing_rules_note`]), as
/// [`score_rules`] says it for `indicators.toml`.
pub(crate) fn load_rules(dir: &ConfigDir) -> Result<govwatch_runner::ProbeRules> {
    static SAID: std::sync::Once = std::sync::Once::new();
    let rules = dir.probe_rules()?;
    let missing = dir.missing_rule_files();
    if !missing.is_empty() {
        SAID.call_once(|| {
            eprintln!(
                "{}",
                govwatch_config::shipped::missing_rules_note(&dir.root, &missing)
            );
        });
    }
    Ok(rules)
}

/// The newest finished run `pick` accepts (an error naming the database when none does).
pub(crate) fn newest_run(
    store: &Store,
    pick: impl Fn(&govwatch_store::RunRow) -> bool,
) -> Result<i64> {
    store
        .newest_finished_run(pick)?
        .ok_or_else(|| anyhow!("{} 中没有符合条件的已完成检查", store.path().display()))
}

/// `db` if it exists; otherwise an error saying there is no database there (and how to make one),
/// before anything opens it, so a command that only reads never leaves an empty database behind.
pub(crate) fn existing_db(db: &std::path::Path) -> Result<&std::path::Path> {
    if db.is_file() {
        return Ok(db);
    }
    Err(anyhow!(
        "{}：没有数据库。请先运行 `govwatch run` 或 `govwatch demo`，或用 --db FILE 指定数据库",
        db.display()
    ))
}

/// The scoring rules of `config/indicators.toml`, or the shipped rules when the file is missing
/// (e.g. in the demo's folder, which has no `config/`), said once on stderr
/// ([`govwatch_config::shipped::missing_note`], the words `serve` uses too).
pub(crate) fn score_rules(config: &std::path::Path) -> Result<govwatch_score::Rules> {
    let (rules, shipped) = govwatch_score::rules_in(config)?;
    if shipped {
        eprintln!(
            "{}",
            govwatch_config::shipped::missing_note(&config.join(govwatch_score::INDICATORS_FILE))
        );
    }
    Ok(rules)
}

/// A severity as people read it: 单项否决, 扣分, 警示, 提示 (the one word of docs/glossary.md).
pub(crate) fn severity_zh(s: govwatch_model::Severity) -> &'static str {
    s.zh()
}

/// Pads to a display width, counting CJK characters as two terminal columns.
pub(crate) fn pad(s: &str, width: usize) -> String {
    let w: usize = s
        .chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}
