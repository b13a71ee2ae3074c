//! A crawl started at a column's page (`govwatch probe` of a column URL, as inspectors paste
//! them): the page is judged as the column it is, by its kind (`column.latest`, `column.stale`).
//! The fixture (fixtures/columns/startpage) is a 通知公告 list of `div` rows, date before link,
//! out of date order.

use govwatch_model::{FetchRecord, Page, Purpose, Site, SiteCrawl, SiteKind};
use govwatch_probes::columns::Columns;
use govwatch_probes::{Probe, ProbeInput};
use std::path::PathBuf;

fn crawl(url: &str, file: &str) -> SiteCrawl {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/columns/startpage")
        .join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    let u = url::Url::parse(url).unwrap();
    let page = Page {
        fetch: FetchRecord {
            url: url.into(),
            final_url: url.into(),
            method: "GET".into(),
            purpose: Purpose::Page,
            status: Some(200),
            started_at: t,
            elapsed_ms: 1,
            queue_ms: 0,
            bytes: text.len() as u64,
            content_type: Some("text/html".into()),
            content_hash: None,
            remote_addr: None,
            family: Some(4),
            error: None,
            error_message: None,
            redirects: vec![],
            attempt: 1,
        },
        depth: 0,
        title: Some("通知公告_清河县人民政府".into()),
        text,
        charset: None,
        charset_source: None,
        links: vec![],
        is_html: true,
    };
    SiteCrawl {
        site: Site {
            id: "1301000001".into(),
            name: "清河县人民政府".into(),
            home: u,
            org: String::new(),
            region: String::new(),
            kind: SiteKind::Department,
            overrides: Default::default(),
        },
        pages: vec![page],
        fetches: vec![],
        link_checks: vec![],
        samples: vec![],
        robots_blocked: vec![],
        skipped: Default::default(),
        ipv6: None,
        search_pages: vec![],
        searches: vec![],
        page_fetches_apart: false,
        notes: Vec::new(),
    }
}

fn rules() -> govwatch_config::ColumnRules {
    govwatch_config::load_column_rules(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/columns.toml"),
    )
    .unwrap()
}

#[test]
fn a_column_url_probed_directly_is_judged_as_its_column() {
    let url = "http://www.qinghe.gov.test/xxgk/tzgg/index.html";
    let c = crawl(url, "tzgg.html");
    let probe = Columns { rules: rules() };
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    let out = probe.run(&ProbeInput::new(&c, as_of));
    let latest: Vec<_> = out
        .facts
        .iter()
        .filter(|f| f.code == "column.latest")
        .map(|f| (f.url.clone().unwrap(), f.value.clone()))
        .collect();
    assert_eq!(latest.len(), 1, "{latest:?}");
    assert_eq!(latest[0].0, url);
    let v = &latest[0].1;
    assert_eq!(v["name"], "通知公告");
    assert_eq!(v["kind"], "notice");
    assert_eq!(v["latest"], "2026-04-18");
    assert_eq!(v["items"], 4);
    assert_eq!(v["undated"], 0);
    assert_eq!(v["window_days"], 180);
    // 2026-04-18 + 180 days = 2026-10-15: stale on 2026-11-28
    let stale: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.code == "column.stale")
        .collect();
    assert_eq!(stale.len(), 1, "{:?}", out.findings);
    assert_eq!(stale[0].url.as_deref(), Some(url));
}

#[test]
fn the_same_page_at_the_site_root_is_only_the_home_page() {
    let url = "http://www.qinghe.gov.test/";
    let c = crawl(url, "tzgg.html");
    let probe = Columns { rules: rules() };
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    let out = probe.run(&ProbeInput::new(&c, as_of));
    assert!(
        out.facts.iter().all(|f| f.code != "column.latest"),
        "{:?}",
        out.facts
    );
    assert!(out.facts.iter().any(|f| f.code == "home.latest"));
}
