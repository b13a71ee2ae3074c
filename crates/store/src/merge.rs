//! Merging shard databases into one inspection (`govwatch merge SHARD.db... --into NIGHT.db`).
//!
//! A national night is crawled as `N` shards (`govwatch run --shard K/N`), each writing its own
//! SQLite file. [`Store::merge_shards`] copies the newest run of each shard file into **one** run
//! of the target database, so that `score`, `report` and `report --since` read it exactly as a
//! run made on one machine.
//!
//! - [`MergeReport`]: what a merge did (the target run, each shard merged or already there).
//! - [`MergedShard`]: one shard file's contribution, also recorded in the target run's settings
//!   (`settings.merge.shards`), which is how merging a shard again is recognised and skipped.
//! - [`MergeError`]: a refused input (names the file and why: another monitoring time, other
//!   rules, a site already merged from another shard, an unfinished run) or a store failure.
//!
//! How: every shard file is opened read-only and checked first, before anything is written:
//! its schema must be this build's, table for table and column for column (no view, no trigger,
//! no virtual or generated table — so that every read is a plain scan of rows the file holds,
//! never a query that runs forever), its pages must pass SQLite's `quick_check` (a damaged file
//! is refused here, not halfway through), and its newest run must be `done`. Then **every** shard
//! is copied in **one** `IMMEDIATE` transaction of the target: rows are read from each shard's own
//! read-only connection (in one read transaction, so a shard is copied as one snapshot) and
//! inserted into the target — all shards, or none. Ids are remapped by an offset (the target's
//! largest id of the table): `fetches`, `pages`, `facts`, `findings` and `posts` keep their
//! order and their references (`pages.fetch_id`, `archive_records.page_id`). Rows copied: the
//! sites and accounts of the shard's run, `run_sites`, `fetches`, `pages` and their `bodies`,
//! the run's `samples` (and the daemon's samples of its sites), `facts`, `findings`,
//! `run_accounts`, `posts`, `archive_records` and the accounts' `manual_findings`. Not copied:
//! `scores` (score the merged run: `govwatch score`), the daemon's own tables.
//!
//! A shard that is the target itself — the same file by device and inode, whatever path, link or
//! `..` names it — is refused. [`merge_into`] is the command's entry: it takes the target's writer
//! lock ([`crate::lock::RunLock`]) when the target exists, and when it does not, builds the night
//! in a temporary file beside it and links it into place only once the merge succeeded, so a
//! failed merge creates nothing.
//!
//! The merged run is `done` once every shard `0..N` is in (or at once for unsharded inputs);
//! until then it is `running`, with a note naming the shards still missing.

use crate::error::StoreError;
use crate::lock::{LockError, RunLock};
use crate::{RunStatus, Store, now};
use chrono::DateTime;
use rusqlite::types::Value;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Why a merge did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// An input cannot be merged; nothing was written for it (nor for any input after a check
    /// failed: every input is checked before the first write).
    #[error("{}: {why}", path.display())]
    Refused { path: PathBuf, why: String },
    /// Reading a shard or writing the target failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another process writes the target (a run, the daemon, another merge).
    #[error(transparent)]
    Locked(#[from] LockError),
    /// The new target file could not be put in place.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One shard file merged into the target run (kept in `runs.settings.merge.shards`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedShard {
    /// The shard file as given on the command line.
    pub file: String,
    /// `K/N` from the shard run's settings; `None` for a run made without `--shard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The run's id in the shard file.
    pub source_run: i64,
    /// The shard run's start (with `source_run`, what identifies it).
    pub started_at: String,
    /// When the shard run ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// Sites the shard run recorded.
    pub sites: u64,
    /// When it was merged.
    pub merged_at: String,
}

/// What [`Store::merge_shards`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeReport {
    /// The run of the target that holds the merged night.
    pub run_id: i64,
    /// Whether the run was created by this merge.
    pub created: bool,
    /// Shards copied now.
    pub merged: Vec<MergedShard>,
    /// Shard files whose run was already merged into the target run (nothing copied).
    pub already: Vec<PathBuf>,
    /// Status of the merged run afterwards (`done` once every shard is in).
    pub status: RunStatus,
    /// Shards `K` of `N` not merged yet (empty when complete or unsharded).
    pub missing: Vec<u32>,
}

/// A shard file, read and checked.
struct Source {
    path: PathBuf,
    run_id: i64,
    started_at: String,
    ended_at: Option<String>,
    as_of: String,
    as_of_ms: i64,
    settings: serde_json::Value,
    shard: Option<(u32, u32)>,
    rules: Option<String>,
    sites: BTreeSet<String>,
}

fn refused(path: &Path, why: impl Into<String>) -> MergeError {
    MergeError::Refused {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

fn millis(t: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// `shard` recorded by `govwatch run --shard`: `{"index": K, "count": N, ...}`.
fn shard_of_settings(settings: &serde_json::Value) -> Option<(u32, u32)> {
    let s = settings.get("shard")?;
    let k = s.get("index")?.as_u64()?;
    let n = s.get("count")?.as_u64()?;
    Some((k as u32, n as u32))
}

fn rules_of_settings(settings: &serde_json::Value) -> Option<String> {
    settings
        .get("rules_sha256")
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// A SQLite URI naming `path` read-only (`?`, `#` and `%` escaped).
fn ro_uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut s = String::from("file:");
    for c in abs.to_string_lossy().chars() {
        match c {
            '%' => s.push_str("%25"),
            '?' => s.push_str("%3f"),
            '#' => s.push_str("%23"),
            c => s.push(c),
        }
    }
    s.push_str("?mode=ro");
    s
}

/// Whether two paths name the same file (device and inode: whatever path, `..`, symbolic or
/// hard link names it). `false` when either cannot be read.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                x.dev() == y.dev() && x.ino() == y.ino()
            }
            #[cfg(not(unix))]
            {
                let _ = (x, y);
                matches!((a.canonicalize(), b.canonicalize()), (Ok(p), Ok(q)) if p == q)
            }
        }
        _ => false,
    }
}

/// Opens a shard read-only as untrusted input: no writes, no function of its schema run with
/// side effects (`trusted_schema` off).
fn open_shard(path: &Path) -> Result<Connection, MergeError> {
    let conn = Connection::open_with_flags(
        ro_uri(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| refused(path, format!("cannot open it as a SQLite database: {e}")))?;
    let setup = |c: &Connection| -> rusqlite::Result<()> {
        c.busy_timeout(crate::BUSY_TIMEOUT)?;
        c.pragma_update(None, "trusted_schema", false)?;
        c.pragma_update(None, "query_only", true)
    };
    setup(&conn).map_err(|e| refused(path, format!("cannot open it as a SQLite database: {e}")))?;
    Ok(conn)
}

/// A database's schema as the merge compares it: every object (kind, name) but SQLite's own,
/// and each table's columns (name, hidden flag of `table_xinfo`: generated columns differ).
#[derive(Debug, PartialEq, Eq)]
struct Schema {
    objects: BTreeSet<(String, String)>,
    columns: BTreeMap<String, Vec<(String, i64)>>,
}

fn schema_of(conn: &Connection) -> rusqlite::Result<Schema> {
    let mut objects = BTreeSet::new();
    let mut tables = Vec::new();
    let mut st = conn.prepare(
        "SELECT type, name, ifnull(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (kind, name, sql) = row?;
        let virtual_table = sql
            .trim_start()
            .get(..14)
            .is_some_and(|h| h.eq_ignore_ascii_case("CREATE VIRTUAL"));
        let kind = if virtual_table {
            "virtual table".to_string()
        } else {
            kind
        };
        if kind == "table" {
            tables.push(name.clone());
        }
        objects.insert((kind, name));
    }
    let mut columns = BTreeMap::new();
    for t in tables {
        let mut st =
            conn.prepare("SELECT name, hidden FROM pragma_table_xinfo(?1) ORDER BY cid")?;
        let cols = st
            .query_map([&t], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        columns.insert(t, cols);
    }
    Ok(Schema { objects, columns })
}

/// The schema this build writes (read once from a new in-memory database).
fn expected_schema() -> Result<&'static Schema, MergeError> {
    static S: OnceLock<Schema> = OnceLock::new();
    if let Some(s) = S.get() {
        return Ok(s);
    }
    let store = Store::open_in_memory()?;
    let schema = schema_of(&store.conn).map_err(StoreError::from)?;
    Ok(S.get_or_init(|| schema))
}

/// What differs between a shard's schema and this build's (up to five differences), or `None`.
fn schema_difference(got: &Schema, want: &Schema) -> Option<String> {
    let mut d: Vec<String> = Vec::new();
    for (kind, name) in got.objects.difference(&want.objects) {
        let expected = want
            .objects
            .iter()
            .find(|(_, n)| n == name)
            .map(|(k, _)| format!(" (expected a {k})"))
            .unwrap_or_default();
        d.push(format!("{kind} {name}{expected}"));
    }
    for (kind, name) in want.objects.difference(&got.objects) {
        if !got.objects.iter().any(|(_, n)| n == name) {
            d.push(format!("no {kind} {name}"));
        }
    }
    for (table, cols) in &want.columns {
        if let Some(theirs) = got.columns.get(table)
            && theirs != cols
        {
            let names: Vec<&str> = theirs.iter().map(|(n, _)| n.as_str()).collect();
            d.push(format!("table {table} has columns ({})", names.join(", ")));
        }
    }
    if d.is_empty() {
        return None;
    }
    let more = d.len().saturating_sub(5);
    d.truncate(5);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Some(format!("{}{tail}", d.join("; ")))
}

/// Opens and checks one shard file: a govwatch database at this build's schema version and of
/// this build's schema, undamaged (`quick_check`), whose newest run is `done`.
fn read_source(path: &Path) -> Result<Source, MergeError> {
    if !path.is_file() {
        return Err(refused(path, "no such file"));
    }
    let conn = open_shard(path)?;
    let bad = |e: rusqlite::Error| refused(path, format!("cannot read it: {e}"));
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| refused(path, format!("not a SQLite database: {e}")))?;
    if version != crate::SCHEMA_VERSION {
        return Err(refused(
            path,
            format!(
                "schema version {version}, but this build merges version {} only (open it once \
                 with this govwatch, e.g. `govwatch status --db FILE`, to upgrade it)",
                crate::SCHEMA_VERSION
            ),
        ));
    }
    let schema =
        schema_of(&conn).map_err(|e| refused(path, format!("cannot read its schema: {e}")))?;
    if let Some(diff) = schema_difference(&schema, expected_schema()?) {
        return Err(refused(
            path,
            format!(
                "its schema is not the one govwatch writes ({diff}): only a govwatch database is \
                 merged"
            ),
        ));
    }
    let mut problems: Vec<String> = Vec::new();
    {
        let mut st = conn.prepare("PRAGMA quick_check").map_err(bad)?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| refused(path, format!("it is damaged: {e}")))?;
        for row in rows.take(3) {
            problems.push(row.map_err(|e| refused(path, format!("it is damaged: {e}")))?);
        }
    }
    if problems != ["ok"] {
        return Err(refused(
            path,
            format!(
                "it is damaged (SQLite quick_check: {}); restore the shard or run it again",
                problems.join("; ")
            ),
        ));
    }
    let run = conn
        .query_row(
            "SELECT id, started_at, ended_at, as_of, status, settings FROM runs \
             ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            },
        )
        .optional()
        .map_err(bad)?;
    let Some((run_id, started_at, ended_at, as_of, status, settings)) = run else {
        return Err(refused(path, "it holds no run"));
    };
    if status != "done" {
        return Err(refused(
            path,
            format!(
                "its newest run {run_id} is {status}, not done: finish it first (govwatch run \
                 --resume with the same --shard and --db)"
            ),
        ));
    }
    let settings: serde_json::Value = serde_json::from_str(&settings)
        .map_err(|e| refused(path, format!("run {run_id} has unreadable settings: {e}")))?;
    let as_of_ms = millis(&as_of).ok_or_else(|| {
        refused(
            path,
            format!("run {run_id} has a monitoring time {as_of:?} that is not RFC 3339"),
        )
    })?;
    let mut st = conn
        .prepare("SELECT site_id FROM run_sites WHERE run_id = ?1")
        .map_err(bad)?;
    let sites = st
        .query_map(params![run_id], |r| r.get::<_, String>(0))
        .map_err(bad)?
        .collect::<rusqlite::Result<BTreeSet<String>>>()
        .map_err(bad)?;
    Ok(Source {
        path: path.to_path_buf(),
        run_id,
        started_at,
        ended_at,
        as_of,
        as_of_ms,
        shard: shard_of_settings(&settings),
        rules: rules_of_settings(&settings),
        settings,
        sites,
    })
}

/// Up to five ids, then how many more.
fn some(ids: &[&String]) -> String {
    let mut s: Vec<&str> = ids.iter().take(5).map(|s| s.as_str()).collect();
    let more = ids.len().saturating_sub(5);
    let extra = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    s.sort();
    format!("{}{extra}", s.join(", "))
}

/// The merged run to create with the first shard copied.
struct NewRun {
    started_at: String,
    as_of: String,
    settings: String,
}

/// The target run of a merge as found in the database.
struct Target {
    id: i64,
    settings: serde_json::Value,
    sites: BTreeSet<String>,
    shards: Vec<MergedShard>,
}

impl Store {
    /// The merged run (made by [`Store::merge_shards`]) whose monitoring time is this instant.
    fn merged_run_at(&self, as_of_ms: i64) -> crate::Result<Option<Target>> {
        let mut st = self.conn.prepare(
            "SELECT id, as_of, settings FROM runs WHERE json_type(settings, '$.merge') = 'object' \
             ORDER BY id DESC",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (id, as_of, settings) in rows {
            if millis(&as_of) != Some(as_of_ms) {
                continue;
            }
            let settings: serde_json::Value = serde_json::from_str(&settings)?;
            let shards: Vec<MergedShard> = settings
                .pointer("/merge/shards")
                .cloned()
                .map(serde_json::from_value)
                .transpose()?
                .unwrap_or_default();
            let sites = self.sites_done(id)?.into_iter().collect();
            return Ok(Some(Target {
                id,
                settings,
                sites,
                shards,
            }));
        }
        Ok(None)
    }

    /// Merges the newest run of each shard file into one run of this database (see the module
    /// doc). Every input is checked before anything is written: they must share one monitoring
    /// time and one rules digest (`settings.rules_sha256`), their sites must be disjoint from
    /// each other and from the sites already merged into the target run, and sharded inputs must
    /// agree on `N`. A shard already merged (same source run id and start) is skipped.
    pub fn merge_shards(&mut self, files: &[PathBuf]) -> Result<MergeReport, MergeError> {
        if files.is_empty() {
            return Err(refused(Path::new("merge"), "no shard file given"));
        }
        self.refuse_itself(files)?;
        let mut sources = Vec::new();
        for f in files {
            sources.push(read_source(f)?);
        }
        let first = &sources[0];
        check_one_night(first, &sources[1..])?;
        let target = self.ctx(self.merged_run_at(first.as_of_ms))?;
        let path = self.path.clone();
        // Sharded inputs (and the target) agree on N.
        let count = shard_count(target.as_ref(), &path, &sources)?;
        if let Some(t) = &target {
            check_target_rules(t, first, &path)?;
        }
        // Already merged (the same source run), given twice, or new.
        let (already, mut todo) = partition(target.as_ref(), &sources);
        // Shard order (then the order given), so that ids follow the shards whatever the order
        // of the command line.
        todo.sort_by_key(|s| s.shard.map(|(k, _)| k).unwrap_or(u32::MAX));
        // A site in two shards.
        check_disjoint(target.as_ref(), &path, &todo)?;

        // Every input checked: write every shard in ONE transaction (a new merged run created in
        // it), so a failure anywhere leaves the target as it was.
        let run_id = target.as_ref().map(|t| t.id);
        let created = run_id.is_none();
        let new_run = new_run(first, count);
        let (run_id, merged) = self.copy_all(&todo, run_id, &new_run)?;
        let Some(run_id) = run_id else {
            // every input was merged before, yet no merged run was found: cannot happen
            return Err(MergeError::Store(
                StoreError::corrupt("no merged run").in_db(&path),
            ));
        };
        let (status, missing) = self.ctx(self.merge_status(run_id))?;
        Ok(MergeReport {
            run_id,
            created,
            merged,
            already,
            status,
            missing,
        })
    }

    /// Refuses a shard file that is the target database itself, whatever path names it.
    fn refuse_itself(&self, files: &[PathBuf]) -> Result<(), MergeError> {
        for f in files {
            if same_file(f, &self.path) {
                return Err(refused(
                    f,
                    format!(
                        "it is the target database itself ({} names the same file): a shard \
                         cannot be merged into itself",
                        self.path.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Copies the shards `todo` into run `run_id` (created with the first when `None`) in ONE
    /// `IMMEDIATE` transaction; the run and the shards merged.
    fn copy_all(
        &mut self,
        todo: &[&Source],
        mut run_id: Option<i64>,
        new_run: &NewRun,
    ) -> Result<(Option<i64>, Vec<MergedShard>), MergeError> {
        let mut merged = Vec::new();
        if todo.is_empty() {
            return Ok((run_id, merged));
        }
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| MergeError::Store(StoreError::from(e).in_db(&path)))?;
        for s in todo {
            let (id, m) = copy_shard(&tx, run_id, new_run, s).map_err(|e| match e {
                MergeError::Store(e) => MergeError::Store(e.in_db(&path)),
                e => e,
            })?;
            run_id = Some(id);
            merged.push(m);
        }
        tx.commit()
            .map_err(|e| MergeError::Store(StoreError::from(e).in_db(&path)))?;
        for m in &merged {
            tracing::info!(run_id, shard = %m.file, sites = m.sites, "shard merged");
        }
        Ok((run_id, merged))
    }

    /// The merged run's status and the shards it still lacks.
    fn merge_status(&self, run_id: i64) -> crate::Result<(RunStatus, Vec<u32>)> {
        let run = self.require_run(run_id)?;
        let shards: Vec<MergedShard> = run
            .settings
            .pointer("/merge/shards")
            .cloned()
            .map(serde_json::from_value)
            .transpose()?
            .unwrap_or_default();
        let missing = match run
            .settings
            .pointer("/merge/count")
            .and_then(|v| v.as_u64())
        {
            Some(n) => {
                let have: BTreeSet<u32> = shards
                    .iter()
                    .filter_map(|m| m.shard.as_deref())
                    .filter_map(|t| t.split_once('/'))
                    .filter_map(|(k, _)| k.parse().ok())
                    .collect();
                (0..n as u32).filter(|k| !have.contains(k)).collect()
            }
            None => Vec::new(),
        };
        Ok((run.status, missing))
    }
    /// Leaves WAL mode (the log copied into the file and removed), so that the file alone holds
    /// the database before it is moved; the next `open` turns WAL on again.
    fn into_standalone(self) -> Result<(), MergeError> {
        let path = self.path.clone();
        self.conn
            .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))
            .map_err(|e| MergeError::Store(StoreError::from(e).in_db(&path)))?;
        self.conn
            .close()
            .map_err(|(_, e)| MergeError::Store(StoreError::from(e).in_db(&path)))
    }
}

/// Refuses the shards of another night: each of `rest` must share the first's monitoring time
/// and rules digest.
fn check_one_night(first: &Source, rest: &[Source]) -> Result<(), MergeError> {
    for s in rest {
        if s.as_of_ms != first.as_of_ms {
            return Err(refused(
                &s.path,
                format!(
                    "monitoring time {} differs from {} of {}: shards of one night must be \
                     run with the same --as-of",
                    s.as_of,
                    first.as_of,
                    first.path.display()
                ),
            ));
        }
        if s.rules != first.rules {
            return Err(refused(
                &s.path,
                format!(
                    "its rules (rules_sha256 {}) differ from those of {} ({}): shards of \
                     one night must use the same config/*.toml rule files",
                    s.rules.as_deref().unwrap_or("not recorded"),
                    first.path.display(),
                    first.rules.as_deref().unwrap_or("not recorded")
                ),
            ));
        }
    }
    Ok(())
}

/// The shard count `N` the sharded inputs and the target (`path`) agree on; a shard of another
/// `N` is refused.
fn shard_count(
    target: Option<&Target>,
    path: &Path,
    sources: &[Source],
) -> Result<Option<u32>, MergeError> {
    let mut count: Option<(u32, &Path)> = target
        .and_then(|t| t.settings.pointer("/merge/count"))
        .and_then(|v| v.as_u64())
        .map(|n| (n as u32, path));
    for s in sources {
        if let Some((_, n)) = s.shard {
            match count {
                Some((m, other)) if m != n => {
                    return Err(refused(
                        &s.path,
                        format!(
                            "it is a shard of {n}, but {} holds shards of {m}",
                            other.display()
                        ),
                    ));
                }
                _ => count = Some((n, &s.path)),
            }
        }
    }
    Ok(count.map(|(n, _)| n))
}

/// Refuses shards whose rules digest is not the one of the merged run `t` in `path`.
fn check_target_rules(t: &Target, first: &Source, path: &Path) -> Result<(), MergeError> {
    let merged_rules = rules_of_settings(&t.settings);
    if merged_rules != first.rules {
        return Err(refused(
            &first.path,
            format!(
                "its rules (rules_sha256 {}) differ from those of run {} in {} ({})",
                first.rules.as_deref().unwrap_or("not recorded"),
                t.id,
                path.display(),
                merged_rules.as_deref().unwrap_or("not recorded")
            ),
        ));
    }
    Ok(())
}

/// The files whose run is already merged into the target (or given twice), and the shards to
/// copy.
fn partition<'s>(
    target: Option<&Target>,
    sources: &'s [Source],
) -> (Vec<PathBuf>, Vec<&'s Source>) {
    let is_merged = |s: &Source| {
        target.is_some_and(|t| {
            t.shards
                .iter()
                .any(|m| m.source_run == s.run_id && m.started_at == s.started_at)
        })
    };
    let mut already = Vec::new();
    let mut todo: Vec<&Source> = Vec::new();
    for s in sources {
        let dup = todo
            .iter()
            .any(|t| t.run_id == s.run_id && t.started_at == s.started_at);
        if is_merged(s) || dup {
            already.push(s.path.clone());
        } else {
            todo.push(s);
        }
    }
    (already, todo)
}

/// Refuses a site in two shards, or in a shard and the merged run of the target (`path`).
fn check_disjoint(
    target: Option<&Target>,
    path: &Path,
    todo: &[&Source],
) -> Result<(), MergeError> {
    let mut owner: BTreeMap<&String, &Path> = BTreeMap::new();
    if let Some(t) = target {
        for site in &t.sites {
            owner.insert(site, path);
        }
    }
    for s in todo {
        let clash: Vec<&String> = s.sites.iter().filter(|x| owner.contains_key(x)).collect();
        if let Some(first_clash) = clash.first() {
            let other = owner[first_clash];
            let other = if other == path {
                format!(
                    "run {} of {} (merged from another shard run)",
                    target.map(|t| t.id).unwrap_or_default(),
                    other.display()
                )
            } else {
                other.display().to_string()
            };
            return Err(refused(
                &s.path,
                format!(
                    "site(s) {} are also in {other}: a site may be in one shard only",
                    some(&clash)
                ),
            ));
        }
        for site in &s.sites {
            owner.insert(site, &s.path);
        }
    }
    Ok(())
}

/// The merged run to create: the first shard's start, monitoring time and settings, without
/// its `shard` and with an empty `merge` record of `count` shards.
fn new_run(first: &Source, count: Option<u32>) -> NewRun {
    let mut settings = match &first.settings {
        serde_json::Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    settings.remove("shard");
    settings.insert(
        "merge".into(),
        serde_json::json!({"count": count, "shards": []}),
    );
    NewRun {
        started_at: first.started_at.clone(),
        as_of: first.as_of.clone(),
        settings: serde_json::Value::Object(settings).to_string(),
    }
}

/// One table's rows of a shard run: read from the shard (`select`, `?1` the target run, `?2` the
/// shard run) and inserted into the target (`insert`, one `?` per column read).
struct Step {
    table: &'static str,
    select: String,
    insert: String,
}

fn step(table: &'static str, columns: &str, select: String, conflict: &str) -> Step {
    let n = columns.split(',').count();
    let marks = vec!["?"; n].join(", ");
    let or_ignore = if conflict == "ignore" {
        "OR IGNORE "
    } else {
        ""
    };
    let on_conflict = if conflict == "ignore" { "" } else { conflict };
    Step {
        table,
        select,
        insert: format!(
            "INSERT {or_ignore}INTO main.{table} ({columns}) VALUES ({marks}) {on_conflict}"
        ),
    }
}

/// The id offsets of the target: each copied id is the shard's plus the target's largest.
struct Offsets {
    fetches: i64,
    pages: i64,
    facts: i64,
    findings: i64,
    posts: i64,
}

/// The statements, in foreign-key order, with the id offsets of the target.
fn steps(o: &Offsets) -> Vec<Step> {
    let mut steps = registry_steps();
    steps.extend(crawl_steps(o));
    steps.extend(account_steps(o));
    steps
}

/// The registry rows of the shard run (its sites and accounts, newest kept), the page bodies
/// it refers to and its `run_sites`.
fn registry_steps() -> Vec<Step> {
    vec![
        step(
            "sites",
            "id, name, home, org, region, kind, overrides, updated_at",
            "SELECT id, name, home, org, region, kind, overrides, updated_at FROM sites
             WHERE id IN (SELECT site_id FROM run_sites WHERE run_id = ?2) ORDER BY id"
                .into(),
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, home = excluded.home,
               org = excluded.org, region = excluded.region, kind = excluded.kind,
               overrides = excluded.overrides, updated_at = excluded.updated_at
             WHERE julianday(excluded.updated_at) > julianday(sites.updated_at)",
        ),
        step(
            "accounts",
            "key, platform, account_id, name, org, region, site_id, feed, updated_at",
            "SELECT key, platform, account_id, name, org, region, site_id, feed, updated_at
             FROM accounts
             WHERE key IN (SELECT account_key FROM run_accounts WHERE run_id = ?2) ORDER BY key"
                .into(),
            "ON CONFLICT (key) DO UPDATE SET platform = excluded.platform,
               account_id = excluded.account_id, name = excluded.name, org = excluded.org,
               region = excluded.region, site_id = excluded.site_id, feed = excluded.feed,
               updated_at = excluded.updated_at
             WHERE julianday(excluded.updated_at) > julianday(accounts.updated_at)",
        ),
        step(
            "bodies",
            "hash, charset, encoding, size, data",
            "SELECT hash, charset, encoding, size, data FROM bodies
             WHERE hash IN (SELECT body_hash FROM pages WHERE run_id = ?2
                              AND body_hash IS NOT NULL
                            UNION SELECT json_extract(evidence, '$.body_hash')
                              FROM findings WHERE run_id = ?2)"
                .into(),
            "ignore",
        ),
        step(
            "run_sites",
            "run_id, site_id, status, started_at, finished_at, pages, fetches, findings",
            "SELECT ?1, site_id, status, started_at, finished_at, pages, fetches, findings
             FROM run_sites WHERE run_id = ?2"
                .into(),
            "",
        ),
    ]
}

/// What the run crawled and judged: fetches, pages, samples, facts and findings, ids offset.
fn crawl_steps(o: &Offsets) -> Vec<Step> {
    let (fo, po, fa, fi) = (o.fetches, o.pages, o.facts, o.findings);
    vec![
        step(
            "fetches",
            "id, run_id, site_id, url, final_url, method, purpose, status, started_at, \
             elapsed_ms, bytes, content_type, content_hash, remote_addr, family, error_kind, \
             error_message, redirects, attempt, queue_ms, account_key",
            format!(
                "SELECT id + {fo}, ?1, site_id, url, final_url, method, purpose, status,
                   started_at, elapsed_ms, bytes, content_type, content_hash, remote_addr,
                   family, error_kind, error_message, redirects, attempt, queue_ms, account_key
                 FROM fetches WHERE run_id = ?2 ORDER BY id"
            ),
            "",
        ),
        step(
            "pages",
            "id, run_id, site_id, fetch_id, url, final_url, depth, status, title, charset, \
             charset_source, is_html, body_hash, links, account_key",
            format!(
                "SELECT id + {po}, ?1, site_id, fetch_id + {fo}, url, final_url, depth,
                   status, title, charset, charset_source, is_html, body_hash, links,
                   account_key
                 FROM pages WHERE run_id = ?2 ORDER BY id"
            ),
            "",
        ),
        step(
            "samples",
            "run_id, site_id, url, at, at_ms, family, ok, status, error_kind, elapsed_ms",
            "SELECT CASE WHEN run_id IS NULL THEN NULL ELSE ?1 END, site_id, url, at, at_ms,
               family, ok, status, error_kind, elapsed_ms
             FROM samples
             WHERE run_id = ?2
                OR (run_id IS NULL AND site_id IN
                    (SELECT site_id FROM run_sites WHERE run_id = ?2))
             ORDER BY id"
                .into(),
            "ignore",
        ),
        step(
            "facts",
            "id, run_id, site_id, probe, code, url, value, observed_at, account_key",
            format!(
                "SELECT id + {fa}, ?1, site_id, probe, code, url, value, observed_at, account_key
                 FROM facts WHERE run_id = ?2 ORDER BY id"
            ),
            "",
        ),
        step(
            "findings",
            "id, run_id, site_id, probe, code, severity, url, value, message, evidence, \
             observed_at, account_key",
            format!(
                "SELECT id + {fi}, ?1, site_id, probe, code, severity, url, value, message,
                   evidence, observed_at, account_key
                 FROM findings WHERE run_id = ?2 ORDER BY id"
            ),
            "",
        ),
    ]
}

/// The accounts' part of the run and the evidence archive: `run_accounts`, posts, archive
/// records and inspectors' observations.
fn account_steps(o: &Offsets) -> Vec<Step> {
    let (po, pso) = (o.pages, o.posts);
    vec![
        step(
            "run_accounts",
            "run_id, account_key, measured, started_at, finished_at, posts, findings",
            "SELECT ?1, account_key, measured, started_at, finished_at, posts, findings
             FROM run_accounts WHERE run_id = ?2"
                .into(),
            "",
        ),
        step(
            "posts",
            "id, run_id, account_key, guid, link, title, published, published_ms, repost, \
             excerpt, links, categories",
            format!(
                "SELECT id + {pso}, ?1, account_key, guid, link, title, published, published_ms,
                   repost, excerpt, links, categories
                 FROM posts WHERE run_id = ?2 ORDER BY id"
            ),
            "",
        ),
        step(
            "archive_records",
            "run_id, page_id, url, file, record_id, \"offset\", length",
            format!(
                "SELECT ?1, page_id + {po}, url, file, record_id, \"offset\", length
                 FROM archive_records WHERE run_id = ?2"
            ),
            "",
        ),
        step(
            "manual_findings",
            "account_key, code, observed, note, evidence_url, source, imported_at",
            "SELECT account_key, code, observed, note, evidence_url, source, imported_at
             FROM manual_findings
             WHERE account_key IN (SELECT account_key FROM run_accounts WHERE run_id = ?2)
             ORDER BY id"
                .into(),
            "ignore",
        ),
    ]
}

/// Copies one checked shard into run `run_id` (created when `None`) within the target's
/// transaction `tx`, reading the shard through a connection of its own in one read transaction.
fn copy_shard(
    tx: &Transaction<'_>,
    run_id: Option<i64>,
    new_run: &NewRun,
    s: &Source,
) -> Result<(i64, MergedShard), MergeError> {
    let src = s.run_id;
    let shard = open_shard(&s.path)?;
    let read_err = |e: rusqlite::Error| {
        refused(
            &s.path,
            format!("cannot read it (nothing of any shard was merged): {e}"),
        )
    };
    shard.execute_batch("BEGIN").map_err(read_err)?;
    // the shard as it was checked: no run started or resumed in it since
    let newest: Option<(i64, String, String)> = shard
        .query_row(
            "SELECT id, started_at, status FROM runs ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(read_err)?;
    if newest != Some((src, s.started_at.clone(), "done".to_string())) {
        return Err(refused(
            &s.path,
            "it changed while the merge read it (a run started or resumed in it); merge again \
             once it is done",
        ));
    }
    let run_id = match run_id {
        Some(id) => id,
        None => {
            tx.execute(
                "INSERT INTO main.runs (started_at, as_of, status, settings, note) \
                 VALUES (?1, ?2, 'running', ?3, 'merged from shards')",
                params![new_run.started_at, new_run.as_of, new_run.settings],
            )
            .map_err(StoreError::from)?;
            tx.last_insert_rowid()
        }
    };
    let offsets = offsets(tx).map_err(StoreError::from)?;
    for st in steps(&offsets) {
        copy_rows(&shard, tx, &st, run_id, src).map_err(|e| {
            refused(
                &s.path,
                format!(
                    "copying its {} failed (nothing of any shard was merged): {e}",
                    st.table
                ),
            )
        })?;
    }
    let _ = shard.execute_batch("COMMIT");
    // patterns dismissed on a page in earlier runs stay dismissed there
    crate::reviews::inherit_dismissals(tx, run_id, None)?;
    // the merged run spans its shards: from the earliest start
    tx.execute(
        "UPDATE main.runs SET started_at = ?2
         WHERE id = ?1 AND julianday(?2) < julianday(started_at)",
        params![run_id, s.started_at],
    )
    .map_err(StoreError::from)?;
    Ok((run_id, record_shard(tx, run_id, s)?))
}

/// The target's largest id of each table whose ids are offset.
fn offsets(tx: &Transaction<'_>) -> rusqlite::Result<Offsets> {
    let offset = |table: &str| -> rusqlite::Result<i64> {
        tx.query_row(
            &format!("SELECT coalesce(max(id), 0) FROM main.{table}"),
            [],
            |r| r.get(0),
        )
    };
    Ok(Offsets {
        fetches: offset("fetches")?,
        pages: offset("pages")?,
        facts: offset("facts")?,
        findings: offset("findings")?,
        posts: offset("posts")?,
    })
}

/// Records the shard in the merged run's settings; closes the run once every shard is in.
fn record_shard(tx: &Transaction<'_>, run_id: i64, s: &Source) -> Result<MergedShard, MergeError> {
    let settings: String = tx
        .query_row(
            "SELECT settings FROM main.runs WHERE id = ?1",
            params![run_id],
            |r| r.get(0),
        )
        .map_err(StoreError::from)?;
    let mut settings: serde_json::Value =
        serde_json::from_str(&settings).map_err(StoreError::from)?;
    let m = MergedShard {
        file: s.path.display().to_string(),
        shard: s.shard.map(|(k, n)| format!("{k}/{n}")),
        source_run: s.run_id,
        started_at: s.started_at.clone(),
        ended_at: s.ended_at.clone(),
        sites: s.sites.len() as u64,
        merged_at: now(),
    };
    let list = settings
        .pointer_mut("/merge/shards")
        .and_then(|v| v.as_array_mut())
        .ok_or_else(|| StoreError::corrupt(format!("run {run_id} has no merge.shards")))?;
    list.push(serde_json::to_value(&m).map_err(StoreError::from)?);
    let shards: Vec<MergedShard> = serde_json::from_value(
        settings
            .pointer("/merge/shards")
            .cloned()
            .unwrap_or_default(),
    )
    .map_err(StoreError::from)?;
    let (status, note, ended) = merged_run_state(&settings, &shards);
    tx.execute(
        "UPDATE main.runs SET settings = ?2, status = ?3, note = ?4,
           ended_at = CASE WHEN ?3 = 'done' THEN ?5 ELSE NULL END WHERE id = ?1",
        params![run_id, settings.to_string(), status, note, ended],
    )
    .map_err(StoreError::from)?;
    Ok(m)
}

/// The merged run's status (`done` once every shard `0..N` is in), its note and its end (the
/// latest end of its shards).
fn merged_run_state(
    settings: &serde_json::Value,
    shards: &[MergedShard],
) -> (&'static str, String, Option<String>) {
    let complete = match settings.pointer("/merge/count").and_then(|v| v.as_u64()) {
        Some(n) => {
            let have: BTreeSet<&str> = shards.iter().filter_map(|m| m.shard.as_deref()).collect();
            (0..n).all(|k| have.contains(format!("{k}/{n}").as_str()))
        }
        None => true,
    };
    let ended = shards
        .iter()
        .filter_map(|m| m.ended_at.as_deref())
        .max_by_key(|t| millis(t).unwrap_or(0))
        .map(str::to_string);
    let (status, note) = if complete {
        (
            "done",
            format!("merged from {} shard file(s)", shards.len()),
        )
    } else {
        (
            "running",
            format!(
                "merging shards: {} of {} in",
                shards.len(),
                settings
                    .pointer("/merge/count")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0)
            ),
        )
    };
    (status, note, ended)
}

/// Streams the rows of one step from the shard into the target, one row in memory at a time.
fn copy_rows(
    shard: &Connection,
    tx: &Transaction<'_>,
    st: &Step,
    run_id: i64,
    src: i64,
) -> rusqlite::Result<u64> {
    let mut read = shard.prepare(&st.select)?;
    let n = read.column_count();
    let mut write = tx.prepare(&st.insert)?;
    let mut rows = read.query(params![run_id, src])?;
    let mut copied = 0;
    let mut values: Vec<Value> = Vec::with_capacity(n);
    while let Some(row) = rows.next()? {
        values.clear();
        for i in 0..n {
            values.push(row.get::<_, Value>(i)?);
        }
        write.execute(rusqlite::params_from_iter(values.iter()))?;
        copied += 1;
    }
    Ok(copied)
}

/// A temporary file beside `target` for a new night (hidden, named by the process).
fn temporary_beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "night.db".into());
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!(".{name}.merging-{}", std::process::id()))
}

/// Removes a database file and its `-wal`, `-shm` and `-journal` companions (what exists).
fn remove_db_files(db: &Path) {
    let _ = std::fs::remove_file(db);
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// `govwatch merge SHARD.db… --into TARGET`: merges the shard files into `target` (see the module
/// documentation). An existing target is merged into under its writer lock (refused while a run,
/// the daemon or another merge holds it). A missing target is built in a temporary file beside it
/// and linked into place only when the merge succeeded: a failed merge creates nothing.
pub fn merge_into(target: &Path, files: &[PathBuf]) -> Result<MergeReport, MergeError> {
    for f in files {
        if same_file(f, target) {
            return Err(refused(
                f,
                format!(
                    "it is the target database itself ({} names the same file): a shard cannot \
                     be merged into itself",
                    target.display()
                ),
            ));
        }
    }
    if std::fs::symlink_metadata(target).is_ok() {
        let _lock = RunLock::acquire(target, "govwatch merge")?;
        let mut store = Store::open(target)?;
        return store.merge_shards(files);
    }
    // every shard checked before a file is made
    for f in files {
        read_source(f)?;
    }
    let tmp = temporary_beside(target);
    remove_db_files(&tmp);
    let made = (|| {
        let mut store = Store::open(&tmp)?;
        let report = store.merge_shards(files)?;
        store.into_standalone()?;
        Ok(report)
    })();
    let report = match made {
        Ok(r) => r,
        Err(e) => {
            remove_db_files(&tmp);
            return Err(e);
        }
    };
    // into place without replacing a file made meanwhile (a link fails when the name is taken)
    let placed = match std::fs::hard_link(&tmp, target) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists && !target.exists() => {
            // a file system without hard links
            std::fs::rename(&tmp, target)
        }
        r => r,
    };
    remove_db_files(&tmp);
    match placed {
        Ok(()) => Ok(report),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(refused(
            target,
            "it was created by another process during the merge; nothing was written: merge again",
        )),
        Err(source) => Err(MergeError::Io {
            path: target.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("govwatch-merge-unit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// A shard file with one run of no site, `done` or not.
    fn shard(dir: &Path, name: &str, k: u32, n: u32, as_of: &str, done: bool) -> PathBuf {
        let p = dir.join(name);
        let mut s = Store::open(&p).unwrap();
        let t = DateTime::parse_from_rfc3339(as_of).unwrap();
        let settings = serde_json::json!({"rules_sha256": "r1", "shard": {"index": k, "count": n}});
        let id = s.begin_run(t, &settings).unwrap();
        if done {
            s.finish_run(id, RunStatus::Done, None).unwrap();
        }
        p
    }

    fn runs(p: &Path) -> Vec<(i64, String)> {
        let c = Connection::open(p).unwrap();
        let mut st = c
            .prepare("SELECT id, status FROM runs ORDER BY id")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn shards_complete_the_run_one_by_one() {
        let d = scratch("complete");
        let at = "2026-11-28T02:00:00+08:00";
        let a = shard(&d, "a.db", 0, 2, at, true);
        let b = shard(&d, "b.db", 1, 2, at, true);
        let night = d.join("night.db");
        let mut t = Store::open(&night).unwrap();
        let r = t.merge_shards(std::slice::from_ref(&a)).unwrap();
        assert!(r.created);
        assert_eq!((r.status, r.missing.clone()), (RunStatus::Running, vec![1]));
        let r2 = t.merge_shards(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(r2.run_id, r.run_id);
        assert_eq!(r2.already, vec![a.clone()]);
        assert_eq!(r2.merged.len(), 1);
        assert_eq!(r2.merged[0].shard.as_deref(), Some("1/2"));
        assert_eq!((r2.status, r2.missing), (RunStatus::Done, vec![]));
        assert_eq!(runs(&night), vec![(r.run_id, "done".to_string())]);
        // a shard of another N for the same night
        let c = shard(&d, "c.db", 2, 3, at, true);
        match t.merge_shards(&[c]) {
            Err(MergeError::Refused { path, why }) => {
                assert!(
                    path.ends_with("c.db") && why.contains("shard of 3"),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_inputs_are_refused_before_anything_is_written() {
        let d = scratch("refused");
        let at = "2026-11-28T02:00:00+08:00";
        let good = shard(&d, "good.db", 0, 2, at, true);
        let open = shard(&d, "open.db", 1, 2, at, false);
        std::fs::write(d.join("text.db"), "not a database at all, just text").unwrap();
        let night = d.join("night.db");
        let mut t = Store::open(&night).unwrap();
        for (bad, words) in [
            (d.join("missing.db"), "no such file"),
            (open.clone(), "is running, not done"),
            (d.join("text.db"), "database"),
        ] {
            match t.merge_shards(&[good.clone(), bad.clone()]) {
                Err(MergeError::Refused { path, why }) => {
                    assert_eq!(path, bad);
                    assert!(why.contains(words), "{why}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
            assert!(runs(&night).is_empty(), "nothing written");
        }
        assert!(
            !d.join("missing.db").exists(),
            "a missing shard is not created"
        );
    }

    /// Adds a site with `findings` findings to the newest run of shard `p` (plain SQL).
    fn with_site(p: &Path, site: &str, findings: usize) {
        let c = Connection::open(p).unwrap();
        let run: i64 = c
            .query_row("SELECT max(id) FROM runs", [], |r| r.get(0))
            .unwrap();
        c.execute(
            "INSERT INTO sites (id, name, home, org, region, kind, updated_at)
             VALUES (?1, '测试网站', 'http://www.test.gov.cn/', '测试单位', '测试市', 'portal',
                     '2026-11-01T00:00:00+08:00')",
            [site],
        )
        .unwrap();
        c.execute(
            "INSERT INTO run_sites (run_id, site_id, started_at, finished_at, pages, fetches, findings)
             VALUES (?1, ?2, '2026-11-28T02:00:00+08:00', '2026-11-28T02:01:00+08:00', 0, 0, ?3)",
            params![run, site, findings as i64],
        )
        .unwrap();
        for i in 0..findings {
            c.execute(
                "INSERT INTO findings (run_id, site_id, probe, code, severity, url, message, observed_at)
                 VALUES (?1, ?2, 'links', 'link.broken', 'deduct', ?3, '失效链接',
                         '2026-11-28T02:00:30+08:00')",
                params![run, site, format!("http://www.test.gov.cn/{i}.html")],
            )
            .unwrap();
        }
    }

    fn count(p: &Path, table: &str) -> i64 {
        Connection::open(p)
            .unwrap()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    fn refusal(r: Result<MergeReport, MergeError>) -> (PathBuf, String) {
        match r {
            Err(MergeError::Refused { path, why }) => (path, why),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_shard_failing_midway_leaves_every_shard_out() {
        let d = scratch("atomic");
        let at = "2026-11-28T02:00:00+08:00";
        let a = shard(&d, "a.db", 0, 2, at, true);
        with_site(&a, "3400000001", 3);
        // b passes every check, and fails while copied: its run_sites names a site it lacks
        let b = shard(&d, "b.db", 1, 2, at, true);
        with_site(&b, "3400000002", 2);
        let c = Connection::open(&b).unwrap();
        c.pragma_update(None, "foreign_keys", false).unwrap();
        c.execute("DELETE FROM sites WHERE id = '3400000002'", [])
            .unwrap();
        drop(c);
        let night = d.join("night.db");
        let mut t = Store::open(&night).unwrap();
        let (path, why) = refusal(t.merge_shards(&[a.clone(), b.clone()]));
        assert_eq!(path, b);
        assert!(why.contains("nothing of any shard was merged"), "{why}");
        // a was not committed either
        assert!(runs(&night).is_empty());
        assert_eq!(count(&night, "findings"), 0);
        assert_eq!(count(&night, "sites"), 0);
        // and the good shard alone merges
        let r = t.merge_shards(std::slice::from_ref(&a)).unwrap();
        assert_eq!(r.merged.len(), 1);
        assert_eq!(count(&night, "findings"), 3);
    }

    #[test]
    fn a_damaged_shard_is_refused_before_any_write() {
        let d = scratch("damaged");
        let at = "2026-11-28T02:00:00+08:00";
        let a = shard(&d, "a.db", 0, 2, at, true);
        with_site(&a, "3400000001", 2);
        let b = shard(&d, "b.db", 1, 2, at, true);
        with_site(&b, "3400000002", 400);
        // leave WAL mode, so the file alone is the database, then overwrite the middle of it
        Connection::open(&b)
            .unwrap()
            .pragma_update(None, "journal_mode", "DELETE")
            .unwrap();
        let mut bytes = std::fs::read(&b).unwrap();
        let page = 4096;
        assert!(bytes.len() > 8 * page, "{}", bytes.len());
        let at_page = bytes.len() - 2 * page;
        for x in &mut bytes[at_page + 8..at_page + 200] {
            *x = 0xA5;
        }
        std::fs::write(&b, &bytes).unwrap();
        let night = d.join("night.db");
        let mut t = Store::open(&night).unwrap();
        let (path, why) = refusal(t.merge_shards(&[a.clone(), b.clone()]));
        assert_eq!(path, b);
        assert!(
            why.contains("damaged") || why.contains("malformed"),
            "{why}"
        );
        assert!(runs(&night).is_empty());
        assert_eq!(count(&night, "findings"), 0);
    }

    #[test]
    fn a_shard_that_is_the_target_is_refused_by_inode() {
        let d = scratch("itself");
        let at = "2026-11-28T02:00:00+08:00";
        let s = shard(&d, "s.db", 0, 1, at, true);
        with_site(&s, "3400000001", 17);
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::os::unix::fs::symlink(&s, d.join("link.db")).unwrap();
        std::fs::hard_link(&s, d.join("hard.db")).unwrap();
        let mut t = Store::open(&s).unwrap();
        for name in [
            d.join("sub/../s.db"),
            d.join("link.db"),
            d.join("hard.db"),
            d.join("./s.db"),
        ] {
            let (path, why) = refusal(t.merge_shards(std::slice::from_ref(&name)));
            assert_eq!(path, name);
            assert!(why.contains("the target database itself"), "{why}");
            let (_, why) = refusal(merge_into(&s, std::slice::from_ref(&name)));
            assert!(why.contains("the target database itself"), "{why}");
            let (_, why) = refusal(merge_into(&name, std::slice::from_ref(&s)));
            assert!(why.contains("the target database itself"), "{why}");
        }
        drop(t);
        assert_eq!(count(&s, "findings"), 17, "nothing doubled");
        assert_eq!(runs(&s).len(), 1);
    }

    #[test]
    fn shards_of_another_schema_are_refused_unread() {
        let d = scratch("schema");
        let at = "2026-11-28T02:00:00+08:00";
        let cases: [(&str, &str, &str); 5] = [
            (
                "view.db",
                "DROP TABLE run_sites;
                 CREATE VIEW run_sites (run_id, site_id, status, started_at, finished_at, pages,
                   fetches, findings) AS
                   WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
                   SELECT 1, 'x' || n, 'done', '', '', 0, 0, 0 FROM r;",
                "view run_sites (expected a table)",
            ),
            (
                "trigger.db",
                "CREATE TRIGGER t AFTER INSERT ON sites BEGIN SELECT 1; END;",
                "trigger t",
            ),
            (
                "extra.db",
                "CREATE VIEW everything AS SELECT * FROM findings, findings, findings;",
                "view everything",
            ),
            (
                "column.db",
                "ALTER TABLE findings ADD COLUMN big TEXT GENERATED ALWAYS AS (zeroblob(1000000)) VIRTUAL;",
                "table findings has columns",
            ),
            ("missing.db", "DROP TABLE posts;", "no table posts"),
        ];
        let night = d.join("night.db");
        for (name, sql, words) in cases {
            let p = shard(&d, name, 0, 1, at, true);
            with_site(&p, "3400000001", 2);
            let c = Connection::open(&p).unwrap();
            c.pragma_update(None, "foreign_keys", false).unwrap();
            c.execute_batch(sql).unwrap();
            drop(c);
            let started = std::time::Instant::now();
            let (path, why) = refusal(merge_into(&night, std::slice::from_ref(&p)));
            assert_eq!(path, p);
            assert!(
                why.contains("its schema is not the one govwatch writes") && why.contains(words),
                "{name}: {why}"
            );
            // refused from the schema, before any row is read
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
            assert!(!night.exists(), "{name}: a failed merge creates nothing");
        }
    }

    #[test]
    fn a_new_target_is_created_only_by_a_merge_that_succeeds() {
        let d = scratch("create");
        let at = "2026-11-28T02:00:00+08:00";
        let a = shard(&d, "a.db", 0, 2, at, true);
        with_site(&a, "3400000001", 2);
        let open = shard(&d, "open.db", 1, 2, at, false);
        let night = d.join("night.db");
        refusal(merge_into(&night, &[a.clone(), open]));
        let left: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("night"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        let r = merge_into(&night, std::slice::from_ref(&a)).unwrap();
        assert!(r.created);
        assert_eq!(count(&night, "findings"), 2);
        let left: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("night") && n != "night.db")
            .collect();
        assert!(left.is_empty(), "no temporary file left: {left:?}");
        // the new file is a govwatch database in WAL mode again once opened
        let s = Store::open(&night).unwrap();
        assert_eq!(s.runs().unwrap().len(), 1);
    }

    #[test]
    fn a_merge_waits_for_no_one_holding_the_target() {
        let d = scratch("locked");
        let at = "2026-11-28T02:00:00+08:00";
        let a = shard(&d, "a.db", 0, 1, at, true);
        with_site(&a, "3400000001", 2);
        let night = d.join("night.db");
        drop(Store::open(&night).unwrap());
        // another process's lock: an open file description of its own
        let other = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(crate::lock::lock_path(&night))
            .unwrap();
        fs4::FileExt::try_lock(&other).unwrap();
        match merge_into(&night, std::slice::from_ref(&a)) {
            Err(MergeError::Locked(e)) => {
                assert!(e.to_string().contains("数据库正被另一个任务使用"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert!(runs(&night).is_empty());
        fs4::FileExt::unlock(&other).unwrap();
        drop(other);
        merge_into(&night, std::slice::from_ref(&a)).unwrap();
        assert_eq!(runs(&night).len(), 1);
    }
}
