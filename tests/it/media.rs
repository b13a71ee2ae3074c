//! Government new-media accounts end to end over `fixtures/media` (see its README): feeds in the
//! shapes RSSHub serves for 微博 (RSS 2.0), 头条号 (Atom), 公众号 (RSS 2.0 in GBK, and Atom) and
//! 抖音 (JSON Feed), read by the real crawler through the fixture server and the test DNS, judged
//! by the media probe, compared with `expected.toml` exactly; then a whole run with inspectors'
//! findings imported from CSV, stored, scored (new-media vetoes) and reported (annex 4).

use crate::common::{fast_settings, ts};
use govwatch_crawler::Crawler;
use govwatch_model::{Account, AccountResult, Site, SiteKind, SiteOverrides};
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::strip_port;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const AS_OF: &str = "2026-11-28T10:00:00+08:00";

fn root() -> PathBuf {
    govwatch_testutil::workspace_root().join("fixtures/media")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    account: Vec<ExpectedAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedAccount {
    key: String,
    #[allow(dead_code)]
    why: String,
    finding: Vec<ExpectedFinding>,
    not_measured: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFinding {
    code: String,
    url: String,
}

fn expected() -> BTreeMap<String, ExpectedAccount> {
    let text = std::fs::read_to_string(root().join("expected.toml")).unwrap();
    let e: Expected = toml::from_str(&text).unwrap();
    e.account.into_iter().map(|a| (a.key.clone(), a)).collect()
}

/// The stand-in site every fixture account belongs to.
fn site(net: &TestNet) -> Site {
    Site {
        id: "1310000001".into(),
        name: "安平县人民政府".into(),
        home: net.http.url("www.anping.media.test", "/"),
        org: "安平县人民政府办公室".into(),
        region: "安平县".into(),
        kind: SiteKind::Portal,
        overrides: SiteOverrides::default(),
    }
}

fn accounts(net: &TestNet, sites: &[Site]) -> Vec<Account> {
    let path = root().join("accounts.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("{{PORT}}", &net.http.port().to_string());
    govwatch_config::parse_accounts(&path, &text, Some(sites)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_account_gives_exactly_its_findings() {
    let net = TestNet::start(root()).await.unwrap();
    let port = net.http.port();
    let sites = vec![site(&net)];
    let registry = accounts(&net, &sites);
    let want = expected();
    assert_eq!(registry.len(), want.len());
    let crawler = Crawler::new(fast_settings(&net)).unwrap();
    let rules = govwatch_config::ProbeRules::default();
    for a in &registry {
        let r =
            govwatch_runner::media::inspect_account(&crawler, a, &registry, &[], ts(AS_OF), &rules)
                .await;
        let got: BTreeSet<(String, String)> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.code.clone(),
                    strip_port(f.url.as_deref().unwrap_or(""), port),
                )
            })
            .collect();
        let exp = &want[&a.key()];
        let exp_set: BTreeSet<(String, String)> = exp
            .finding
            .iter()
            .map(|f| (f.code.clone(), f.url.clone()))
            .collect();
        if got != exp_set {
            for f in &r.findings {
                eprintln!("FINDING {} {} {:?}", f.code, f.message, f.evidence.excerpt);
            }
            for f in &r.facts {
                eprintln!("FACT {} {}", f.code, f.value);
            }
        }
        assert_eq!(got, exp_set, "findings of {}", a.key());
        assert_eq!(got.len(), r.findings.len(), "no finding twice: {}", a.key());
        check_measured_or_not(a, &r, exp);
        check_account_facts(a, &r);
    }
    assert_polite_feed_requests(&net);
}

/// The facts of `media.not_measured` of an account's result.
fn not_measured_facts(r: &AccountResult) -> Vec<&govwatch_model::Fact> {
    r.facts
        .iter()
        .filter(|f| f.code == "media.not_measured")
        .collect()
}

/// An account's feed is measured (its archived copy the evidence of every finding) or not
/// measured for the reason `expected.toml` gives, and then nothing else is said of it.
fn check_measured_or_not(a: &Account, r: &AccountResult, exp: &ExpectedAccount) {
    let not_measured = not_measured_facts(r);
    match &exp.not_measured {
        Some(reason) => {
            assert_eq!(not_measured.len(), 1, "{}", a.key());
            assert_eq!(
                not_measured[0].value["reason"],
                reason.as_str(),
                "{}",
                a.key()
            );
            assert!(!r.feed.measured());
            assert!(r.facts.iter().all(|f| f.code == "media.not_measured"));
        }
        None => {
            assert!(not_measured.is_empty(), "{}: {not_measured:?}", a.key());
            assert!(r.feed.measured(), "{}", a.key());
            // the archived copy of the feed is the evidence of every finding
            let page = r.feed.page.as_ref().unwrap();
            for f in &r.findings {
                assert_eq!(
                    f.evidence.archived.as_deref(),
                    Some(page.fetch.url.as_str())
                );
                assert_eq!(f.evidence.status, Some(200));
            }
        }
    }
}

/// The facts and values of each fixture account's findings, as the fixture's README describes.
fn check_account_facts(a: &Account, r: &AccountResult) {
    let not_measured = not_measured_facts(r);
    let fact = |code: &str| r.facts.iter().find(|f| f.code == code).map(|f| &f.value);
    match a.key().as_str() {
        "weibo:2010000001" => {
            let share = fact("media.repost_share").unwrap();
            assert_eq!(
                (share["posts"].clone(), share["reposts"].clone()),
                (8.into(), 2.into())
            );
            let feed = fact("media.feed").unwrap();
            assert_eq!(feed["format"], "rss2");
            assert_eq!(feed["latest"], "2026-11-27T09:30:00+08:00");
            let reposts: Vec<&str> = r
                .feed
                .posts
                .iter()
                .filter_map(|p| p.repost.as_deref())
                .collect();
            assert_eq!(reposts, vec!["prefix:转发微博", "marker://@"]);
        }
        "weibo:2010000002" => {
            let s = &r.findings[0];
            assert_eq!(s.value["latest"], "2026-11-13");
            assert_eq!(s.value["days"], 15);
            assert!(s.message.contains("14天内无更新"), "{}", s.message);
        }
        "weibo:2010000003" => {
            let z = r
                .findings
                .iter()
                .find(|f| f.code == "media.zombie")
                .unwrap();
            assert_eq!(z.value["announced"], "2026-10-15");
            assert_eq!(z.value["phrase"], "停止更新");
            let s = r.findings.iter().find(|f| f.code == "media.stale").unwrap();
            assert_eq!(s.value["days"], 44);
        }
        "toutiao:MS4wLjABAAAAanpingjiaoyu" => {
            assert_eq!(fact("media.feed").unwrap()["format"], "atom");
            let f = &r.findings[0];
            assert_eq!(
                (f.value["posts"].clone(), f.value["reposts"].clone()),
                (8.into(), 7.into())
            );
            assert_eq!(f.value["share"], 0.875);
        }
        "wechat:anping_nongye" => {
            // decoded from GBK by the XML declaration
            let page = r.feed.page.as_ref().unwrap();
            assert_eq!(page.charset.as_deref(), Some("GBK"));
            let f = &r.findings[0];
            assert_eq!(
                f.value["title"],
                "【年货节】安平特产黑木耳限时抢购，全场包邮！"
            );
            assert_eq!(
                f.value["shop_links"][0],
                "https://item.taobao.com/item.htm?id=660000000001"
            );
            assert!(f.evidence.excerpt.as_deref().unwrap().contains("限时抢购"));
        }
        "douyin:MS4wLjABAAAAanpingwenlv1" => {
            assert_eq!(fact("media.feed").unwrap()["format"], "json");
            let f = &r.findings[0];
            assert_eq!(f.value["org"], "安平县文化和旅游局");
            assert_eq!(f.value["accounts"].as_array().unwrap().len(), 2);
        }
        "weibo:2010000009" => {
            assert_eq!(not_measured[0].value["status"], 503);
            assert_eq!(not_measured[0].value["error"], "HTTP 503");
        }
        "weishi:anping_weishi" => {
            let e = not_measured[0].value["error"].as_str().unwrap();
            assert!(e.starts_with("dns"), "{e}");
        }
        _ => {}
    }
}

/// Politely: robots.txt asked once, each feed once, with govwatch's User-Agent.
fn assert_polite_feed_requests(net: &TestNet) {
    let log = net.http.requests_for("rsshub.media.test");
    let robots = log.iter().filter(|r| r.path == "/robots.txt").count();
    assert_eq!(robots, 1, "{log:?}");
    assert_eq!(log.len(), 1 + 10, "{log:?}");
    assert!(log.iter().all(|r| {
        r.user_agent
            .as_deref()
            .is_some_and(|u| u.contains("govwatch"))
    }));
}

fn scratch_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-media-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn opts(accounts: Vec<Account>, resume: bool) -> govwatch_runner::RunOptions {
    govwatch_runner::RunOptions {
        as_of: ts(AS_OF),
        only: None,
        resume,
        settings: serde_json::Value::Null,
        rules: Default::default(),
        accounts,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stores_scores_and_reports_the_accounts() {
    use govwatch_store::{RunStatus, Store};
    use std::sync::Arc;
    let net = TestNet::start(root()).await.unwrap();
    let port = net.http.port();
    let sites = vec![site(&net)];
    let registry = accounts(&net, &sites);
    let dir = scratch_db("run");
    let db = dir.join("govwatch.db");
    let media_rules = govwatch_config::MediaRules::default();

    // the inspectors' observations, imported before the run
    let read = govwatch_config::read_manual_findings(
        &root().join("manual.csv"),
        &registry,
        &media_rules.manual,
    )
    .unwrap();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(read.rows.len(), 3);
    let mut store = Store::open(&db).unwrap();
    let done = govwatch_runner::media::import_findings(
        &mut store,
        &sites,
        &registry,
        &read.rows,
        &media_rules,
        None,
    )
    .unwrap();
    assert_eq!((done.stored, done.known), (3, 0));

    // a run already holding one account (as if it had been stopped), resumed
    let run_id = store
        .begin_run(ts(AS_OF), &serde_json::Value::Null)
        .unwrap();
    let crawler = Arc::new(Crawler::new(fast_settings(&net)).unwrap());
    let first = govwatch_runner::media::inspect_account(
        &crawler,
        &registry[0],
        &registry,
        &store.manual_findings().unwrap(),
        ts(AS_OF),
        &Default::default(),
    )
    .await;
    store.write_account_result(run_id, &first).unwrap();
    store.mark_interrupted(run_id).unwrap();
    let (report, store) = govwatch_runner::run(
        crawler,
        store,
        sites.clone(),
        opts(registry.clone(), true),
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.run_id, run_id);
    assert!(!report.interrupted);
    assert_eq!(report.accounts, 11);
    assert_eq!(report.accounts_done, 10);
    assert_eq!(store.run(run_id).unwrap().unwrap().status, RunStatus::Done);
    let rows = store.run_accounts(run_id).unwrap();
    assert_eq!(rows.len(), 11);
    assert_eq!(rows.iter().filter(|a| !a.measured).count(), 3);
    check_account_findings_stored(&store, run_id, port);
    let rules = govwatch_score::shipped_rules();
    check_account_verdicts(&store, run_id, &rules);
    check_annex_4(store, run_id, &rules, &dir, port);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every account finding stored once, the imported ones with them; posts kept with their repost
/// marks; the site's own findings not mixed with the accounts'.
fn check_account_findings_stored(store: &govwatch_store::Store, run_id: i64, port: u16) {
    // every finding stored once, with the imported ones in the quarter
    let mut got: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for f in store.account_findings(run_id).unwrap() {
        got.entry(f.account_key.clone()).or_default().insert((
            f.stored.finding.code.clone(),
            strip_port(f.stored.finding.url.as_deref().unwrap_or(""), port),
        ));
    }
    let total: usize = store.account_findings(run_id).unwrap().len();
    assert_eq!(total, got.values().map(BTreeSet::len).sum::<usize>());
    for (key, exp) in expected() {
        let mut want: BTreeSet<(String, String)> = exp
            .finding
            .iter()
            .map(|f| (f.code.clone(), f.url.clone()))
            .collect();
        match key.as_str() {
            "weibo:2010000002" => {
                want.insert((
                    "media.comments_closed".into(),
                    "https://weibo.com/2010000002".into(),
                ));
            }
            "wechat:anping_nongye" => {
                want.insert((
                    "media.unanswered".into(),
                    "http://rsshub.media.test/wechat/mp/anping_nongye".into(),
                ));
            }
            _ => {}
        }
        assert_eq!(got.remove(&key).unwrap_or_default(), want, "{key}");
    }
    assert!(got.is_empty(), "{got:?}");
    // posts are kept, with their repost marks
    let posts = store
        .posts(run_id, "toutiao:MS4wLjABAAAAanpingjiaoyu")
        .unwrap();
    assert_eq!(posts.len(), 10);
    assert_eq!(posts.iter().filter(|p| p.repost.is_some()).count(), 7);
    // the site's own findings are not mixed with the accounts'
    assert!(
        store
            .findings(run_id, None)
            .unwrap()
            .iter()
            .all(|f| !f.finding.code.starts_with("media."))
    );
}

/// The accounts' verdicts by the new-media vetoes, and the vetoes of one failed account.
fn check_account_verdicts(
    store: &govwatch_store::Store,
    run_id: i64,
    rules: &govwatch_score::Rules,
) {
    // verdicts by the new-media vetoes
    let verdicts = govwatch_score::score_accounts(store, run_id, rules).unwrap();
    let by_key: BTreeMap<&str, &str> = verdicts
        .iter()
        .map(|v| (v.key.as_str(), v.verdict.as_str()))
        .collect();
    for (key, verdict) in [
        ("weibo:2010000001", "pass"),
        ("weibo:2010000002", "fail"),
        ("weibo:2010000003", "fail"),
        ("toutiao:MS4wLjABAAAAanpingjiaoyu", "pass"),
        ("wechat:anping_nongye", "fail"),
        ("wechat:anping_wenlv", "pass"),
        ("douyin:MS4wLjABAAAAanpingwenlv1", "pass"),
        ("douyin:MS4wLjABAAAAanpingwenlv2", "pass"),
        ("weibo:2010000009", "not_measured"),
        ("kuaishou:anping_jt", "not_measured"),
        ("weishi:anping_weishi", "not_measured"),
    ] {
        assert_eq!(by_key[key], verdict, "{key}");
    }
    let gongan = verdicts
        .iter()
        .find(|v| v.key == "weibo:2010000002")
        .unwrap();
    let vetoes: Vec<&str> = gongan.items.iter().map(|i| i.rule.as_str()).collect();
    assert_eq!(vetoes, vec!["media_stale", "media_interaction_poor"]);
}

/// The report of the run: annex 4 filled, the summary counting the accounts, an account
/// finding's evidence the archived feed in the run's WARC.
fn check_annex_4(
    mut store: govwatch_store::Store,
    run_id: i64,
    rules: &govwatch_score::Rules,
    dir: &std::path::Path,
    port: u16,
) {
    // the report: annex 4 filled, the summary counts the accounts, the evidence archived
    let set = govwatch_score::score_run(&store, run_id, rules).unwrap();
    store.write_scores(&set).unwrap();
    let (_warc, _) = govwatch_report::warc::write_run_warc(&mut store, run_id, dir).unwrap();
    let d = govwatch_report::ReportData::load(&store, run_id, rules, "测试".into(), None).unwrap();
    let annexes = govwatch_report::annexes(&d);
    let a4 = annexes.iter().find(|t| t.key == "附件4").unwrap();
    assert_eq!(
        a4.headers,
        vec![
            "序号",
            "地区",
            "账号名称",
            "平台",
            "主办单位",
            "存在问题",
            "检查结果"
        ]
    );
    let rows: Vec<Vec<String>> = a4
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.text()).collect())
        .collect();
    let names: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[2].as_str(), r[3].as_str(), r[6].as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("安平农业", "微信公众号", "不合格"),
            ("安平公安", "微博", "不合格"),
            ("安平环保", "微博", "不合格"),
            ("安平文旅", "抖音", "合格"),
            ("安平旅游", "抖音", "合格"),
            ("安平教育", "今日头条", "合格"),
            ("安平文旅", "微信公众号", "合格"),
        ]
    );
    assert_eq!(rows[1][4], "安平县公安局");
    assert_eq!(
        rows[1][5],
        "监测时间点前14天内无更新（最近发布于 2026-11-13） [media.stale]；评论功能关闭（检查人员 2026-11-20 发现：该微博所有博文评论区均已关闭，公众无法评论） [media.comments_closed]"
    );
    assert!(
        rows[2][5].contains("2026-10-15 发布停更公告后未关停注销（僵尸账号） [media.zombie]"),
        "{}",
        rows[2][5]
    );
    assert!(
        rows[5][5].contains("内容基本为转发（8 条中转发 7 条） [media.repost_only]"),
        "{}",
        rows[5][5]
    );
    assert!(
        rows[0][5].contains(
            "发布商业广告（《【年货节】安平特产黑木耳限时抢购，全场包邮！》） [media.commercial_ad]"
        ),
        "{}",
        rows[0][5]
    );
    assert!(
        rows[3][5].contains("同一主办单位在同一平台开设多个账号（安平文旅、安平旅游）"),
        "{}",
        rows[3][5]
    );
    let note = a4.note.as_deref().unwrap();
    assert!(
        note.contains("以下3个账号的订阅源无法读取，未作判定"),
        "{note}"
    );
    assert!(
        note.contains("安平应急（微博，订阅源无法读取：HTTP 503）"),
        "{note}"
    );
    let summary = govwatch_report::summary(&d);
    assert!(
        summary.contains("共检查政务新媒体账号8个，合格5个，不合格3个，合格率62.5%；另有3个账号的订阅源无法读取，未作判定。"),
        "{summary}"
    );
    // the evidence of an account's finding is the archived feed in the run's WARC
    let stale = d
        .media
        .findings
        .iter()
        .find(|f| f.account_key == "weibo:2010000002" && f.stored.finding.code == "media.stale")
        .unwrap();
    let rec = d.archived(&stale.stored).expect("the feed is archived");
    assert_eq!(
        strip_port(&rec.url, port),
        "http://rsshub.media.test/weibo/user/2010000002"
    );
    let html = govwatch_report::html::render_html(&d);
    assert!(html.contains("政务新媒体检查详情"));
    assert!(html.contains("单项否决：内容不更新"));
    assert!(html.contains("该微博所有博文评论区均已关闭"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_accounts_give_their_findings() {
    let root = govwatch_testutil::fixtures_sites_dir();
    let net = TestNet::start(&root).await.unwrap();
    let port = net.http.port();
    let sites: Vec<Site> =
        govwatch_testutil::fixtures::load_fixture_sites(&root, |h| net.http.url(h, "/"))
            .unwrap()
            .into_iter()
            .map(|f| f.site)
            .collect();
    let registry = govwatch_runner::demo::demo_accounts(&root, port, &sites).unwrap();
    assert_eq!(registry.len(), 4);
    let crawler = Crawler::new(fast_settings(&net)).unwrap();
    let mut got = BTreeMap::new();
    for a in &registry {
        let r = govwatch_runner::media::inspect_account(
            &crawler,
            a,
            &registry,
            &[],
            ts(AS_OF),
            &Default::default(),
        )
        .await;
        let codes: BTreeSet<(String, String)> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.code.clone(),
                    strip_port(f.url.as_deref().unwrap_or(""), port),
                )
            })
            .collect();
        got.insert(a.name.clone(), codes);
    }
    let set = |v: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(got["安平发布"], set(&[]));
    assert_eq!(
        got["安平发改"],
        set(&[(
            "media.stale",
            "http://rsshub.anping.gov.test/wechat/mp/anping_fgw"
        )])
    );
    assert_eq!(
        got["安平数据"],
        set(&[
            (
                "media.stale",
                "http://rsshub.anping.gov.test/weibo/user/1310000103"
            ),
            ("media.zombie", "https://weibo.com/1310000103/Qb3Sj001"),
        ])
    );
    assert_eq!(
        got["安平农业农村"],
        set(&[(
            "media.commercial_ad",
            "https://mp.weixin.qq.com/s/AnpNc0000000000000001"
        )])
    );
}

fn out(c: &mut std::process::Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_binary_checks_imports_runs_scores_and_reports_accounts() {
    use crate::common::govwatch;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let net = rt.block_on(TestNet::start(root())).unwrap();
    let dir = media_cli_config(&net);
    let (code, stdout, stderr) = out(&mut govwatch(&dir, &["accounts", "check"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("11 个账号，未发现问题"), "{stdout}");

    let (code, stdout, stderr) = out(&mut govwatch(
        &dir,
        &[
            "media",
            "import-findings",
            root().join("manual.csv").to_str().unwrap(),
        ],
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("3 new, 0 already stored, 0 skipped"),
        "{stdout}"
    );

    let (code, stdout, stderr) = out(&mut govwatch(
        &dir,
        &["run", "--as-of", "2026-11-28T10:00:00+08:00"],
    ));
    assert_eq!(code, 1, "findings present: {stdout}\n{stderr}");
    assert!(stdout.contains("11 new-media accounts"), "{stdout}");
    assert!(
        stdout.contains("weibo:2010000002") && stdout.contains("media.stale×1"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("NOT MEASURED").count(), 3, "{stdout}");

    let (code, stdout, stderr) = out(&mut govwatch(&dir, &["score"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains(
            "政务新媒体账号：判定 8 个，合格 5 个，不合格 3 个，未监测 3 个，合格率 62.5%"
        ),
        "{stdout}"
    );

    check_late_observation(&dir);
    let dir2 = check_accounts_import(&dir);
    drop(net);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

/// A scratch configuration of the stand-in site, the fixture accounts, a crawl through the test
/// network and the shipped indicators.
fn media_cli_config(net: &TestNet) -> PathBuf {
    let port = net.http.port().to_string();
    let dir = crate::common::scratch("media-cli", "main");
    let home = net.http.url("www.anping.media.test", "/");
    std::fs::write(
        dir.join("config/sites.toml"),
        format!(
            "[[site]]\nid = \"1310000001\"\nname = \"安平县人民政府\"\nhome = \"{home}\"\norg = \"安平县人民政府办公室\"\nregion = \"安平县\"\nkind = \"portal\"\n"
        ),
    )
    .unwrap();
    let accounts = std::fs::read_to_string(root().join("accounts.toml"))
        .unwrap()
        .replace("{{PORT}}", &port);
    std::fs::write(dir.join("config/accounts.toml"), &accounts).unwrap();
    std::fs::write(
        dir.join("config/crawl.toml"),
        format!(
            "rate = 20.0\nretries = 0\nipv6 = false\nallow_private = true\ndns_servers = [\"{}\"]\ndns_port = {}\n{}\n",
            net.dns.addr(),
            net.dns.addr().port(),
            crate::common::TEST_CONTACT
        ),
    )
    .unwrap();
    std::fs::copy(
        govwatch_testutil::workspace_root().join("config/indicators.toml"),
        dir.join("config/indicators.toml"),
    )
    .unwrap();
    dir
}

/// An observation imported after the run is added to it at once (a name two accounts share
/// needs its platform), and the report counts it.
fn check_late_observation(dir: &std::path::Path) {
    use crate::common::govwatch;
    // an observation imported after the run, added to it at once
    std::fs::write(
        dir.join("late.csv"),
        "账号,问题代码,日期,说明\n安平文旅,media.unanswered,2026-11-26,私信咨询开放时间未获回复\n",
    )
    .unwrap();
    let (code, stdout, stderr) = out(&mut govwatch(
        dir,
        &["media", "import-findings", "late.csv", "--run", "1"],
    ));
    assert_eq!(
        code, 1,
        "a row skipped (两个账号同名 安平文旅): {stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("late.csv 第 2 行：") && stderr.contains("对应 2 个账号"),
        "{stderr}"
    );
    std::fs::write(
        dir.join("late.csv"),
        "账号,平台,问题代码,日期,说明\n安平文旅,微信公众号,media.unanswered,2026-11-26,私信咨询开放时间未获回复\n",
    )
    .unwrap();
    let (code, stdout, stderr) = out(&mut govwatch(
        dir,
        &["media", "import-findings", "late.csv", "--run", "1"],
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("1 new, 0 already stored, 0 skipped; 1 added to run 1"),
        "{stdout}"
    );

    let (code, _, stderr) = out(&mut govwatch(
        dir,
        &["report", "--format", "md,csv", "--out", "rep"],
    ));
    assert_eq!(code, 0, "{stderr}");
    let md = std::fs::read_to_string(dir.join("rep/report.md")).unwrap();
    assert!(md.contains("## 附件4 存在问题的政务新媒体"), "{md}");
    assert!(
        md.contains("共检查政务新媒体账号8个，合格4个，不合格4个，合格率50%"),
        "the late observation fails 安平文旅: {md}"
    );
    let csv = std::fs::read_to_string(dir.join("rep/附件4.csv")).unwrap();
    assert!(csv.contains("安平公安,微博,安平县公安局"), "{csv}");
    assert!(
        csv.contains("公众留言长期不回复（检查人员 2026-11-26 发现"),
        "{csv}"
    );
}

/// The registry imported from a CSV into a fresh configuration (a bad row skipped, naming its
/// line), then a broken registry named by file and line. Returns the fresh folder.
fn check_accounts_import(dir: &std::path::Path) -> PathBuf {
    use crate::common::govwatch;
    // the registry from a CSV, into a fresh configuration
    let dir2 = crate::common::scratch("media-cli", "import");
    std::fs::copy(
        dir.join("config/sites.toml"),
        dir2.join("config/sites.toml"),
    )
    .unwrap();
    std::fs::write(
        dir2.join("a.csv"),
        "账号名称,平台,账号ID,主办单位,地区,网站标识码,订阅地址\n安平发布,新浪微博,2010000001,安平县人民政府新闻办公室,安平县,1310000001,http://rsshub.media.test/weibo/user/2010000001\n坏行,微博,,某单位,安平县,1310000001,\n",
    )
    .unwrap();
    let (code, stdout, stderr) = out(&mut govwatch(&dir2, &["accounts", "import", "a.csv"]));
    assert_eq!(code, 1, "a row skipped: {stdout}\n{stderr}");
    assert!(
        stdout.contains("1 added, 0 updated, 0 unchanged, 1 skipped"),
        "{stdout}"
    );
    assert!(stderr.contains("a.csv 第 3 行："), "{stderr}");
    let (code, stdout, _) = out(&mut govwatch(&dir2, &["accounts", "check"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("1 个账号，未发现问题"), "{stdout}");
    // a broken registry: file and line
    std::fs::write(
        dir2.join("config/accounts.toml"),
        "[[account]]\nplatform = \"weibo\"\nid = \"1\"\nname = \"甲\"\norg = \"乙\"\nregion = \"\"\nsite = \"1310000009\"\nfeed = \"http://x.test/f\"\n",
    )
    .unwrap();
    let (code, _, stderr) = out(&mut govwatch(&dir2, &["accounts", "check"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "accounts.toml 第 7 行第 1 列：site `1310000009` 不在网站名录 (sites.toml) 中"
        ),
        "{stderr}"
    );
    dir2
}
