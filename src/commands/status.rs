//! `govwatch status`: per site, the last sample, 7-day availability, last crawl, open warnings.

use super::{EXIT_CLEAN, EXIT_FINDINGS, load_rules, monitoring_time, pad};
use crate::cli::StatusArgs;
use anyhow::{Context, Result, anyhow};
use govwatch_config::{ConfigDir, load_sites};
use govwatch_store::Store;

/// Runs `govwatch status`.
pub(crate) fn cmd_status(a: StatusArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    let sites = load_sites(&dir.sites_path())?;
    if !a.db.exists() {
        return Err(anyhow!("{}: no such database", a.db.display()));
    }
    let store = Store::open(&a.db).with_context(|| format!("opening {}", a.db.display()))?;
    let rules = load_rules(&dir)?;
    let now = monitoring_time(a.as_of.as_deref())?;
    let rows = govwatch_daemon::status::status(&store, &sites, &rules.availability, now)?;
    let open: usize = rows.iter().map(|r| r.warnings.len()).sum();
    let code = if open > 0 { EXIT_FINDINGS } else { EXIT_CLEAN };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(code);
    }
    outln!(
        "{:<12} {} {:<27} {:<22} {:<22}  warnings",
        "site",
        pad("name", 24),
        "last sample",
        "failed (7 days)",
        "last crawl"
    );
    for r in &rows {
        let sample = match &r.last_sample {
            Some(s) => format!(
                "{} {}",
                s.at.get(..16).unwrap_or(&s.at).replace('T', " "),
                if s.ok { "ok" } else { "FAIL" }
            ),
            None => "-".into(),
        };
        let avail = match &r.availability {
            Some(v) => format!(
                "{:.2}% of {}{}{}",
                v.ratio * 100.0,
                v.samples,
                if v.complete { "" } else { " (partial)" },
                if v.unreachable { " VETO" } else { "" }
            ),
            None => "-".into(),
        };
        let crawl = match &r.last_crawl {
            Some(c) => format!(
                "run {} {}",
                c.run_id,
                c.finished_at.get(..10).unwrap_or(&c.finished_at)
            ),
            None => "-".into(),
        };
        let warns: Vec<&str> = r.warnings.iter().map(|w| w.code.as_str()).collect();
        outln!(
            "{:<12} {} {:<27} {:<22} {:<22}  {}",
            r.id,
            pad(&r.name, 24),
            sample,
            avail,
            crawl,
            if warns.is_empty() {
                "-".to_string()
            } else {
                warns.join(" ")
            }
        );
    }
    Ok(code)
}
