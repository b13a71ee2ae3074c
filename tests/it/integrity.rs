//! The integrity probe end to end: a hidden link farm, legitimate hidden menus and tabs, a hijack
//! script, a keyword-stuffed title, a page publishing an ID number, a friendly link whose lapsed
//! domain now serves gambling, and a home page defaced between two runs. Each site's
//! `expected.toml` lists every finding of every probe, compared whole (duplicates included).

use crate::common::{
    Comparison, assert_fixture_hosts, expected_list, fast_settings, finding_list, ts, two_runs,
};
use govwatch_crawler::Crawler;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::load_fixture_sites;

/// Every integrity fixture site, by name (www.yzlyj-old.test is no site: the lapsed domain a
/// friendly link points at).
const HOSTS: &[&str] = &[
    "www.clean.int.test",
    "www.deface.int.test",
    "www.farm.int.test",
    "www.hijack.int.test",
    "www.lapsed.int.test",
    "www.menus.int.test",
    "www.privacy.int.test",
    "www.stuffed.int.test",
];
const DEFACE: &str = "www.deface.int.test";

fn ours(code: &str) -> bool {
    code.starts_with("integrity.") || code.starts_with("privacy.")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_integrity_case_gives_exactly_its_findings() {
    let root = govwatch_testutil::workspace_root().join("fixtures/integrity");
    let net = TestNet::start(&root).await.unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert_fixture_hosts("fixtures/integrity", &sites, HOSTS);
    let mut cmp = Comparison::new(
        "fixtures/integrity",
        &HOSTS
            .iter()
            .copied()
            .filter(|h| *h != DEFACE)
            .collect::<Vec<_>>(),
    );
    let crawler = Crawler::new(fast_settings(&net)).unwrap();
    for fx in sites.iter().filter(|f| f.host != DEFACE) {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            ts("2026-11-28T02:00:00+08:00"),
            &crate::common::fixture_rules(),
            None,
        )
        .await;
        // every probe's findings, not the integrity probe's alone
        cmp.check(
            &fx.host,
            finding_list(&r.findings, net.http.port()),
            expected_list(fx),
        );
        for f in r.findings.iter().filter(|f| f.code.starts_with("privacy.")) {
            // the evidence never repeats the number in full
            let ex = f.evidence.excerpt.as_deref().unwrap();
            assert!(ex.contains("****"), "masked: {ex}");
        }
    }
    cmp.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_page_defaced_between_two_runs() {
    let root = govwatch_testutil::workspace_root().join("fixtures/integrity");
    let net = TestNet::start(&root).await.unwrap();
    let fx = load_fixture_sites(&root, |h| net.http.url(h, "/"))
        .unwrap()
        .into_iter()
        .find(|f| f.host == DEFACE)
        .unwrap_or_else(|| panic!("fixture site {DEFACE} is missing"));
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
    let mut cmp = Comparison::new("fixtures/integrity (two runs)", &[DEFACE]);
    cmp.check(
        &fx.host,
        finding_list(after.iter().map(|f| &f.finding), net.http.port()),
        expected_list(&fx),
    );
    cmp.finish();
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
