//! Tests of the store through its public API (and raw SQL where a reader of the DB would use it).

use chrono::DateTime;
use govwatch_model::{
    CharsetSource, Evidence, Fact, FetchError, FetchRecord, Finding, Link, LinkKind, Page, Purpose,
    Sample, Severity, Site, SiteKind, SiteOverrides, SiteResult, Timestamp,
};
use govwatch_store::{
    RunStatus, SCHEMA_VERSION, Store, StoreError, TableCounts, spawn_writer, text_hash,
};
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

// ------------------------------------------------------------------------------------------------
// Fixtures

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "govwatch-store-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("govwatch.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ts(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn site(id: &str) -> Site {
    Site {
        id: id.to_string(),
        name: format!("测试网站{id}"),
        home: url::Url::parse(&format!("http://{}.example.gov.cn/", id.to_lowercase())).unwrap(),
        org: "某某市人民政府办公室".to_string(),
        region: "某某市".to_string(),
        kind: SiteKind::Portal,
        overrides: SiteOverrides {
            rate: Some(2.0),
            hosts: vec!["search.example.gov.cn".into()],
            ..Default::default()
        },
    }
}

fn fetch(url: &str, purpose: Purpose, status: Option<u16>, at: &str) -> FetchRecord {
    FetchRecord {
        url: url.to_string(),
        final_url: url.to_string(),
        method: "GET".to_string(),
        purpose,
        status,
        started_at: ts(at),
        elapsed_ms: 120,
        queue_ms: 0,
        bytes: 2048,
        content_type: Some("text/html; charset=GBK".to_string()),
        content_hash: None,
        remote_addr: Some("127.0.0.1:8080".to_string()),
        family: Some(4),
        error: None,
        error_message: None,
        redirects: vec![],
        attempt: 1,
    }
}

/// A result with 3 fetches, 1 page (whose body is `body`), 2 samples, 1 fact and 2 findings.
fn result(site: &Site, body: &str) -> SiteResult {
    let home = site.home.to_string();
    let mut page_fetch = fetch(&home, Purpose::Page, Some(200), "2025-03-01T02:00:01+08:00");
    page_fetch.content_hash = Some(text_hash(body));
    page_fetch.redirects = vec![format!("301 {}index.html", home)];
    let robots = fetch(
        &format!("{home}robots.txt"),
        Purpose::Robots,
        Some(404),
        "2025-03-01T02:00:00+08:00",
    );
    let mut broken = fetch(
        &format!("{home}gone.html"),
        Purpose::LinkCheck,
        None,
        "2025-03-01T02:00:02+08:00",
    );
    broken.error = Some(FetchError::Timeout);
    broken.error_message = Some("no answer within 15 s".to_string());
    broken.family = None;
    broken.remote_addr = None;
    broken.attempt = 2;
    let page = Page {
        fetch: page_fetch.clone(),
        depth: 0,
        text: body.to_string(),
        charset: Some("GBK".to_string()),
        charset_source: Some(CharsetSource::Meta),
        title: Some("首页".to_string()),
        links: vec![Link {
            url: format!("{home}gone.html"),
            raw: "gone.html".to_string(),
            text: "政务公开".to_string(),
            kind: LinkKind::Anchor,
        }],
        is_html: true,
    };
    let samples = vec![
        Sample {
            url: home.clone(),
            at: ts("2025-03-01T02:00:00+08:00"),
            family: Some(4),
            ok: true,
            status: Some(200),
            error: None,
            elapsed_ms: 300,
        },
        Sample {
            url: home.clone(),
            at: ts("2025-03-01T02:10:00+08:00"),
            family: None,
            ok: false,
            status: None,
            error: Some(FetchError::Dns),
            elapsed_ms: 15_000,
        },
    ];
    let facts = vec![Fact {
        probe: "crawl".to_string(),
        code: "crawl.summary".to_string(),
        url: None,
        value: json!({"pages": 1, "fetches": 3}),
        observed_at: ts("2025-03-01T02:00:03+08:00"),
    }];
    let findings = vec![
        Finding {
            probe: "links".to_string(),
            code: "link.broken_home".to_string(),
            severity: Severity::Deduct,
            url: Some(format!("{home}gone.html")),
            value: json!({"target": format!("{home}gone.html")}),
            message: "首页链接不可访问".to_string(),
            evidence: Evidence {
                status: Some(404),
                excerpt: Some("<a href=\"gone.html\">政务公开</a>".to_string()),
                archived: Some(home.clone()),
                body_hash: Some(text_hash(body)),
                extra: json!({"attempts": [1, 2]}),
            },
            observed_at: ts("2025-03-01T02:00:04+08:00"),
        },
        Finding {
            probe: "avail".to_string(),
            code: "avail.home_down".to_string(),
            severity: Severity::Veto,
            url: Some(home.clone()),
            value: serde_json::Value::Null,
            message: "首页无法访问".to_string(),
            evidence: Evidence::default(),
            observed_at: ts("2025-03-01T02:00:05+08:00"),
        },
    ];
    SiteResult {
        site: site.clone(),
        started_at: ts("2025-03-01T02:00:00+08:00"),
        finished_at: ts("2025-03-01T02:00:06+08:00"),
        fetches: vec![robots, page_fetch, broken],
        pages: vec![page],
        samples,
        facts,
        findings,
    }
}

fn as_of() -> Timestamp {
    ts("2025-03-01T00:00:00+08:00")
}

/// What one `result()` adds to a run.
fn one_site() -> TableCounts {
    TableCounts {
        run_sites: 1,
        fetches: 3,
        pages: 1,
        bodies: 1,
        samples: 2,
        facts: 1,
        findings: 2,
    }
}

fn times(c: TableCounts, n: u64) -> TableCounts {
    TableCounts {
        run_sites: c.run_sites * n,
        fetches: c.fetches * n,
        pages: c.pages * n,
        bodies: c.bodies * n,
        samples: c.samples * n,
        facts: c.facts * n,
        findings: c.findings * n,
    }
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn count(conn: &rusqlite::Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

// ------------------------------------------------------------------------------------------------
// Schema and migrations

#[test]
fn fresh_file_is_migrated_to_the_current_version() {
    let dir = TempDir::new("fresh");
    let store = Store::open(dir.db()).unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION >= 1) };
    drop(store);

    let conn = raw(&dir.db());
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap();
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for t in [
        "bodies",
        "facts",
        "fetches",
        "findings",
        "pages",
        "run_sites",
        "runs",
        "samples",
        "sites",
    ] {
        assert!(
            tables.iter().any(|x| x == t),
            "table {t} missing from {tables:?}"
        );
    }
}

#[test]
fn reopening_keeps_version_and_data() {
    let dir = TempDir::new("reopen");
    let mut store = Store::open(dir.db()).unwrap();
    let run = store
        .begin_run(as_of(), &json!({"concurrency": 4}))
        .unwrap();
    drop(store);

    let store = Store::open(dir.db()).unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    let row = store.run(run).unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Running);
    assert_eq!(row.settings, json!({"concurrency": 4}));
    assert_eq!(DateTime::parse_from_rfc3339(&row.as_of).unwrap(), as_of());
    assert!(row.ended_at.is_none());
}

#[test]
fn newer_schema_is_refused_with_a_clear_error() {
    let dir = TempDir::new("newer");
    drop(Store::open(dir.db()).unwrap());
    raw(&dir.db())
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();

    let err = Store::open(dir.db()).unwrap_err();
    match &err {
        StoreError::NewerSchema { found, known, path } => {
            assert_eq!(*found, SCHEMA_VERSION + 1);
            assert_eq!(*known, SCHEMA_VERSION);
            assert_eq!(path, &dir.db());
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&dir.db().display().to_string()), "{msg}");
    assert!(msg.contains("newer govwatch"), "{msg}");
}

#[test]
fn a_foreign_database_is_refused() {
    let dir = TempDir::new("foreign");
    raw(&dir.db())
        .execute_batch("CREATE TABLE something (x)")
        .unwrap();
    let err = Store::open(dir.db()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("not a govwatch database"), "{err}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let dir = TempDir::new("garbage");
    std::fs::write(dir.db(), vec![b'x'; 4096]).unwrap();
    let err = Store::open(dir.db()).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&dir.db().display().to_string()),
        "{err}"
    );
}

// ------------------------------------------------------------------------------------------------
// Runs

#[test]
fn run_lifecycle() {
    let mut store = Store::open_in_memory().unwrap();
    assert!(store.latest_run().unwrap().is_none());
    assert!(store.latest_unfinished_run().unwrap().is_none());

    let first = store.begin_run(as_of(), &json!({})).unwrap();
    store
        .finish_run(first, RunStatus::Done, Some("all sites"))
        .unwrap();
    let row = store.run(first).unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Done);
    assert_eq!(row.note.as_deref(), Some("all sites"));
    assert!(row.ended_at.is_some());
    assert!(store.latest_unfinished_run().unwrap().is_none());

    let second = store.begin_run(as_of(), &json!({"resume": false})).unwrap();
    assert_eq!(store.latest_run().unwrap().unwrap().id, second);
    assert_eq!(store.latest_unfinished_run().unwrap().unwrap().id, second);
    store.mark_interrupted(second).unwrap();
    let row = store.latest_unfinished_run().unwrap().unwrap();
    assert_eq!((row.id, row.status), (second, RunStatus::Interrupted));
    let row = store.resume_run(second).unwrap();
    assert_eq!(row.status, RunStatus::Running);
    assert!(row.ended_at.is_none());

    // Marking a finished run interrupted changes nothing.
    store.mark_interrupted(first).unwrap();
    assert_eq!(store.run(first).unwrap().unwrap().status, RunStatus::Done);

    // A finished run takes no more results; unknown runs are named.
    let a = site("A000000001");
    store.upsert_sites(std::slice::from_ref(&a)).unwrap();
    let err = store
        .write_site_result(first, &result(&a, "<html></html>"))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::RunClosed { run_id, .. } if run_id == first),
        "{err:?}"
    );
    assert!(matches!(
        store.resume_run(first),
        Err(StoreError::RunClosed { .. })
    ));
    assert!(matches!(
        store.finish_run(99, RunStatus::Done, None),
        Err(StoreError::UnknownRun { run_id: 99, .. })
    ));
    assert!(matches!(
        store.findings(99, None),
        Err(StoreError::UnknownRun { .. })
    ));
    assert!(store.run(99).unwrap().is_none());
}

#[test]
fn sites_are_upserted() {
    let dir = TempDir::new("sites");
    let mut store = Store::open(dir.db()).unwrap();
    let mut a = site("A000000001");
    store
        .upsert_sites(&[a.clone(), site("B000000002")])
        .unwrap();
    a.name = "改名后的网站".to_string();
    a.kind = SiteKind::Department;
    store.upsert_sites(&[a]).unwrap();
    drop(store);

    let conn = raw(&dir.db());
    assert_eq!(count(&conn, "sites"), 2);
    let (name, kind, overrides): (String, String, String) = conn
        .query_row(
            "SELECT name, kind, overrides FROM sites WHERE id = 'A000000001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(name, "改名后的网站");
    assert_eq!(kind, "department");
    let overrides: serde_json::Value = serde_json::from_str(&overrides).unwrap();
    assert_eq!(
        overrides,
        json!({"rate": 2.0, "hosts": ["search.example.gov.cn"]})
    );
}

// ------------------------------------------------------------------------------------------------
// Bodies, samples, findings

#[test]
fn bodies_round_trip_and_are_deduplicated() {
    let dir = TempDir::new("bodies");
    let mut store = Store::open(dir.db()).unwrap();
    let (a, b) = (site("A000000001"), site("B000000002"));
    store.upsert_sites(&[a.clone(), b.clone()]).unwrap();
    let body =
        "<html><head><title>首页</title></head><body>政务公开 ".repeat(50) + "</body></html>";

    let run = store.begin_run(as_of(), &json!({})).unwrap();
    store.write_site_result(run, &result(&a, &body)).unwrap();
    store.write_site_result(run, &result(&b, &body)).unwrap();
    let counts = store.counts(run).unwrap();
    assert_eq!(counts.pages, 2);
    assert_eq!(counts.bodies, 1, "the same body twice is stored once");
    assert_eq!(
        store.page_body(&text_hash(&body)).unwrap().as_deref(),
        Some(body.as_str())
    );
    assert!(store.page_body("0000").unwrap().is_none());

    // A later run with the same body adds pages but no body.
    let run2 = store.begin_run(as_of(), &json!({})).unwrap();
    store.write_site_result(run2, &result(&a, &body)).unwrap();

    // A page without a content hash is archived under the SHA-256 of its text.
    let other = "<html><body>另一页</body></html>";
    let mut r = result(&b, other);
    r.pages[0].fetch.content_hash = None;
    r.fetches[1].content_hash = None;
    store.write_site_result(run2, &r).unwrap();
    assert_eq!(
        store.page_body(&text_hash(other)).unwrap().as_deref(),
        Some(other)
    );
    drop(store);

    // What a reader of the file sees.
    let conn = raw(&dir.db());
    assert_eq!(count(&conn, "bodies"), 2);
    assert_eq!(count(&conn, "pages"), 4);
    let (encoding, size, charset, data): (String, i64, String, Vec<u8>) = conn
        .query_row(
            "SELECT encoding, size, charset, data FROM bodies WHERE hash = ?1",
            [text_hash(&body)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(encoding, "zlib");
    assert_eq!(size as usize, body.len());
    assert_eq!(charset, "GBK");
    assert!(
        data.len() < body.len() / 4,
        "compressed: {} of {}",
        data.len(),
        body.len()
    );
    let mut text = String::new();
    flate2::read::ZlibDecoder::new(&data[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, body);
    // Every page points at its own fetch and a stored body.
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM pages p LEFT JOIN fetches f ON f.id = p.fetch_id
             LEFT JOIN bodies b ON b.hash = p.body_hash
             WHERE f.id IS NULL OR b.hash IS NULL OR f.url <> p.url OR f.run_id <> p.run_id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
}

#[test]
fn a_page_missing_from_the_fetches_gets_its_fetch_recorded() {
    let mut store = Store::open_in_memory().unwrap();
    let a = site("A000000001");
    let run = store.begin_run(as_of(), &json!({})).unwrap();
    let mut r = result(&a, "<html></html>");
    r.fetches.remove(1); // the page's fetch
    store.write_site_result(run, &r).unwrap();
    let c = store.counts(run).unwrap();
    assert_eq!((c.fetches, c.pages), (3, 1));
    assert_eq!(store.run_summary(run).unwrap()[0].fetches, 3);
}

#[test]
fn samples_are_never_counted_twice() {
    let mut store = Store::open_in_memory().unwrap();
    let a = site("A000000001");
    store.upsert_sites(std::slice::from_ref(&a)).unwrap();
    let samples = result(&a, "").samples;

    assert_eq!(store.insert_samples(None, &a.id, &samples).unwrap(), 2);
    assert_eq!(store.insert_samples(None, &a.id, &samples).unwrap(), 0);
    // Two already stored and one new: only the new one counts.
    let run = store.begin_run(as_of(), &json!({})).unwrap();
    let mut more = samples.clone();
    more.push(Sample {
        at: ts("2025-03-01T02:20:00+08:00"),
        ..samples[0].clone()
    });
    assert_eq!(store.insert_samples(Some(run), &a.id, &more).unwrap(), 1);

    // A site result repeating the samples adds none of them.
    let mut r = result(&a, "");
    r.samples = more.clone();
    store.write_site_result(run, &r).unwrap();
    assert_eq!(store.counts(run).unwrap().samples, 1);

    // Half-open window, oldest first, values intact.
    let all = store
        .samples(
            &a.id,
            ts("2025-03-01T00:00:00+08:00"),
            ts("2025-03-02T00:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], samples[0]);
    assert_eq!(all[1], samples[1]);
    assert_eq!(all[1].error, Some(FetchError::Dns));
    assert_eq!(all[1].family, None);
    let window = store
        .samples(
            &a.id,
            ts("2025-03-01T02:00:00+08:00"),
            ts("2025-03-01T02:10:00+08:00"),
        )
        .unwrap();
    assert_eq!(window, vec![samples[0].clone()]);
    // A window given in UTC selects the same instants.
    let utc = store
        .samples(
            &a.id,
            ts("2025-02-28T18:00:00Z"),
            ts("2025-02-28T18:10:00Z"),
        )
        .unwrap();
    assert_eq!(utc, window);

    let err = store
        .insert_samples(None, "NOPE000000", &samples)
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownSite { .. }), "{err:?}");
    let err = store.insert_samples(Some(42), &a.id, &samples).unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownRun { run_id: 42, .. }),
        "{err:?}"
    );
}

#[test]
fn findings_and_facts_round_trip_with_evidence() {
    let dir = TempDir::new("findings");
    let mut store = Store::open(dir.db()).unwrap();
    let (a, b) = (site("A000000001"), site("B000000002"));
    let run = store.begin_run(as_of(), &json!({})).unwrap();
    let (ra, rb) = (result(&a, "<html>a</html>"), result(&b, "<html>b</html>"));
    store.write_site_result(run, &ra).unwrap();
    store.write_site_result(run, &rb).unwrap();

    let all = store.findings(run, None).unwrap();
    assert_eq!(all.len(), 4);
    let got: Vec<(String, Finding)> = all.into_iter().map(|f| (f.site_id, f.finding)).collect();
    let want: Vec<(String, Finding)> = ra
        .findings
        .iter()
        .map(|f| (a.id.clone(), f.clone()))
        .chain(rb.findings.iter().map(|f| (b.id.clone(), f.clone())))
        .collect();
    assert_eq!(got, want);
    let only_b = store.findings(run, Some(&b.id)).unwrap();
    assert_eq!(
        only_b.iter().map(|f| f.finding.clone()).collect::<Vec<_>>(),
        rb.findings
    );
    assert!(only_b.iter().all(|f| f.site_id == b.id));

    let facts = store.facts(run, Some(&a.id)).unwrap();
    assert_eq!(
        facts.iter().map(|f| f.fact.clone()).collect::<Vec<_>>(),
        ra.facts
    );
    assert_eq!(store.facts(run, None).unwrap().len(), 2);

    let summary = store.run_summary(run).unwrap();
    assert_eq!(summary.len(), 2);
    let s = &summary[0];
    assert_eq!(
        (s.site_id.as_str(), s.name.as_str()),
        (a.id.as_str(), a.name.as_str())
    );
    assert_eq!((s.pages, s.fetches, s.facts, s.findings), (1, 3, 1, 2));
    assert_eq!(
        (s.by_severity.veto, s.by_severity.deduct, s.by_severity.warn),
        (1, 1, 0)
    );
    assert_eq!(s.by_code.get("link.broken_home"), Some(&1));
    assert_eq!(s.by_code.get("avail.home_down"), Some(&1));
    drop(store);

    // The documented plain-SQL reading of the evidence.
    let conn = raw(&dir.db());
    let (status, extra, body_hash): (i64, String, String) = conn
        .query_row(
            "SELECT json_extract(evidence, '$.status'), json_extract(evidence, '$.extra'),
                    json_extract(evidence, '$.body_hash')
             FROM findings WHERE run_id = ?1 AND site_id = ?2 AND code = 'link.broken_home'",
            rusqlite::params![run, a.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(status, 404);
    assert_eq!(extra, r#"{"attempts":[1,2]}"#);
    assert_eq!(body_hash, text_hash("<html>a</html>"));
    let in_bodies: i64 = conn
        .query_row(
            "SELECT count(*) FROM bodies WHERE hash = ?1",
            [&body_hash],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(in_bodies, 1);
    let redirects: String = conn
        .query_row(
            "SELECT redirects FROM fetches WHERE run_id = ?1 AND site_id = ?2 AND purpose = 'page'",
            rusqlite::params![run, a.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        redirects,
        r#"["301 http://a000000001.example.gov.cn/index.html"]"#
    );
    let veto_sites: i64 = conn
        .query_row(
            "SELECT count(DISTINCT site_id) FROM findings WHERE run_id = ?1 AND severity = 'veto'",
            [run],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(veto_sites, 2);
}

// ------------------------------------------------------------------------------------------------
// Crash consistency and resume

#[test]
fn resume_after_drop_without_finish_never_duplicates() {
    let dir = TempDir::new("resume");
    let sites: Vec<Site> = ["A000000001", "B000000002", "C000000003"]
        .into_iter()
        .map(site)
        .collect();
    let results: Vec<SiteResult> = sites
        .iter()
        .map(|s| result(s, &format!("<html>{}</html>", s.id)))
        .collect();

    let mut store = Store::open(dir.db()).unwrap();
    store.upsert_sites(&sites).unwrap();
    let run = store.begin_run(as_of(), &json!({})).unwrap();
    store.write_site_result(run, &results[0]).unwrap();
    store.write_site_result(run, &results[1]).unwrap();
    drop(store); // no finish_run: as if the process died here

    let mut store = Store::open(dir.db()).unwrap();
    let unfinished = store
        .latest_unfinished_run()
        .unwrap()
        .expect("run left unfinished");
    assert_eq!(unfinished.id, run);
    assert_eq!(unfinished.status, RunStatus::Running);
    let done = store.sites_done(run).unwrap();
    assert_eq!(
        done,
        [sites[0].id.clone(), sites[1].id.clone()]
            .into_iter()
            .collect()
    );
    assert_eq!(store.counts(run).unwrap(), times(one_site(), 2));

    // Resume: the runner would skip done sites, but writing them again must be harmless.
    store.resume_run(run).unwrap();
    for r in &results {
        store.write_site_result(run, r).unwrap();
    }
    store.finish_run(run, RunStatus::Done, None).unwrap();
    assert_eq!(store.counts(run).unwrap(), times(one_site(), 3));
    assert_eq!(store.sites_done(run).unwrap().len(), 3);
    assert!(store.latest_unfinished_run().unwrap().is_none());
}

const CRASH_DB: &str = "GOVWATCH_STORE_CRASH_DB";

/// Child half of `kill_mid_run_leaves_a_consistent_db`: writes two sites, starts writing a third
/// by hand, and aborts the process in the middle of that transaction (like `kill -9`).
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CRASH_DB) else {
        return; // only meaningful when started by the parent test
    };
    let path = PathBuf::from(path);
    let sites: Vec<Site> = ["A000000001", "B000000002", "C000000003"]
        .into_iter()
        .map(site)
        .collect();
    let mut store = Store::open(&path).unwrap();
    store.upsert_sites(&sites).unwrap();
    let run = store.begin_run(as_of(), &json!({})).unwrap();
    for s in &sites[..2] {
        store
            .write_site_result(run, &result(s, &format!("<html>{}</html>", s.id)))
            .unwrap();
    }
    let conn = raw(&path);
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn.execute(
        "INSERT INTO findings (run_id, site_id, probe, code, severity, message, observed_at)
         VALUES (?1, 'C000000003', 'x', 'x.half_written', 'info', 'never committed', '2025-03-01T00:00:00+08:00')",
        [run],
    )
    .unwrap();
    println!("CHILD-ABORTING");
    std::process::abort();
}

#[test]
fn kill_mid_run_leaves_a_consistent_db() {
    let dir = TempDir::new("kill");
    // The child's full name in this test binary: its module (`store::`) and the function.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "store::crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_DB, dir.db())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CHILD-ABORTING"),
        "child did not reach the crash point: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success());

    let mut store = Store::open(dir.db()).unwrap();
    let run = store
        .latest_unfinished_run()
        .unwrap()
        .expect("run left unfinished");
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(store.sites_done(run.id).unwrap().len(), 2);
    assert_eq!(store.counts(run.id).unwrap(), times(one_site(), 2));
    assert!(
        store
            .findings(run.id, Some("C000000003"))
            .unwrap()
            .is_empty()
    );

    let c = site("C000000003");
    store
        .write_site_result(
            run.id,
            &result(&site("A000000001"), "<html>A000000001</html>"),
        )
        .unwrap();
    store
        .write_site_result(run.id, &result(&c, "<html>C000000003</html>"))
        .unwrap();
    assert_eq!(store.counts(run.id).unwrap(), times(one_site(), 3));
}

// ------------------------------------------------------------------------------------------------
// The writer thread

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_thread_commits_from_async_tasks() {
    let dir = TempDir::new("writer");
    let mut store = Store::open(dir.db()).unwrap();
    let run = store.begin_run(as_of(), &json!({})).unwrap();
    let sites: Vec<Site> = (1..=5).map(|i| site(&format!("S00000000{i}"))).collect();
    store.upsert_sites(&sites).unwrap();
    let (writer, handle) = spawn_writer(store);

    let mut tasks = Vec::new();
    for s in sites.clone() {
        let w = writer.clone();
        tasks.push(tokio::spawn(async move {
            let r = result(&s, &format!("<html>{}</html>", s.id));
            w.write_site(run, r.clone()).await.unwrap();
            w.write_site(run, r).await.unwrap(); // skipped
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut late = result(&sites[0], "").samples;
    late[0].at = ts("2025-03-01T03:00:00+08:00");
    late[1].at = ts("2025-03-01T03:10:00+08:00");
    assert_eq!(
        writer
            .insert_samples(None, sites[0].id.clone(), late.clone())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        writer
            .insert_samples(None, sites[0].id.clone(), late)
            .await
            .unwrap(),
        0
    );
    let err = writer
        .write_site(run + 1, result(&sites[0], ""))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownRun { .. }), "{err:?}");
    drop(writer);

    let mut store = tokio::task::spawn_blocking(move || handle.join().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.counts(run).unwrap(), times(one_site(), 5));
    store.finish_run(run, RunStatus::Done, None).unwrap();
    let all = store
        .samples(
            &sites[0].id,
            ts("2025-03-01T00:00:00+08:00"),
            ts("2025-03-02T00:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(all.len(), 4);
}
