//! `govwatch media import-findings`: inspectors' findings on new-media accounts, from CSV.

use super::{EXIT_CLEAN, EXIT_FINDINGS, load_rules};
use crate::cli::MediaCmd;
use anyhow::{Context, Result};
use govwatch_config::{ConfigDir, load_sites};
use govwatch_store::Store;

/// Runs `govwatch media …`.
pub(crate) fn cmd_media(cmd: MediaCmd) -> Result<u8> {
    let MediaCmd::ImportFindings {
        csv,
        config,
        db,
        run,
    } = cmd;
    let dir = ConfigDir::new(&config);
    let sites = load_sites(&dir.sites_path())?;
    let accounts = dir.accounts(&sites)?;
    let rules = load_rules(&dir)?.media;
    let read = govwatch_config::read_manual_findings(&csv, &accounts, &rules.manual)?;
    for d in &read.diagnostics {
        eprintln!("{d}");
    }
    let mut store = Store::open(&db).with_context(|| format!("无法打开数据库 {}", db.display()))?;
    let done = govwatch_runner::media::import_findings(
        &mut store, &sites, &accounts, &read.rows, &rules, run,
    )?;
    let (zh_run, en_run) = match run {
        Some(r) => (
            format!("；{} 条加入第 {r} 次检查", done.added_to_run),
            format!("; {} added to run {r}", done.added_to_run),
        ),
        None => (String::new(), String::new()),
    };
    outln!(
        "{}：新记录 {new} 条，已有 {known} 条，跳过 {skipped} 条{zh_run} ({new} new, {known} already stored, {skipped} skipped{en_run})",
        csv.display(),
        new = done.stored,
        known = done.known,
        skipped = read.diagnostics.len(),
    );
    Ok(if read.diagnostics.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}
