//! The one error type of the store.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in the store, by cause.
///
/// Messages name the database file where it applies (`:memory:` for an in-memory store) and say
/// what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or set up as a SQLite database.
    #[error(
        "cannot open the database {}: {source} (check that the directory exists and is writable, \
         and that the file is a govwatch SQLite database)",
        path.display()
    )]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// Another connection held a lock for longer than the busy timeout (5 s).
    #[error(
        "the database {} stayed locked for more than 5 s ({source}); another govwatch process \
         is probably writing to it: wait for it to finish or use another database file",
        path.display()
    )]
    Busy {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// Any other SQLite failure.
    #[error("database error in {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// A JSON column could not be written or read.
    #[error("JSON error in a column of the database {}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// Compressing or decompressing a page body failed.
    #[error("page body compression error in the database {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The database was written by a newer govwatch whose schema this build does not know.
    #[error(
        "the database {} has schema version {found}, but this build of govwatch knows versions \
         up to {known} only: use a newer govwatch, or another database file",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    /// A read-only open met a database at an older schema version (it cannot be upgraded then).
    #[error(
        "the database {} has schema version {found}, but this build reads version {known}; \
         run any other govwatch command on it once (e.g. `govwatch status`) to upgrade it",
        path.display()
    )]
    OlderSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    /// Applying a schema migration failed; the database stays at the previous version.
    #[error(
        "upgrading the database {} to schema version {version} failed: {source}; the database \
         was left unchanged at version {}",
        path.display(),
        version - 1
    )]
    Migration {
        path: PathBuf,
        version: i64,
        #[source]
        source: rusqlite::Error,
    },

    /// The database holds something this build cannot make sense of.
    #[error(
        "the database {} holds data govwatch cannot read: {detail} (restore it from a backup, \
         or start a new database file)",
        path.display()
    )]
    Corrupt { path: PathBuf, detail: String },

    /// The run id is not in the `runs` table.
    #[error("run {run_id} does not exist in the database {}", path.display())]
    UnknownRun { path: PathBuf, run_id: i64 },

    /// The site id is not in the `sites` table (upsert the registry first).
    #[error(
        "site {site_id} is not in the sites table of the database {}; record the site registry \
         (upsert_sites) before writing data for it",
        path.display()
    )]
    UnknownSite { path: PathBuf, site_id: String },

    /// The new-media account is not in the `accounts` table, or not among a run's accounts.
    #[error("account {key} {what} in the database {}", path.display())]
    UnknownAccount {
        path: PathBuf,
        key: String,
        /// e.g. "is not recorded (record the account registry first)".
        what: String,
    },

    /// Site results can only be added to a run that is `running` or `interrupted`.
    #[error(
        "run {run_id} in the database {} is already {status}, so no more results can be added \
         to it; start a new run",
        path.display()
    )]
    RunClosed {
        path: PathBuf,
        run_id: i64,
        status: &'static str,
    },

    /// The writer thread behind a [`crate::StoreWriter`] has stopped.
    #[error(
        "the store writer thread has stopped, so the data was not written; an earlier error \
         says why"
    )]
    WriterGone,
}

/// Shorthand used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn corrupt(detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: PathBuf::new(),
            detail: detail.into(),
        }
    }

    pub(crate) fn unknown_run(run_id: i64) -> StoreError {
        StoreError::UnknownRun {
            path: PathBuf::new(),
            run_id,
        }
    }

    pub(crate) fn unknown_site(site_id: &str) -> StoreError {
        StoreError::UnknownSite {
            path: PathBuf::new(),
            site_id: site_id.to_string(),
        }
    }

    pub(crate) fn unknown_account(key: &str, what: impl Into<String>) -> StoreError {
        StoreError::UnknownAccount {
            path: PathBuf::new(),
            key: key.to_string(),
            what: what.into(),
        }
    }

    /// An error met while opening and setting up the database file.
    pub(crate) fn opening(path: &Path, source: rusqlite::Error) -> StoreError {
        let path = path.to_path_buf();
        if is_busy(&source) {
            StoreError::Busy { path, source }
        } else {
            StoreError::Open { path, source }
        }
    }

    /// Fills in the database path where the error was made without one.
    pub(crate) fn in_db(mut self, db: &Path) -> StoreError {
        match &mut self {
            StoreError::Open { path, .. }
            | StoreError::Busy { path, .. }
            | StoreError::Sqlite { path, .. }
            | StoreError::Json { path, .. }
            | StoreError::Io { path, .. }
            | StoreError::NewerSchema { path, .. }
            | StoreError::OlderSchema { path, .. }
            | StoreError::Migration { path, .. }
            | StoreError::Corrupt { path, .. }
            | StoreError::UnknownRun { path, .. }
            | StoreError::UnknownSite { path, .. }
            | StoreError::UnknownAccount { path, .. }
            | StoreError::RunClosed { path, .. } => {
                if path.as_os_str().is_empty() {
                    *path = db.to_path_buf();
                }
            }
            StoreError::WriterGone => {}
        }
        self
    }

    /// Whether the error comes from a lock held too long by another connection.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy { .. })
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl From<rusqlite::Error> for StoreError {
    fn from(source: rusqlite::Error) -> StoreError {
        let path = PathBuf::new();
        if is_busy(&source) {
            StoreError::Busy { path, source }
        } else {
            StoreError::Sqlite { path, source }
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(source: serde_json::Error) -> StoreError {
        StoreError::Json {
            path: PathBuf::new(),
            source,
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: PathBuf::new(),
            source,
        }
    }
}
