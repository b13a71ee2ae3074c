//! Read-only access for viewers (`govwatch serve`): the database opened without write access, and
//! the few read queries the web view needs beyond those the report already uses.
//!
//! - [`Store::open_read_only`] opens an existing database read-only (no migration, `query_only`).
//! - [`RunTally`] / [`Store::run_tallies`]: per run, sites, pages and findings recorded.
//! - [`ScoringTally`] / [`Store::scoring_tallies`]: per run and rule set, sites scored and passed.
//! - [`PassCount`] / [`Store::pass_counts`]: a scoring's passes by region and kind.
//! - [`SiteVisit`] and [`SiteScoreRef`] / [`Store::site_runs`], [`Store::site_scores`]: one site
//!   across runs (its history).
//! - [`StoredFetch`] / [`Store::fetches_for`]: the fetch records behind a finding's URL.
//! - [`Store::page_for`], [`Store::archive_record`], [`Store::finding_location`], [`Store::site`]:
//!   targeted look-ups for one finding's evidence.
//! - [`Store::known_sites`]: every site the database knows, as registry entries.
//! - [`Store::newest_finished_run`] and [`RunRow::as_of_time`](crate::RunRow::as_of_time): which
//!   run `govwatch score` and `report` take by default, by date or by quarter.

use crate::{
    ArchiveRecord, PageRow, Result, SCHEMA_VERSION, SeverityCounts, SiteRow, Store, StoreError,
    parse_ts, to_u64,
};
use govwatch_model::{FetchError, FetchRecord, Purpose, Severity};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What one run recorded, in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTally {
    pub run_id: i64,
    /// Sites whose result is committed (`run_sites`).
    pub sites: u64,
    pub pages: u64,
    pub findings: u64,
}

/// One scoring of a run under one rule set, in numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoringTally {
    pub run_id: i64,
    pub rules_version: String,
    pub rules_hash: String,
    pub scored_at: String,
    pub sites: u64,
    pub passed: u64,
}

/// Sites scored and passed in one region and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassCount {
    pub region: String,
    /// `portal` or `department`.
    pub kind: String,
    pub sites: u64,
    pub passed: u64,
}

/// One run that recorded a site: when, and what it found there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteVisit {
    pub run_id: i64,
    /// The run's monitoring time (RFC 3339).
    pub as_of: String,
    pub status: crate::RunStatus,
    /// When the run finished this site (RFC 3339).
    pub finished_at: String,
    pub pages: u64,
    pub findings: u64,
    pub by_severity: SeverityCounts,
}

/// A site's score in one scoring of one run (without its items).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteScoreRef {
    pub run_id: i64,
    pub rules_version: String,
    pub rules_hash: String,
    pub verdict: String,
    pub score: Option<f64>,
    pub deducted: f64,
    pub bonus: f64,
    pub complete: bool,
}

/// A fetch record read back, with its row id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFetch {
    /// `fetches.id`.
    pub id: i64,
    pub site_id: String,
    pub fetch: FetchRecord,
}

fn purpose(s: &str) -> Option<Purpose> {
    Some(match s {
        "page" => Purpose::Page,
        "link_check" => Purpose::LinkCheck,
        "robots" => Purpose::Robots,
        "sample" => Purpose::Sample,
        _ => return None,
    })
}

impl Store {
    /// Opens an existing database for reading only: no file is created, no migration is applied,
    /// and the connection refuses every write (`SQLITE_OPEN_READ_ONLY`, `PRAGMA query_only`).
    /// The database must be at this build's schema version (run any other govwatch command on it
    /// once to upgrade an older one).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source: rusqlite::Error| StoreError::opening(&path, source);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(crate::BUSY_TIMEOUT).map_err(open_err)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(open_err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(open_err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path,
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            return Err(StoreError::OlderSchema {
                path,
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        Ok(Store {
            conn,
            path,
            version,
        })
    }

    /// Sites, pages and findings recorded per run, by run id.
    pub fn run_tallies(&self) -> Result<Vec<RunTally>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT run_id, count(*), sum(pages), sum(findings) FROM run_sites
                 GROUP BY run_id ORDER BY run_id",
            )?;
            let rows = stmt.query_map(params![], |r| {
                Ok(RunTally {
                    run_id: r.get(0)?,
                    sites: to_u64(r.get(1)?),
                    pages: to_u64(r.get(2)?),
                    findings: to_u64(r.get(3)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }

    /// Every scoring of every run with its pass count, newest scoring first within a run.
    pub fn scoring_tallies(&self) -> Result<Vec<ScoringTally>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT run_id, rules_version, rules_hash, max(scored_at), count(*),
                        sum(verdict = 'pass')
                 FROM scores GROUP BY run_id, rules_hash, rules_version
                 ORDER BY run_id, max(id) DESC",
            )?;
            let rows = stmt.query_map(params![], |r| {
                Ok(ScoringTally {
                    run_id: r.get(0)?,
                    rules_version: r.get(1)?,
                    rules_hash: r.get(2)?,
                    scored_at: r.get(3)?,
                    sites: to_u64(r.get(4)?),
                    passed: to_u64(r.get(5)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }

    /// A run's scoring under the rules with this hash: sites and passes by region and kind.
    pub fn pass_counts(&self, run_id: i64, rules_hash: &str) -> Result<Vec<PassCount>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT s.region, s.kind, count(*), sum(sc.verdict = 'pass')
                 FROM scores sc JOIN sites s ON s.id = sc.site_id
                 WHERE sc.run_id = ?1 AND sc.rules_hash = ?2
                 GROUP BY s.region, s.kind ORDER BY s.region, s.kind",
            )?;
            let rows = stmt.query_map(params![run_id, rules_hash], |r| {
                Ok(PassCount {
                    region: r.get(0)?,
                    kind: r.get(1)?,
                    sites: to_u64(r.get(2)?),
                    passed: to_u64(r.get(3)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }

    /// Every site the database knows (the `sites` table: registered by a run, the daemon or the
    /// demo), by id, with its overrides: what `govwatch status` lists when no registry says more.
    pub fn known_sites(&self) -> Result<Vec<govwatch_model::Site>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, name, home, org, region, kind, overrides FROM sites ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    serde_json::json!({
                        "id": r.get::<_, String>(0)?,
                        "name": r.get::<_, String>(1)?,
                        "home": r.get::<_, String>(2)?,
                        "org": r.get::<_, String>(3)?,
                        "region": r.get::<_, String>(4)?,
                        "kind": r.get::<_, String>(5)?,
                    }),
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (mut v, overrides) = row?;
                if let (Some(obj), Ok(serde_json::Value::Object(o))) =
                    (v.as_object_mut(), serde_json::from_str(&overrides))
                {
                    obj.extend(o);
                }
                out.push(serde_json::from_value(v)?);
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// A site of the registry as the `sites` table holds it.
    pub fn site(&self, site_id: &str) -> Result<Option<SiteRow>> {
        let r = (|| {
            Ok(self
                .conn
                .query_row(
                    "SELECT id, name, home, org, region, kind FROM sites WHERE id = ?1",
                    params![site_id],
                    SiteRow::read,
                )
                .optional()?)
        })();
        self.ctx(r)
    }

    /// Every run that recorded the site, oldest first, with its findings by severity.
    pub fn site_runs(&self, site_id: &str) -> Result<Vec<SiteVisit>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT rs.run_id, r.as_of, r.status, rs.finished_at, rs.pages, rs.findings
                 FROM run_sites rs JOIN runs r ON r.id = rs.run_id
                 WHERE rs.site_id = ?1 ORDER BY rs.run_id",
            )?;
            let raw = stmt
                .query_map(params![site_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut counts = self.conn.prepare_cached(
                "SELECT severity, count(*) FROM findings WHERE run_id = ?1 AND site_id = ?2
                 GROUP BY severity",
            )?;
            let mut out = Vec::new();
            for (run_id, as_of, status, finished_at, pages, findings) in raw {
                let status = crate::RunStatus::parse(&status).ok_or_else(|| {
                    StoreError::corrupt(format!("run {run_id} has unknown status {status:?}"))
                })?;
                let mut by_severity = SeverityCounts::default();
                let rows = counts.query_map(params![run_id, site_id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?;
                for row in rows {
                    let (sev, n) = row?;
                    let sev = Severity::parse(&sev).ok_or_else(|| {
                        StoreError::corrupt(format!(
                            "a finding of site {site_id} has unknown severity {sev:?}"
                        ))
                    })?;
                    by_severity.add(sev, to_u64(n));
                }
                out.push(SiteVisit {
                    run_id,
                    as_of,
                    status,
                    finished_at,
                    pages: to_u64(pages),
                    findings: to_u64(findings),
                    by_severity,
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// Every score the site was given, in any run under any rules, newest scoring first.
    pub fn site_scores(&self, site_id: &str) -> Result<Vec<SiteScoreRef>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT run_id, rules_version, rules_hash, verdict, score, deducted, bonus, complete
                 FROM scores WHERE site_id = ?1 ORDER BY id DESC",
            )?;
            let rows = stmt.query_map(params![site_id], |r| {
                Ok(SiteScoreRef {
                    run_id: r.get(0)?,
                    rules_version: r.get(1)?,
                    rules_hash: r.get(2)?,
                    verdict: r.get(3)?,
                    score: r.get(4)?,
                    deducted: r.get(5)?,
                    bonus: r.get(6)?,
                    complete: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }

    /// One finding by id, of a site or of a new-media account: its run, the finding, and the
    /// account's key when it is an account's.
    pub fn finding_by_id(
        &self,
        finding_id: i64,
    ) -> Result<Option<(i64, crate::StoredFinding, Option<String>)>> {
        let r = (|| {
            let row = self
                .conn
                .query_row(
                    &format!(
                        "SELECT {}, run_id, account_key FROM findings WHERE id = ?1",
                        crate::FINDING_COLUMNS
                    ),
                    params![finding_id],
                    |r| {
                        Ok((
                            crate::RawFinding::read(r)?,
                            r.get::<_, i64>(10)?,
                            r.get::<_, Option<String>>(11)?,
                        ))
                    },
                )
                .optional()?;
            match row {
                None => Ok(None),
                Some((raw, run_id, account)) => Ok(Some((run_id, raw.decode()?, account))),
            }
        })();
        self.ctx(r)
    }

    /// The run and site a finding belongs to.
    pub fn finding_location(&self, finding_id: i64) -> Result<Option<(i64, String)>> {
        let r = (|| {
            Ok(self
                .conn
                .query_row(
                    "SELECT run_id, site_id FROM findings WHERE id = ?1",
                    params![finding_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })();
        self.ctx(r)
    }

    /// The fetch records of a run and site whose URL or final URL is one of `urls`, in the order
    /// they were made (retries included).
    pub fn fetches_for(
        &self,
        run_id: i64,
        site_id: &str,
        urls: &[&str],
    ) -> Result<Vec<StoredFetch>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, url, final_url, method, purpose, status, started_at, elapsed_ms, bytes,
                        content_type, content_hash, remote_addr, family, error_kind, error_message,
                        redirects, attempt, queue_ms
                 FROM fetches WHERE run_id = ?1 AND site_id = ?2 AND (url = ?3 OR final_url = ?3)
                 ORDER BY id",
            )?;
            let mut out: Vec<StoredFetch> = Vec::new();
            for url in urls {
                let rows = stmt.query_map(params![run_id, site_id, url], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<u16>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                        r.get::<_, Option<u8>>(12)?,
                        r.get::<_, Option<String>>(13)?,
                        r.get::<_, Option<String>>(14)?,
                        r.get::<_, String>(15)?,
                        r.get::<_, u32>(16)?,
                        r.get::<_, i64>(17)?,
                    ))
                })?;
                for row in rows {
                    let (
                        id,
                        url,
                        final_url,
                        method,
                        purpose_text,
                        status,
                        started_at,
                        elapsed_ms,
                        bytes,
                        content_type,
                        content_hash,
                        remote_addr,
                        family,
                        error_kind,
                        error_message,
                        redirects,
                        attempt,
                        queue_ms,
                    ) = row?;
                    if out.iter().any(|f| f.id == id) {
                        continue;
                    }
                    let purpose = purpose(&purpose_text).ok_or_else(|| {
                        StoreError::corrupt(format!(
                            "fetch {id} has unknown purpose {purpose_text:?}"
                        ))
                    })?;
                    let error = match error_kind {
                        None => None,
                        Some(k) => Some(FetchError::parse(&k).ok_or_else(|| {
                            StoreError::corrupt(format!("fetch {id} has unknown error kind {k:?}"))
                        })?),
                    };
                    out.push(StoredFetch {
                        id,
                        site_id: site_id.to_string(),
                        fetch: FetchRecord {
                            url,
                            final_url,
                            method,
                            purpose,
                            status,
                            started_at: parse_ts(&started_at, "fetches.started_at")?,
                            elapsed_ms: to_u64(elapsed_ms),
                            bytes: to_u64(bytes),
                            content_type,
                            content_hash,
                            remote_addr,
                            family,
                            error,
                            error_message,
                            redirects: serde_json::from_str(&redirects)?,
                            attempt,
                            queue_ms: to_u64(queue_ms),
                        },
                    });
                }
            }
            out.sort_by_key(|f| f.id);
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The page a run crawled for a site at this URL (asked for or answered after redirects).
    pub fn page_for(&self, run_id: i64, site_id: &str, url: &str) -> Result<Option<PageRow>> {
        let r = (|| {
            Ok(self
                .conn
                .query_row(
                    "SELECT p.id, p.site_id, p.url, p.final_url, p.status, f.started_at,
                            f.content_type, f.remote_addr, p.charset, p.body_hash,
                        ifnull(f.method = 'RENDER', 0)
                     FROM pages p LEFT JOIN fetches f ON f.id = p.fetch_id
                     WHERE p.run_id = ?1 AND p.site_id = ?2 AND (p.url = ?3 OR p.final_url = ?3)
                     ORDER BY p.url = ?3 DESC, p.id LIMIT 1",
                    params![run_id, site_id, url],
                    |r| {
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
                    },
                )
                .optional()?)
        })();
        self.ctx(r)
    }

    /// Where a page of a run sits in the run's WARC file, once the archive was written.
    pub fn archive_record(&self, run_id: i64, page_id: i64) -> Result<Option<ArchiveRecord>> {
        let r = (|| {
            Ok(self
                .conn
                .query_row(
                    "SELECT run_id, page_id, url, file, record_id, offset, length
                     FROM archive_records WHERE run_id = ?1 AND page_id = ?2",
                    params![run_id, page_id],
                    |r| {
                        Ok(ArchiveRecord {
                            run_id: r.get(0)?,
                            page_id: r.get(1)?,
                            url: r.get(2)?,
                            file: r.get(3)?,
                            record_id: r.get(4)?,
                            offset: to_u64(r.get(5)?),
                            length: to_u64(r.get(6)?),
                        })
                    },
                )
                .optional()?)
        })();
        self.ctx(r)
    }
}

impl crate::RunRow {
    /// The run's monitoring time point (`as_of`), when it is a valid RFC 3339 time.
    pub fn as_of_time(&self) -> Option<govwatch_model::Timestamp> {
        chrono::DateTime::parse_from_rfc3339(&self.as_of).ok()
    }
}

impl Store {
    /// The newest finished run (by id) for which `pick` holds; `None` when no run matches.
    pub fn newest_finished_run(
        &self,
        pick: impl Fn(&crate::RunRow) -> bool,
    ) -> Result<Option<i64>> {
        Ok(self
            .runs()?
            .iter()
            .rev()
            .find(|r| r.status == crate::RunStatus::Done && pick(r))
            .map(|r| r.id))
    }
}
