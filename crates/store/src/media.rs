//! Government new-media accounts in the store: the registry (`accounts`), each account's result
//! of a run written in one transaction (its feed fetch in `fetches`, the feed body in `bodies` and
//! `pages`, its `posts`, facts and findings with `account_key` set, and the `run_accounts` row,
//! written last), and inspectors' observations (`manual_findings`).
//!
//! Site queries ([`Store::findings`], [`Store::facts`], [`Store::run_summary`]) leave account rows
//! out; [`Store::account_findings`] and [`Store::account_facts`] read them.

use crate::error::{Result, StoreError};
use crate::{
    FACT_COLUMNS, FINDING_COLUMNS, RawFact, RawFinding, Store, StoredFact, StoredFinding,
    insert_fetch, now, parse_ts, store_body, to_i64,
};
use chrono::NaiveDate;
use govwatch_model::{
    Account, AccountResult, CharsetSource, Fact, Finding, ManualFinding, Platform, Post,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// How many characters of a post's text the `posts` table keeps (the whole feed is archived).
pub const POST_EXCERPT_CHARS: usize = 500;

/// The media probe's fact that an account was not measured; `run_accounts.measured` follows it.
const NOT_MEASURED_FACT: &str = "media.not_measured";

/// An account a run inspected, with its registry entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRunRow {
    /// `platform:id`.
    pub key: String,
    pub platform: String,
    pub account_id: String,
    pub name: String,
    pub org: String,
    pub region: String,
    pub site_id: String,
    pub feed: String,
    /// Whether the account was measured: its feed was read and the media probe stated no
    /// `media.not_measured` (posts all dated after the monitoring time, say).
    pub measured: bool,
    pub posts: u64,
    pub findings: u64,
}

impl AccountRunRow {
    /// The platform's name as reports print it (微博, 微信公众号 …).
    pub fn platform_zh(&self) -> &'static str {
        Platform::parse(&self.platform)
            .map(Platform::name_zh)
            .unwrap_or("其他")
    }
}

/// A finding of a new-media account read back from the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAccountFinding {
    /// The account's key.
    pub account_key: String,
    /// The finding, with `site_id` the site the account belongs to.
    pub stored: StoredFinding,
}

/// A fact of a new-media account read back from the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAccountFact {
    pub account_key: String,
    pub stored: StoredFact,
}

fn upsert_account(tx: &Transaction<'_>, a: &Account, now: &str) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO accounts (key, platform, account_id, name, org, region, site_id, feed, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (key) DO UPDATE SET
             name = excluded.name, org = excluded.org, region = excluded.region,
             site_id = excluded.site_id, feed = excluded.feed, updated_at = excluded.updated_at",
    )?;
    stmt.execute(params![
        a.key(),
        a.platform.as_str(),
        a.id,
        a.name,
        a.org,
        a.region,
        a.site,
        a.feed.as_str(),
        now
    ])?;
    Ok(())
}

fn require_site(tx: &Connection, site_id: &str) -> Result<()> {
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sites WHERE id = ?1)",
        params![site_id],
        |r| r.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::unknown_site(site_id))
    }
}

fn require_run_exists(tx: &Connection, run_id: i64) -> Result<()> {
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)",
        params![run_id],
        |r| r.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::unknown_run(run_id))
    }
}

fn insert_facts(
    tx: &Transaction<'_>,
    run_id: i64,
    site_id: &str,
    key: &str,
    facts: &[Fact],
) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO facts (run_id, site_id, probe, code, url, value, observed_at, account_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for f in facts {
        stmt.execute(params![
            run_id,
            site_id,
            f.probe,
            f.code,
            f.url,
            serde_json::to_string(&f.value)?,
            f.observed_at.to_rfc3339(),
            key
        ])?;
    }
    Ok(())
}

fn insert_findings(
    tx: &Transaction<'_>,
    run_id: i64,
    site_id: &str,
    key: &str,
    findings: &[Finding],
) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO findings (run_id, site_id, probe, code, severity, url, value, message, evidence,
             observed_at, account_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for f in findings {
        stmt.execute(params![
            run_id,
            site_id,
            f.probe,
            f.code,
            f.severity.as_str(),
            f.url,
            serde_json::to_string(&f.value)?,
            f.message,
            serde_json::to_string(&f.evidence)?,
            f.observed_at.to_rfc3339(),
            key
        ])?;
    }
    Ok(())
}

fn excerpt(text: &str) -> String {
    if text.chars().count() <= POST_EXCERPT_CHARS {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(POST_EXCERPT_CHARS).collect();
        s.push('…');
        s
    }
}

/// The write path of [`Store::write_account_result`]; `Ok(false)` when already recorded.
fn write_account(conn: &mut Connection, run_id: i64, r: &AccountResult) -> Result<bool> {
    let key = r.account.key();
    let site_id = r.account.site.as_str();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    crate::results::check_run_open(&tx, run_id)?;
    let done: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM run_accounts WHERE run_id = ?1 AND account_key = ?2)",
        params![run_id, key],
        |r| r.get(0),
    )?;
    if done {
        return Ok(false);
    }
    require_site(&tx, site_id)?;
    upsert_account(&tx, &r.account, &now())?;
    let mut fetch_ids = Vec::new();
    for f in &r.feed.fetches {
        let redirects = serde_json::to_string(&f.redirects)?;
        let id = insert_fetch(&tx, run_id, site_id, f, &redirects)?;
        tx.execute(
            "UPDATE fetches SET account_key = ?2 WHERE id = ?1",
            params![id, key],
        )?;
        fetch_ids.push((f, id));
    }
    if let Some(page) = &r.feed.page {
        let fetch_id = fetch_ids
            .iter()
            .rev()
            .find(|(f, _)| **f == page.fetch)
            .map(|(_, id)| *id);
        let fetch_id = match fetch_id {
            Some(id) => id,
            None => {
                let redirects = serde_json::to_string(&page.fetch.redirects)?;
                let id = insert_fetch(&tx, run_id, site_id, &page.fetch, &redirects)?;
                tx.execute(
                    "UPDATE fetches SET account_key = ?2 WHERE id = ?1",
                    params![id, key],
                )?;
                id
            }
        };
        let body_hash = store_body(&tx, page)?;
        tx.execute(
            "INSERT INTO pages (run_id, site_id, fetch_id, url, final_url, depth, status, title, charset,
                 charset_source, is_html, body_hash, links, account_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, '[]', ?13)",
            params![
                run_id,
                site_id,
                fetch_id,
                page.fetch.url,
                page.fetch.final_url,
                page.depth,
                page.fetch.status,
                page.title,
                page.charset,
                page.charset_source.map(CharsetSource::as_str),
                page.is_html,
                body_hash,
                key
            ],
        )?;
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO posts (run_id, account_key, guid, link, title, published, published_ms,
                 repost, excerpt, links, categories)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for p in &r.feed.posts {
            stmt.execute(params![
                run_id,
                key,
                p.id,
                p.link,
                p.title,
                p.published.map(|t| t.to_rfc3339()),
                p.published.map(|t| t.timestamp_millis()),
                p.repost,
                excerpt(&p.text),
                serde_json::to_string(&p.links)?,
                serde_json::to_string(&p.categories)?,
            ])?;
        }
    }
    insert_facts(&tx, run_id, site_id, &key, &r.facts)?;
    insert_findings(&tx, run_id, site_id, &key, &r.findings)?;
    crate::reviews::inherit_dismissals(&tx, run_id, Some(site_id))?;
    tx.execute(
        "INSERT INTO run_accounts (run_id, account_key, measured, started_at, finished_at, posts, findings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            run_id,
            key,
            r.feed.measured() && !r.facts.iter().any(|f| f.code == NOT_MEASURED_FACT),
            r.started_at.to_rfc3339(),
            r.finished_at.to_rfc3339(),
            to_i64(r.feed.posts.len() as u64),
            to_i64(r.findings.len() as u64),
        ],
    )?;
    tx.commit()?;
    Ok(true)
}

impl Store {
    /// Records the account registry (inserts new accounts, updates changed ones; never deletes).
    /// Every account's site must be recorded already.
    pub fn upsert_accounts(&mut self, accounts: &[Account]) -> Result<()> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = now();
            for a in accounts {
                require_site(&tx, &a.site)?;
                upsert_account(&tx, a, &now)?;
            }
            tx.commit()?;
            Ok(())
        })();
        self.ctx(r)
    }

    /// Writes everything one run learned about one account in ONE transaction (the feed's
    /// fetches, its archived body, posts, facts, findings, and the `run_accounts` row last). An
    /// account already recorded for the run is left alone (a resumed run never duplicates rows).
    pub fn write_account_result(&mut self, run_id: i64, result: &AccountResult) -> Result<()> {
        let r = write_account(&mut self.conn, run_id, result);
        match self.ctx(r)? {
            true => {
                tracing::debug!(run_id, account = %result.account.key(), "account result written")
            }
            false => tracing::debug!(run_id, account = %result.account.key(),
                "account already recorded for the run, skipped"),
        }
        Ok(())
    }

    /// Keys of the accounts whose result is committed for the run.
    pub fn accounts_done(&self, run_id: i64) -> Result<HashSet<String>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self
                .conn
                .prepare_cached("SELECT account_key FROM run_accounts WHERE run_id = ?1")?;
            let keys = stmt.query_map(params![run_id], |r| r.get::<_, String>(0))?;
            Ok(keys.collect::<rusqlite::Result<HashSet<String>>>()?)
        })();
        self.ctx(r)
    }

    /// The accounts a run inspected, with their registry entry, by region, platform and key.
    pub fn run_accounts(&self, run_id: i64) -> Result<Vec<AccountRunRow>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT a.key, a.platform, a.account_id, a.name, a.org, a.region, a.site_id, a.feed,
                        ra.measured, ra.posts, ra.findings
                 FROM run_accounts ra JOIN accounts a ON a.key = ra.account_key
                 WHERE ra.run_id = ?1 ORDER BY a.region, a.platform, a.key",
            )?;
            let rows = stmt.query_map(params![run_id], |r| {
                Ok(AccountRunRow {
                    key: r.get(0)?,
                    platform: r.get(1)?,
                    account_id: r.get(2)?,
                    name: r.get(3)?,
                    org: r.get(4)?,
                    region: r.get(5)?,
                    site_id: r.get(6)?,
                    feed: r.get(7)?,
                    measured: r.get(8)?,
                    posts: u64::try_from(r.get::<_, i64>(9)?).unwrap_or(0),
                    findings: u64::try_from(r.get::<_, i64>(10)?).unwrap_or(0),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }

    /// The findings of the run's accounts, in the order they were written.
    pub fn account_findings(&self, run_id: i64) -> Result<Vec<StoredAccountFinding>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {FINDING_COLUMNS}, account_key
                 FROM findings WHERE run_id = ?1 AND account_key IS NOT NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map(params![run_id], |r| {
                Ok((RawFinding::read(r)?, r.get::<_, String>(10)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (raw, account_key) = row?;
                out.push(StoredAccountFinding {
                    account_key,
                    stored: raw.decode()?,
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The facts of the run's accounts, in the order they were written.
    pub fn account_facts(&self, run_id: i64) -> Result<Vec<StoredAccountFact>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {FACT_COLUMNS}, account_key
                 FROM facts WHERE run_id = ?1 AND account_key IS NOT NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map(params![run_id], |r| {
                Ok((RawFact::read(r)?, r.get::<_, String>(7)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (raw, account_key) = row?;
                out.push(StoredAccountFact {
                    account_key,
                    stored: raw.decode()?,
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The posts an account's feed held in a run, in feed order (texts cut to
    /// [`POST_EXCERPT_CHARS`]).
    pub fn posts(&self, run_id: i64, account_key: &str) -> Result<Vec<Post>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT guid, link, title, published, repost, excerpt, links, categories FROM posts
                 WHERE run_id = ?1 AND account_key = ?2 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![run_id, account_key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, link, title, published, repost, text, links, categories) = row?;
                out.push(Post {
                    id,
                    link,
                    title,
                    published: published
                        .map(|p| parse_ts(&p, "posts.published"))
                        .transpose()?,
                    text,
                    links: serde_json::from_str(&links)?,
                    categories: serde_json::from_str(&categories)?,
                    repost,
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// Stores inspectors' observations (their accounts must be recorded); an observation already
    /// stored (same account, code, day, note and evidence URL) is not stored twice. Returns how
    /// many were new.
    pub fn import_manual_findings(&mut self, rows: &[ManualFinding]) -> Result<usize> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = now();
            let mut n = 0;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR IGNORE INTO manual_findings
                         (account_key, code, observed, note, evidence_url, source, imported_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for m in rows {
                    let known: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM accounts WHERE key = ?1)",
                        params![m.account],
                        |r| r.get(0),
                    )?;
                    if !known {
                        return Err(StoreError::unknown_account(
                            &m.account,
                            "is not recorded (record the account registry first)",
                        ));
                    }
                    n += stmt.execute(params![
                        m.account,
                        m.code,
                        m.date.to_string(),
                        m.note,
                        m.evidence_url,
                        m.source,
                        now
                    ])?;
                }
            }
            tx.commit()?;
            Ok(n)
        })();
        self.ctx(r)
    }

    /// Every stored observation, oldest first.
    pub fn manual_findings(&self) -> Result<Vec<ManualFinding>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, account_key, code, observed, note, evidence_url, source
                 FROM manual_findings ORDER BY observed, id",
            )?;
            let rows = stmt.query_map(params![], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, account, code, observed, note, evidence_url, source) = row?;
                let date = NaiveDate::parse_from_str(&observed, "%Y-%m-%d").map_err(|e| {
                    StoreError::corrupt(format!(
                        "manual_findings.observed holds {observed:?}, not a day: {e}"
                    ))
                })?;
                out.push(ManualFinding {
                    id,
                    account,
                    code,
                    date,
                    note,
                    evidence_url,
                    source,
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// Adds findings to an account a finished (or open) run already recorded — inspectors'
    /// observations imported after the run. A finding whose `manual_id` the account already has
    /// in the run is skipped. Returns how many were added; fails when the run did not record the
    /// account.
    pub fn add_account_findings(
        &mut self,
        run_id: i64,
        account_key: &str,
        findings: &[Finding],
    ) -> Result<usize> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let site: Option<String> = tx
                .query_row(
                    "SELECT a.site_id FROM run_accounts ra JOIN accounts a ON a.key = ra.account_key
                     WHERE ra.run_id = ?1 AND ra.account_key = ?2",
                    params![run_id, account_key],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(site) = site else {
                require_run_exists(&tx, run_id)?;
                return Err(StoreError::unknown_account(
                    account_key,
                    format!("was not inspected by run {run_id}"),
                ));
            };
            let mut fresh = Vec::new();
            for f in findings {
                let id = &f.value["manual_id"];
                let seen: bool = !id.is_null()
                    && tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM findings WHERE run_id = ?1 AND account_key = ?2
                             AND json_extract(value, '$.manual_id') = ?3)",
                        params![run_id, account_key, id.as_i64()],
                        |r| r.get(0),
                    )?;
                if !seen {
                    fresh.push(f.clone());
                }
            }
            insert_findings(&tx, run_id, &site, account_key, &fresh)?;
            tx.execute(
                "UPDATE run_accounts SET findings = findings + ?3 WHERE run_id = ?1 AND account_key = ?2",
                params![run_id, account_key, to_i64(fresh.len() as u64)],
            )?;
            tx.commit()?;
            Ok(fresh.len())
        })();
        self.ctx(r)
    }
}
