//! Runs: starting, resuming and finishing a run, the registry of sites it inspects ([`RunRow`],
//! [`RunStatus`]).

use super::*;

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

pub(crate) fn upsert_site(tx: &Connection, site: &Site, now: &str) -> Result<()> {
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

impl Store {
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

    pub(crate) fn query_run(
        &self,
        tail: &str,
        p: &[&dyn rusqlite::ToSql],
    ) -> Result<Option<RunRow>> {
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

    pub(crate) fn require_run(&self, run_id: i64) -> Result<RunRow> {
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
}
