//! New-media accounts in the store: schema 5 (with the placeholder 4), one transaction per account,
//! resume without duplicates, account rows kept out of the site queries, posts, the archived feed
//! among the run's pages, inspectors' observations imported once and added to a run once.

use chrono::DateTime;
use govwatch_model::{
    Account, AccountResult, CharsetSource, Evidence, Fact, FeedFailure, FeedRead, FetchRecord,
    Finding, ManualFinding, Page, Platform, Post, Purpose, Severity, Site, SiteKind, SiteOverrides,
    Timestamp,
};
use govwatch_store::{RunStatus, SCHEMA_VERSION, Store, StoreError, spawn_writer};
use serde_json::json;

fn ts(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn site() -> Site {
    Site {
        id: "1310000001".into(),
        name: "安平县人民政府".into(),
        home: url::Url::parse("http://www.anping.gov.test/").unwrap(),
        org: "安平县人民政府办公室".into(),
        region: "安平县".into(),
        kind: SiteKind::Portal,
        overrides: SiteOverrides::default(),
    }
}

fn account(id: &str) -> Account {
    Account {
        platform: Platform::Weibo,
        id: id.into(),
        name: format!("安平发布{id}"),
        org: "安平县人民政府办公室".into(),
        region: "安平县".into(),
        site: "1310000001".into(),
        feed: url::Url::parse(&format!("http://rsshub.test/weibo/user/{id}")).unwrap(),
    }
}

fn feed_fetch(url: &str, status: u16) -> FetchRecord {
    FetchRecord {
        url: url.into(),
        final_url: url.into(),
        method: "GET".into(),
        purpose: Purpose::Page,
        status: Some(status),
        started_at: ts("2026-11-28T02:00:00+08:00"),
        elapsed_ms: 30,
        bytes: 100,
        content_type: Some("application/rss+xml; charset=utf-8".into()),
        content_hash: Some(format!("hash-{url}")),
        remote_addr: Some("127.0.0.1:80".into()),
        family: Some(4),
        error: None,
        error_message: None,
        redirects: vec![],
        attempt: 1,
        queue_ms: 0,
    }
}

fn result(a: &Account, measured: bool) -> AccountResult {
    let f = feed_fetch(a.feed.as_str(), if measured { 200 } else { 503 });
    let at = ts("2026-11-28T02:00:00+08:00");
    let feed = FeedRead {
        url: a.feed.to_string(),
        fetches: vec![f.clone()],
        page: measured.then(|| Page {
            fetch: f.clone(),
            depth: 0,
            text: "<rss version=\"2.0\">…</rss>".into(),
            charset: Some("UTF-8".into()),
            charset_source: Some(CharsetSource::Header),
            title: Some("安平发布的微博".into()),
            links: vec![],
            is_html: false,
        }),
        format: measured.then(|| "rss2".into()),
        title: None,
        posts: if measured {
            vec![Post {
                id: "g1".into(),
                link: Some("https://weibo.test/1/A".into()),
                title: "转发微博".into(),
                published: Some(ts("2026-11-01T09:00:00+08:00")),
                text: "长".repeat(800),
                links: vec!["https://weibo.test/9".into()],
                categories: vec!["转发".into()],
                repost: Some("prefix:转发微博".into()),
            }]
        } else {
            vec![]
        },
        failure: (!measured).then(|| (FeedFailure::Fetch, "HTTP 503".to_string())),
        over_budget: 0,
    };
    let findings = if measured {
        vec![Finding {
            probe: "media".into(),
            code: "media.stale".into(),
            severity: Severity::Veto,
            url: Some(a.feed.to_string()),
            value: json!({"account": a.key(), "latest": "2026-11-01", "days": 27}),
            message: "账号监测时间点前14天内无更新".into(),
            evidence: Evidence {
                status: Some(200),
                excerpt: Some("2026-11-01 《转发微博》".into()),
                archived: Some(a.feed.to_string()),
                body_hash: f.content_hash.clone(),
                extra: serde_json::Value::Null,
            },
            observed_at: at,
        }]
    } else {
        vec![]
    };
    let code = if measured {
        "media.feed"
    } else {
        "media.not_measured"
    };
    AccountResult {
        account: a.clone(),
        started_at: at,
        finished_at: at,
        feed,
        facts: vec![Fact {
            probe: "media".into(),
            code: code.into(),
            url: Some(a.feed.to_string()),
            value: json!({"account": a.key()}),
            observed_at: at,
        }],
        findings,
    }
}

fn store_with_run() -> (Store, i64) {
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 7);
    store.upsert_sites(&[site()]).unwrap();
    let run = store
        .begin_run(ts("2026-11-28T10:00:00+08:00"), &json!({}))
        .unwrap();
    (store, run)
}

#[test]
fn an_account_is_written_whole_once_and_kept_out_of_site_queries() {
    let (mut store, run) = store_with_run();
    let a = account("1");
    let b = account("2");
    // accounts need their site
    let mut orphan = account("3");
    orphan.site = "9999999999".into();
    assert!(matches!(
        store.upsert_accounts(std::slice::from_ref(&orphan)),
        Err(StoreError::UnknownSite { .. })
    ));
    store.write_account_result(run, &result(&a, true)).unwrap();
    store.write_account_result(run, &result(&b, false)).unwrap();
    // again: nothing duplicated
    store.write_account_result(run, &result(&a, true)).unwrap();
    assert!(
        store
            .write_account_result(run, &result(&orphan, true))
            .is_err()
    );
    assert_eq!(
        store.accounts_done(run).unwrap(),
        ["weibo:1", "weibo:2"].map(String::from).into()
    );
    let rows = store.run_accounts(run).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].measured && !rows[1].measured);
    assert_eq!((rows[0].posts, rows[0].findings), (1, 1));
    assert_eq!(rows[0].platform_zh(), "微博");
    assert_eq!(rows[0].site_id, "1310000001");

    let f = store.account_findings(run).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].account_key, "weibo:1");
    assert_eq!(f[0].stored.site_id, "1310000001");
    assert_eq!(f[0].stored.finding.code, "media.stale");
    assert_eq!(
        f[0].stored.finding.evidence.excerpt.as_deref(),
        Some("2026-11-01 《转发微博》")
    );
    let facts = store.account_facts(run).unwrap();
    assert_eq!(
        facts
            .iter()
            .map(|f| (f.account_key.as_str(), f.stored.fact.code.as_str()))
            .collect::<Vec<_>>(),
        vec![("weibo:1", "media.feed"), ("weibo:2", "media.not_measured")]
    );
    // the site's own queries do not see them
    assert!(store.findings(run, None).unwrap().is_empty());
    assert!(store.facts(run, None).unwrap().is_empty());
    assert!(store.run_summary(run).unwrap().is_empty());

    let posts = store.posts(run, "weibo:1").unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].repost.as_deref(), Some("prefix:转发微博"));
    assert_eq!(
        posts[0].text.chars().count(),
        501,
        "cut to 500 and an ellipsis"
    );
    assert_eq!(posts[0].categories, vec!["转发".to_string()]);
    assert_eq!(
        posts[0].published.unwrap().to_rfc3339(),
        "2026-11-01T09:00:00+08:00"
    );
    // the feed is archived as a page of the run (the evidence's archived copy)
    let pages = store.run_pages(run).unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].url, "http://rsshub.test/weibo/user/1");
    let body = store
        .page_body(pages[0].body_hash.as_deref().unwrap())
        .unwrap()
        .unwrap();
    assert!(body.starts_with("<rss"));
    // both feed fetches recorded
    assert_eq!(store.counts(run).unwrap().fetches, 2);
}

#[tokio::test]
async fn the_writer_thread_writes_accounts_and_a_closed_run_takes_none() {
    let (store, run) = store_with_run();
    let (w, h) = spawn_writer(store);
    w.write_account(run, result(&account("1"), true))
        .await
        .unwrap();
    drop(w);
    let mut store = h.join().unwrap().unwrap();
    assert_eq!(store.accounts_done(run).unwrap().len(), 1);
    store.finish_run(run, RunStatus::Done, None).unwrap();
    assert!(matches!(
        store.write_account_result(run, &result(&account("2"), true)),
        Err(StoreError::RunClosed { .. })
    ));
}

#[test]
fn manual_findings_are_stored_once_and_added_to_a_run_once() {
    let (mut store, run) = store_with_run();
    let a = account("1");
    let row = ManualFinding {
        id: 0,
        account: a.key(),
        code: "media.comments_closed".into(),
        date: "2026-11-20".parse().unwrap(),
        note: "评论区已关闭".into(),
        evidence_url: None,
        source: "checks.csv:2".into(),
    };
    // the account must be recorded first
    assert!(
        store
            .import_manual_findings(std::slice::from_ref(&row))
            .is_err()
    );
    store.upsert_accounts(std::slice::from_ref(&a)).unwrap();
    assert_eq!(
        store
            .import_manual_findings(std::slice::from_ref(&row))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .import_manual_findings(std::slice::from_ref(&row))
            .unwrap(),
        0
    );
    let stored = store.manual_findings().unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].id > 0);
    assert_eq!(stored[0].note, "评论区已关闭");

    let finding = Finding {
        probe: "manual".into(),
        code: "media.comments_closed".into(),
        severity: Severity::Veto,
        url: Some(a.feed.to_string()),
        value: json!({"account": a.key(), "manual_id": stored[0].id}),
        message: "评论功能关闭".into(),
        evidence: Evidence::default(),
        observed_at: ts("2026-11-28T10:00:00+08:00"),
    };
    // not inspected by the run yet
    assert!(
        store
            .add_account_findings(run, &a.key(), std::slice::from_ref(&finding))
            .is_err()
    );
    store.write_account_result(run, &result(&a, true)).unwrap();
    assert_eq!(
        store
            .add_account_findings(run, &a.key(), std::slice::from_ref(&finding))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .add_account_findings(run, &a.key(), &[finding])
            .unwrap(),
        0
    );
    let codes: Vec<String> = store
        .account_findings(run)
        .unwrap()
        .into_iter()
        .map(|f| f.stored.finding.code)
        .collect();
    assert_eq!(codes, vec!["media.stale", "media.comments_closed"]);
    assert_eq!(store.run_accounts(run).unwrap()[0].findings, 2);
}

#[test]
fn a_version_3_database_is_migrated_to_5() {
    let dir = std::env::temp_dir().join(format!("govwatch-store-media-v3-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("old.db");
    {
        // a version-3 database holding a site's finding
        let mut store = Store::open(&db).unwrap();
        store.upsert_sites(&[site()]).unwrap();
        let run = store
            .begin_run(ts("2026-11-28T10:00:00+08:00"), &json!({}))
            .unwrap();
        drop(store);
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TABLE reviews; DROP TABLE manual_findings; DROP TABLE posts; DROP TABLE run_accounts;
             DROP INDEX facts_run_account; DROP INDEX findings_run_account;
             ALTER TABLE fetches DROP COLUMN account_key; ALTER TABLE pages DROP COLUMN account_key;
             ALTER TABLE facts DROP COLUMN account_key; ALTER TABLE findings DROP COLUMN account_key;
             DROP TABLE accounts; ALTER TABLE fetches DROP COLUMN queue_ms;
             PRAGMA user_version = 3;",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO findings (run_id, site_id, probe, code, severity, message, observed_at)
             VALUES (?1, '1310000001', 'columns', 'home.stale', 'veto', 'm', '2026-11-28T10:00:00+08:00')",
            [run],
        )
        .unwrap();
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    let run = store.latest_run().unwrap().unwrap().id;
    assert_eq!(store.findings(run, None).unwrap().len(), 1);
    assert!(store.account_findings(run).unwrap().is_empty());
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}
