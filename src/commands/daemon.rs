//! `govwatch daemon`: hourly samples, the nightly crawl and early warnings until SIGTERM or Ctrl-C.

use super::{EXIT_CLEAN, load_rules, stop_signal};
use crate::cli::DaemonArgs;
use anyhow::Result;
use govwatch_config::{ConfigDir, load_daemon_config, load_warning_config};

/// Runs `govwatch daemon`.
pub(crate) async fn cmd_daemon(a: DaemonArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    // the configuration's errors name their file and line themselves
    let (sites, settings) = dir.load()?;
    settings.validate()?;
    let accounts = dir.accounts(&sites)?;
    let setup = govwatch_daemon::DaemonSetup {
        sites,
        accounts,
        settings,
        rules: load_rules(&dir)?,
        rules_sha256: govwatch_runner::settings::rules_digest(&dir)?,
        config: load_daemon_config(&dir.daemon_path())?,
        warnings: load_warning_config(&dir.warnings_path())?,
        db: a.db,
    };
    let daemon = govwatch_daemon::Daemon::new(setup)?;
    let report = daemon.run(stop_signal()).await?;
    eprintln!(
        "govwatch daemon 已停止：保存采样 {} 次，完成每晚检查 {} 次，放弃采样 {} 次",
        report.samples,
        report.nightly_runs.len(),
        report.abandoned
    );
    Ok(EXIT_CLEAN)
}
