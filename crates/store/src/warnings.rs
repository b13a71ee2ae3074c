//! What the daemon keeps between restarts: its state (`daemon_state`), the latest availability
//! window of each site (`availability`), early warnings (`warnings`) and their delivery to each
//! sink (`warning_deliveries`). See `docs/schema.md`.

use crate::{Result, Store, StoreError, now, parse_ts, site_exists};
use govwatch_model::{Sample, Timestamp};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

/// The latest availability window of a site, as the daemon computed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityRow {
    pub site_id: String,
    /// RFC 3339.
    pub computed_at: String,
    pub samples: u64,
    pub failed: u64,
    pub ratio: f64,
    pub complete: bool,
    /// The `avail.window` fact value.
    pub value: serde_json::Value,
}

/// One early warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRow {
    pub id: i64,
    pub site_id: String,
    pub code: String,
    /// RFC 3339.
    pub opened_at: String,
    pub closed_at: Option<String>,
    /// The measurement when the warning opened.
    pub value: serde_json::Value,
    pub message: String,
    /// The latest measurement while open.
    pub last_value: serde_json::Value,
    pub last_seen_at: String,
    /// When it was last delivered to a sink.
    pub last_sent: Option<String>,
}

/// What [`Store::raise_warning`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raised {
    /// A new warning was opened (it is to be sent).
    Opened(i64),
    /// The warning was already open; its latest value was updated (nothing is sent).
    StillOpen(i64),
}

/// The newest run that finished a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteRun {
    pub run_id: i64,
    /// RFC 3339 monitoring time of the run.
    pub as_of: String,
    /// RFC 3339 time the site's result was committed.
    pub finished_at: String,
}

const WARNING_COLUMNS: &str =
    "id, site_id, code, opened_at, closed_at, value, message, last_value, last_seen_at, last_sent";

fn warning_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(WarningRow, String, String)> {
    Ok((
        WarningRow {
            id: r.get(0)?,
            site_id: r.get(1)?,
            code: r.get(2)?,
            opened_at: r.get(3)?,
            closed_at: r.get(4)?,
            value: serde_json::Value::Null,
            message: r.get(6)?,
            last_value: serde_json::Value::Null,
            last_seen_at: r.get(8)?,
            last_sent: r.get(9)?,
        },
        r.get(5)?,
        r.get(7)?,
    ))
}

fn finish_warning(raw: (WarningRow, String, String)) -> Result<WarningRow> {
    let (mut w, value, last) = raw;
    w.value = serde_json::from_str(&value)?;
    w.last_value = serde_json::from_str(&last)?;
    Ok(w)
}

impl Store {
    /// A value of the daemon's state.
    pub fn daemon_state(&self, key: &str) -> Result<Option<String>> {
        let r = self
            .conn
            .query_row(
                "SELECT value FROM daemon_state WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from);
        self.ctx(r)
    }

    /// Sets a value of the daemon's state (committed at once).
    pub fn set_daemon_state(&mut self, key: &str, value: &str) -> Result<()> {
        let r = self
            .conn
            .execute(
                "INSERT INTO daemon_state (key, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![key, value, now()],
            )
            .map(|_| ())
            .map_err(StoreError::from);
        self.ctx(r)
    }

    /// Replaces the site's latest availability window.
    pub fn set_availability(&mut self, row: &AvailabilityRow) -> Result<()> {
        let r = (|| {
            if !site_exists(&self.conn, &row.site_id)? {
                return Err(StoreError::unknown_site(&row.site_id));
            }
            self.conn.execute(
                "INSERT INTO availability (site_id, computed_at, samples, failed, ratio, complete, value)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (site_id) DO UPDATE SET computed_at = excluded.computed_at,
                     samples = excluded.samples, failed = excluded.failed, ratio = excluded.ratio,
                     complete = excluded.complete, value = excluded.value",
                params![
                    row.site_id,
                    row.computed_at,
                    crate::to_i64(row.samples),
                    crate::to_i64(row.failed),
                    row.ratio,
                    row.complete,
                    serde_json::to_string(&row.value)?
                ],
            )?;
            Ok(())
        })();
        self.ctx(r)
    }

    /// The site's latest availability window, if the daemon computed one.
    pub fn availability(&self, site_id: &str) -> Result<Option<AvailabilityRow>> {
        let r = (|| {
            let raw = self
                .conn
                .query_row(
                    "SELECT computed_at, samples, failed, ratio, complete, value FROM availability
                     WHERE site_id = ?1",
                    params![site_id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, f64>(3)?,
                            r.get::<_, bool>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    },
                )
                .optional()?;
            let Some((computed_at, samples, failed, ratio, complete, value)) = raw else {
                return Ok(None);
            };
            Ok(Some(AvailabilityRow {
                site_id: site_id.to_string(),
                computed_at,
                samples: crate::to_u64(samples),
                failed: crate::to_u64(failed),
                ratio,
                complete,
                value: serde_json::from_str(&value)?,
            }))
        })();
        self.ctx(r)
    }

    /// The site's newest availability sample (any run, or the daemon).
    pub fn last_sample(&self, site_id: &str) -> Result<Option<Sample>> {
        let r = (|| {
            let at: Option<i64> = self
                .conn
                .query_row(
                    "SELECT max(at_ms) FROM samples WHERE site_id = ?1",
                    params![site_id],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            let Some(at) = at else { return Ok(None) };
            let t = chrono::DateTime::from_timestamp_millis(at)
                .ok_or_else(|| StoreError::corrupt(format!("samples.at_ms {at} out of range")))?
                .fixed_offset();
            let samples = self.samples(site_id, t, t + chrono::Duration::milliseconds(1))?;
            // the failed one first when two families were sampled at the same instant
            Ok(samples.into_iter().min_by_key(|s| s.ok))
        })();
        self.ctx(r)
    }

    /// The newest run that committed the site's result.
    pub fn last_site_run(&self, site_id: &str) -> Result<Option<SiteRun>> {
        let r = self
            .conn
            .query_row(
                "SELECT r.id, r.as_of, s.finished_at FROM run_sites s JOIN runs r ON r.id = s.run_id
                 WHERE s.site_id = ?1 ORDER BY r.id DESC LIMIT 1",
                params![site_id],
                |r| {
                    Ok(SiteRun {
                        run_id: r.get(0)?,
                        as_of: r.get(1)?,
                        finished_at: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(StoreError::from);
        self.ctx(r)
    }

    /// Opens the warning `(site, code)` unless it is open already, in which case only its latest
    /// value and time are updated. One open warning per site and code (a unique index holds it).
    pub fn raise_warning(
        &mut self,
        site_id: &str,
        code: &str,
        at: Timestamp,
        value: &serde_json::Value,
        message: &str,
    ) -> Result<Raised> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            if !site_exists(&tx, site_id)? {
                return Err(StoreError::unknown_site(site_id));
            }
            let value = serde_json::to_string(value)?;
            let at = at.to_rfc3339();
            let open: Option<i64> = tx
                .query_row(
                    "SELECT id FROM warnings WHERE site_id = ?1 AND code = ?2 AND closed_at IS NULL",
                    params![site_id, code],
                    |r| r.get(0),
                )
                .optional()?;
            let raised = match open {
                Some(id) => {
                    tx.execute(
                        "UPDATE warnings SET last_value = ?2, last_seen_at = ?3 WHERE id = ?1",
                        params![id, value, at],
                    )?;
                    Raised::StillOpen(id)
                }
                None => {
                    tx.execute(
                        "INSERT INTO warnings (site_id, code, opened_at, value, message, last_value, last_seen_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?3)",
                        params![site_id, code, at, value, message],
                    )?;
                    Raised::Opened(tx.last_insert_rowid())
                }
            };
            tx.commit()?;
            Ok(raised)
        })();
        self.ctx(r)
    }

    /// Closes the open warning `(site, code)`; returns whether one was open.
    pub fn clear_warning(&mut self, site_id: &str, code: &str, at: Timestamp) -> Result<bool> {
        let r = self
            .conn
            .execute(
                "UPDATE warnings SET closed_at = ?3 WHERE site_id = ?1 AND code = ?2 AND closed_at IS NULL",
                params![site_id, code, at.to_rfc3339()],
            )
            .map(|n| n > 0)
            .map_err(StoreError::from);
        self.ctx(r)
    }

    /// Open warnings (of one site, or all), oldest first.
    pub fn open_warnings(&self, site_id: Option<&str>) -> Result<Vec<WarningRow>> {
        self.ctx(self.query_warnings(
            "WHERE closed_at IS NULL AND (?1 IS NULL OR site_id = ?1) ORDER BY id",
            params![site_id],
        ))
    }

    /// Every warning (open and closed) of one site or all, oldest first.
    pub fn warnings(&self, site_id: Option<&str>) -> Result<Vec<WarningRow>> {
        self.ctx(self.query_warnings(
            "WHERE (?1 IS NULL OR site_id = ?1) ORDER BY id",
            params![site_id],
        ))
    }

    fn query_warnings(&self, tail: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<WarningRow>> {
        let sql = format!("SELECT {WARNING_COLUMNS} FROM warnings {tail}");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(p, warning_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(finish_warning(row?)?);
        }
        Ok(out)
    }

    /// Open warnings not yet delivered to `sink` (never tried, or the last try failed).
    pub fn undelivered(&self, sink: &str) -> Result<Vec<WarningRow>> {
        self.ctx(self.query_warnings(
            "WHERE closed_at IS NULL AND id NOT IN
                 (SELECT warning_id FROM warning_deliveries WHERE sink = ?1 AND sent_at IS NOT NULL)
             ORDER BY id",
            params![sink],
        ))
    }

    /// Records one delivery attempt of a warning to a sink: `error` `None` means it was sent.
    pub fn record_delivery(
        &mut self,
        warning_id: i64,
        sink: &str,
        at: Timestamp,
        error: Option<&str>,
    ) -> Result<()> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let at = at.to_rfc3339();
            let sent = error.is_none().then_some(at.as_str());
            tx.execute(
                "INSERT INTO warning_deliveries (warning_id, sink, sent_at, attempts, error)
                 VALUES (?1, ?2, ?3, 1, ?4)
                 ON CONFLICT (warning_id, sink) DO UPDATE SET
                     sent_at = coalesce(warning_deliveries.sent_at, excluded.sent_at),
                     attempts = warning_deliveries.attempts + 1, error = excluded.error",
                params![warning_id, sink, sent, error],
            )?;
            if error.is_none() {
                tx.execute(
                    "UPDATE warnings SET last_sent = ?2 WHERE id = ?1",
                    params![warning_id, at],
                )?;
            }
            tx.commit()?;
            Ok(())
        })();
        self.ctx(r)
    }

    /// How many deliveries of warnings succeeded per sink (for status and tests).
    pub fn deliveries(&self, warning_id: i64) -> Result<Vec<(String, Option<String>, u32)>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT sink, sent_at, attempts FROM warning_deliveries WHERE warning_id = ?1 ORDER BY sink",
            )?;
            let rows = stmt.query_map(params![warning_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })();
        self.ctx(r)
    }
}

/// Parses a stored RFC 3339 time (for callers reading the rows above).
pub fn parse_time(s: &str) -> Result<Timestamp> {
    parse_ts(s, "time")
}
