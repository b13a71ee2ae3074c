//! The SQLite store of govwatch: every SQL statement of the project lives here.
//!
//! - [`Store`] opens (and migrates) the database and reads and writes runs, sites, fetches,
//!   archived page bodies, availability samples, facts and findings.
//! - [`spawn_writer`] moves a [`Store`] onto a dedicated thread fed by a channel, so that async
//!   tasks hand over [`SiteResult`]s through a cloneable [`StoreWriter`] without ever blocking
//!   the runtime on SQLite.
//! - [`Store::open_read_only`] and the read queries of viewers such as `govwatch serve` (`views`).
//!
//! Consistency: a site's whole result for a run is written in one transaction, which also adds
//! its `run_sites` row. A crash (Ctrl-C, `kill -9`, power loss) therefore leaves every site either
//! wholly recorded or absent, and writing a site that is already recorded is a no-op, so a resumed
//! run never duplicates rows. The database uses WAL with `synchronous=NORMAL`.
//!
//! The layout of the tables is documented for outside readers in `docs/schema.md`.

mod daemon;
mod error;
pub mod lock;
mod media;
mod schema;
mod scores;
mod views;
mod writer;

pub use daemon::{AvailabilityRow, Raised, SiteRun, WarningRow, parse_time};
pub use error::{Result, StoreError};
pub use media::{AccountRunRow, StoredAccountFact, StoredAccountFinding};
pub use schema::SCHEMA_VERSION;
pub use scores::{ArchiveRecord, PageRow, ScoreItemRow, ScoreRow, ScoreSet, ScoringRef, SiteRow};
pub use views::{PassCount, RunTally, ScoringTally, SiteScoreRef, SiteVisit, StoredFetch};
pub use writer::{StoreWriter, spawn_writer};

use chrono::DateTime;
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use govwatch_model::{
    CharsetSource, Evidence, Fact, FetchError, FetchRecord, Finding, Page, Sample, Severity, Site,
    SiteResult, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a statement waits for another connection's lock before failing with
/// [`StoreError::Busy`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The value of `bodies.encoding`: a zlib stream (RFC 1950) around DEFLATE data.
pub const BODY_ENCODING: &str = "zlib";

/// A site's result with its JSON columns already written out ([`prepare_site`]), so the writer
/// thread only binds and inserts: at the end of a night a thousand sites queue for it at once.
#[derive(Debug, Clone)]
pub struct PreparedSite {
    pub result: SiteResult,
    fetch_redirects: Vec<String>,
    page_links: Vec<String>,
    fact_values: Vec<String>,
    finding_values: Vec<String>,
    finding_evidence: Vec<String>,
    /// The pages' bodies were streamed to the store ([`Store::put_bodies`]) while the site was
    /// crawled: pages without text reference them by hash.
    streamed: bool,
}

/// Writes out a site result's JSON columns (on the caller's thread). `streamed`: its pages'
/// bodies were put in the store already and the pages come without their text.
pub fn prepare_site(result: SiteResult, streamed: bool) -> Result<PreparedSite> {
    let json = |v: &dyn erased::Ser| v.to_json();
    Ok(PreparedSite {
        streamed,
        fetch_redirects: result
            .fetches
            .iter()
            .map(|f| json(&f.redirects))
            .collect::<Result<_>>()?,
        page_links: result
            .pages
            .iter()
            .map(|p| json(&p.links))
            .collect::<Result<_>>()?,
        fact_values: result
            .facts
            .iter()
            .map(|f| json(&f.value))
            .collect::<Result<_>>()?,
        finding_values: result
            .findings
            .iter()
            .map(|f| json(&f.value))
            .collect::<Result<_>>()?,
        finding_evidence: result
            .findings
            .iter()
            .map(|f| json(&f.evidence))
            .collect::<Result<_>>()?,
        result,
    })
}

mod erased {
    /// Anything serde can write as JSON, behind one object-safe call.
    pub trait Ser {
        fn to_json(&self) -> super::Result<String>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_json(&self) -> super::Result<String> {
            Ok(serde_json::to_string(self)?)
        }
    }
}

/// Pages of write-ahead log after which a commit copies the log into the database (~40 MB).
pub(crate) const AUTOCHECKPOINT_PAGES: i64 = 10_000;

/// A page body packed for the `bodies` table ([`pack_body`]), keyed by the hash of the bytes
/// fetched (`fetches.content_hash`).
#[derive(Debug, Clone)]
pub struct PackedBody {
    pub hash: String,
    pub charset: Option<String>,
    /// Length of the decoded text in bytes.
    pub size: u64,
    pub data: Vec<u8>,
}

/// State of a run (`runs.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Started and not finished; after a crash a run stays in this state.
    Running,
    /// Every site was attempted.
    Done,
    /// Stopped early (Ctrl-C); can be resumed.
    Interrupted,
    /// Stopped by an error that the run could not survive.
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "running" => RunStatus::Running,
            "done" => RunStatus::Done,
            "interrupted" => RunStatus::Interrupted,
            "failed" => RunStatus::Failed,
            _ => return None,
        })
    }

    /// Whether more site results may still be written to a run in this state.
    pub fn is_open(self) -> bool {
        matches!(self, RunStatus::Running | RunStatus::Interrupted)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `runs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub id: i64,
    /// RFC 3339 wall-clock time the run began.
    pub started_at: String,
    /// RFC 3339 time the run was finished or marked interrupted; `None` while running (or after a
    /// crash).
    pub ended_at: Option<String>,
    /// RFC 3339 monitoring time point the run judged dates against.
    pub as_of: String,
    pub status: RunStatus,
    /// The effective settings the run was started with (free-form JSON from the runner).
    pub settings: serde_json::Value,
    pub note: Option<String>,
}

/// A finding read back from the store, with the site it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFinding {
    /// `findings.id`.
    pub id: i64,
    pub site_id: String,
    pub finding: Finding,
}

/// A fact read back from the store, with the site it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFact {
    /// `facts.id`.
    pub id: i64,
    pub site_id: String,
    pub fact: Fact,
}

/// Number of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub veto: u64,
    pub deduct: u64,
    pub warn: u64,
    pub info: u64,
}

impl SeverityCounts {
    pub fn get(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Veto => self.veto,
            Severity::Deduct => self.deduct,
            Severity::Warn => self.warn,
            Severity::Info => self.info,
        }
    }

    pub fn add(&mut self, severity: Severity, n: u64) {
        match severity {
            Severity::Veto => self.veto += n,
            Severity::Deduct => self.deduct += n,
            Severity::Warn => self.warn += n,
            Severity::Info => self.info += n,
        }
    }

    pub fn total(&self) -> u64 {
        self.veto + self.deduct + self.warn + self.info
    }
}

/// What one run recorded for one site (a site appears once its result is committed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteSummary {
    pub site_id: String,
    pub name: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub finished_at: String,
    pub pages: u64,
    pub fetches: u64,
    pub facts: u64,
    pub findings: u64,
    pub by_severity: SeverityCounts,
    /// Findings per code, e.g. `link.broken_home` → 3.
    pub by_code: BTreeMap<String, u64>,
}

/// Rows per table belonging to one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCounts {
    pub run_sites: u64,
    pub fetches: u64,
    pub pages: u64,
    /// Distinct bodies referenced by the run's pages (bodies are shared between runs).
    pub bodies: u64,
    /// Samples written with this run's id.
    pub samples: u64,
    pub facts: u64,
    pub findings: u64,
}

/// The govwatch database: one SQLite connection.
///
/// Methods are synchronous; from async code, use [`spawn_writer`] for writes.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    version: i64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("version", &self.version)
            .finish()
    }
}

impl Store {
    /// Opens the database file (creating it if missing) and migrates it to [`SCHEMA_VERSION`].
    ///
    /// Fails with [`StoreError::NewerSchema`] if the file was written by a newer govwatch.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        Store::setup(conn, path)
    }

    /// A private database in memory (for tests and dry runs).
    pub fn open_in_memory() -> Result<Store> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        Store::setup(conn, path)
    }

    fn setup(mut conn: Connection, path: PathBuf) -> Result<Store> {
        let open_err = |source: rusqlite::Error| StoreError::opening(&path, source);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // An in-memory database answers "memory", which is fine.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        // A night writes hundreds of megabytes: a checkpoint every ~40 MB of log (not every
        // 4 MB) keeps the writer from stopping to copy the log into the database after every
        // few sites.
        conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)
            .map_err(open_err)?;
        let version = schema::migrate(&mut conn, &path).map_err(|e| e.in_db(&path))?;
        Ok(Store {
            conn,
            path,
            version,
        })
    }

    /// The file this store was opened from (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets `wal_autocheckpoint` (0: commits never checkpoint; the writer thread's background
    /// checkpointer does).
    pub(crate) fn set_autocheckpoint(&mut self, pages: i64) -> Result<()> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(StoreError::from)
    }

    /// The schema version of the open database (`PRAGMA user_version`).
    pub fn schema_version(&self) -> i64 {
        self.version
    }

    fn ctx<T>(&self, r: Result<T>) -> Result<T> {
        r.map_err(|e| e.in_db(&self.path))
    }

    /// Records the site registry: inserts new sites, updates changed ones (sites are never
    /// deleted, so old runs keep their names).
    pub fn upsert_sites(&mut self, sites: &[Site]) -> Result<()> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = now();
            for site in sites {
                upsert_site(&tx, site, &now)?;
            }
            tx.commit()?;
            Ok(())
        })();
        self.ctx(r)
    }

    /// Starts a run (status `running`) and returns its id.
    pub fn begin_run(&mut self, as_of: Timestamp, settings: &serde_json::Value) -> Result<i64> {
        let r = (|| {
            let settings = serde_json::to_string(settings)?;
            self.conn.execute(
                "INSERT INTO runs (started_at, as_of, status, settings) VALUES (?1, ?2, 'running', ?3)",
                params![now(), as_of.to_rfc3339(), settings],
            )?;
            Ok(self.conn.last_insert_rowid())
        })();
        self.ctx(r)
    }

    /// The newest run that is `running` (e.g. after a crash) or `interrupted`.
    pub fn latest_unfinished_run(&self) -> Result<Option<RunRow>> {
        self.ctx(self.query_run(
            "WHERE status IN ('running', 'interrupted') ORDER BY id DESC LIMIT 1",
            params![],
        ))
    }

    /// The run with this id.
    pub fn run(&self, id: i64) -> Result<Option<RunRow>> {
        self.ctx(self.query_run("WHERE id = ?1", params![id]))
    }

    /// The newest run, whatever its status.
    pub fn latest_run(&self) -> Result<Option<RunRow>> {
        self.ctx(self.query_run("ORDER BY id DESC LIMIT 1", params![]))
    }

    fn query_run(&self, tail: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Option<RunRow>> {
        let sql = format!(
            "SELECT id, started_at, ended_at, as_of, status, settings, note FROM runs {tail}"
        );
        let raw = self
            .conn
            .query_row(&sql, p, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .optional()?;
        let Some((id, started_at, ended_at, as_of, status, settings, note)) = raw else {
            return Ok(None);
        };
        let status = RunStatus::parse(&status).ok_or_else(|| {
            StoreError::corrupt(format!("run {id} has unknown status {status:?}"))
        })?;
        let settings = serde_json::from_str(&settings)?;
        Ok(Some(RunRow {
            id,
            started_at,
            ended_at,
            as_of,
            status,
            settings,
            note,
        }))
    }

    fn require_run(&self, run_id: i64) -> Result<RunRow> {
        self.query_run("WHERE id = ?1", params![run_id])?
            .ok_or_else(|| StoreError::unknown_run(run_id))
    }

    /// Sets a `running` or `interrupted` run back to `running` (clearing `ended_at`) so that it can
    /// be resumed; returns the updated row. Fails for a run that is `done` or `failed`.
    pub fn resume_run(&mut self, run_id: i64) -> Result<RunRow> {
        let r = (|| {
            let run = self.require_run(run_id)?;
            if !run.status.is_open() {
                return Err(StoreError::RunClosed {
                    path: PathBuf::new(),
                    run_id,
                    status: run.status.as_str(),
                });
            }
            self.conn.execute(
                "UPDATE runs SET status = 'running', ended_at = NULL WHERE id = ?1",
                params![run_id],
            )?;
            self.require_run(run_id)
        })();
        self.ctx(r)
    }

    /// Ids of the sites whose result is committed for the run.
    pub fn sites_done(&self, run_id: i64) -> Result<HashSet<String>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self
                .conn
                .prepare_cached("SELECT site_id FROM run_sites WHERE run_id = ?1")?;
            let ids = stmt.query_map(params![run_id], |r| r.get::<_, String>(0))?;
            Ok(ids.collect::<rusqlite::Result<HashSet<String>>>()?)
        })();
        self.ctx(r)
    }

    /// Writes everything one run learned about one site, in ONE transaction: the site row,
    /// fetches, bodies, pages, samples, facts, findings and the `run_sites` row.
    ///
    /// If the run already has this site, nothing is written (so a resumed run never duplicates
    /// rows). The run must exist and be `running` or `interrupted`.
    pub fn write_site_result(&mut self, run_id: i64, result: &SiteResult) -> Result<()> {
        let prepared = self.ctx(prepare_site(result.clone(), false))?;
        self.write_prepared(run_id, &prepared)
    }

    /// Writes several prepared results in one transaction (see [`write_sites`]); one outcome
    /// per site, in order.
    pub fn write_prepared_many(&mut self, sites: &[(i64, &PreparedSite)]) -> Vec<Result<()>> {
        match write_sites(&mut self.conn, sites) {
            Ok(outs) => outs
                .into_iter()
                .zip(sites)
                .map(|(r, (run_id, p))| {
                    let r = self.ctx(r)?;
                    tracing::debug!(run_id, site = %p.result.site.id, written = r, "site result");
                    Ok(())
                })
                .collect(),
            Err(e) => {
                let msg = e.to_string();
                sites
                    .iter()
                    .map(|_| Err(StoreError::corrupt(format!("writing sites failed: {msg}"))))
                    .collect()
            }
        }
    }

    /// [`Store::write_site_result`] of a result prepared by [`prepare_site`].
    pub fn write_prepared(&mut self, run_id: i64, prepared: &PreparedSite) -> Result<()> {
        let result = &prepared.result;
        let r = write_site(&mut self.conn, run_id, prepared);
        match self.ctx(r)? {
            true => tracing::debug!(run_id, site = %result.site.id, "site result written"),
            false => {
                tracing::debug!(run_id, site = %result.site.id, "site already recorded for the run, skipped")
            }
        }
        Ok(())
    }

    /// Ends a run: sets its status, `ended_at` (unless the status is `running`) and, when given,
    /// its note.
    pub fn finish_run(&mut self, run_id: i64, status: RunStatus, note: Option<&str>) -> Result<()> {
        let r = (|| {
            let ended_at = (status != RunStatus::Running).then(now);
            let n = self.conn.execute(
                "UPDATE runs SET status = ?2, ended_at = ?3, note = coalesce(?4, note) WHERE id = ?1",
                params![run_id, status.as_str(), ended_at, note],
            )?;
            if n == 0 {
                return Err(StoreError::unknown_run(run_id));
            }
            Ok(())
        })();
        self.ctx(r)
    }

    /// Marks a `running` run `interrupted` (Ctrl-C). A run already finished is left alone.
    pub fn mark_interrupted(&mut self, run_id: i64) -> Result<()> {
        let r = (|| {
            let n = self.conn.execute(
                "UPDATE runs SET status = 'interrupted', ended_at = ?2 WHERE id = ?1 AND status = 'running'",
                params![run_id, now()],
            )?;
            if n == 0 {
                self.require_run(run_id)?;
            }
            Ok(())
        })();
        self.ctx(r)
    }

    /// The findings of a run (of one site, or all sites), in the order they were written; the
    /// findings of new-media accounts are read with [`Store::account_findings`].
    pub fn findings(&self, run_id: i64, site_id: Option<&str>) -> Result<Vec<StoredFinding>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, site_id, probe, code, severity, url, value, message, evidence, observed_at
                 FROM findings WHERE run_id = ?1 AND (?2 IS NULL OR site_id = ?2)
                     AND account_key IS NULL ORDER BY id",
            )?;
            let rows = stmt.query_map(params![run_id, site_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (
                    id,
                    site_id,
                    probe,
                    code,
                    severity,
                    url,
                    value,
                    message,
                    evidence,
                    observed_at,
                ) = row?;
                let severity = Severity::parse(&severity).ok_or_else(|| {
                    StoreError::corrupt(format!("finding {id} has unknown severity {severity:?}"))
                })?;
                let evidence: Evidence = serde_json::from_str(&evidence)?;
                out.push(StoredFinding {
                    id,
                    site_id,
                    finding: Finding {
                        probe,
                        code,
                        severity,
                        url,
                        value: serde_json::from_str(&value)?,
                        message,
                        evidence,
                        observed_at: parse_ts(&observed_at, "findings.observed_at")?,
                    },
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The facts of a run (of one site, or all sites), in the order they were written; the facts
    /// of new-media accounts are read with [`Store::account_facts`].
    pub fn facts(&self, run_id: i64, site_id: Option<&str>) -> Result<Vec<StoredFact>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, site_id, probe, code, url, value, observed_at
                 FROM facts WHERE run_id = ?1 AND (?2 IS NULL OR site_id = ?2)
                     AND account_key IS NULL ORDER BY id",
            )?;
            let rows = stmt.query_map(params![run_id, site_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, site_id, probe, code, url, value, observed_at) = row?;
                out.push(StoredFact {
                    id,
                    site_id,
                    fact: Fact {
                        probe,
                        code,
                        url,
                        value: serde_json::from_str(&value)?,
                        observed_at: parse_ts(&observed_at, "facts.observed_at")?,
                    },
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The facts (codes starting with `code_prefix`) that the newest earlier run recorded for a
    /// site, with that run's monitoring time: what a probe compares today's page with (a column's
    /// item list, for backdated items). `None` when no earlier run finished the site.
    pub fn previous_facts(
        &self,
        site_id: &str,
        before_run: i64,
        code_prefix: &str,
    ) -> Result<Option<(Timestamp, Vec<Fact>)>> {
        let r = (|| {
            let prev: Option<(i64, String)> = self
                .conn
                .query_row(
                    "SELECT r.id, r.as_of FROM runs r JOIN run_sites s ON s.run_id = r.id
                     WHERE s.site_id = ?1 AND r.id < ?2 ORDER BY r.id DESC LIMIT 1",
                    params![site_id, before_run],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((run_id, as_of)) = prev else {
                return Ok(None);
            };
            let as_of = parse_ts(&as_of, "runs.as_of")?;
            let pattern = format!("{}%", code_prefix.replace('%', "\\%").replace('_', "\\_"));
            let mut stmt = self.conn.prepare_cached(
                "SELECT probe, code, url, value, observed_at FROM facts
                 WHERE run_id = ?1 AND site_id = ?2 AND code LIKE ?3 ESCAPE '\\' ORDER BY id",
            )?;
            let rows = stmt.query_map(params![run_id, site_id, pattern], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut facts = Vec::new();
            for row in rows {
                let (probe, code, url, value, observed_at) = row?;
                facts.push(Fact {
                    probe,
                    code,
                    url,
                    value: serde_json::from_str(&value)?,
                    observed_at: parse_ts(&observed_at, "facts.observed_at")?,
                });
            }
            Ok(Some((as_of, facts)))
        })();
        self.ctx(r)
    }

    /// A site's availability samples taken in `[since, until)` (whatever run, or none, wrote
    /// them), oldest first.
    pub fn samples(
        &self,
        site_id: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Sample>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT url, at, family, ok, status, error_kind, elapsed_ms FROM samples
                 WHERE site_id = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY at_ms, id",
            )?;
            let rows = stmt.query_map(
                params![site_id, since.timestamp_millis(), until.timestamp_millis()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<u8>>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, Option<u16>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (url, at, family, ok, status, error_kind, elapsed_ms) = row?;
                let error = match error_kind {
                    None => None,
                    Some(k) => Some(FetchError::parse(&k).ok_or_else(|| {
                        StoreError::corrupt(format!(
                            "a sample of site {site_id} has unknown error kind {k:?}"
                        ))
                    })?),
                };
                out.push(Sample {
                    url,
                    at: parse_ts(&at, "samples.at")?,
                    family,
                    ok,
                    status,
                    error,
                    elapsed_ms: u64::try_from(elapsed_ms).unwrap_or(0),
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// Adds availability samples of a site (with or without a run); a sample already stored (same
    /// site, URL, time and address family) is ignored. Returns how many rows were inserted.
    pub fn insert_samples(
        &mut self,
        run_id: Option<i64>,
        site_id: &str,
        samples: &[Sample],
    ) -> Result<usize> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(run_id) = run_id
                && !run_exists(&tx, run_id)?
            {
                return Err(StoreError::unknown_run(run_id));
            }
            if !site_exists(&tx, site_id)? {
                return Err(StoreError::unknown_site(site_id));
            }
            let n = insert_samples(&tx, run_id, site_id, samples)?;
            tx.commit()?;
            Ok(n)
        })();
        self.ctx(r)
    }

    /// Archives page bodies already packed ([`pack_body`]) in one transaction, each unless a body
    /// with its hash is stored. Bodies are content-addressed and shared between runs, so a body
    /// written while its site is still being crawled is harmless if the site is never recorded.
    pub fn put_bodies(&mut self, bodies: &[PackedBody]) -> Result<()> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR IGNORE INTO bodies (hash, charset, encoding, size, data) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for b in bodies {
                    stmt.execute(params![
                        b.hash,
                        b.charset,
                        BODY_ENCODING,
                        to_i64(b.size),
                        b.data
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })();
        self.ctx(r)
    }

    /// The packed bodies of these hashes (those stored), for the caller to unpack.
    pub fn packed_bodies(&self, hashes: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
        let r = (|| {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT encoding, data FROM bodies WHERE hash = ?1")?;
            let mut out = Vec::with_capacity(hashes.len());
            for h in hashes {
                let row = stmt
                    .query_row(params![h], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
                    })
                    .optional()?;
                if let Some((encoding, data)) = row {
                    if encoding != BODY_ENCODING {
                        return Err(StoreError::corrupt(format!(
                            "body {h} has unknown encoding {encoding:?}"
                        )));
                    }
                    out.push((h.clone(), data));
                }
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The decoded text of an archived page body, by its hash (`bodies.hash`).
    pub fn page_body(&self, hash: &str) -> Result<Option<String>> {
        let r = (|| {
            let raw = self
                .conn
                .query_row(
                    "SELECT encoding, size, data FROM bodies WHERE hash = ?1",
                    params![hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Vec<u8>>(2)?,
                        ))
                    },
                )
                .optional()?;
            let Some((encoding, size, data)) = raw else {
                return Ok(None);
            };
            if encoding != BODY_ENCODING {
                return Err(StoreError::corrupt(format!(
                    "body {hash} has unknown encoding {encoding:?}"
                )));
            }
            let text = inflate(&data).map_err(|e| {
                StoreError::corrupt(format!("body {hash} does not decompress: {e}"))
            })?;
            if i64::try_from(text.len()).ok() != Some(size) {
                return Err(StoreError::corrupt(format!(
                    "body {hash} decompresses to {} bytes, but its size says {size}",
                    text.len()
                )));
            }
            Ok(Some(text))
        })();
        self.ctx(r)
    }

    /// Requests each site needed the last time a run recorded it (`run_sites.fetches` of its
    /// newest recorded run), for planning the next run.
    pub fn recent_site_fetches(&self) -> Result<HashMap<String, u64>> {
        let r = (|| {
            let mut stmt = self.conn.prepare(
                "SELECT site_id, fetches FROM run_sites
                 WHERE (site_id, run_id) IN (SELECT site_id, max(run_id) FROM run_sites GROUP BY site_id)",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let mut out = HashMap::new();
            for row in rows {
                let (site, n) = row?;
                out.insert(site, to_u64(n));
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// Per site recorded in the run: pages, fetches, facts, and findings by severity and code.
    /// Sorted by site id.
    pub fn run_summary(&self, run_id: i64) -> Result<Vec<SiteSummary>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT rs.site_id, coalesce(s.name, ''), rs.started_at, rs.finished_at, rs.pages, rs.fetches
                 FROM run_sites rs LEFT JOIN sites s ON s.id = rs.site_id
                 WHERE rs.run_id = ?1 ORDER BY rs.site_id",
            )?;
            let mut out: Vec<SiteSummary> = stmt
                .query_map(params![run_id], |r| {
                    Ok(SiteSummary {
                        site_id: r.get(0)?,
                        name: r.get(1)?,
                        started_at: r.get(2)?,
                        finished_at: r.get(3)?,
                        pages: to_u64(r.get(4)?),
                        fetches: to_u64(r.get(5)?),
                        facts: 0,
                        findings: 0,
                        by_severity: SeverityCounts::default(),
                        by_code: BTreeMap::new(),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let index: HashMap<String, usize> = out
                .iter()
                .enumerate()
                .map(|(i, s)| (s.site_id.clone(), i))
                .collect();

            let mut stmt = self.conn.prepare_cached(
                "SELECT site_id, count(*) FROM facts WHERE run_id = ?1 AND account_key IS NULL
                 GROUP BY site_id",
            )?;
            let rows = stmt.query_map(params![run_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (site, n) = row?;
                if let Some(&i) = index.get(&site) {
                    out[i].facts = to_u64(n);
                }
            }

            let mut stmt = self.conn.prepare_cached(
                "SELECT site_id, severity, code, count(*) FROM findings
                 WHERE run_id = ?1 AND account_key IS NULL GROUP BY site_id, severity, code",
            )?;
            let rows = stmt.query_map(params![run_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            for row in rows {
                let (site, severity, code, n) = row?;
                let Some(&i) = index.get(&site) else { continue };
                let severity = Severity::parse(&severity).ok_or_else(|| {
                    StoreError::corrupt(format!(
                        "a finding of site {site} has unknown severity {severity:?}"
                    ))
                })?;
                let n = to_u64(n);
                let s = &mut out[i];
                s.findings += n;
                s.by_severity.add(severity, n);
                *s.by_code.entry(code).or_insert(0) += n;
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// Rows per table that belong to the run.
    pub fn counts(&self, run_id: i64) -> Result<TableCounts> {
        let r = (|| {
            self.require_run(run_id)?;
            let count = |sql: &str| -> Result<u64> {
                let n: i64 = self.conn.query_row(sql, params![run_id], |r| r.get(0))?;
                Ok(to_u64(n))
            };
            Ok(TableCounts {
                run_sites: count("SELECT count(*) FROM run_sites WHERE run_id = ?1")?,
                fetches: count("SELECT count(*) FROM fetches WHERE run_id = ?1")?,
                pages: count("SELECT count(*) FROM pages WHERE run_id = ?1")?,
                bodies: count(
                    "SELECT count(DISTINCT body_hash) FROM pages WHERE run_id = ?1 AND body_hash IS NOT NULL",
                )?,
                samples: count("SELECT count(*) FROM samples WHERE run_id = ?1")?,
                facts: count("SELECT count(*) FROM facts WHERE run_id = ?1")?,
                findings: count("SELECT count(*) FROM findings WHERE run_id = ?1")?,
            })
        })();
        self.ctx(r)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the write path.

/// Now, as RFC 3339 local time.
fn now() -> String {
    chrono::Local::now().fixed_offset().to_rfc3339()
}

fn parse_ts(s: &str, column: &str) -> Result<Timestamp> {
    DateTime::parse_from_rfc3339(s).map_err(|e| {
        StoreError::corrupt(format!(
            "{column} holds {s:?}, which is not an RFC 3339 time: {e}"
        ))
    })
}

/// Counts and sizes are `u64` in the model; SQLite integers are `i64`.
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// SHA-256 of the text, lower-case hex.
pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A page body as the `bodies` table keeps it (`encoding` [`BODY_ENCODING`]): the text, zlib.
/// Callers may pack on their own threads and hand the result to [`Store::put_bodies`].
pub fn pack_body(text: &str) -> Vec<u8> {
    deflate(text).expect("compressing into memory does not fail")
}

/// The text of a body packed by [`pack_body`].
pub fn unpack_body(data: &[u8]) -> std::io::Result<String> {
    inflate(data)
}

fn deflate(text: &str) -> std::io::Result<Vec<u8>> {
    let mut enc = ZlibEncoder::new(
        Vec::with_capacity(text.len() / 4 + 64),
        // the fastest level: a night archives every page, and the archive is read rarely
        Compression::fast(),
    );
    enc.write_all(text.as_bytes())?;
    enc.finish()
}

fn inflate(data: &[u8]) -> std::io::Result<String> {
    let mut text = String::new();
    ZlibDecoder::new(data).read_to_string(&mut text)?;
    Ok(text)
}

fn run_exists(conn: &Connection, run_id: i64) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)",
        params![run_id],
        |r| r.get(0),
    )?)
}

fn site_exists(conn: &Connection, site_id: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sites WHERE id = ?1)",
        params![site_id],
        |r| r.get(0),
    )?)
}

fn upsert_site(tx: &Connection, site: &Site, now: &str) -> Result<()> {
    let overrides = serde_json::to_string(&site.overrides)?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO sites (id, name, home, org, region, kind, overrides, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET
             name = excluded.name, home = excluded.home, org = excluded.org,
             region = excluded.region, kind = excluded.kind, overrides = excluded.overrides,
             updated_at = excluded.updated_at",
    )?;
    stmt.execute(params![
        site.id,
        site.name,
        site.home.as_str(),
        site.org,
        site.region,
        site.kind.as_str(),
        overrides,
        now
    ])?;
    Ok(())
}

fn insert_fetch(
    tx: &Connection,
    run_id: i64,
    site_id: &str,
    f: &FetchRecord,
    redirects: &str,
) -> Result<i64> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO fetches (run_id, site_id, url, final_url, method, purpose, status, started_at,
             elapsed_ms, bytes, content_type, content_hash, remote_addr, family, error_kind,
             error_message, redirects, attempt, queue_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )?;
    stmt.execute(params![
        run_id,
        site_id,
        f.url,
        f.final_url,
        f.method,
        f.purpose.as_str(),
        f.status,
        f.started_at.to_rfc3339(),
        to_i64(f.elapsed_ms),
        to_i64(f.bytes),
        f.content_type,
        f.content_hash,
        f.remote_addr,
        f.family,
        f.error.map(FetchError::as_str),
        f.error_message,
        redirects,
        f.attempt,
        to_i64(f.queue_ms),
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Archives a page's text unless a body with the same hash is already stored; returns the hash.
fn store_body(tx: &Connection, page: &Page) -> Result<String> {
    let hash = match &page.fetch.content_hash {
        Some(h) if !h.is_empty() => h.clone(),
        _ => text_hash(&page.text),
    };

    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM bodies WHERE hash = ?1)",
        params![hash],
        |r| r.get(0),
    )?;
    if !exists {
        // (a body streamed while the site was crawled is already there: such pages arrive here
        // without their text and only its hash is referenced; the runner makes sure it arrived)
        let data = deflate(&page.text)?;
        let mut stmt = tx.prepare_cached(
            "INSERT OR IGNORE INTO bodies (hash, charset, encoding, size, data) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        stmt.execute(params![
            hash,
            page.charset,
            BODY_ENCODING,
            to_i64(page.text.len() as u64),
            data
        ])?;
    }
    Ok(hash)
}

fn insert_samples(
    tx: &Connection,
    run_id: Option<i64>,
    site_id: &str,
    samples: &[Sample],
) -> Result<usize> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO samples (run_id, site_id, url, at, at_ms, family, ok, status, error_kind, elapsed_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut n = 0;
    for s in samples {
        n += stmt.execute(params![
            run_id,
            site_id,
            s.url,
            s.at.to_rfc3339(),
            s.at.timestamp_millis(),
            s.family,
            s.ok,
            s.status,
            s.error.map(FetchError::as_str),
            to_i64(s.elapsed_ms),
        ])?;
    }
    Ok(n)
}

/// A fetch's URL, start time (µs) and attempt: enough to find it again among a site's fetches.
type FetchKey<'a> = (&'a str, i64, u32);

/// The write path of [`Store::write_site_result`]; `Ok(false)` when the site was already recorded.
fn write_site(conn: &mut Connection, run_id: i64, prepared: &PreparedSite) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let written = write_site_in(&tx, run_id, prepared)?;
    if written {
        tx.commit()?;
    }
    Ok(written)
}

/// Writes several sites in one transaction, each under its own savepoint: a site that fails is
/// rolled back alone, and the others are committed together (each still whole or absent). One
/// commit for many sites keeps the writer ahead when a thousand sites finish at once.
fn write_sites(conn: &mut Connection, sites: &[(i64, &PreparedSite)]) -> Result<Vec<Result<bool>>> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(sites.len());
    for (run_id, prepared) in sites {
        let sp = tx.savepoint()?;
        match write_site_in(&sp, *run_id, prepared) {
            Ok(true) => {
                sp.commit()?;
                out.push(Ok(true));
            }
            other => {
                // dropping the savepoint rolls it back
                drop(sp);
                out.push(other);
            }
        }
    }
    tx.commit()?;
    Ok(out)
}

/// The body of [`write_site`], inside a transaction or savepoint the caller commits.
fn write_site_in(tx: &Connection, run_id: i64, prepared: &PreparedSite) -> Result<bool> {
    let r = &prepared.result;
    let site_id = r.site.id.as_str();
    let status: Option<String> = tx
        .query_row(
            "SELECT status FROM runs WHERE id = ?1",
            params![run_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(status) = status else {
        return Err(StoreError::unknown_run(run_id));
    };
    match RunStatus::parse(&status) {
        Some(s) if s.is_open() => {}
        Some(s) => {
            return Err(StoreError::RunClosed {
                path: PathBuf::new(),
                run_id,
                status: s.as_str(),
            });
        }
        None => {
            return Err(StoreError::corrupt(format!(
                "run {run_id} has unknown status {status:?}"
            )));
        }
    }
    let done: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM run_sites WHERE run_id = ?1 AND site_id = ?2)",
        params![run_id, site_id],
        |r| r.get(0),
    )?;
    if done {
        return Ok(false); // nothing was written
    }
    upsert_site(tx, &r.site, &now())?;

    // Fetches; remember their ids so pages can point at their own fetch.
    let mut fetch_ids: HashMap<FetchKey<'_>, Vec<(usize, i64)>> = HashMap::new();
    for (i, f) in r.fetches.iter().enumerate() {
        let id = insert_fetch(tx, run_id, site_id, f, &prepared.fetch_redirects[i])?;
        fetch_ids
            .entry((f.url.as_str(), f.started_at.timestamp_micros(), f.attempt))
            .or_default()
            .push((i, id));
    }
    let mut fetches = r.fetches.len() as u64;

    {
        let mut page_stmt = tx.prepare_cached(
            "INSERT INTO pages (run_id, site_id, fetch_id, url, final_url, depth, status, title, charset,
                 charset_source, is_html, body_hash, links)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for (pi, page) in r.pages.iter().enumerate() {
            let f = &page.fetch;
            let known = fetch_ids
                .get(&(f.url.as_str(), f.started_at.timestamp_micros(), f.attempt))
                .and_then(|c| c.iter().find(|(i, _)| r.fetches[*i] == *f))
                .map(|(_, id)| *id);
            let fetch_id = match known {
                Some(id) => id,
                None => {
                    // The page's exchange was not listed among the fetches: record it too, so
                    // that `fetches` really holds every exchange.
                    fetches += 1;
                    insert_fetch(
                        tx,
                        run_id,
                        site_id,
                        f,
                        &serde_json::to_string(&f.redirects)?,
                    )?
                }
            };
            let body_hash = if prepared.streamed && page.is_html && page.text.is_empty() {
                // streamed while the site was crawled: the row is there (the page's foreign key
                // to `bodies` would refuse the page otherwise)
                page.fetch.content_hash.clone()
            } else if page.is_html || !page.text.is_empty() {
                Some(store_body(tx, page)?)
            } else {
                None
            };
            page_stmt.execute(params![
                run_id,
                site_id,
                fetch_id,
                f.url,
                f.final_url,
                page.depth,
                f.status,
                page.title,
                page.charset,
                page.charset_source.map(CharsetSource::as_str),
                page.is_html,
                body_hash,
                prepared.page_links[pi],
            ])?;
        }
    }

    insert_samples(tx, Some(run_id), site_id, &r.samples)?;

    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO facts (run_id, site_id, probe, code, url, value, observed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (fi, fact) in r.facts.iter().enumerate() {
            stmt.execute(params![
                run_id,
                site_id,
                fact.probe,
                fact.code,
                fact.url,
                prepared.fact_values[fi],
                fact.observed_at.to_rfc3339(),
            ])?;
        }
    }

    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO findings (run_id, site_id, probe, code, severity, url, value, message, evidence,
                 observed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for (fi, finding) in r.findings.iter().enumerate() {
            stmt.execute(params![
                run_id,
                site_id,
                finding.probe,
                finding.code,
                finding.severity.as_str(),
                finding.url,
                prepared.finding_values[fi],
                finding.message,
                prepared.finding_evidence[fi],
                finding.observed_at.to_rfc3339(),
            ])?;
        }
    }

    tx.execute(
        "INSERT INTO run_sites (run_id, site_id, status, started_at, finished_at, pages, fetches, findings)
         VALUES (?1, ?2, 'done', ?3, ?4, ?5, ?6, ?7)",
        params![
            run_id,
            site_id,
            r.started_at.to_rfc3339(),
            r.finished_at.to_rfc3339(),
            to_i64(r.pages.len() as u64),
            to_i64(fetches),
            to_i64(r.findings.len() as u64),
        ],
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_settings() {
        let dir =
            std::env::temp_dir().join(format!("govwatch-store-pragmas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(dir.join("p.db")).unwrap();
        let get = |p: &str| -> i64 {
            store
                .conn
                .pragma_query_value(None, p, |r| r.get(0))
                .unwrap()
        };
        assert_eq!(get("foreign_keys"), 1);
        assert_eq!(get("synchronous"), 1); // NORMAL
        assert_eq!(get("busy_timeout"), 5000);
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn zlib_round_trip() {
        let text = "政府网站 <html>".repeat(100);
        let packed = deflate(&text).unwrap();
        assert_eq!(&packed[..1], &[0x78], "zlib header");
        assert_eq!(inflate(&packed).unwrap(), text);
    }
}
