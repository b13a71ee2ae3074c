//! Pages built by script and sites behind anti-bot walls (issue 25), end to end over the fixture
//! sites of `fixtures/render`: a list in an HTML comment and in a data block, an inline array
//! and a JSON block drawn by a template, lists filled by XMLHttpRequest and fetch(), a search box
//! wired by an external script, and two walls (HTTP 412 with a `$_ts` challenge, HTTP 521 with a
//! clearance cookie script), each site's `expected.toml` giving all its findings read in Chromium
//! (`[[finding]]`, `[[fact]]`) and with `render = "off"` (`[[off_finding]]`, `[[off_fact]]`).
//!
//! The tests that need Chromium say SKIPPED when none is found; with `GOVWATCH_REQUIRE_CHROMIUM=1`
//! (CI) a missing Chromium fails them.

use crate::common::{Comparison, assert_fixture_hosts, fast_settings, ts};
use govwatch_config::RenderMode;
use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_model::{Fact, FetchError, Finding, Sample, SiteResult};
use govwatch_runner::{RunOptions, run};
use govwatch_store::Store;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::{ExpectedFinding, FixtureSite, load_fixture_sites, strip_port};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

const AS_OF: &str = "2026-11-28T02:00:00+08:00";

/// Every render fixture site, by name.
const HOSTS: &[&str] = &[
    "www.ajax.render.test",
    "www.comment.render.test",
    "www.jsl.render.test",
    "www.json.render.test",
    "www.jssearch.render.test",
    "www.ruishu.render.test",
];

fn root() -> PathBuf {
    govwatch_testutil::workspace_root().join("fixtures/render")
}

/// The Chromium to render with, or `None` (the test prints SKIPPED) — unless CI requires it.
fn chromium(test: &str) -> Option<PathBuf> {
    let found = govwatch_crawler::render::find_chromium("");
    if found.is_none() {
        if std::env::var("GOVWATCH_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("{test}: GOVWATCH_REQUIRE_CHROMIUM=1 but no Chromium was found");
        }
        eprintln!("SKIPPED {test}: no Chromium (apt-get install chromium fonts-wqy-microhei)");
    }
    found
}

/// A nightly run's options at `as_of`, every site, the shipped rules.
fn run_options(as_of: govwatch_model::Timestamp) -> RunOptions {
    RunOptions {
        as_of,
        only: None,
        resume: false,
        settings: serde_json::Value::Null,
        rules: crate::common::fixture_rules(),
        accounts: Vec::new(),
    }
}

fn settings(net: &TestNet, render: RenderMode) -> CrawlSettings {
    CrawlSettings {
        render,
        ..fast_settings(net)
    }
}

/// (code, url) with the fixture port removed; a search URL cut after its query field, since it
/// carries the term the search probe picked.
fn key(code: &str, url: Option<&str>, port: u16) -> (String, String) {
    let mut u = strip_port(url.unwrap_or(""), port);
    if code.starts_with("search.")
        && let Some(i) = u.find("&q=")
    {
        u.truncate(i + 3);
    }
    (code.to_string(), u)
}

/// Every finding of every probe, sorted, duplicates kept.
fn finding_keys(findings: &[Finding], port: u16) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = findings
        .iter()
        .map(|f| key(&f.code, f.url.as_deref(), port))
        .collect();
    v.sort();
    v
}

fn want(list: &[ExpectedFinding]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|f| (f.code.clone(), f.url.clone()))
        .collect();
    v.sort();
    v
}

fn assert_facts(fx: &FixtureSite, facts: &[Fact], wanted: &[ExpectedFinding], port: u16) {
    let have: BTreeSet<(String, String)> = facts
        .iter()
        .map(|f| key(&f.code, f.url.as_deref(), port))
        .collect();
    for w in wanted {
        assert!(
            have.contains(&(w.code.clone(), w.url.clone())),
            "{}: fact {} at {} missing ({})",
            fx.host,
            w.code,
            w.url,
            w.why.as_deref().unwrap_or("")
        );
    }
}

/// Nothing a static reader's limits could cause: no blank column, no missing search, no failed
/// availability sample, no broken link, no unreachable site.
fn assert_no_false_finding(fx: &FixtureSite, findings: &[Finding]) {
    for f in findings {
        assert!(
            !matches!(
                f.code.as_str(),
                "column.blank"
                    | "column.undated"
                    | "search.missing"
                    | "avail.sample_failed"
                    | "avail.unreachable"
                    | "link.broken"
                    | "link.broken_home"
                    | "home.stale"
            ),
            "{}: {} at {:?}: {}",
            fx.host,
            f.code,
            f.url,
            f.message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_browser_script_built_lists_are_read_or_unverified_and_walls_not_inspected() {
    let net = TestNet::start(root()).await.unwrap();
    let sites = load_fixture_sites(&root(), |h| net.http.url(h, "/")).unwrap();
    assert_fixture_hosts("fixtures/render", &sites, HOSTS);
    let mut cmp = Comparison::new("fixtures/render (render = \"off\")", HOSTS);
    let crawler = Crawler::new(settings(&net, RenderMode::Off)).unwrap();
    assert!(crawler.renderer().is_none());
    let port = net.http.port();
    for fx in &sites {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            ts(AS_OF),
            &crate::common::fixture_rules(),
            None,
        )
        .await;
        cmp.check(
            &fx.host,
            finding_keys(&r.findings, port),
            want(&fx.expected.off_finding),
        );
        assert_facts(fx, &r.facts, &fx.expected.off_fact, port);
        assert_no_false_finding(fx, &r.findings);
        assert!(!r.facts.iter().any(|f| f.code == "page.rendered"));
        let fact = |code: &str| r.facts.iter().find(|f| f.code == code).map(|f| &f.value);
        match fx.host.as_str() {
            "www.comment.render.test" | "www.json.render.test" => {
                // the lists in comments, data blocks and script arrays read without a browser
                let read: Vec<&str> = r
                    .facts
                    .iter()
                    .filter(|f| f.code == "column.latest")
                    .filter_map(|f| f.value["read"].as_str())
                    .collect();
                assert_eq!(
                    read.iter().filter(|r| **r == "inline").count(),
                    2,
                    "{}: {read:?}",
                    fx.host
                );
            }
            "www.ajax.render.test" => {
                let u = fact("column.unverified").unwrap();
                assert_eq!(u["shape"], "ajax");
                assert_eq!(u["endpoint"], "/api/tzgg/list.json?page=1");
            }
            "www.ruishu.render.test" | "www.jsl.render.test" => {
                let (wall, status) = if fx.host.starts_with("www.ruishu") {
                    ("ruishu", 412)
                } else {
                    ("jiasule", 521)
                };
                let n = fact("site.not_inspected").unwrap();
                assert_eq!(
                    (n["reason"].as_str(), n["wall"].as_str()),
                    (Some("challenged"), Some(wall))
                );
                assert!(n["advice"].as_str().unwrap().contains("User-Agent"));
                let c = fact("page.challenged").unwrap();
                assert_eq!(
                    (c["status"].as_u64(), c["passed"].as_bool()),
                    (Some(status), Some(false))
                );
                // the sample: neither ok nor failed
                assert_eq!(r.samples.len(), 1);
                assert_eq!(r.samples[0].error, Some(FetchError::Challenged));
                assert_eq!(fact("avail.sample").unwrap()["challenged"], true);
            }
            _ => {}
        }
    }
    cmp.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendered_in_chromium_the_fixtures_give_their_findings() {
    if chromium("rendered_in_chromium_the_fixtures_give_their_findings").is_none() {
        return;
    }
    let net = TestNet::start(root()).await.unwrap();
    let sites = load_fixture_sites(&root(), |h| net.http.url(h, "/")).unwrap();
    assert_fixture_hosts("fixtures/render", &sites, HOSTS);
    let mut cmp = Comparison::new("fixtures/render (rendered)", HOSTS);
    let crawler = Crawler::new(settings(&net, RenderMode::Auto)).unwrap();
    assert!(crawler.renderer().is_some());
    let port = net.http.port();
    for fx in &sites {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            ts(AS_OF),
            &crate::common::fixture_rules(),
            None,
        )
        .await;
        let rendered: Vec<&Fact> = r
            .facts
            .iter()
            .filter(|f| f.code == "page.rendered")
            .collect();
        eprintln!(
            "{}: page.rendered {:?}",
            fx.host,
            rendered
                .iter()
                .map(|f| (&f.url, &f.value))
                .collect::<Vec<_>>()
        );
        cmp.check(
            &fx.host,
            finding_keys(&r.findings, port),
            want(&fx.expected.finding),
        );
        assert_facts(fx, &r.facts, &fx.expected.fact, port);
        assert_no_false_finding(fx, &r.findings);
        assert!(
            !r.facts.iter().any(|f| f.code == "site.not_inspected"),
            "{}",
            fx.host
        );
        check_rendered_case(&fx.host, &r, &rendered);
    }
    cmp.finish();
    check_browser_requests(&net, &crawler);
    let stats = crawler.renderer().unwrap().stats();
    eprintln!("render stats: {stats:?}");
    assert!(stats.pages >= 7, "{stats:?}");
    crawler.renderer().unwrap().shutdown().await;
}

/// What each rendered case shows beyond its findings: a stale list read rendered (its refused
/// requests, its drawn DOM kept), a search box tried in the browser, walls met and passed.
fn check_rendered_case(host: &str, r: &SiteResult, rendered: &[&Fact]) {
    match host {
        "www.ajax.render.test" => {
            // the stale list was read rendered, and says so
            let f = r
                .findings
                .iter()
                .find(|f| f.code == "column.stale")
                .unwrap();
            assert_eq!(f.value["read"], "rendered");
            assert!(f.message.ends_with("〔经浏览器渲染读取〕"), "{}", f.message);
            assert_eq!(f.evidence.extra["rendered"], true);
            // the page's visit counter POSTs: refused unsent, never a POST on the wire
            let tzgg = rendered
                .iter()
                .find(|f| f.url.as_deref().is_some_and(|u| u.ends_with("/tzgg/")))
                .unwrap();
            let refused = tzgg.value["refused"].to_string();
            assert!(
                refused.contains("/api/count") && refused.contains("POST never sent"),
                "{refused}"
            );
            // the robots.txt-disallowed endpoint was refused unsent
            let sjgg = rendered
                .iter()
                .find(|f| f.url.as_deref().is_some_and(|u| u.contains("/sjgg/")))
                .unwrap();
            let refused = sjgg.value["refused"].to_string();
            assert!(refused.contains("/api/sjgg/list.json"), "{refused}");
            // the drawn DOM kept beside the raw page
            assert!(r.pages.iter().any(|p| p.fetch.method == "RENDER"
                && p.fetch.url.ends_with("/tzgg/")
                && p.text.contains("关于2026年度审计项目计划的通知")));
        }
        "www.jssearch.render.test" => {
            let form = r
                .facts
                .iter()
                .find(|f| f.code == "search.form")
                .expect("the box tried in the browser");
            assert_eq!(form.value["query_field"], "q");
            assert!(
                form.value["excerpt"]
                    .as_str()
                    .unwrap()
                    .starts_with("rendered:")
            );
            assert!(!r.facts.iter().any(|f| f.code == "search.unverified"));
        }
        "www.ruishu.render.test" | "www.jsl.render.test" => {
            // the wall met and passed; the crawl went on with the cookies it earned
            let c = r
                .facts
                .iter()
                .find(|f| f.code == "page.challenged")
                .unwrap();
            assert_eq!(c.value["passed"], true, "{}", c.value);
            let columns = r.facts.iter().filter(|f| f.code == "column.latest").count();
            assert!(columns >= 2, "{host}: {columns} columns read");
        }
        _ => {}
    }
}

/// Every request the browser made went through the crawler (our User-Agent, GET only, robots.txt
/// honoured); after the wall the crawler's own requests carried the cookie the browser earned.
fn check_browser_requests(net: &TestNet, crawler: &Crawler) {
    // every request the browser made went through the crawler: our User-Agent, GET only
    let log = net.http.requests();
    let ua = crawler.user_agent().to_string();
    for req in &log {
        assert_eq!(
            req.user_agent.as_deref(),
            Some(ua.as_str()),
            "{} {}",
            req.host,
            req.path
        );
        assert!(
            matches!(req.method.as_str(), "GET" | "HEAD"),
            "{} {}",
            req.method,
            req.path
        );
    }
    assert!(log.iter().any(|r| r.path == "/api/tzgg/list.json?page=1"));
    assert!(
        !log.iter().any(|r| r.path.starts_with("/api/sjgg/")),
        "robots.txt honoured"
    );
    // after the wall, the crawler's own requests carried the cookie the browser earned
    assert!(log.iter().any(|r| r.host == "www.ruishu.render.test"
        && r.path == "/tzgg/"
        && r.status == 200
        && r.cookie.as_deref().is_some_and(|c| c.contains("gwS80T="))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_run_keeps_the_drawn_dom_as_its_own_warc_record() {
    if chromium("a_stored_run_keeps_the_drawn_dom_as_its_own_warc_record").is_none() {
        return;
    }
    let net = TestNet::start(root()).await.unwrap();
    let sites: Vec<FixtureSite> = load_fixture_sites(&root(), |h| net.http.url(h, "/"))
        .unwrap()
        .into_iter()
        .filter(|f| {
            matches!(
                f.host.as_str(),
                "www.ajax.render.test" | "www.json.render.test"
            )
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("govwatch-render-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let crawler = Arc::new(Crawler::new(settings(&net, RenderMode::Auto)).unwrap());
    let (report, mut store) = run(
        crawler.clone(),
        Store::open(dir.join("govwatch.db")).unwrap(),
        sites.iter().map(|f| f.site.clone()).collect(),
        run_options(ts(AS_OF)),
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    let port = net.http.port();
    let findings = store.findings(report.run_id, None).unwrap();
    for fx in &sites {
        let mine: Vec<Finding> = findings
            .iter()
            .filter(|f| f.site_id == fx.site.id)
            .map(|f| f.finding.clone())
            .collect();
        assert_eq!(
            finding_keys(&mine, port),
            want(&fx.expected.finding),
            "{}",
            fx.host
        );
    }
    let pages = store.run_pages(report.run_id).unwrap();
    let drawn: Vec<_> = pages.iter().filter(|p| p.rendered).collect();
    assert!(
        drawn.iter().any(|p| p.url.ends_with(
            "www.ajax.render.test:{port}/tzgg/"
                .replace("{port}", &port.to_string())
                .as_str()
        )),
        "{:?}",
        drawn.iter().map(|p| &p.url).collect::<Vec<_>>()
    );
    // the drawn DOM and the raw body are two records of the run's WARC
    let (warc, records) = govwatch_report::warc::run_warc(&store, report.run_id).unwrap();
    let tzgg: Vec<_> = records
        .iter()
        .filter(|r| {
            r.url.ends_with(
                "www.ajax.render.test:{port}/tzgg/"
                    .replace("{port}", &port.to_string())
                    .as_str(),
            )
        })
        .collect();
    assert_eq!(tzgg.len(), 2, "raw and rendered");
    let mut text = String::new();
    for r in &tzgg {
        let bytes = &warc[r.offset as usize..(r.offset + r.length) as usize];
        let mut d = flate2::read::GzDecoder::new(bytes);
        std::io::Read::read_to_string(&mut d, &mut text).unwrap();
    }
    assert!(
        text.contains("govwatch-Rendered: chromium"),
        "one record says it was drawn"
    );
    assert!(
        text.contains("关于2026年度审计项目计划的通知"),
        "the drawn list is in it"
    );
    store
        .write_archive_records(report.run_id, &records)
        .unwrap();
    crawler.renderer().unwrap().shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_challenged_samples_is_never_unreachable() {
    let net = TestNet::start(root()).await.unwrap();
    let sites = load_fixture_sites(&root(), |h| net.http.url(h, "/")).unwrap();
    let fx = sites
        .iter()
        .find(|f| f.host == "www.ruishu.render.test")
        .unwrap();
    let crawler = Arc::new(Crawler::new(settings(&net, RenderMode::Off)).unwrap());
    // the daemon's sample of the wall: taken through the crawler, answered 412 by the challenge
    let taken = crawler.sample_home(&fx.site.home).await;
    assert!(!taken.is_empty());
    for t in &taken {
        assert_eq!(
            t.sample.error,
            Some(FetchError::Challenged),
            "{:?}",
            t.sample
        );
    }
    let s = &taken[0].sample;
    assert_eq!(
        (s.ok, s.status, s.error),
        (false, Some(412), Some(FetchError::Challenged))
    );
    // a week of them, every hour, as the daemon stores them
    let as_of = ts(AS_OF);
    let week: Vec<Sample> = (1..=7 * 24)
        .map(|h| Sample {
            at: as_of - chrono::Duration::hours(h),
            ..s.clone()
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("govwatch-wall-week-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut store = Store::open(dir.join("govwatch.db")).unwrap();
    store.upsert_sites(std::slice::from_ref(&fx.site)).unwrap();
    assert_eq!(store.insert_samples(None, &fx.site.id, &week).unwrap(), 168);
    let rules = govwatch_config::ProbeRules::default();
    let status = govwatch_daemon::status::status(
        &store,
        std::slice::from_ref(&fx.site),
        &rules.availability,
        as_of,
    )
    .unwrap();
    let a = status[0].availability.as_ref().unwrap();
    assert_eq!(
        (a.samples, a.failed, a.challenged, a.unreachable),
        (0, 0, 168, false)
    );
    // the night's run over that week
    let (report, mut store) = run(
        crawler,
        store,
        vec![fx.site.clone()],
        run_options(as_of),
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    let findings = store.findings(report.run_id, None).unwrap();
    assert!(
        findings.is_empty(),
        "{:?}",
        findings.iter().map(|f| &f.finding.code).collect::<Vec<_>>()
    );
    let facts = store.facts(report.run_id, None).unwrap();
    let window = facts
        .iter()
        .find(|f| f.fact.code == "avail.window")
        .unwrap();
    assert_eq!(window.fact.value["challenged"], 168);
    assert_eq!(window.fact.value["samples"], 0);
    assert_eq!(window.fact.value["unreachable"], false);
    let set =
        govwatch_score::score_run(&store, report.run_id, &govwatch_score::shipped_rules()).unwrap();
    store.write_scores(&set).unwrap();
    let v = &set.scores[0];
    assert_eq!(
        v.verdict,
        govwatch_score::NOT_INSPECTED,
        "never 站点无法访问"
    );
    assert!(
        !v.items
            .iter()
            .any(|i| i.rule == "unreachable" && i.part == "veto")
    );
    let note = &v.items[0].note;
    assert!(
        note.contains("防护墙") && note.contains("瑞数") && note.contains("User-Agent"),
        "{note}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_over_its_memory_bound_is_stopped_and_the_page_left_unverified() {
    if chromium("a_browser_over_its_memory_bound_is_stopped_and_the_page_left_unverified").is_none()
    {
        return;
    }
    let net = TestNet::start(root()).await.unwrap();
    let sites = load_fixture_sites(&root(), |h| net.http.url(h, "/")).unwrap();
    let fx = sites
        .iter()
        .find(|f| f.host == "www.ajax.render.test")
        .unwrap();
    // 128 MiB: less than a browser needs (it is stopped as soon as the watch sees it)
    let crawler = Crawler::new(CrawlSettings {
        render_memory_mb: 128,
        ..settings(&net, RenderMode::Auto)
    })
    .unwrap();
    let r = govwatch_runner::inspect_site(
        &crawler,
        &fx.site,
        ts(AS_OF),
        &crate::common::fixture_rules(),
        None,
    )
    .await;
    let errors: Vec<String> = r
        .facts
        .iter()
        .filter(|f| f.code == "page.rendered")
        .map(|f| f.value["error"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        !errors.is_empty() && errors.iter().all(|e| !e.is_empty()),
        "{errors:?}"
    );
    // the lists stay unverified: the findings are those without a browser, none from what the
    // browser could not read
    assert_eq!(
        finding_keys(&r.findings, net.http.port()),
        want(&fx.expected.off_finding)
    );
    assert_facts(fx, &r.facts, &fx.expected.off_fact, net.http.port());
}
