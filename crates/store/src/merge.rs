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
//! How: every shard file is read and checked first (read-only), before anything is written, so a
//! refused input changes nothing in the target. Then each shard is copied with SQLite's
//! `ATTACH` and `INSERT … SELECT` in one `IMMEDIATE` transaction per shard (atomic: a shard is
//! wholly merged or absent, like a site of a run). Ids are remapped by an offset (the target's
//! largest id of the table): `fetches`, `pages`, `facts`, `findings` and `posts` keep their
//! order and their references (`pages.fetch_id`, `archive_records.page_id`). Rows copied: the
//! sites and accounts of the shard's run, `run_sites`, `fetches`, `pages` and their `bodies`,
//! the run's `samples` (and the daemon's samples of its sites), `facts`, `findings`,
//! `run_accounts`, `posts`, `archive_records` and the accounts' `manual_findings`. Not copied:
//! `scores` (score the merged run: `govwatch score`), the daemon's own tables.
//!
//! The merged run is `done` once every shard `0..N` is in (or at once for unsharded inputs);
//! until then it is `running`, with a note naming the shards still missing.

use crate::error::StoreError;
use crate::{RunStatus, Store, now};
use chrono::DateTime;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// Opens and checks one shard file: a govwatch database at this build's schema version whose
/// newest run is `done`.
fn read_source(path: &Path) -> Result<Source, MergeError> {
    if !path.is_file() {
        return Err(refused(path, "no such file"));
    }
    let conn = Connection::open_with_flags(
        ro_uri(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| refused(path, format!("cannot open it as a SQLite database: {e}")))?;
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
        let mut sources = Vec::new();
        for f in files {
            sources.push(read_source(f)?);
        }
        let first = &sources[0];
        for s in &sources[1..] {
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
        let target = self.ctx(self.merged_run_at(first.as_of_ms))?;
        let path = self.path.clone();
        // Sharded inputs (and the target) agree on N.
        let mut count: Option<(u32, &Path)> = target
            .as_ref()
            .and_then(|t| t.settings.pointer("/merge/count"))
            .and_then(|v| v.as_u64())
            .map(|n| (n as u32, path.as_path()));
        for s in &sources {
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
        if let Some(t) = &target {
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
        }
        // Already merged (the same source run), given twice, or new.
        let is_merged = |s: &Source| {
            target.as_ref().is_some_and(|t| {
                t.shards
                    .iter()
                    .any(|m| m.source_run == s.run_id && m.started_at == s.started_at)
            })
        };
        let mut already = Vec::new();
        let mut todo: Vec<&Source> = Vec::new();
        for s in &sources {
            let dup = todo
                .iter()
                .any(|t| t.run_id == s.run_id && t.started_at == s.started_at);
            if is_merged(s) || dup {
                already.push(s.path.clone());
            } else {
                todo.push(s);
            }
        }
        // Shard order (then the order given), so that ids follow the shards whatever the order
        // of the command line.
        todo.sort_by_key(|s| s.shard.map(|(k, _)| k).unwrap_or(u32::MAX));
        // A site in two shards.
        let mut owner: BTreeMap<&String, &Path> = BTreeMap::new();
        if let Some(t) = &target {
            for site in &t.sites {
                owner.insert(site, path.as_path());
            }
        }
        for s in &todo {
            let clash: Vec<&String> = s.sites.iter().filter(|x| owner.contains_key(x)).collect();
            if let Some(first_clash) = clash.first() {
                let other = owner[first_clash];
                let other = if other == path.as_path() {
                    format!(
                        "run {} of {} (merged from another shard run)",
                        target.as_ref().map(|t| t.id).unwrap_or_default(),
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

        // Every input checked: write. A new merged run is created in the first shard's
        // transaction, so a failure leaves no empty run behind.
        let mut run_id = target.as_ref().map(|t| t.id);
        let created = run_id.is_none();
        let new_run = {
            let mut settings = match &first.settings {
                serde_json::Value::Object(m) => m.clone(),
                _ => serde_json::Map::new(),
            };
            settings.remove("shard");
            settings.insert(
                "merge".into(),
                serde_json::json!({"count": count.map(|(n, _)| n), "shards": []}),
            );
            NewRun {
                started_at: first.started_at.clone(),
                as_of: first.as_of.clone(),
                settings: serde_json::Value::Object(settings).to_string(),
            }
        };
        let mut merged = Vec::new();
        for s in todo {
            let (id, m) = self.merge_one(run_id, &new_run, s)?;
            run_id = Some(id);
            merged.push(m);
        }
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

    /// Copies one checked shard into run `run_id`, in one transaction.
    fn merge_one(
        &mut self,
        run_id: Option<i64>,
        new_run: &NewRun,
        s: &Source,
    ) -> Result<(i64, MergedShard), MergeError> {
        self.conn
            .execute("ATTACH DATABASE ?1 AS shard", params![ro_uri(&s.path)])
            .map_err(|e| refused(&s.path, format!("cannot attach it: {e}")))?;
        let r = self.copy_attached(run_id, new_run, s);
        let detach = self.conn.execute("DETACH DATABASE shard", []);
        let (id, m) = r.map_err(|e| match e {
            MergeError::Store(e) => MergeError::Store(e.in_db(&self.path)),
            e => e,
        })?;
        detach.map_err(|e| MergeError::Store(StoreError::from(e).in_db(&self.path)))?;
        Ok((id, m))
    }

    fn copy_attached(
        &mut self,
        run_id: Option<i64>,
        new_run: &NewRun,
        s: &Source,
    ) -> Result<(i64, MergedShard), MergeError> {
        let src = s.run_id;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
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
        let offset = |table: &str| -> rusqlite::Result<i64> {
            tx.query_row(
                &format!("SELECT coalesce(max(id), 0) FROM main.{table}"),
                [],
                |r| r.get(0),
            )
        };
        let (fo, po, fa, fi, pso) = (
            offset("fetches").map_err(StoreError::from)?,
            offset("pages").map_err(StoreError::from)?,
            offset("facts").map_err(StoreError::from)?,
            offset("findings").map_err(StoreError::from)?,
            offset("posts").map_err(StoreError::from)?,
        );
        // The statements, in foreign-key order. ?1 = target run, ?2 = shard run.
        let steps: [(&str, String); 13] = [
            (
                "sites",
                "INSERT INTO main.sites (id, name, home, org, region, kind, overrides, updated_at)
                 SELECT id, name, home, org, region, kind, overrides, updated_at FROM shard.sites
                 WHERE id IN (SELECT site_id FROM shard.run_sites WHERE run_id = ?2)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, home = excluded.home,
                   org = excluded.org, region = excluded.region, kind = excluded.kind,
                   overrides = excluded.overrides, updated_at = excluded.updated_at
                 WHERE julianday(excluded.updated_at) > julianday(sites.updated_at)"
                    .into(),
            ),
            (
                "accounts",
                "INSERT INTO main.accounts (key, platform, account_id, name, org, region, site_id,
                   feed, updated_at)
                 SELECT key, platform, account_id, name, org, region, site_id, feed, updated_at
                 FROM shard.accounts
                 WHERE key IN (SELECT account_key FROM shard.run_accounts WHERE run_id = ?2)
                 ON CONFLICT (key) DO UPDATE SET platform = excluded.platform,
                   account_id = excluded.account_id, name = excluded.name, org = excluded.org,
                   region = excluded.region, site_id = excluded.site_id, feed = excluded.feed,
                   updated_at = excluded.updated_at
                 WHERE julianday(excluded.updated_at) > julianday(accounts.updated_at)"
                    .into(),
            ),
            (
                "bodies",
                "INSERT OR IGNORE INTO main.bodies (hash, charset, encoding, size, data)
                 SELECT hash, charset, encoding, size, data FROM shard.bodies
                 WHERE hash IN (SELECT body_hash FROM shard.pages WHERE run_id = ?2
                                  AND body_hash IS NOT NULL
                                UNION SELECT json_extract(evidence, '$.body_hash')
                                  FROM shard.findings WHERE run_id = ?2)"
                    .into(),
            ),
            (
                "run_sites",
                "INSERT INTO main.run_sites (run_id, site_id, status, started_at, finished_at,
                   pages, fetches, findings)
                 SELECT ?1, site_id, status, started_at, finished_at, pages, fetches, findings
                 FROM shard.run_sites WHERE run_id = ?2"
                    .into(),
            ),
            (
                "fetches",
                format!(
                    "INSERT INTO main.fetches (id, run_id, site_id, url, final_url, method,
                       purpose, status, started_at, elapsed_ms, bytes, content_type,
                       content_hash, remote_addr, family, error_kind, error_message, redirects,
                       attempt, queue_ms, account_key)
                     SELECT id + {fo}, ?1, site_id, url, final_url, method, purpose, status,
                       started_at, elapsed_ms, bytes, content_type, content_hash, remote_addr,
                       family, error_kind, error_message, redirects, attempt, queue_ms,
                       account_key
                     FROM shard.fetches WHERE run_id = ?2 ORDER BY id"
                ),
            ),
            (
                "pages",
                format!(
                    "INSERT INTO main.pages (id, run_id, site_id, fetch_id, url, final_url, depth,
                       status, title, charset, charset_source, is_html, body_hash, links,
                       account_key)
                     SELECT id + {po}, ?1, site_id, fetch_id + {fo}, url, final_url, depth,
                       status, title, charset, charset_source, is_html, body_hash, links,
                       account_key
                     FROM shard.pages WHERE run_id = ?2 ORDER BY id"
                ),
            ),
            (
                "samples",
                "INSERT OR IGNORE INTO main.samples (run_id, site_id, url, at, at_ms, family, ok,
                   status, error_kind, elapsed_ms)
                 SELECT CASE WHEN run_id IS NULL THEN NULL ELSE ?1 END, site_id, url, at, at_ms,
                   family, ok, status, error_kind, elapsed_ms
                 FROM shard.samples
                 WHERE run_id = ?2
                    OR (run_id IS NULL AND site_id IN
                        (SELECT site_id FROM shard.run_sites WHERE run_id = ?2))
                 ORDER BY id"
                    .into(),
            ),
            (
                "facts",
                format!(
                    "INSERT INTO main.facts (id, run_id, site_id, probe, code, url, value,
                       observed_at, account_key)
                     SELECT id + {fa}, ?1, site_id, probe, code, url, value, observed_at,
                       account_key
                     FROM shard.facts WHERE run_id = ?2 ORDER BY id"
                ),
            ),
            (
                "findings",
                format!(
                    "INSERT INTO main.findings (id, run_id, site_id, probe, code, severity, url,
                       value, message, evidence, observed_at, account_key)
                     SELECT id + {fi}, ?1, site_id, probe, code, severity, url, value, message,
                       evidence, observed_at, account_key
                     FROM shard.findings WHERE run_id = ?2 ORDER BY id"
                ),
            ),
            (
                "run_accounts",
                "INSERT INTO main.run_accounts (run_id, account_key, measured, started_at,
                   finished_at, posts, findings)
                 SELECT ?1, account_key, measured, started_at, finished_at, posts, findings
                 FROM shard.run_accounts WHERE run_id = ?2"
                    .into(),
            ),
            (
                "posts",
                format!(
                    "INSERT INTO main.posts (id, run_id, account_key, guid, link, title,
                       published, published_ms, repost, excerpt, links, categories)
                     SELECT id + {pso}, ?1, account_key, guid, link, title, published,
                       published_ms, repost, excerpt, links, categories
                     FROM shard.posts WHERE run_id = ?2 ORDER BY id"
                ),
            ),
            (
                "archive_records",
                format!(
                    "INSERT INTO main.archive_records (run_id, page_id, url, file, record_id,
                       \"offset\", length)
                     SELECT ?1, page_id + {po}, url, file, record_id, \"offset\", length
                     FROM shard.archive_records WHERE run_id = ?2"
                ),
            ),
            (
                "manual_findings",
                "INSERT OR IGNORE INTO main.manual_findings (account_key, code, observed, note,
                   evidence_url, source, imported_at)
                 SELECT account_key, code, observed, note, evidence_url, source, imported_at
                 FROM shard.manual_findings
                 WHERE account_key IN (SELECT account_key FROM shard.run_accounts
                                       WHERE run_id = ?2)
                 ORDER BY id"
                    .into(),
            ),
        ];
        for (table, sql) in &steps {
            tx.execute(sql, params![run_id, src]).map_err(|e| {
                refused(
                    &s.path,
                    format!("copying its {table} failed (nothing of it was merged): {e}"),
                )
            })?;
        }
        // patterns dismissed on a page in earlier runs stay dismissed there
        crate::reviews::inherit_dismissals(&tx, run_id, None)?;
        // the merged run spans its shards: from the earliest start
        tx.execute(
            "UPDATE main.runs SET started_at = ?2
             WHERE id = ?1 AND julianday(?2) < julianday(started_at)",
            params![run_id, s.started_at],
        )
        .map_err(StoreError::from)?;
        // Every run row of the shard arrived (the copies are exact, so counts must agree).
        for table in [
            "run_sites",
            "fetches",
            "pages",
            "facts",
            "findings",
            "posts",
        ] {
            let q = |db: &str, run: i64| -> rusqlite::Result<i64> {
                tx.query_row(
                    &format!("SELECT count(*) FROM {db}.{table} WHERE run_id = ?1"),
                    params![run],
                    |r| r.get(0),
                )
            };
            let had = q("shard", src).map_err(StoreError::from)?;
            let p: &[&dyn rusqlite::ToSql] = if table == "run_sites" {
                &[&run_id, &src]
            } else {
                &[&run_id]
            };
            let now_in = tx
                .query_row(
                    &format!(
                        "SELECT count(*) FROM main.{table} WHERE run_id = ?1 AND {}",
                        match table {
                            "run_sites" => "site_id IN (SELECT site_id FROM shard.run_sites \
                                            WHERE run_id = ?2)"
                                .to_string(),
                            "posts" => format!("id > {pso}"),
                            "fetches" => format!("id > {fo}"),
                            "pages" => format!("id > {po}"),
                            "facts" => format!("id > {fa}"),
                            _ => format!("id > {fi}"),
                        }
                    ),
                    p,
                    |r| r.get::<_, i64>(0),
                )
                .map_err(StoreError::from)?;
            if had != now_in {
                return Err(refused(
                    &s.path,
                    format!("{table}: {had} rows in the shard run, {now_in} copied; not merged"),
                ));
            }
        }
        // Record the shard in the merged run; close the run once every shard is in.
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
        let complete = match settings.pointer("/merge/count").and_then(|v| v.as_u64()) {
            Some(n) => {
                let have: BTreeSet<&str> =
                    shards.iter().filter_map(|m| m.shard.as_deref()).collect();
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
        tx.execute(
            "UPDATE main.runs SET settings = ?2, status = ?3, note = ?4,
               ended_at = CASE WHEN ?3 = 'done' THEN ?5 ELSE NULL END WHERE id = ?1",
            params![run_id, settings.to_string(), status, note, ended],
        )
        .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        tracing::info!(run_id, shard = %s.path.display(), sites = s.sites.len(), "shard merged");
        Ok((run_id, m))
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
}
