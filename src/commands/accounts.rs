//! `govwatch accounts import|check`: the new-media account registry (config/accounts.toml).

use super::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::cli::AccountsCmd;
use anyhow::{Result, anyhow};
use govwatch_config::{ConfigDir, check_accounts, import_accounts_csv, load_sites};

/// Runs `govwatch accounts …`.
pub(crate) fn cmd_accounts(cmd: AccountsCmd) -> Result<u8> {
    match cmd {
        AccountsCmd::Import { csv, config } => {
            let dir = ConfigDir::new(&config);
            let sites = load_sites(&dir.sites_path())?;
            let rep = import_accounts_csv(&csv, &dir.accounts_path(), &sites)?;
            for d in &rep.diagnostics {
                eprintln!("{d}");
            }
            outln!(
                "{}：新增 {a} 个，更新 {u} 个，未变 {n} 个，跳过 {s} 个 ({a} added, {u} updated, {n} unchanged, {s} skipped)",
                dir.accounts_path().display(),
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
        AccountsCmd::Check { config } => {
            let dir = ConfigDir::new(&config);
            let sites = load_sites(&dir.sites_path())?;
            let diags = check_accounts(&dir.accounts_path(), Some(&sites));
            for d in &diags {
                eprintln!("{d}");
            }
            if diags.is_empty() {
                let n = dir.accounts(&sites)?.len();
                outln!("{}：{n} 个账号，未发现问题", dir.accounts_path().display());
                Ok(EXIT_CLEAN)
            } else {
                Err(anyhow!(
                    "{p} 有 {n} 处问题",
                    n = diags.len(),
                    p = dir.accounts_path().display()
                ))
            }
        }
    }
}
