//! The integrity probe on real pages from `../shared/realpages`, when present: the hacked 道真
//! homepage carries a hidden link farm; the same homepage before the injection and the 山西 article
//! page (294 legitimate `display:none` blocks) carry none.

use govwatch_model::{FetchRecord, Page, Purpose, Site, SiteCrawl, SiteKind};
use govwatch_probes::integrity::Integrity;
use govwatch_probes::{Probe, ProbeInput};
use std::path::PathBuf;

fn crawl_of(name: &str, url: &str) -> Option<SiteCrawl> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/realpages")
        .join(name);
    let Ok(bytes) = std::fs::read(&p) else {
        {
            // straight to stderr: libtest captures eprintln!, and a skip must show
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: real page {} is missing",
                p.display()
            );
        };
        return None;
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let t = chrono::DateTime::parse_from_rfc3339("2021-04-08T02:00:00+08:00").unwrap();
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
        title: None,
        text,
        charset: None,
        charset_source: None,
        // the probe reads links from the DOM; the link list only matters for mixed content
        links: vec![],
        is_html: true,
    };
    Some(SiteCrawl {
        site: Site {
            id: "5203250001".into(),
            name: "site".into(),
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
        not_found: None,
    })
}

fn codes(c: &SiteCrawl) -> Vec<(String, serde_json::Value)> {
    let probe = Integrity::new(Default::default());
    let input = ProbeInput::new(c, c.pages[0].fetch.started_at);
    probe
        .run(&input)
        .findings
        .into_iter()
        .map(|f| (f.code, f.value))
        .collect()
}

#[test]
fn hacked_daozhen_homepage_has_a_hidden_link_farm() {
    let Some(c) = crawl_of(
        "gzdzhrss.com-daozhen-hrss__e-homepage-hidden-linkfarm__1.html",
        "http://www.gzdzhrss.com/",
    ) else {
        return;
    };
    let f = codes(&c);
    let farm = f
        .iter()
        .find(|(c, _)| c == "integrity.hidden_links")
        .expect("hidden link farm found");
    assert!(farm.1["links"].as_u64().unwrap() >= 30, "{}", farm.1);
    assert!(farm.1["hosts"].as_array().unwrap().len() >= 5, "{}", farm.1);
}

#[test]
fn daozhen_homepage_before_injection_has_none() {
    let Some(c) = crawl_of(
        "gzdzhrss.com-daozhen-hrss__d-homepage-before-injection__2.html",
        "http://www.gzdzhrss.com/",
    ) else {
        return;
    };
    let f = codes(&c);
    assert!(
        !f.iter().any(|(c, _)| c == "integrity.hidden_links"),
        "{f:?}"
    );
    // its external kb.js script is still there
    assert!(
        f.iter()
            .any(|(c, v)| c == "integrity.external_script" && v["hosts"][0] == "hnci.net.cn"),
        "{f:?}"
    );
}

#[test]
fn shanxi_article_with_hundreds_of_hidden_menus_has_none() {
    let Some(c) = crawl_of(
        "shanxi.gov.cn__b-article-with-sitesearch__1.html",
        "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190912_1.shtml",
    ) else {
        return;
    };
    let f = codes(&c);
    assert!(
        !f.iter()
            .any(|(c, _)| c == "integrity.hidden_links" || c == "integrity.spam_keywords"),
        "{f:?}"
    );
}
