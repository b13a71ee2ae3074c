//! Hostile sites and concurrent runs (issue 16), end to end: a nightly run over sites that cannot
//! be inspected goes on with the others, stores why, and the scorer calls them 未检查 — never
//! 合格; and a second `govwatch run` on a database another run holds exits 2 naming the holder.

use crate::common;

use common::{fast_settings, ts};
use govwatch_crawler::Crawler;
use govwatch_model::{Sample, Site, SiteKind};
use govwatch_runner::{RunOptions, run};
use govwatch_store::Store;
use govwatch_testutil::{Fault, TestNet};
use std::path::PathBuf;
use std::sync::Arc;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn site(id: &str, net: &TestNet, host: &str) -> Site {
    Site {
        id: id.into(),
        name: format!("测试网站 {id}"),
        home: net.http.url(host, "/"),
        org: "测试单位".into(),
        region: "测试市".into(),
        kind: SiteKind::Department,
        overrides: Default::default(),
    }
}

/// 20 good samples a day for the 7 days before `as_of` (availability is not what fails here).
fn week(home: &str, as_of: &str) -> Vec<Sample> {
    let end = ts(as_of);
    (0..140)
        .map(|i| Sample {
            url: home.to_string(),
            at: end - chrono::Duration::minutes(72 * i + 30),
            family: Some(4),
            ok: true,
            status: Some(200),
            error: None,
            elapsed_ms: 40,
        })
        .collect()
}

const HOME: &str = "<html><head><title>首页</title></head><body>\
    <a href=\"/xxgk/\">信息公开</a> <a href=\"/hdjl/\">在线留言</a></body></html>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_not_inspected_are_never_passed_and_the_run_goes_on() {
    let root = scratch("fixtures");
    for (host, robots) in [
        ("www.ok.gov.test", ""),
        (
            "www.refusing.gov.test",
            "User-agent: *\nCrawl-delay: 3600\n",
        ),
        ("www.loop.gov.test", ""),
    ] {
        std::fs::create_dir_all(root.join(host)).unwrap();
        std::fs::write(root.join(host).join("index.html"), HOME).unwrap();
        if !robots.is_empty() {
            std::fs::write(root.join(host).join("robots.txt"), robots).unwrap();
        }
    }
    let net = TestNet::start(&root).await.unwrap();
    net.http
        .set_fault("www.loop.gov.test", "/", Fault::RedirectLoop);
    let sites = vec![
        site("3400000001", &net, "www.ok.gov.test"),
        site("3400000002", &net, "www.refusing.gov.test"),
        site("3400000003", &net, "www.loop.gov.test"),
    ];
    let db = scratch("run").join("govwatch.db");
    let as_of = "2026-11-28T02:00:00+08:00";
    let crawler = Arc::new(Crawler::new(fast_settings(&net)).unwrap());
    let opts = RunOptions {
        as_of: ts(as_of),
        only: None,
        resume: false,
        settings: serde_json::Value::Null,
        rules: Default::default(),
        accounts: Vec::new(),
    };
    // the daemon's week of samples before the night's run, which judges the window
    let mut store = Store::open(&db).unwrap();
    store.upsert_sites(&sites).unwrap();
    for s in &sites {
        store
            .insert_samples(None, &s.id, &week(s.home.as_ref(), as_of))
            .unwrap();
    }
    let (report, mut store) = run(
        crawler,
        store,
        sites.clone(),
        opts,
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.sites, 3, "every site recorded");
    let facts = store.facts(report.run_id, None).unwrap();
    let fact = |site: &str, code: &str| {
        facts
            .iter()
            .find(|f| f.site_id == site && f.fact.code == code)
            .map(|f| f.fact.value.clone())
    };
    assert_eq!(
        fact("3400000002", "site.not_inspected").unwrap()["reason"],
        "crawl_refused"
    );
    assert_eq!(
        fact("3400000002", "host.crawl_refused").unwrap()["host"],
        "www.refusing.gov.test"
    );
    assert_eq!(
        fact("3400000003", "site.not_inspected").unwrap()["reason"],
        "redirects"
    );
    assert!(fact("3400000001", "site.not_inspected").is_none());
    // nothing is claimed about what was not seen: no finding but availability's
    let findings = store.findings(report.run_id, None).unwrap();
    for f in &findings {
        if f.site_id != "3400000001" {
            assert!(f.finding.code.starts_with("avail."), "{}", f.finding.code);
        }
    }
    // the home page that was never asked left no availability sample of this run
    let samples = store
        .samples(
            "3400000002",
            ts(as_of) - chrono::Duration::days(8),
            ts("2030-01-01T00:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(samples.len(), 140, "only the week stored by the test");

    let rules = govwatch_score::shipped_rules();
    let set = govwatch_score::score_run(&store, report.run_id, &rules).unwrap();
    store.write_scores(&set).unwrap();
    let verdict = |id: &str| set.scores.iter().find(|s| s.site_id == id).unwrap();
    for id in ["3400000002", "3400000003"] {
        let s = verdict(id);
        assert_eq!(s.verdict, govwatch_score::NOT_INSPECTED, "{id}");
        assert_eq!(govwatch_score::verdict_zh(&s.verdict), "未检查（无法评分）");
        assert_eq!(s.score, None);
        assert!(
            s.items[0].note.starts_with("未检查，无法评分："),
            "{}",
            s.items[0].note
        );
    }
    assert!(verdict("3400000002").items[0].note.contains("网站拒绝抓取"));
    assert!(verdict("3400000003").items[0].note.contains("重定向"));
    assert_ne!(verdict("3400000001").verdict, govwatch_score::NOT_INSPECTED);
    // stored and read back (schema 6 allows the third verdict)
    let stored = store.scores(report.run_id, None).unwrap().unwrap();
    assert!(
        stored
            .scores
            .iter()
            .any(|s| s.site_id == "3400000003" && s.verdict == "not_inspected")
    );
}

#[test]
fn a_second_run_on_a_held_database_exits_2_naming_the_holder() {
    let dir = scratch("lock");
    let config = dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
    for e in std::fs::read_dir(&repo).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, config.join(p.file_name().unwrap())).unwrap();
    }
    // one site on the discard port of loopback, which the address guard refuses anyway: nothing
    // could reach a network even if the lock failed
    std::fs::write(
        config.join("sites.toml"),
        "[[site]]\nid = \"3400000009\"\nname = \"测试网站\"\nhome = \"http://127.0.0.1:9/\"\n\
         org = \"测试单位\"\nregion = \"测试市\"\nkind = \"department\"\n",
    )
    .unwrap();
    std::fs::write(config.join("accounts.toml"), "").unwrap();
    std::fs::write(config.join("crawl.toml"), crate::common::TEST_CONTACT).unwrap();
    let db = dir.join("govwatch.db");
    let held = govwatch_store::lock::RunLock::acquire(&db, "govwatch run").unwrap();
    for extra in [&[][..], &["--resume"][..]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_govwatch"))
            .arg("run")
            .arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(&db)
            .args(["--as-of", "2026-11-28"])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains(&format!("govwatch run, pid {}", std::process::id())),
            "{stderr}"
        );
        assert!(stderr.contains("数据库正被另一个任务使用"), "{stderr}");
    }
    drop(held);
}
