//! End to end: the fixture sites crawled by the real crawler, a week of availability samples
//! stored as the sampling daemon would, scored under `config/indicators.toml`; the verdict table
//! is compared with `fixtures/sites/verdicts.toml`. Then the `govwatch score` and `govwatch report`
//! commands on the same database, and a re-scoring under changed rules kept beside the first.

use crate::common::{fast_settings, ts};
use govwatch_crawler::Crawler;
use govwatch_model::Sample;
use govwatch_runner::{RunOptions, run};
use govwatch_store::Store;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::load_fixture_sites;
use serde::Deserialize;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

#[derive(Deserialize)]
struct Verdicts {
    site: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    id: String,
    verdict: String,
    score: Option<f64>,
    deducted: f64,
    bonus_scored: bool,
    rules: Vec<String>,
    #[allow(dead_code)]
    why: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-score-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 20 samples a day for the 7 days before `as_of`; the first `failed` of them fail.
fn week(home: &str, as_of: &str, failed: usize) -> Vec<Sample> {
    let end = ts(as_of);
    (0..140)
        .map(|i| Sample {
            url: home.to_string(),
            at: end - chrono::Duration::minutes(72 * i as i64 + 30),
            family: Some(4),
            ok: (i as usize) >= failed,
            status: Some(if (i as usize) < failed { 503 } else { 200 }),
            error: None,
            elapsed_ms: 40,
        })
        .collect()
}

fn govwatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_govwatch"))
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixture_sites_give_the_expected_verdict_table() {
    let root = govwatch_testutil::fixtures_sites_dir();
    let net = TestNet::start(&root).await.unwrap();
    let fixtures = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    let dir = scratch("e2e");
    let db = dir.join("govwatch.db");
    let as_of = "2026-11-28T02:00:00+08:00";
    let settings = govwatch_crawler::CrawlSettings {
        ipv6: true, // the fixtures' expected findings include IPv6
        // politeness is tested in e2e.rs; here the sjj site's Crawl-delay: 2 would only slow it
        max_crawl_delay_secs: 0.05,
        ..fast_settings(&net)
    };
    let crawler = Arc::new(Crawler::new(settings).unwrap());
    let opts = RunOptions {
        as_of: ts(as_of),
        only: None,
        resume: false,
        settings: serde_json::Value::Null,
        rules: Default::default(),
        accounts: Vec::new(),
    };
    let sites: Vec<_> = fixtures.iter().map(|f| f.site.clone()).collect();
    // the daemon's week of samples before the night's run, which judges the window
    let mut store = Store::open(&db).unwrap();
    store.upsert_sites(&sites).unwrap();
    for s in &sites {
        let failed = if s.id == "1310000004" { 7 } else { 0 };
        store
            .insert_samples(None, &s.id, &week(s.home.as_ref(), as_of, failed))
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

    let rules = govwatch_score::load_rules(&repo().join("config/indicators.toml")).unwrap();
    let set = govwatch_score::score_run(&store, report.run_id, &rules).unwrap();
    store.write_scores(&set).unwrap();
    check_verdict_table(&set, &root);
    drop(store);
    check_score_and_report_commands(&dir, &db, report.run_id);
    check_rescoring_beside_the_first(&dir, &db, report.run_id, &rules);
}

/// The verdict table of the run is `verdicts.toml`'s, every deduction naming its findings.
fn check_verdict_table(set: &govwatch_store::ScoreSet, root: &std::path::Path) {
    let want: Verdicts =
        toml::from_str(&std::fs::read_to_string(root.join("verdicts.toml")).unwrap()).unwrap();
    assert_eq!(set.scores.len(), want.site.len());
    for e in &want.site {
        let got = set.scores.iter().find(|s| s.site_id == e.id).unwrap();
        let rules_got: Vec<&str> = got
            .items
            .iter()
            .filter(|i| i.part != "note")
            .map(|i| i.rule.as_str())
            .collect();
        assert_eq!(got.verdict, e.verdict, "{}: {:?}", e.id, got.items);
        assert_eq!(got.score, e.score, "{}: {:?}", e.id, got.items);
        assert_eq!(got.deducted, e.deducted, "{}", e.id);
        assert_eq!(got.bonus_scored, e.bonus_scored, "{}", e.id);
        assert_eq!(rules_got, e.rules, "{}", e.id);
        assert!(got.complete, "{}: a full week of samples", e.id);
        // every deduction names the findings behind it
        for i in got
            .items
            .iter()
            .filter(|i| i.part == "deduct" || i.part == "veto")
        {
            assert!(!i.finding_ids.is_empty(), "{}: {:?}", e.id, i);
        }
    }
}

/// `govwatch score` and `govwatch report` on the same database: the verdict table, every format
/// of the report, annex 1's failed sites.
fn check_score_and_report_commands(dir: &std::path::Path, db: &std::path::Path, run: i64) {
    // the CLI on the same database
    let run_id = run.to_string();
    let config = repo().join("config");
    let dbs = db.to_str().unwrap();
    let out = govwatch(&[
        "score",
        "--run",
        &run_id,
        "--db",
        dbs,
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "a site failed");
    let table = String::from_utf8_lossy(&out.stdout);
    let line = table.lines().find(|l| l.starts_with("1310000004")).unwrap();
    assert!(
        line.contains("不合格") && line.contains("站点无法访问"),
        "{table}"
    );
    let line = table.lines().find(|l| l.starts_with("1310000002")).unwrap();
    assert!(line.contains("合格") && line.contains("96.8"), "{table}");
    assert!(
        table.contains("合格 2 / 4，不合格 2，合格率 50%"),
        "{table}"
    );

    let out_dir = dir.join("report");
    let out = govwatch(&[
        "report",
        "--run",
        &run_id,
        "--db",
        dbs,
        "--config",
        config.to_str().unwrap(),
        "--format",
        "md,html,csv,xlsx,json",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "report.md",
        "report.html",
        "report.xlsx",
        "report.json",
        "附件1.csv",
        "附件5.csv",
        &format!("run-{run_id}.warc.gz"),
    ] {
        assert!(out_dir.join(f).is_file(), "{f}");
    }
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(
        md.contains("共检查政府网站4个，合格2个，不合格2个，合格率50%"),
        "{md}"
    );
    assert!(
        md.contains("| 2 | 安平县 | 安平县农业农村局 | 1310000004 |")
            && md.contains("| 1 | 安平县 | 安平县数据资源局 | 1310000003 |"),
        "{md}"
    );
}

/// Re-scored under changed rules, a second scoring kept beside the first.
fn check_rescoring_beside_the_first(
    dir: &std::path::Path,
    db: &std::path::Path,
    run: i64,
    rules: &govwatch_score::Rules,
) {
    let run_id = run.to_string();
    let config = repo().join("config");
    let dbs = db.to_str().unwrap();
    // re-scored under changed rules (the availability veto for portals only; 1310000004 is a
    // department's site): a second scoring beside the first
    let changed = dir.join("config");
    std::fs::create_dir_all(&changed).unwrap();
    let text = std::fs::read_to_string(config.join("indicators.toml"))
        .unwrap()
        .replacen(
            "kinds = [\"portal\", \"department\"]\n[veto.availability]",
            "kinds = [\"portal\"]\n[veto.availability]",
            1,
        );
    assert!(text.contains("kinds = [\"portal\"]\n[veto.availability]"));
    std::fs::write(changed.join("indicators.toml"), text).unwrap();
    let out = govwatch(&[
        "score",
        "--run",
        &run_id,
        "--db",
        dbs,
        "--config",
        changed.to_str().unwrap(),
    ]);
    // 1310000003 still fails (no consultation channel), so the exit code still says a site failed
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let store = Store::open(db).unwrap();
    let scorings = store.scorings(run).unwrap();
    assert_eq!(scorings.len(), 2);
    let old = store.scores(run, Some(&rules.hash)).unwrap().unwrap();
    let new = store.scores(run, None).unwrap().unwrap();
    let down = |s: &govwatch_store::ScoreSet| {
        s.scores
            .iter()
            .find(|x| x.site_id == "1310000004")
            .unwrap()
            .verdict
            .clone()
    };
    assert_eq!(
        (down(&old), down(&new)),
        ("fail".to_string(), "pass".to_string())
    );
}
