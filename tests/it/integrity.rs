//! The integrity probe end to end: a hidden link farm, legitimate hidden menus and tabs, a hijack
//! script, a keyword-stuffed title, a page publishing an ID number, a friendly link whose lapsed
//! domain now serves gambling, and a home page defaced between two runs. Each site's
//! `expected.toml` lists the `integrity.*` and `privacy.*` findings.

use crate::common::{expected_set, fast_settings, finding_set, ts, two_runs};
use govwatch_crawler::Crawler;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::load_fixture_sites;

fn ours(code: &str) -> bool {
    code.starts_with("integrity.") || code.starts_with("privacy.")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_integrity_case_gives_exactly_its_findings() {
    let root = govwatch_testutil::workspace_root().join("fixtures/integrity");
    let net = TestNet::start(&root).await.unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert!(sites.len() >= 7, "{}", sites.len());
    let crawler = Crawler::new(fast_settings(&net)).unwrap();
    for fx in sites.iter().filter(|f| f.host != "www.deface.int.test") {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            ts("2026-11-28T02:00:00+08:00"),
            &Default::default(),
            None,
        )
        .await;
        assert_eq!(
            finding_set(&r.findings, net.http.port(), ours),
            expected_set(fx),
            "integrity findings of {}",
            fx.host
        );
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
    let swap = [
        ("/", "_run2/index.html"),
        ("/index.html", "_run2/index.html"),
    ];
    let (before, after) = two_runs(
        &net,
        &root,
        &fx,
        "2026-11-27T02:00:00+08:00",
        "2026-11-28T02:00:00+08:00",
        &swap,
    )
    .await;
    assert!(
        before.iter().all(|f| !ours(&f.finding.code)),
        "clean on the first night"
    );
    assert_eq!(
        finding_set(after.iter().map(|f| &f.finding), net.http.port(), ours),
        expected_set(&fx)
    );
    let d = after
        .iter()
        .find(|f| f.finding.code == "integrity.defacement")
        .unwrap();
    assert!(
        d.finding.value["similarity"].as_f64().unwrap() < 0.3,
        "{}",
        d.finding.value
    );
}
