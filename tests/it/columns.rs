//! The column freshness probe end to end, `--as-of` fixed: fixture sites with fresh, stale, blank
//! and undated columns, GBK `[05-26]` lists, pinned old items, navigation-hub home pages, and an
//! item backdated between two runs. Each site's `expected.toml` lists every finding of every probe,
//! compared whole (duplicates included), and the newest date of every column it judges.

use crate::common::{
    Comparison, assert_fixture_hosts, expected_list, fast_settings, finding_list, ts, two_runs,
};
use govwatch_crawler::Crawler;
use govwatch_model::SiteResult;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::{FixtureSite, load_fixture_sites};
use std::collections::BTreeSet;

/// Every column fixture site, by name: one missing (or not run) fails.
const HOSTS: &[&str] = &[
    "www.aside.col.test",
    "www.backdate.col.test",
    "www.blank.col.test",
    "www.fresh.col.test",
    "www.gbk.col.test",
    "www.hub.col.test",
    "www.hubstale.col.test",
    "www.jiedu.col.test",
    "www.pinned.col.test",
    "www.stale4.col.test",
    "www.stale5.col.test",
    "www.undated.col.test",
];
/// The site crawled twice, in its own test.
const BACKDATE: &str = "www.backdate.col.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_column_case_gives_exactly_its_findings() {
    let root = govwatch_testutil::workspace_root().join("fixtures/columns");
    let net = TestNet::start(&root).await.unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert_fixture_hosts("fixtures/columns", &sites, HOSTS);
    let mut cmp = Comparison::new(
        "fixtures/columns",
        &HOSTS
            .iter()
            .copied()
            .filter(|h| *h != BACKDATE)
            .collect::<Vec<_>>(),
    );
    let crawler = Crawler::new(fast_settings(&net)).unwrap();
    let port = net.http.port();
    let mut col_diffs: Vec<String> = Vec::new();
    for fx in sites.iter().filter(|f| f.host != BACKDATE) {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            ts("2026-11-28T02:00:00+08:00"),
            &crate::common::fixture_rules(),
            None,
        )
        .await;
        // every probe's findings, not the column probe's alone
        cmp.check(&fx.host, finding_list(&r.findings, port), expected_list(fx));
        col_diffs.extend(column_date_diffs(fx, &r));
        check_column_case(&fx.host, &r);
    }
    check_blank_columns_probed_directly(&net, &crawler, &sites).await;
    cmp.finish();
    assert!(
        col_diffs.is_empty(),
        "columns' newest dates differ from expected.toml:\n{}",
        col_diffs.join("\n")
    );
}

/// The values of one site's facts of `code`.
fn facts_of<'a>(r: &'a SiteResult, code: &str) -> Vec<&'a serde_json::Value> {
    r.facts
        .iter()
        .filter(|f| f.code == code)
        .map(|f| &f.value)
        .collect()
}

/// Every column judged, with the newest date `expected.toml` writes for it, and the home page's
/// newest date: the differences, one line per site.
fn column_date_diffs(fx: &FixtureSite, r: &SiteResult) -> Vec<String> {
    let facts = |code: &str| facts_of(r, code);
    let mut col_diffs = Vec::new();
    let home = facts("home.latest");
    assert_eq!(home.len(), 1, "{}", fx.host);
    // every column judged, with the newest date expected.toml writes for it
    let mut got_cols: Vec<(String, Option<String>)> = facts("column.latest")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap_or("").to_string(),
                v["latest"].as_str().map(str::to_string),
            )
        })
        .collect();
    got_cols.sort();
    let mut want_cols: Vec<(String, Option<String>)> = fx
        .expected
        .column
        .iter()
        .map(|c| (c.name.clone(), c.latest.clone()))
        .collect();
    want_cols.sort();
    if got_cols != want_cols {
        col_diffs.push(format!(
            "{}:\n    judged   {got_cols:?}\n    expected {want_cols:?}",
            fx.host
        ));
    }
    let home_latest = home[0]["latest"].as_str().map(str::to_string);
    if home_latest != fx.expected.home_latest {
        col_diffs.push(format!(
            "{}: home page newest {home_latest:?}, expected {:?}",
            fx.host, fx.expected.home_latest
        ));
    }
    col_diffs
}

/// What each column case shows beyond its findings (GBK dates, hubs, pinned rows, a side box,
/// every kind of column), and every stale finding naming its window and how far overdue it is.
fn check_column_case(host: &str, r: &SiteResult) {
    let facts = |code: &str| facts_of(r, code);
    let home = facts("home.latest");
    match host {
        "www.gbk.col.test" => {
            // GBK list with [05-26] dates, resolved against the monitoring time
            assert!(
                facts("column.latest")
                    .iter()
                    .any(|v| v["kind"] == "notice" && v["latest"] == "2026-05-26"),
                "{:?}",
                facts("column.latest")
            );
        }
        "www.hub.col.test" | "www.hubstale.col.test" => {
            assert_eq!(home[0]["hub"], true, "{host}")
        }
        "www.pinned.col.test" => {
            // pinned 2024 rows sit on top (their columns' newest dates, 2026 ones, are
            // compared above): they are counted as pinned
            assert!(
                facts("column.latest")
                    .iter()
                    .any(|v| v["pinned"].as_u64() > Some(0))
            );
        }
        "www.aside.col.test" => {
            // the side box's two undated links are what the list reader saw on 政策文件
            let zcwj = facts("column.latest")
                .into_iter()
                .find(|v| v["name"] == "政策文件")
                .cloned()
                .expect("政策文件 judged");
            assert_eq!(
                (zcwj["items"].as_u64(), zcwj["undated"].as_u64()),
                (Some(2), Some(2)),
                "{zcwj}"
            );
        }
        "www.fresh.col.test" => {
            let kinds: BTreeSet<&str> = facts("column.latest")
                .iter()
                .filter_map(|v| v["kind"].as_str())
                .collect();
            for k in ["news", "notice", "policy", "personnel", "plan"] {
                assert!(kinds.contains(k), "{k} among {kinds:?}");
            }
            assert_eq!(home[0]["hub"], false);
        }
        _ => {}
    }
    // every stale finding names its window and how far overdue it is
    for f in r.findings.iter().filter(|f| f.code == "column.stale") {
        assert!(
            f.value["days_overdue"].as_i64().unwrap() > 0
                && f.value["window_days"].as_u64().is_some()
        );
    }
}

/// Blank columns pasted into `govwatch probe`: each start URL is judged as the column it is and
/// reported blank, and blank only.
async fn check_blank_columns_probed_directly(
    net: &TestNet,
    crawler: &Crawler,
    sites: &[FixtureSite],
) {
    // Blank columns pasted into `govwatch probe`: the crawl starts at the column's own page, which
    // is judged as the column it is and reported blank.
    for (host, path) in [
        ("www.aside.col.test", "/ghjh/"),
        ("www.blank.col.test", "/zwgk/zcwj/"),
        ("www.blank.col.test", "/zwgk/ghjh/"),
    ] {
        let fx = sites.iter().find(|f| f.host == host).unwrap();
        let mut site = fx.site.clone();
        site.home = net.http.url(host, path);
        let r = govwatch_runner::inspect_site(
            crawler,
            &site,
            ts("2026-11-28T02:00:00+08:00"),
            &crate::common::fixture_rules(),
            None,
        )
        .await;
        // the crawl goes on from there through the site's navigation (other blank columns
        // may be found too); at the start URL: blank, and blank only
        let at_start: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| {
                f.code.starts_with("column.") && f.url.as_deref() == Some(site.home.as_str())
            })
            .map(|f| f.code.as_str())
            .collect();
        assert_eq!(at_start, ["column.blank"], "{host}{path} probed directly");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_backdated_between_two_runs() {
    let root = govwatch_testutil::workspace_root().join("fixtures/columns");
    let net = TestNet::start(&root).await.unwrap();
    let fx = load_fixture_sites(&root, |h| net.http.url(h, "/"))
        .unwrap()
        .into_iter()
        .find(|f| f.host == BACKDATE)
        .unwrap_or_else(|| panic!("fixture site {BACKDATE} is missing"));
    // a week later the list carries a new item claiming an old date
    let swap = [
        ("/xwdt/index.html", "_run2/xwdt/index.html"),
        ("/xwdt/", "_run2/xwdt/index.html"),
    ];
    let (before, after) = two_runs(
        &net,
        &root,
        &fx,
        "2026-11-20T02:00:00+08:00",
        "2026-11-28T02:00:00+08:00",
        &swap,
    )
    .await;
    assert!(
        !before.iter().any(|f| f.finding.code == "content.backdated"),
        "nothing to compare with yet"
    );
    let mut cmp = Comparison::new("fixtures/columns (two runs)", &[BACKDATE]);
    cmp.check(
        &fx.host,
        finding_list(after.iter().map(|f| &f.finding), net.http.port()),
        expected_list(&fx),
    );
    cmp.finish();
    let f = after
        .into_iter()
        .find(|f| f.finding.code == "content.backdated")
        .unwrap();
    assert_eq!(f.finding.value["previous_run"], "2026-11-20");
    assert_eq!(f.finding.value["first_seen"], "2026-11-28");
}
