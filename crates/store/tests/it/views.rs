//! The read-only store of viewers (`govwatch serve`): opening without write access, and the view
//! queries over two runs of two sites.

use govwatch_model::{
    Evidence, FetchError, FetchRecord, Finding, Page, Purpose, Severity, Site, SiteKind,
    SiteOverrides, SiteResult, Timestamp,
};
use govwatch_store::{
    ArchiveRecord, RunStatus, SCHEMA_VERSION, ScoreRow, ScoreSet, Store, StoreError, text_hash,
};
use serde_json::json;
use std::path::{Path, PathBuf};

fn ts(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-views-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn site(id: &str, region: &str, kind: SiteKind) -> Site {
    Site {
        id: id.into(),
        name: format!("网站{id}"),
        home: format!("http://{id}.gov.test/").parse().unwrap(),
        org: "某县人民政府办公室".into(),
        region: region.into(),
        kind,
        overrides: SiteOverrides::default(),
    }
}

fn fetch(url: &str, purpose: Purpose, status: Option<u16>, attempt: u32) -> FetchRecord {
    FetchRecord {
        url: url.into(),
        final_url: url.into(),
        method: "GET".into(),
        purpose,
        status,
        started_at: ts("2026-11-28T02:00:01+08:00"),
        elapsed_ms: 12,
        bytes: 10,
        content_type: Some("text/html".into()),
        content_hash: None,
        remote_addr: Some("127.0.0.1:80".into()),
        family: Some(4),
        error: None,
        error_message: None,
        redirects: vec![],
        attempt,
        queue_ms: 7,
    }
}

/// A site with its home page and a broken link (fetched twice: a timeout, then a 404).
fn result(s: &Site) -> SiteResult {
    let home = s.home.to_string();
    let body = format!("<html><a href=\"gone.html\">{}</a></html>", s.name);
    let mut page_fetch = fetch(&home, Purpose::Page, Some(200), 1);
    page_fetch.content_hash = Some(text_hash(&body));
    let gone = format!("{home}gone.html");
    let mut first = fetch(&gone, Purpose::LinkCheck, None, 1);
    first.error = Some(FetchError::Timeout);
    first.error_message = Some("no answer within 15 s".into());
    let second = fetch(&gone, Purpose::LinkCheck, Some(404), 2);
    SiteResult {
        site: s.clone(),
        started_at: ts("2026-11-28T02:00:00+08:00"),
        finished_at: ts("2026-11-28T02:01:00+08:00"),
        fetches: vec![page_fetch.clone(), first, second],
        pages: vec![Page {
            fetch: page_fetch,
            depth: 0,
            text: body,
            charset: Some("UTF-8".into()),
            charset_source: None,
            title: None,
            links: vec![],
            is_html: true,
        }],
        samples: vec![],
        facts: vec![],
        findings: vec![Finding {
            probe: "links".into(),
            code: "link.broken_home".into(),
            severity: Severity::Deduct,
            url: Some(gone.clone()),
            value: json!({}),
            message: "首页链接不可访问".into(),
            evidence: Evidence {
                status: Some(404),
                excerpt: Some("<a href=\"gone.html\">".into()),
                archived: Some(home),
                ..Default::default()
            },
            observed_at: ts("2026-11-28T02:00:02+08:00"),
        }],
    }
}

fn score(site: &str, verdict: &str, score: Option<f64>) -> ScoreRow {
    ScoreRow {
        site_id: site.into(),
        verdict: verdict.into(),
        vetoed: score.is_none(),
        deducted: 1.0,
        bonus: 0.0,
        bonus_scored: false,
        score,
        complete: true,
        items: vec![],
    }
}

#[test]
fn a_read_only_store_reads_the_views_and_writes_nothing() {
    let dir = scratch("all");
    let db = dir.join("govwatch.db");
    let (a, b) = (
        site("3400000001", "甲县", SiteKind::Portal),
        site("3400000002", "乙县", SiteKind::Department),
    );
    let runs = two_runs_scored_twice(&db, &a, &b);
    let mut store = Store::open_read_only(&db).unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);

    check_tallies(&store, &runs);
    check_site_across_runs(&store, &a, &b, &runs);
    check_finding_evidence(&store, &a, &b, &runs);

    // nothing can be written through it
    let e = store.upsert_sites(std::slice::from_ref(&a)).unwrap_err();
    assert!(e.to_string().contains("readonly database"), "{e}");
}

/// Writes two runs (both sites, then `a` alone), the first scored by two rule sets, and an
/// archive record of its first page; the run ids.
fn two_runs_scored_twice(db: &Path, a: &Site, b: &Site) -> Vec<i64> {
    let mut runs = Vec::new();
    let mut store = Store::open(db).unwrap();
    for (as_of, sites) in [
        ("2026-11-28T02:00:00+08:00", vec![a, b]),
        ("2026-11-29T02:00:00+08:00", vec![a]),
    ] {
        let run = store.begin_run(ts(as_of), &json!({})).unwrap();
        for s in sites {
            store.write_site_result(run, &result(s)).unwrap();
        }
        store.finish_run(run, RunStatus::Done, None).unwrap();
        runs.push(run);
    }
    for (hash, verdicts) in [("h-old", ["fail", "fail"]), ("h-new", ["pass", "fail"])] {
        store
            .write_scores(&ScoreSet {
                run_id: runs[0],
                rules_version: hash.into(),
                rules_hash: hash.into(),
                scored_at: "2026-11-28T03:00:00+08:00".into(),
                as_of: "2026-11-28T02:00:00+08:00".into(),
                scores: vec![
                    score(&a.id, verdicts[0], Some(99.0)),
                    score(&b.id, verdicts[1], None),
                ],
            })
            .unwrap();
    }
    let page = store.run_pages(runs[0]).unwrap()[0].id;
    store
        .write_archive_records(
            runs[0],
            &[ArchiveRecord {
                run_id: runs[0],
                page_id: page,
                url: a.home.to_string(),
                file: "run-1.warc.gz".into(),
                record_id: "<urn:uuid:x>".into(),
                offset: 10,
                length: 20,
            }],
        )
        .unwrap();
    runs
}

/// Runs and scorings in numbers.
fn check_tallies(store: &Store, runs: &[i64]) {
    let tallies = store.run_tallies().unwrap();
    assert_eq!(
        tallies
            .iter()
            .map(|t| (t.sites, t.pages, t.findings))
            .collect::<Vec<_>>(),
        [(2, 2, 2), (1, 1, 1)]
    );
    let scorings = store.scoring_tallies().unwrap();
    assert_eq!(scorings.len(), 2);
    assert_eq!(scorings[0].rules_hash, "h-new", "newest first");
    assert_eq!((scorings[0].sites, scorings[0].passed), (2, 1));
    let counts = store.pass_counts(runs[0], "h-new").unwrap();
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.region.as_str(), c.kind.as_str(), c.sites, c.passed))
            .collect::<Vec<_>>(),
        [("乙县", "department", 1, 0), ("甲县", "portal", 1, 1)]
    );
}

/// One site across runs.
fn check_site_across_runs(store: &Store, a: &Site, b: &Site, runs: &[i64]) {
    assert_eq!(store.site(&a.id).unwrap().unwrap().region, "甲县");
    assert!(store.site("0000000000").unwrap().is_none());
    let visits = store.site_runs(&a.id).unwrap();
    assert_eq!(visits.iter().map(|v| v.run_id).collect::<Vec<_>>(), runs);
    assert_eq!(visits[0].by_severity.deduct, 1);
    assert_eq!(visits[1].as_of, "2026-11-29T02:00:00+08:00");
    assert_eq!(store.site_runs(&b.id).unwrap().len(), 1);
    let scores = store.site_scores(&a.id).unwrap();
    assert_eq!(
        scores
            .iter()
            .map(|s| (s.rules_hash.as_str(), s.verdict.as_str()))
            .collect::<Vec<_>>(),
        [("h-new", "pass"), ("h-old", "fail")]
    );
}

/// One finding's evidence: where it is, its fetches (both attempts), its page and record.
fn check_finding_evidence(store: &Store, a: &Site, b: &Site, runs: &[i64]) {
    let f = &store.findings(runs[0], Some(&a.id)).unwrap()[0];
    assert_eq!(
        store.finding_location(f.id).unwrap(),
        Some((runs[0], a.id.clone()))
    );
    assert_eq!(store.finding_location(999_999).unwrap(), None);
    let url = f.finding.url.as_deref().unwrap();
    let fetches = store.fetches_for(runs[0], &a.id, &[url, url]).unwrap();
    assert_eq!(
        fetches
            .iter()
            .map(|x| (x.fetch.attempt, x.fetch.status, x.fetch.error))
            .collect::<Vec<_>>(),
        [(1, None, Some(FetchError::Timeout)), (2, Some(404), None)],
        "each fetch once, in order"
    );
    assert_eq!(fetches[0].fetch.purpose, Purpose::LinkCheck);
    let home = f.finding.evidence.archived.as_deref().unwrap();
    let page = store.page_for(runs[0], &a.id, home).unwrap().unwrap();
    assert!(
        store
            .page_body(page.body_hash.as_deref().unwrap())
            .unwrap()
            .unwrap()
            .contains("网站3400000001")
    );
    assert!(
        store.page_for(runs[0], &b.id, home).unwrap().is_none(),
        "another site's page"
    );
    let rec = store.archive_record(runs[0], page.id).unwrap().unwrap();
    assert_eq!((rec.offset, rec.length), (10, 20));
    assert!(store.archive_record(runs[1], page.id).unwrap().is_none());
}

#[test]
fn a_read_only_open_creates_nothing_and_migrates_nothing() {
    let dir = scratch("refuse");
    let missing = dir.join("missing.db");
    assert!(matches!(
        Store::open_read_only(&missing).unwrap_err(),
        StoreError::Open { .. }
    ));
    assert!(!missing.exists(), "no file created");

    let db = dir.join("old.db");
    drop(Store::open(&db).unwrap());
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION - 1)
        .unwrap();
    drop(conn);
    let e = Store::open_read_only(&db).unwrap_err();
    assert!(matches!(e, StoreError::OlderSchema { .. }), "{e}");
    assert!(e.to_string().contains("govwatch status"), "{e}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION - 1, "left as it was");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    assert!(matches!(
        Store::open_read_only(&db).unwrap_err(),
        StoreError::NewerSchema { .. }
    ));
}
