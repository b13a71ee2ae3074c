//! The search probe end to end: fixture sites with every kind of site search (working GET form,
//! the seed's mandatory column select without 政务公开, a select with 全部, a separate search host,
//! a JS-built search URL, a broken endpoint, an empty engine, a limited box, no search at all),
//! crawled by the real crawler, searched through the fixture server's search engine.

use crate::common::{Comparison, assert_fixture_hosts, expected_list, finding_list};
use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_model::SiteResult;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::load_fixture_sites;
use serde_json::json;
use std::collections::BTreeMap;

/// Every search fixture site, by name (search.sep.search.test is no site of its own: the separate
/// search host of www.sep.search.test).
const HOSTS: &[&str] = &[
    "www.all.search.test",
    "www.brk.search.test",
    "www.dzj.search.test",
    "www.empty.search.test",
    "www.js.search.test",
    "www.lim.search.test",
    "www.none.search.test",
    "www.ok.search.test",
    "www.post.search.test",
    "www.sep.search.test",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_search_case_gives_exactly_its_findings() {
    let root = govwatch_testutil::workspace_root().join("fixtures/search");
    let net = TestNet::start(&root).await.unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert_fixture_hosts("fixtures/search", &sites, HOSTS);
    let mut cmp = Comparison::new("fixtures/search", HOSTS);
    let settings = CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        rate: 20.0,
        retries: 0,
        ipv6: false,
        ..CrawlSettings::default()
    };
    let crawler = Crawler::new(settings).unwrap();
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap();
    let port = net.http.port();
    let mut results: BTreeMap<String, SiteResult> = BTreeMap::new();
    for fx in &sites {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            as_of,
            &crate::common::fixture_rules(),
            None,
        )
        .await;
        // every probe's findings, not the search probe's alone
        let got = finding_list(&r.findings, port);
        let want = expected_list(fx);
        if got != want {
            for f in &r.facts {
                eprintln!("FACT {} {}", f.code, f.value);
            }
        }
        cmp.check(&fx.host, got, want);
        results.insert(fx.host.clone(), r);
    }
    cmp.finish();
    check_search_facts(&results);
    let post = sites
        .iter()
        .find(|f| f.host == "www.post.search.test")
        .unwrap();
    check_post_form(&net, &crawler, &post.site, as_of, &results).await;
}

/// The values of one site's facts of `code`.
fn facts_of(results: &BTreeMap<String, SiteResult>, h: &str, code: &str) -> Vec<serde_json::Value> {
    results[h]
        .facts
        .iter()
        .filter(|f| f.code == code)
        .map(|f| f.value.clone())
        .collect()
}

/// The search facts of each case: a working query, the mandatory column select, a select with
/// 全部, a separate search host, a script-built URL, a broken and an empty engine, no form.
fn check_search_facts(results: &BTreeMap<String, SiteResult>) {
    let fact = |h: &str, code: &str| facts_of(results, h, code);
    // A working search: the query found the page it was made from.
    let q = fact("www.ok.search.test", "search.query");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0]["result"], "ok");
    assert_eq!(q[0]["status"], 200);
    // The seed's case: the mandatory column select, proven by the script's alert.
    let f = results["www.dzj.search.test"]
        .findings
        .iter()
        .find(|f| f.code == "search.column_required")
        .unwrap();
    assert!(
        f.value["mandatory_by"]
            .as_str()
            .unwrap()
            .contains("请先选择栏目"),
        "{}",
        f.value
    );
    let f = results["www.dzj.search.test"]
        .findings
        .iter()
        .find(|f| f.code == "search.scope_missing")
        .unwrap();
    assert!(
        f.value["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("政务公开")),
        "{}",
        f.value
    );
    // The select with 全部 is read and is not a restriction.
    let forms = fact("www.all.search.test", "search.form");
    assert!(forms.iter().any(|v| {
        v["selects"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["has_all"] == true))
    }));
    // The separate search host was followed and searched.
    let forms = fact("www.sep.search.test", "search.form");
    assert!(
        forms.iter().any(|v| v["host"] == "search.sep.search.test"),
        "{forms:?}"
    );
    assert_eq!(
        fact("www.sep.search.test", "search.query")[0]["result"],
        "ok"
    );
    // The JS-built search URL was read from the script.
    let forms = fact("www.js.search.test", "search.form");
    assert_eq!(forms[0]["kind"], "script");
    assert_eq!(
        fact("www.js.search.test", "search.query")[0]["result"],
        "ok"
    );
    // Broken and empty.
    assert_eq!(
        fact("www.brk.search.test", "search.query")[0]["status"],
        404
    );
    assert_eq!(
        fact("www.empty.search.test", "search.query")[0]["result"],
        "no_results"
    );
    // No search form anywhere: nothing was submitted.
    assert!(fact("www.none.search.test", "search.query").is_empty());
}

/// The POST search form is recorded, not submitted (no POST reached the server); with
/// `search_post = true` the same form is submitted by POST, once, with its hidden field, and works.
async fn check_post_form(
    net: &TestNet,
    crawler: &Crawler,
    site: &govwatch_model::Site,
    as_of: chrono::DateTime<chrono::FixedOffset>,
    results: &BTreeMap<String, SiteResult>,
) {
    let fact = |h: &str, code: &str| facts_of(results, h, code);
    // Nothing but search boxes was ever submitted, and no POST reached the server: the POST
    // search form was recorded, not submitted.
    assert!(
        net.http
            .requests()
            .iter()
            .all(|r| r.method == "GET" || r.method == "HEAD")
    );
    let forms = fact("www.post.search.test", "search.form");
    assert_eq!(forms[0]["method"], "POST");
    assert!(fact("www.post.search.test", "search.query").is_empty());

    // With `search_post = true` the same form is submitted by POST, and it works.
    let mut post = site.clone();
    post.overrides.search_post = true;
    let r =
        govwatch_runner::inspect_site(crawler, &post, as_of, &crate::common::fixture_rules(), None)
            .await;
    assert!(
        !r.findings.iter().any(|f| f.code.starts_with("search.")),
        "{:?}",
        r.findings
    );
    let q: Vec<&serde_json::Value> = r
        .facts
        .iter()
        .filter(|f| f.code == "search.query")
        .map(|f| &f.value)
        .collect();
    assert_eq!((q.len(), &q[0]["result"]), (1, &json!("ok")));
    let posts: Vec<_> = net
        .http
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        (posts[0].host.as_str(), posts[0].path.as_str()),
        ("www.post.search.test", "/search/")
    );
    assert!(
        String::from_utf8_lossy(&posts[0].body).contains("siteid="),
        "the form's hidden field was sent"
    );
}
