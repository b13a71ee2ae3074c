//! Reading what the report needs (registered sites of a run, runs, crawled pages) and writing and
//! reading scores (`scores`, `score_items`).

use crate::{Result, RunRow, Store, StoreError, to_u64};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

/// A site as the `sites` table holds it (kind is `portal` or `department`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub home: String,
    pub org: String,
    pub region: String,
    pub kind: String,
}

impl SiteRow {
    /// The row of a query selecting `id, name, home, org, region, kind`, in that order.
    pub(crate) fn read(r: &rusqlite::Row) -> rusqlite::Result<SiteRow> {
        Ok(SiteRow {
            id: r.get(0)?,
            name: r.get(1)?,
            home: r.get(2)?,
            org: r.get(3)?,
            region: r.get(4)?,
            kind: r.get(5)?,
        })
    }
}

/// A crawled page of a run with the fetch that got it (for the evidence archive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRow {
    pub id: i64,
    pub site_id: String,
    pub url: String,
    pub final_url: String,
    pub status: Option<u16>,
    /// RFC 3339 time the page's request was sent (NULL fetch → the page has none).
    pub fetched_at: Option<String>,
    pub content_type: Option<String>,
    pub remote_addr: Option<String>,
    pub charset: Option<String>,
    pub body_hash: Option<String>,
    /// The page as headless Chromium drew it (its fetch's method is `RENDER`), kept beside the
    /// raw page of the same URL.
    pub rendered: bool,
}

/// One item of a score: the points one rule gave or took, and the findings and facts behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreItemRow {
    /// `veto`, `deduct`, `cap` (points given back because an indicator's cap was reached),
    /// `bonus` or `note`.
    pub part: String,
    pub indicator: String,
    pub rule: String,
    pub name: String,
    /// Signed points: negative for deductions, positive for bonus and caps, 0 for vetoes and notes.
    pub points: f64,
    pub finding_ids: Vec<i64>,
    pub fact_ids: Vec<i64>,
    pub note: String,
}

/// The score of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    pub site_id: String,
    /// `pass` (合格) or `fail` (不合格).
    pub verdict: String,
    pub vetoed: bool,
    /// Points deducted after the caps (positive).
    pub deducted: f64,
    pub bonus: f64,
    /// The site entered bonus scoring (a portal strictly above the bonus threshold).
    pub bonus_scored: bool,
    /// Final score; `None` when a veto failed the site (nothing else is scored).
    pub score: Option<f64>,
    /// Every window the rules needed was complete (otherwise a `note` item says which was not).
    pub complete: bool,
    pub items: Vec<ScoreItemRow>,
}

/// One scoring of a run under one rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreSet {
    pub run_id: i64,
    pub rules_version: String,
    /// SHA-256 of the rules file's text: a changed rule is another scoring.
    pub rules_hash: String,
    /// RFC 3339.
    pub scored_at: String,
    /// RFC 3339 monitoring time the scores were judged at.
    pub as_of: String,
    pub scores: Vec<ScoreRow>,
}

/// A scoring recorded for a run (without its rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoringRef {
    pub run_id: i64,
    pub rules_version: String,
    pub rules_hash: String,
    pub scored_at: String,
    pub sites: u64,
}

impl Store {
    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let r = (|| {
            let ids: Vec<i64> = self
                .conn
                .prepare_cached("SELECT id FROM runs ORDER BY id")?
                .query_map(params![], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for id in ids {
                if let Some(run) = self.query_run("WHERE id = ?1", params![id])? {
                    out.push(run);
                }
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The sites whose result is committed for the run, by id.
    pub fn run_sites(&self, run_id: i64) -> Result<Vec<SiteRow>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT s.id, s.name, s.home, s.org, s.region, s.kind
                 FROM run_sites rs JOIN sites s ON s.id = rs.site_id
                 WHERE rs.run_id = ?1 ORDER BY s.id",
            )?;
            let rows = stmt.query_map(params![run_id], SiteRow::read)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }

    /// The pages a run crawled, in write order, with their fetch.
    pub fn run_pages(&self, run_id: i64) -> Result<Vec<PageRow>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT p.id, p.site_id, p.url, p.final_url, p.status, f.started_at, f.content_type,
                        f.remote_addr, p.charset, p.body_hash,
                        ifnull(f.method = 'RENDER', 0)
                 FROM pages p LEFT JOIN fetches f ON f.id = p.fetch_id
                 WHERE p.run_id = ?1 ORDER BY p.id",
            )?;
            let rows = stmt.query_map(params![run_id], |r| {
                Ok(PageRow {
                    id: r.get(0)?,
                    site_id: r.get(1)?,
                    url: r.get(2)?,
                    final_url: r.get(3)?,
                    status: r.get(4)?,
                    fetched_at: r.get(5)?,
                    content_type: r.get(6)?,
                    remote_addr: r.get(7)?,
                    charset: r.get(8)?,
                    body_hash: r.get(9)?,
                    rendered: r.get(10)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }

    /// Records a scoring in one transaction; a scoring of the same run under the same rules
    /// (`rules_hash`) is replaced.
    pub fn write_scores(&mut self, set: &ScoreSet) -> Result<()> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)",
                params![set.run_id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::unknown_run(set.run_id));
            }
            tx.execute(
                "DELETE FROM scores WHERE run_id = ?1 AND rules_hash = ?2",
                params![set.run_id, set.rules_hash],
            )?;
            for s in &set.scores {
                tx.execute(
                    "INSERT INTO scores (run_id, site_id, rules_version, rules_hash, scored_at, as_of,
                        verdict, vetoed, deducted, bonus, bonus_scored, score, complete)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    params![
                        set.run_id,
                        s.site_id,
                        set.rules_version,
                        set.rules_hash,
                        set.scored_at,
                        set.as_of,
                        s.verdict,
                        s.vetoed,
                        s.deducted,
                        s.bonus,
                        s.bonus_scored,
                        s.score,
                        s.complete
                    ],
                )?;
                let score_id = tx.last_insert_rowid();
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO score_items (score_id, part, indicator, rule, name, points,
                        finding_ids, fact_ids, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                for i in &s.items {
                    stmt.execute(params![
                        score_id,
                        i.part,
                        i.indicator,
                        i.rule,
                        i.name,
                        i.points,
                        serde_json::to_string(&i.finding_ids)?,
                        serde_json::to_string(&i.fact_ids)?,
                        i.note
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })();
        self.ctx(r)
    }

    /// The scorings recorded for a run, newest first.
    pub fn scorings(&self, run_id: i64) -> Result<Vec<ScoringRef>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT run_id, rules_version, rules_hash, max(scored_at), count(*), max(id)
                 FROM scores WHERE run_id = ?1 GROUP BY run_id, rules_hash, rules_version
                 ORDER BY max(id) DESC",
            )?;
            let rows = stmt.query_map(params![run_id], |r| {
                Ok(ScoringRef {
                    run_id: r.get(0)?,
                    rules_version: r.get(1)?,
                    rules_hash: r.get(2)?,
                    scored_at: r.get(3)?,
                    sites: to_u64(r.get(4)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }

    /// A scoring of a run: under the rules with this hash, or the newest one; `None` when the run
    /// was never scored (so).
    pub fn scores(&self, run_id: i64, rules_hash: Option<&str>) -> Result<Option<ScoreSet>> {
        let r = (|| {
            let head: Option<(String, String, String, String)> = self
                .conn
                .query_row(
                    "SELECT rules_version, rules_hash, scored_at, as_of FROM scores
                     WHERE run_id = ?1 AND (?2 IS NULL OR rules_hash = ?2) ORDER BY id DESC LIMIT 1",
                    params![run_id, rules_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((rules_version, rules_hash, scored_at, as_of)) = head else {
                return Ok(None);
            };
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, site_id, verdict, vetoed, deducted, bonus, bonus_scored, score, complete
                 FROM scores WHERE run_id = ?1 AND rules_hash = ?2 ORDER BY site_id",
            )?;
            let heads = stmt
                .query_map(params![run_id, rules_hash], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        ScoreRow {
                            site_id: r.get(1)?,
                            verdict: r.get(2)?,
                            vetoed: r.get(3)?,
                            deducted: r.get(4)?,
                            bonus: r.get(5)?,
                            bonus_scored: r.get(6)?,
                            score: r.get(7)?,
                            complete: r.get(8)?,
                            items: Vec::new(),
                        },
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut items = self.conn.prepare_cached(
                "SELECT part, indicator, rule, name, points, finding_ids, fact_ids, note
                 FROM score_items WHERE score_id = ?1 ORDER BY id",
            )?;
            let mut scores = Vec::new();
            for (id, mut row) in heads {
                let raw = items
                    .query_map(params![id], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, f64>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, String>(6)?,
                            r.get::<_, String>(7)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                for (part, indicator, rule, name, points, fids, facts, note) in raw {
                    row.items.push(ScoreItemRow {
                        part,
                        indicator,
                        rule,
                        name,
                        points,
                        finding_ids: serde_json::from_str(&fids)?,
                        fact_ids: serde_json::from_str(&facts)?,
                        note,
                    });
                }
                scores.push(row);
            }
            Ok(Some(ScoreSet {
                run_id,
                rules_version,
                rules_hash,
                scored_at,
                as_of,
                scores,
            }))
        })();
        self.ctx(r)
    }
}

/// Where a crawled page sits in its run's WARC file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveRecord {
    pub run_id: i64,
    pub page_id: i64,
    /// The page's URL as fetched (`WARC-Target-URI`).
    pub url: String,
    /// File name of the WARC (relative to the directory it was written to).
    pub file: String,
    /// `WARC-Record-ID`, e.g. `<urn:uuid:…>`.
    pub record_id: String,
    /// Byte offset of the record's gzip member in the file, and its compressed length.
    pub offset: u64,
    pub length: u64,
}

impl Store {
    /// Records where a run's pages were archived (replacing an earlier archive of the run).
    pub fn write_archive_records(&mut self, run_id: i64, records: &[ArchiveRecord]) -> Result<()> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM archive_records WHERE run_id = ?1",
                params![run_id],
            )?;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO archive_records (run_id, page_id, url, file, record_id, offset, length)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for a in records {
                stmt.execute(params![
                    run_id,
                    a.page_id,
                    a.url,
                    a.file,
                    a.record_id,
                    crate::to_i64(a.offset),
                    crate::to_i64(a.length)
                ])?;
            }
            drop(stmt);
            tx.commit()?;
            Ok(())
        })();
        self.ctx(r)
    }

    /// Where the run's pages were archived, by page id.
    pub fn archive_records(&self, run_id: i64) -> Result<Vec<ArchiveRecord>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT run_id, page_id, url, file, record_id, offset, length FROM archive_records
                 WHERE run_id = ?1 ORDER BY offset",
            )?;
            let rows = stmt.query_map(params![run_id], |r| {
                Ok(ArchiveRecord {
                    run_id: r.get(0)?,
                    page_id: r.get(1)?,
                    url: r.get(2)?,
                    file: r.get(3)?,
                    record_id: r.get(4)?,
                    offset: to_u64(r.get(5)?),
                    length: to_u64(r.get(6)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }
}
