//! Site results: a site's fetches, pages, facts and findings written in one transaction
//! ([`PreparedSite`], [`prepare_site`]) and read back ([`StoredFinding`], [`StoredFact`],
//! [`SiteSummary`]).

use super::*;

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

pub(crate) mod erased {
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

pub(crate) fn insert_fetch(
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

/// A fetch's URL, start time (µs) and attempt: enough to find it again among a site's fetches.
pub(crate) type FetchKey<'a> = (&'a str, i64, u32);

/// The write path of [`Store::write_site_result`]; `Ok(false)` when the site was already recorded.
pub(crate) fn write_site(
    conn: &mut Connection,
    run_id: i64,
    prepared: &PreparedSite,
) -> Result<bool> {
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
pub(crate) fn write_sites(
    conn: &mut Connection,
    sites: &[(i64, &PreparedSite)],
) -> Result<Vec<Result<bool>>> {
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
pub(crate) fn write_site_in(tx: &Connection, run_id: i64, prepared: &PreparedSite) -> Result<bool> {
    let r = &prepared.result;
    let site_id = r.site.id.as_str();
    check_run_open(tx, run_id)?;
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
    let fetch_ids = insert_fetches(tx, run_id, prepared)?;
    let fetches = r.fetches.len() as u64 + insert_pages(tx, run_id, prepared, &fetch_ids)?;

    insert_samples(tx, Some(run_id), site_id, &r.samples)?;
    insert_facts(tx, run_id, prepared)?;
    insert_findings(tx, run_id, prepared)?;
    // a pattern an inspector dismissed on a page is not raised again there
    crate::reviews::inherit_dismissals(tx, run_id, Some(site_id))?;

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

/// The run exists and is open (`running` or `interrupted`).
pub(crate) fn check_run_open(tx: &Connection, run_id: i64) -> Result<()> {
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
        Some(s) if s.is_open() => Ok(()),
        Some(s) => Err(StoreError::RunClosed {
            path: PathBuf::new(),
            run_id,
            status: s.as_str(),
        }),
        None => Err(StoreError::corrupt(format!(
            "run {run_id} has unknown status {status:?}"
        ))),
    }
}

/// Inserts the site's fetches; their ids by (URL, start, attempt), with each one's index.
fn insert_fetches<'p>(
    tx: &Connection,
    run_id: i64,
    prepared: &'p PreparedSite,
) -> Result<HashMap<FetchKey<'p>, Vec<(usize, i64)>>> {
    let r = &prepared.result;
    let site_id = r.site.id.as_str();
    let mut fetch_ids: HashMap<FetchKey<'_>, Vec<(usize, i64)>> = HashMap::new();
    for (i, f) in r.fetches.iter().enumerate() {
        let id = insert_fetch(tx, run_id, site_id, f, &prepared.fetch_redirects[i])?;
        fetch_ids
            .entry((f.url.as_str(), f.started_at.timestamp_micros(), f.attempt))
            .or_default()
            .push((i, id));
    }
    Ok(fetch_ids)
}

/// Inserts the site's pages (and their bodies), each pointing at its own fetch; returns how
/// many fetches were added for pages whose exchange was not among the fetches.
fn insert_pages(
    tx: &Connection,
    run_id: i64,
    prepared: &PreparedSite,
    fetch_ids: &HashMap<FetchKey<'_>, Vec<(usize, i64)>>,
) -> Result<u64> {
    let r = &prepared.result;
    let site_id = r.site.id.as_str();
    let mut added = 0;
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
                added += 1;
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
    Ok(added)
}

/// Inserts the site's facts (values serialized beforehand).
fn insert_facts(tx: &Connection, run_id: i64, prepared: &PreparedSite) -> Result<()> {
    let r = &prepared.result;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO facts (run_id, site_id, probe, code, url, value, observed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (fi, fact) in r.facts.iter().enumerate() {
        stmt.execute(params![
            run_id,
            r.site.id,
            fact.probe,
            fact.code,
            fact.url,
            prepared.fact_values[fi],
            fact.observed_at.to_rfc3339(),
        ])?;
    }
    Ok(())
}

/// Inserts the site's findings (values and evidence serialized beforehand).
fn insert_findings(tx: &Connection, run_id: i64, prepared: &PreparedSite) -> Result<()> {
    let r = &prepared.result;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO findings (run_id, site_id, probe, code, severity, url, value, message, evidence,
             observed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (fi, finding) in r.findings.iter().enumerate() {
        stmt.execute(params![
            run_id,
            r.site.id,
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
    Ok(())
}

impl Store {
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

    /// The findings of a run (of one site, or all sites), in the order they were written; the
    /// findings of new-media accounts are read with [`Store::account_findings`].
    pub fn findings(&self, run_id: i64, site_id: Option<&str>) -> Result<Vec<StoredFinding>> {
        let r = (|| {
            self.require_run(run_id)?;
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {FINDING_COLUMNS}
                 FROM findings WHERE run_id = ?1 AND (?2 IS NULL OR site_id = ?2)
                     AND account_key IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map(params![run_id, site_id], RawFinding::read)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
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
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {FACT_COLUMNS}
                 FROM facts WHERE run_id = ?1 AND (?2 IS NULL OR site_id = ?2)
                     AND account_key IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map(params![run_id, site_id], RawFact::read)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
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

/// The columns a stored finding is read from, in [`RawFinding::read`]'s order (site findings and
/// account findings alike).
pub(crate) const FINDING_COLUMNS: &str =
    "id, site_id, probe, code, severity, url, value, message, evidence, observed_at";

/// A `findings` row as SQLite gives it (columns [`FINDING_COLUMNS`]), before it is decoded.
pub(crate) struct RawFinding {
    id: i64,
    site_id: String,
    probe: String,
    code: String,
    severity: String,
    url: Option<String>,
    value: String,
    message: String,
    evidence: String,
    observed_at: String,
}

impl RawFinding {
    pub(crate) fn read(r: &rusqlite::Row) -> rusqlite::Result<RawFinding> {
        Ok(RawFinding {
            id: r.get(0)?,
            site_id: r.get(1)?,
            probe: r.get(2)?,
            code: r.get(3)?,
            severity: r.get(4)?,
            url: r.get(5)?,
            value: r.get(6)?,
            message: r.get(7)?,
            evidence: r.get(8)?,
            observed_at: r.get(9)?,
        })
    }

    pub(crate) fn decode(self) -> Result<StoredFinding> {
        let id = self.id;
        let severity = Severity::parse(&self.severity).ok_or_else(|| {
            StoreError::corrupt(format!(
                "finding {id} has unknown severity {:?}",
                self.severity
            ))
        })?;
        Ok(StoredFinding {
            id,
            site_id: self.site_id,
            finding: Finding {
                probe: self.probe,
                code: self.code,
                severity,
                url: self.url,
                value: serde_json::from_str(&self.value)?,
                message: self.message,
                evidence: serde_json::from_str(&self.evidence)?,
                observed_at: parse_ts(&self.observed_at, "findings.observed_at")?,
            },
        })
    }
}

/// The columns a stored fact is read from, in [`RawFact::read`]'s order.
pub(crate) const FACT_COLUMNS: &str = "id, site_id, probe, code, url, value, observed_at";

/// A `facts` row as SQLite gives it (columns [`FACT_COLUMNS`]), before it is decoded.
pub(crate) struct RawFact {
    id: i64,
    site_id: String,
    probe: String,
    code: String,
    url: Option<String>,
    value: String,
    observed_at: String,
}

impl RawFact {
    pub(crate) fn read(r: &rusqlite::Row) -> rusqlite::Result<RawFact> {
        Ok(RawFact {
            id: r.get(0)?,
            site_id: r.get(1)?,
            probe: r.get(2)?,
            code: r.get(3)?,
            url: r.get(4)?,
            value: r.get(5)?,
            observed_at: r.get(6)?,
        })
    }

    pub(crate) fn decode(self) -> Result<StoredFact> {
        Ok(StoredFact {
            id: self.id,
            site_id: self.site_id,
            fact: Fact {
                probe: self.probe,
                code: self.code,
                url: self.url,
                value: serde_json::from_str(&self.value)?,
                observed_at: parse_ts(&self.observed_at, "facts.observed_at")?,
            },
        })
    }
}
