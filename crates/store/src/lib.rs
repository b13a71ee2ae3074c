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
//!
//! One module per table group: `runs` (runs, run_sites, the site registry), `results` (a site's
//! fetches, pages, facts and findings), `samples` (availability samples), `codec` (page bodies),
//! `scores` (scores and archive records), `warnings` (the daemon's state and warnings), `media`
//! (new-media accounts and posts), `views` (read-only queries), `writer` (the writer thread) and
//! `schema` (migrations).

mod codec;
mod error;
pub mod lock;
mod media;
mod merge;
mod results;
mod reviews;
mod runs;
mod samples;
mod schema;
mod scores;
mod views;
mod warnings;
mod writer;

pub use codec::*;
pub use error::{Result, StoreError};
pub use media::{AccountRunRow, StoredAccountFact, StoredAccountFinding};
pub use merge::{MergeError, MergeReport, MergedShard, merge_into, same_file};
pub use results::*;
pub use reviews::{Review, ReviewState};
pub use runs::*;
pub(crate) use samples::*;
pub use schema::SCHEMA_VERSION;
pub use scores::{ArchiveRecord, PageRow, ScoreItemRow, ScoreRow, ScoreSet, ScoringRef, SiteRow};
pub use views::{PassCount, RunTally, ScoringTally, SiteScoreRef, SiteVisit, StoredFetch};
pub use warnings::{AvailabilityRow, Raised, SiteRun, WarningRow, parse_time};
pub use writer::{StoreWriter, spawn_writer};

use chrono::DateTime;
use flate2::Compression;
use flate2::read::ZlibDecoder;
use govwatch_model::{
    CharsetSource, Fact, FetchError, FetchRecord, Finding, Page, Sample, Severity, Site,
    SiteResult, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a statement waits for another connection's lock before failing with
/// [`StoreError::Busy`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Pages of write-ahead log after which a commit copies the log into the database (~40 MB).
pub(crate) const AUTOCHECKPOINT_PAGES: i64 = 10_000;

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
