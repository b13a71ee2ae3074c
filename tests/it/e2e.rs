//! End to end: the fixture sites crawled by the real crawler through the fixture server and the
//! test DNS, every probe run, results stored; findings compared with each `expected.toml` exactly.

use crate::common::{Comparison, assert_fixture_hosts, expected_list, finding_list};
use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_runner::{Progress, RunOptions, run};
use govwatch_store::{RunStatus, Store};
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::{FixtureSite, load_fixture_sites, strip_port};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const HOSTS: &[&str] = crate::common::SITES_HOSTS;

fn as_of() -> govwatch_model::Timestamp {
    chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap()
}

fn settings(net: &TestNet) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        ..CrawlSettings::default()
    }
}

fn scratch_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("govwatch.db")
}

async fn start() -> (TestNet, Vec<FixtureSite>) {
    let root = govwatch_testutil::fixtures_sites_dir();
    let net = TestNet::start(&root).await.unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert_fixture_hosts("fixtures/sites", &sites, HOSTS);
    (net, sites)
}

fn opts(settings: &CrawlSettings) -> RunOptions {
    RunOptions {
        as_of: as_of(),
        only: None,
        resume: false,
        settings: serde_json::to_value(settings).unwrap(),
        rules: crate::common::fixture_rules(),
        accounts: Vec::new(),
    }
}

/// (code, url) of every finding per site id, ports stripped.
fn findings_by_site(
    store: &Store,
    run_id: i64,
    port: u16,
) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut m: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for f in store.findings(run_id, None).unwrap() {
        let url = strip_port(f.finding.url.as_deref().unwrap_or(""), port);
        m.entry(f.site_id)
            .or_default()
            .insert((f.finding.code.clone(), url));
    }
    m
}

/// The nightly job at default politeness over every fixture site: exact findings, and the
/// server's request log proves the politeness rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixture_sites_give_exactly_the_expected_findings_politely() {
    let (net, fixtures) = start().await;
    let s = settings(&net);
    let crawler = Arc::new(Crawler::new(s.clone()).unwrap());
    let store = Store::open(scratch_db("exact")).unwrap();
    let sites = fixtures.iter().map(|f| f.site.clone()).collect();
    let mut replanned = None;
    let (report, store) = run(
        crawler,
        store,
        sites,
        opts(&s),
        std::future::pending(),
        |p| {
            if let Progress::Replanned(plan) = p {
                replanned = Some(plan.requests);
            }
        },
    )
    .await
    .unwrap();
    assert!(!report.interrupted);
    // a first run: the plan made from the home pages is within 2× of the requests made
    let estimate = replanned.expect("planned again once the home pages were read");
    let ratio = estimate as f64 / report.requests as f64;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "estimated {estimate} requests, made {}",
        report.requests
    );
    assert!(
        report.plan.requests > 2 * report.requests,
        "the page budget alone overestimates a first run: {} planned, {} made",
        report.plan.requests,
        report.requests
    );
    assert_eq!(
        store.run(report.run_id).unwrap().unwrap().status,
        RunStatus::Done
    );
    let port = net.http.port();
    let stored = store.findings(report.run_id, None).unwrap();
    let mut cmp = Comparison::new("fixtures/sites", HOSTS);
    for fx in &fixtures {
        // every stored finding of the site, duplicates kept
        let got = finding_list(
            stored
                .iter()
                .filter(|s| s.site_id == fx.site.id)
                .map(|s| &s.finding),
            port,
        );
        cmp.check(&fx.host, got, expected_list(fx));
        for e in fx.expected.finding.iter().filter(|e| e.from.is_some()) {
            // a missing finding is named by the comparison
            let Some(f) = stored.iter().find(|s| {
                s.finding.code == e.code
                    && strip_port(s.finding.url.as_deref().unwrap(), port) == e.url
            }) else {
                continue;
            };
            let from: Vec<String> = f.finding.value["from"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| strip_port(v.as_str().unwrap(), port))
                .collect();
            assert!(
                from.contains(e.from.as_ref().unwrap()),
                "{} {} linked from {:?}",
                e.code,
                e.url,
                from
            );
            assert!(
                f.finding.evidence.excerpt.is_some(),
                "evidence excerpt for {}",
                e.url
            );
        }
    }

    cmp.finish();
    check_politeness(&net, &s.contact);
}

/// Politeness, read from the server's log: an honest User-Agent with a contact, one request a
/// second per host (two where Crawl-delay says so), robots.txt read and obeyed.
fn check_politeness(net: &TestNet, contact: &str) {
    // Politeness, read from the server's log.
    let log = net.http.requests();
    assert!(!log.is_empty());
    let mut by_host: BTreeMap<String, Vec<std::time::Instant>> = BTreeMap::new();
    for r in &log {
        let ua = r.user_agent.as_deref().unwrap_or("");
        assert!(
            ua.contains("govwatch") && ua.contains(contact),
            "honest User-Agent with a contact: {ua}"
        );
        by_host.entry(r.host.clone()).or_default().push(r.at);
    }
    for (host, times) in &by_host {
        let min_gap = if host == "www.sjj.anping.gov.test" {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(1)
        };
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            assert!(
                gap >= min_gap,
                "{host}: two requests {gap:?} apart (limit {min_gap:?})"
            );
        }
    }
    let sjj = net.http.requests_for("www.sjj.anping.gov.test");
    assert!(
        sjj.iter().any(|r| r.path == "/robots.txt"),
        "robots.txt was read"
    );
    assert!(
        sjj.iter().all(|r| !r.path.starts_with("/admin/")),
        "robots.txt Disallow obeyed: {sjj:?}"
    );
    assert!(sjj.len() >= 3, "the site was crawled");
}

/// A run stopped after its first site is resumed; the result matches a run never stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_run_resumes_without_duplicates() {
    let (net, fixtures) = start().await;
    let mut s = settings(&net);
    s.rate = 20.0;
    s.site_concurrency = 1;
    let sites: Vec<_> = fixtures.iter().map(|f| f.site.clone()).collect();
    let port = net.http.port();

    // Reference: a run that is not stopped.
    let crawler = Arc::new(Crawler::new(s.clone()).unwrap());
    let (full, full_store) = run(
        crawler,
        Store::open(scratch_db("full")).unwrap(),
        sites.clone(),
        opts(&s),
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    let want = findings_by_site(&full_store, full.run_id, port);
    let want_counts = full_store.counts(full.run_id).unwrap();

    // Stopped as soon as the first site is committed.
    let db = scratch_db("resume");
    let (tx, rx) = tokio::sync::watch::channel(false);
    let stop = async move {
        let mut rx = rx;
        let _ = rx.wait_for(|v| *v).await;
    };
    let crawler = Arc::new(Crawler::new(s.clone()).unwrap());
    let (first, store) = run(
        crawler,
        Store::open(&db).unwrap(),
        sites.clone(),
        opts(&s),
        stop,
        |p| {
            if let Progress::SiteDone { .. } = p {
                let _ = tx.send(true);
            }
        },
    )
    .await
    .unwrap();
    assert!(first.interrupted);
    assert_eq!(
        store.run(first.run_id).unwrap().unwrap().status,
        RunStatus::Interrupted
    );
    let done_before = store.sites_done(first.run_id).unwrap().len();
    assert!(
        done_before >= 1 && done_before < sites.len(),
        "stopped part way: {done_before} done"
    );
    drop(store);

    let crawler = Arc::new(Crawler::new(s.clone()).unwrap());
    let resume = RunOptions {
        resume: true,
        ..opts(&s)
    };
    let (second, store) = run(
        crawler,
        Store::open(&db).unwrap(),
        sites,
        resume,
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(second.run_id, first.run_id, "the same run goes on");
    assert_eq!(second.already_done, done_before);
    assert_eq!(
        store.run(second.run_id).unwrap().unwrap().status,
        RunStatus::Done
    );
    assert_eq!(findings_by_site(&store, second.run_id, port), want);
    let got = store.counts(second.run_id).unwrap();
    assert_eq!(
        (got.run_sites, got.findings, got.pages),
        (
            want_counts.run_sites,
            want_counts.findings,
            want_counts.pages
        )
    );
}

/// A home page slower than the time limit is a failed availability sample, classified as timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_home_page_is_a_failed_timeout_sample() {
    let (net, fixtures) = start().await;
    let mut s = settings(&net);
    s.timeout_secs = 1.0;
    s.connect_timeout_secs = 1.0;
    s.retries = 0;
    s.rate = 20.0;
    let fx = fixtures
        .iter()
        .find(|f| f.host == "www.anping.gov.test")
        .unwrap();
    net.http.set_fault(
        &fx.host,
        "/",
        govwatch_testutil::Fault::Delay(Duration::from_secs(3)),
    );
    let crawler = Crawler::new(s).unwrap();
    let result = govwatch_runner::inspect_site(
        &crawler,
        &fx.site,
        as_of(),
        &crate::common::fixture_rules(),
        None,
    )
    .await;
    assert_eq!(result.samples.len(), 1);
    assert_eq!(
        result.samples[0].error,
        Some(govwatch_model::FetchError::Timeout)
    );
    assert!(!result.samples[0].ok);
    let codes: Vec<&str> = result.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, vec!["avail.sample_failed"]);
    let f = &result.findings[0];
    assert!(
        f.evidence
            .excerpt
            .as_deref()
            .unwrap()
            .starts_with("timeout"),
        "{:?}",
        f.evidence
    );
    assert_eq!(f.severity, govwatch_model::Severity::Warn);
}
