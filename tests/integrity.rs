//! The integrity probe end to end: a hidden link farm, legitimate hidden menus and tabs, a hijack
//! script, a keyword-stuffed title, a page publishing an ID number, and a home page defaced
//! between two runs, a friendly link whose lapsed domain now serves gambling. Each site's
//! `expected.toml` lists the `integrity.*` and `privacy.*` findings.

use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_runner::{RunOptions, run};
use govwatch_store::Store;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::{load_fixture_sites, strip_port};
use std::collections::BTreeSet;
use std::sync::Arc;

fn ours(code: &str) -> bool {
    code.starts_with("integrity.") || code.starts_with("privacy.")
}

fn ts(s: &str) -> govwatch_model::Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

fn settings(net: &TestNet) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        rate: 20.0,
        retries: 0,
        ipv6: false,
        ..CrawlSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_integrity_case_gives_exactly_its_findings() {
    let root = govwatch_testutil::workspace_root().join("fixtures/integrity");
    let net = TestNet::start(&root).await.unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert!(sites.len() >= 6, "{}", sites.len());
    let crawler = Crawler::new(settings(&net)).unwrap();
    let port = net.http.port();
    for fx in sites.iter().filter(|f| f.host != "www.deface.int.test") {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            ts("2026-11-28T02:00:00+08:00"),
            &Default::default(),
            None,
        )
        .await;
        let got: BTreeSet<(String, String)> = r
            .findings
            .iter()
            .filter(|f| ours(&f.code))
            .map(|f| {
                (
                    f.code.clone(),
                    strip_port(f.url.as_deref().unwrap_or(""), port),
                )
            })
            .collect();
        let want: BTreeSet<(String, String)> = fx
            .expected
            .finding
            .iter()
            .map(|f| (f.code.clone(), f.url.clone()))
            .collect();
        assert_eq!(got, want, "integrity findings of {}", fx.host);
        for f in r.findings.iter().filter(|f| f.code.starts_with("privacy.")) {
            // the evidence never repeats the number in full
            let ex = f.evidence.excerpt.as_deref().unwrap();
            assert!(ex.contains("****"), "masked: {ex}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_page_defaced_between_two_runs() {
    let root = govwatch_testutil::workspace_root().join("fixtures/integrity");
    let net = TestNet::start(&root).await.unwrap();
    let fx = load_fixture_sites(&root, |h| net.http.url(h, "/"))
        .unwrap()
        .into_iter()
        .find(|f| f.host == "www.deface.int.test")
        .unwrap();
    let dir = std::env::temp_dir().join(format!("govwatch-integrity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("govwatch.db");
    let opts = |as_of: &str| RunOptions {
        as_of: ts(as_of),
        only: None,
        resume: false,
        settings: serde_json::Value::Null,
        rules: Default::default(),
    };
    let crawler = Arc::new(Crawler::new(settings(&net)).unwrap());
    let (r1, store) = run(
        crawler,
        Store::open(&db).unwrap(),
        vec![fx.site.clone()],
        opts("2026-11-27T02:00:00+08:00"),
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(
        store
            .findings(r1.run_id, None)
            .unwrap()
            .iter()
            .all(|f| !ours(&f.finding.code)),
        "clean on the first night"
    );
    drop(store);
    let defaced = std::fs::read(root.join("www.deface.int.test/_run2/index.html")).unwrap();
    let defaced = govwatch_testutil::substitute_port(&defaced, net.http.port());
    net.http.add_route(
        "www.deface.int.test",
        "/",
        govwatch_testutil::RouteResponse::html(defaced.clone()),
    );
    net.http.add_route(
        "www.deface.int.test",
        "/index.html",
        govwatch_testutil::RouteResponse::html(defaced),
    );
    let crawler = Arc::new(Crawler::new(settings(&net)).unwrap());
    let (r2, store) = run(
        crawler,
        Store::open(&db).unwrap(),
        vec![fx.site.clone()],
        opts("2026-11-28T02:00:00+08:00"),
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    let found = store.findings(r2.run_id, None).unwrap();
    let got: BTreeSet<(String, String)> = found
        .iter()
        .filter(|f| ours(&f.finding.code))
        .map(|f| {
            (
                f.finding.code.clone(),
                strip_port(f.finding.url.as_deref().unwrap_or(""), net.http.port()),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = fx
        .expected
        .finding
        .iter()
        .map(|f| (f.code.clone(), f.url.clone()))
        .collect();
    assert_eq!(got, want);
    let d = found
        .iter()
        .find(|f| f.finding.code == "integrity.defacement")
        .unwrap();
    assert!(
        d.finding.value["similarity"].as_f64().unwrap() < 0.3,
        "{}",
        d.finding.value
    );
}
