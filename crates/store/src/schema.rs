//! Schema migrations: `MIGRATIONS[i]` takes the database from version `i` to version `i + 1`.
//!
//! The version lives in `PRAGMA user_version`. Each migration runs in its own transaction together
//! with the version bump, so a database is always at exactly one known version. Migrations are
//! append-only: a released migration is never edited, a change is a new entry at the end (and a
//! note in `docs/schema.md`).

use crate::error::{Result, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

/// Version 1: the first schema.
const V1: &str = r#"
CREATE TABLE sites (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    home        TEXT NOT NULL,
    org         TEXT NOT NULL,
    region      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('portal', 'department')),
    overrides   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(overrides)),
    updated_at  TEXT NOT NULL
);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    as_of       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted', 'failed')),
    settings    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    note        TEXT
);
CREATE INDEX runs_status ON runs (status, id);

CREATE TABLE run_sites (
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    site_id     TEXT NOT NULL REFERENCES sites (id),
    status      TEXT NOT NULL DEFAULT 'done' CHECK (status IN ('done')),
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    pages       INTEGER NOT NULL,
    fetches     INTEGER NOT NULL,
    findings    INTEGER NOT NULL,
    PRIMARY KEY (run_id, site_id)
) WITHOUT ROWID;

CREATE TABLE fetches (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id),
    site_id       TEXT NOT NULL REFERENCES sites (id),
    url           TEXT NOT NULL,
    final_url     TEXT NOT NULL,
    method        TEXT NOT NULL,
    purpose       TEXT NOT NULL CHECK (purpose IN ('page', 'link_check', 'robots', 'sample')),
    status        INTEGER,
    started_at    TEXT NOT NULL,
    elapsed_ms    INTEGER NOT NULL,
    bytes         INTEGER NOT NULL,
    content_type  TEXT,
    content_hash  TEXT,
    remote_addr   TEXT,
    family        INTEGER CHECK (family IN (4, 6)),
    error_kind    TEXT,
    error_message TEXT,
    redirects     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(redirects)),
    attempt       INTEGER NOT NULL
);
CREATE INDEX fetches_run_site ON fetches (run_id, site_id);
CREATE INDEX fetches_run_url ON fetches (run_id, url);

CREATE TABLE bodies (
    hash     TEXT PRIMARY KEY NOT NULL,
    charset  TEXT,
    encoding TEXT NOT NULL CHECK (encoding IN ('zlib')),
    size     INTEGER NOT NULL,
    data     BLOB NOT NULL
);

CREATE TABLE pages (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs (id),
    site_id        TEXT NOT NULL REFERENCES sites (id),
    fetch_id       INTEGER REFERENCES fetches (id),
    url            TEXT NOT NULL,
    final_url      TEXT NOT NULL,
    depth          INTEGER NOT NULL,
    status         INTEGER,
    title          TEXT,
    charset        TEXT,
    charset_source TEXT CHECK (charset_source IN ('bom', 'header', 'meta', 'sniffed')),
    is_html        INTEGER NOT NULL CHECK (is_html IN (0, 1)),
    body_hash      TEXT REFERENCES bodies (hash),
    links          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(links))
);
CREATE INDEX pages_run_site ON pages (run_id, site_id);
CREATE INDEX pages_run_url ON pages (run_id, url);
CREATE INDEX pages_body ON pages (body_hash);

CREATE TABLE samples (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER REFERENCES runs (id),
    site_id     TEXT NOT NULL REFERENCES sites (id),
    url         TEXT NOT NULL,
    at          TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    family      INTEGER CHECK (family IN (4, 6)),
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    status      INTEGER,
    error_kind  TEXT,
    elapsed_ms  INTEGER NOT NULL
);
CREATE UNIQUE INDEX samples_unique ON samples (site_id, url, at, ifnull(family, 0));
CREATE INDEX samples_site_time ON samples (site_id, at_ms);
CREATE INDEX samples_run_site ON samples (run_id, site_id);

CREATE TABLE facts (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    site_id     TEXT NOT NULL REFERENCES sites (id),
    probe       TEXT NOT NULL,
    code        TEXT NOT NULL,
    url         TEXT,
    value       TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(value)),
    observed_at TEXT NOT NULL
);
CREATE INDEX facts_run_site ON facts (run_id, site_id);
CREATE INDEX facts_run_code ON facts (run_id, code);

CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    site_id     TEXT NOT NULL REFERENCES sites (id),
    probe       TEXT NOT NULL,
    code        TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('veto', 'deduct', 'warn', 'info')),
    url         TEXT,
    value       TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(value)),
    message     TEXT NOT NULL,
    evidence    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(evidence)),
    observed_at TEXT NOT NULL
);
CREATE INDEX findings_run_site ON findings (run_id, site_id);
CREATE INDEX findings_run_code ON findings (run_id, code);
CREATE INDEX findings_run_severity ON findings (run_id, severity);
"#;

/// The daemon: its own state (nightly runs, rounds), the latest availability window per site,
/// early warnings and their delivery to each sink.
const V_DAEMON: &str = r#"
CREATE TABLE daemon_state (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE availability (
    site_id     TEXT PRIMARY KEY NOT NULL REFERENCES sites (id),
    computed_at TEXT NOT NULL,
    samples     INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    ratio       REAL NOT NULL,
    complete    INTEGER NOT NULL CHECK (complete IN (0, 1)),
    value       TEXT NOT NULL CHECK (json_valid(value))
) WITHOUT ROWID;

CREATE TABLE warnings (
    id            INTEGER PRIMARY KEY,
    site_id       TEXT NOT NULL REFERENCES sites (id),
    code          TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    closed_at     TEXT,
    value         TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(value)),
    message       TEXT NOT NULL,
    last_value    TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(last_value)),
    last_seen_at  TEXT NOT NULL,
    last_sent     TEXT
);
CREATE UNIQUE INDEX warnings_open ON warnings (site_id, code) WHERE closed_at IS NULL;
CREATE INDEX warnings_site ON warnings (site_id, opened_at);

CREATE TABLE warning_deliveries (
    warning_id  INTEGER NOT NULL REFERENCES warnings (id),
    sink        TEXT NOT NULL,
    sent_at     TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    PRIMARY KEY (warning_id, sink)
) WITHOUT ROWID;
"#;

/// Scores and the evidence archive: one row per site scored for a run under one rule set
/// (`scores`), the items that trace every point to the findings and facts behind it
/// (`score_items`), and where each crawled page of a run sits in the run's WARC file
/// (`archive_records`). A run can be scored again under other rules (another `rules_hash`) and the
/// two compared; scoring again under the same rules replaces that scoring.
const V_SCORES_ARCHIVE: &str = r#"
CREATE TABLE scores (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id),
    site_id       TEXT NOT NULL REFERENCES sites (id),
    rules_version TEXT NOT NULL,
    rules_hash    TEXT NOT NULL,
    scored_at     TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    verdict       TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),
    vetoed        INTEGER NOT NULL CHECK (vetoed IN (0, 1)),
    deducted      REAL NOT NULL,
    bonus         REAL NOT NULL,
    bonus_scored  INTEGER NOT NULL CHECK (bonus_scored IN (0, 1)),
    score         REAL,
    complete      INTEGER NOT NULL CHECK (complete IN (0, 1)),
    UNIQUE (run_id, site_id, rules_hash)
);
CREATE INDEX scores_run ON scores (run_id, rules_hash);

CREATE TABLE score_items (
    id          INTEGER PRIMARY KEY,
    score_id    INTEGER NOT NULL REFERENCES scores (id) ON DELETE CASCADE,
    part        TEXT NOT NULL CHECK (part IN ('veto', 'deduct', 'cap', 'bonus', 'note')),
    indicator   TEXT NOT NULL,
    rule        TEXT NOT NULL,
    name        TEXT NOT NULL,
    points      REAL NOT NULL,
    finding_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(finding_ids)),
    fact_ids    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(fact_ids)),
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX score_items_score ON score_items (score_id);

CREATE TABLE archive_records (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    page_id    INTEGER NOT NULL REFERENCES pages (id),
    url        TEXT NOT NULL,
    file       TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    offset     INTEGER NOT NULL,
    length     INTEGER NOT NULL,
    PRIMARY KEY (run_id, page_id)
) WITHOUT ROWID;
CREATE INDEX archive_records_url ON archive_records (run_id, url);
"#;

/// Queue time apart from server time: `fetches.queue_ms` is how long a request waited in
/// govwatch's own queues (host politeness gate, global cap) before it was sent; `elapsed_ms` is
/// from then on the server's time, which the 15-second rule judges. Rows written before this
/// version hold 0 (their `elapsed_ms` may include queue time).
const V_QUEUE_TIME: &str = r#"
ALTER TABLE fetches ADD COLUMN queue_ms INTEGER NOT NULL DEFAULT 0;
"#;

/// Government new-media accounts (政务新媒体): the account registry (`accounts`), which accounts
/// a run inspected (`run_accounts`, the per-account twin of `run_sites`), the posts read from
/// each account's feed (`posts`), inspectors' observations imported from CSV
/// (`manual_findings`), and an `account_key` on `fetches`, `pages`, `facts` and `findings` so an
/// account's feed fetch, archived feed, facts and findings sit in the same tables as the sites'
/// (with `site_id` the site the account belongs to, and `account_key` NULL for site rows).
const V_MEDIA: &str = r#"
CREATE TABLE accounts (
    key         TEXT PRIMARY KEY NOT NULL,
    platform    TEXT NOT NULL CHECK (platform IN ('weibo', 'wechat', 'toutiao', 'douyin', 'kuaishou', 'weishi', 'app', 'other')),
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    org         TEXT NOT NULL,
    region      TEXT NOT NULL,
    site_id     TEXT NOT NULL REFERENCES sites (id),
    feed        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE run_accounts (
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    account_key TEXT NOT NULL REFERENCES accounts (key),
    measured    INTEGER NOT NULL CHECK (measured IN (0, 1)),
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    posts       INTEGER NOT NULL,
    findings    INTEGER NOT NULL,
    PRIMARY KEY (run_id, account_key)
) WITHOUT ROWID;

CREATE TABLE posts (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs (id),
    account_key  TEXT NOT NULL REFERENCES accounts (key),
    guid         TEXT NOT NULL,
    link         TEXT,
    title        TEXT NOT NULL,
    published    TEXT,
    published_ms INTEGER,
    repost       TEXT,
    excerpt      TEXT NOT NULL,
    links        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(links)),
    categories   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(categories))
);
CREATE INDEX posts_run_account ON posts (run_id, account_key);

CREATE TABLE manual_findings (
    id           INTEGER PRIMARY KEY,
    account_key  TEXT NOT NULL REFERENCES accounts (key),
    code         TEXT NOT NULL,
    observed     TEXT NOT NULL,
    note         TEXT NOT NULL,
    evidence_url TEXT,
    source       TEXT NOT NULL,
    imported_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX manual_findings_unique
    ON manual_findings (account_key, code, observed, note, ifnull(evidence_url, ''));

ALTER TABLE fetches ADD COLUMN account_key TEXT REFERENCES accounts (key);
ALTER TABLE pages ADD COLUMN account_key TEXT REFERENCES accounts (key);
ALTER TABLE facts ADD COLUMN account_key TEXT REFERENCES accounts (key);
ALTER TABLE findings ADD COLUMN account_key TEXT REFERENCES accounts (key);
CREATE INDEX facts_run_account ON facts (run_id, account_key) WHERE account_key IS NOT NULL;
CREATE INDEX findings_run_account ON findings (run_id, account_key) WHERE account_key IS NOT NULL;
"#;

/// Every migration, in order. The schema version of this build is `MIGRATIONS.len()`.
/// A third verdict, `not_inspected` (未检查，无法评分: the crawl could not read the site — its
/// host refused the crawl, its home page's redirects looped, or it was over the parse budget).
/// SQLite cannot change a CHECK in place, so `scores` and `score_items` are rebuilt with the rows
/// copied (the items first out, so no cascade touches them) and their indexes made again.
const V_NOT_INSPECTED: &str = r#"
CREATE TABLE scores_v6 (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id),
    site_id       TEXT NOT NULL REFERENCES sites (id),
    rules_version TEXT NOT NULL,
    rules_hash    TEXT NOT NULL,
    scored_at     TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    verdict       TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'not_inspected')),
    vetoed        INTEGER NOT NULL CHECK (vetoed IN (0, 1)),
    deducted      REAL NOT NULL,
    bonus         REAL NOT NULL,
    bonus_scored  INTEGER NOT NULL CHECK (bonus_scored IN (0, 1)),
    score         REAL,
    complete      INTEGER NOT NULL CHECK (complete IN (0, 1)),
    UNIQUE (run_id, site_id, rules_hash)
);
INSERT INTO scores_v6 SELECT * FROM scores;
CREATE TABLE score_items_v6 (
    id          INTEGER PRIMARY KEY,
    score_id    INTEGER NOT NULL REFERENCES scores_v6 (id) ON DELETE CASCADE,
    part        TEXT NOT NULL CHECK (part IN ('veto', 'deduct', 'cap', 'bonus', 'note')),
    indicator   TEXT NOT NULL,
    rule        TEXT NOT NULL,
    name        TEXT NOT NULL,
    points      REAL NOT NULL,
    finding_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(finding_ids)),
    fact_ids    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(fact_ids)),
    note        TEXT NOT NULL DEFAULT ''
);
INSERT INTO score_items_v6 SELECT * FROM score_items;
DROP TABLE score_items;
DROP TABLE scores;
ALTER TABLE scores_v6 RENAME TO scores;
ALTER TABLE score_items_v6 RENAME TO score_items;
CREATE INDEX scores_run ON scores (run_id, rules_hash);
CREATE INDEX score_items_score ON score_items (score_id);
"#;

/// Inspectors' reviews of findings (`govwatch review ID --confirm | --dismiss --reason TEXT`): a
/// log, the newest row of a finding being its state; `inherited_from` names the finding whose
/// dismissal a later run's finding of the same page and pattern carries (see `reviews.rs`).
const V_REVIEWS: &str = r#"
CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY,
    finding_id     INTEGER NOT NULL REFERENCES findings (id),
    state          TEXT NOT NULL CHECK (state IN ('confirmed', 'dismissed')),
    reason         TEXT NOT NULL DEFAULT '',
    reviewer       TEXT NOT NULL,
    reviewed_at    TEXT NOT NULL,
    inherited_from INTEGER REFERENCES findings (id)
);
CREATE INDEX reviews_finding ON reviews (finding_id, id);
"#;

pub(crate) const MIGRATIONS: &[&str] = &[
    V1,
    V_DAEMON,
    V_SCORES_ARCHIVE,
    V_QUEUE_TIME,
    V_MEDIA,
    V_NOT_INSPECTED,
    V_REVIEWS,
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Brings the database up to [`SCHEMA_VERSION`]; returns the version it is at afterwards.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<i64> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    if found < 0 {
        return Err(StoreError::corrupt(format!(
            "negative schema version {found}"
        )));
    }
    if found == 0 {
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            [],
            |r| r.get(0),
        )?;
        if tables > 0 {
            return Err(StoreError::corrupt(format!(
                "it has {tables} table(s) but no govwatch schema version, so it is not a govwatch \
                 database"
            )));
        }
    }
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if found >= version {
            continue;
        }
        let migration_err = |source: rusqlite::Error| StoreError::Migration {
            path: path.to_path_buf(),
            version,
            source,
        };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        let now = user_version(&tx)?;
        if now > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: now,
                known: SCHEMA_VERSION,
            });
        }
        if now >= version {
            continue;
        }
        tx.execute_batch(sql).map_err(migration_err)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(migration_err)?;
        tx.commit().map_err(migration_err)?;
        tracing::info!(db = %path.display(), version, "database schema migrated");
    }
    Ok(user_version(conn)?)
}
