//! The nightly job's new-media part: after the sites, every registered account's feed is read by
//! the same crawler (so politeness holds across sites and feeds), judged by the media probe, and
//! the account's result committed in one transaction through the store's writer thread, like a
//! site's. A resumed run reads only the accounts it has not recorded yet.
//!
//! - [`inspect_account`]: one account, start to finish, nothing stored.
//! - [`accounts_of_run`]: the registered accounts whose site the run inspects.
//! - [`run_accounts`]: many accounts, in parallel, written as they finish.
//! - [`summary_lines`]: what `govwatch run` prints about a run's accounts.

use futures::StreamExt;
use govwatch_config::ProbeRules;
use govwatch_crawler::Crawler;
use govwatch_model::{Account, AccountResult, ManualFinding, Severity, Site, Timestamp};
use govwatch_probes::media::Media;
use govwatch_store::{Store, StoreError, StoreWriter};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Reads one account's feed and judges it (nothing stored). `registry` is every registered
/// account (the one-account-per-platform rule); `manual` the stored inspectors' observations.
pub async fn inspect_account(
    crawler: &Crawler,
    account: &Account,
    registry: &[Account],
    manual: &[ManualFinding],
    as_of: Timestamp,
    rules: &ProbeRules,
) -> AccountResult {
    let started_at = crawler.now();
    let mut feed = crawler.read_feed(&account.feed).await;
    let probe = Media::new(rules.media.clone(), rules.interaction.ads.clone());
    let mut out = probe.inspect(account, &mut feed, registry, manual, as_of);
    // 严重表述错误 in the posts, as on the pages
    let wording = govwatch_probes::wording::Wording::new(&rules.wording);
    out.findings.extend(wording.posts(account, &feed, as_of));
    AccountResult {
        account: account.clone(),
        started_at,
        finished_at: crawler.now(),
        feed,
        facts: out.facts,
        findings: out.findings,
    }
}

/// The accounts of `registry` that belong to one of `sites` (a run over some sites reads their
/// accounts only).
pub fn accounts_of_run(registry: &[Account], sites: &[Site]) -> Vec<Account> {
    let ids: HashSet<&str> = sites.iter().map(|s| s.id.as_str()).collect();
    registry
        .iter()
        .filter(|a| ids.contains(a.site.as_str()))
        .cloned()
        .collect()
}

/// What the account part of a run did.
#[derive(Debug, Default)]
pub struct AccountsDone {
    /// Accounts committed by this invocation.
    pub accounts: usize,
    pub findings: usize,
    /// Stopped before every account was read.
    pub interrupted: bool,
    pub error: Option<StoreError>,
}

/// Reads and writes `todo` (accounts not yet recorded for the run), `concurrency` at a time,
/// until done or `stop` resolves.
#[allow(clippy::too_many_arguments)]
pub async fn run_accounts<S: Future<Output = ()>>(
    crawler: &Arc<Crawler>,
    writer: &StoreWriter,
    run_id: i64,
    todo: Vec<Account>,
    registry: &[Account],
    manual: &[ManualFinding],
    as_of: Timestamp,
    rules: &ProbeRules,
    stop: &mut Pin<&mut S>,
) -> AccountsDone {
    let concurrency = crawler.settings().site_concurrency.max(1) as usize;
    let mut results = futures::stream::iter(todo)
        .map(|account| {
            let crawler = crawler.clone();
            let writer = writer.clone();
            async move {
                let r = inspect_account(&crawler, &account, registry, manual, as_of, rules).await;
                let findings = r.findings.len();
                writer.write_account(run_id, r).await.map(|_| findings)
            }
        })
        .buffer_unordered(concurrency);
    let mut done = AccountsDone::default();
    loop {
        tokio::select! {
            next = results.next() => match next {
                None => break,
                Some(Ok(f)) => {
                    done.accounts += 1;
                    done.findings += f;
                }
                Some(Err(e)) => {
                    tracing::error!(error = %e, "could not store an account's result");
                    done.error.get_or_insert(e);
                }
            },
            _ = stop.as_mut() => {
                tracing::warn!(run_id, "stop requested: abandoning accounts in flight; committed accounts are kept");
                done.interrupted = true;
                break;
            }
        }
    }
    done
}

/// Lines `govwatch run` prints about the run's accounts: one per account (key, platform, name,
/// measured or not, findings by code), and how many findings cost something (veto, deduct, warn).
pub fn summary_lines(store: &Store, run_id: i64) -> Result<(Vec<String>, u64), StoreError> {
    let accounts = store.run_accounts(run_id)?;
    if accounts.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let findings = store.account_findings(run_id)?;
    let mut lines = vec![format!(
        "第 {run_id} 次检查：政务新媒体账号 {n} 个 (run {run_id}: {n} new-media accounts)",
        n = accounts.len()
    )];
    let mut serious = 0;
    for a in &accounts {
        let mut codes: std::collections::BTreeMap<&str, usize> = Default::default();
        for f in findings.iter().filter(|f| f.account_key == a.key) {
            *codes.entry(f.stored.finding.code.as_str()).or_insert(0) += 1;
            if f.stored.finding.severity != Severity::Info {
                serious += 1;
            }
        }
        let codes: Vec<String> = codes.iter().map(|(c, n)| format!("{c}×{n}")).collect();
        lines.push(format!(
            "{:<28} {:<10} {:<20} {:>5} 条  {}  {}",
            a.key,
            a.platform_zh(),
            a.name,
            a.posts,
            if a.measured {
                "已监测"
            } else {
                "未监测 (NOT MEASURED)"
            },
            codes.join(" ")
        ));
    }
    Ok((lines, serious))
}

/// What [`import_findings`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportedFindings {
    /// Observations new to the store.
    pub stored: usize,
    /// Observations already stored.
    pub known: usize,
    /// Findings added to the run given (when one was).
    pub added_to_run: usize,
}

/// Stores inspectors' observations (recording the site and account registries first, so they
/// can refer to them), and, with `run`, adds them at once to that run's accounts — the run's
/// monitoring time decides which observations count, as it does for a run started afterwards.
pub fn import_findings(
    store: &mut Store,
    sites: &[Site],
    registry: &[Account],
    rows: &[ManualFinding],
    rules: &govwatch_config::MediaRules,
    run: Option<i64>,
) -> Result<ImportedFindings, StoreError> {
    store.upsert_sites(sites)?;
    store.upsert_accounts(registry)?;
    let stored = store.import_manual_findings(rows)?;
    let mut out = ImportedFindings {
        stored,
        known: rows.len() - stored,
        added_to_run: 0,
    };
    let Some(run_id) = run else {
        return Ok(out);
    };
    let row = store.run(run_id)?.ok_or(StoreError::UnknownRun {
        path: store.path().to_path_buf(),
        run_id,
    })?;
    let as_of = govwatch_store::parse_time(&row.as_of)?;
    let manual = store.manual_findings()?;
    for a in store.run_accounts(run_id)? {
        let Some(account) = registry.iter().find(|r| r.key() == a.key) else {
            continue;
        };
        let findings =
            govwatch_probes::media::manual::findings(&rules.manual, account, &manual, as_of);
        if !findings.is_empty() {
            out.added_to_run += store.add_account_findings(run_id, &a.key, &findings)?;
        }
    }
    Ok(out)
}
