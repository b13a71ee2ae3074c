//! `govwatch sites import|check`: the site registry (config/sites.toml).

use super::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::cli::SitesCmd;
use anyhow::{Result, anyhow};
use govwatch_config::{ConfigDir, check_sites, import_csv, load_sites};

/// Runs `govwatch sites …`.
pub(crate) fn cmd_sites(cmd: SitesCmd) -> Result<u8> {
    match cmd {
        SitesCmd::Import { csv, config } => {
            let dir = ConfigDir::new(&config);
            let rep = import_csv(&csv, &dir.sites_path())?;
            for d in &rep.diagnostics {
                eprintln!("{d}");
            }
            outln!(
                "{}：新增 {a} 个，更新 {u} 个，未变 {n} 个，跳过 {s} 个 ({a} added, {u} updated, {n} unchanged, {s} skipped)",
                dir.sites_path().display(),
                a = rep.added,
                u = rep.updated,
                n = rep.unchanged,
                s = rep.skipped
            );
            Ok(if rep.diagnostics.is_empty() {
                EXIT_CLEAN
            } else {
                EXIT_FINDINGS
            })
        }
        SitesCmd::Check { config } => {
            let dir = ConfigDir::new(&config);
            let diags = check_sites(&dir.sites_path());
            for d in &diags {
                eprintln!("{d}");
            }
            if diags.is_empty() {
                let n = load_sites(&dir.sites_path())?.len();
                outln!("{}：{n} 个网站，未发现问题", dir.sites_path().display());
                Ok(EXIT_CLEAN)
            } else {
                Err(anyhow!(
                    "{p} 有 {n} 处问题",
                    n = diags.len(),
                    p = dir.sites_path().display()
                ))
            }
        }
    }
}
