//! A page probed alone as the start page of an ad-hoc site (as `govwatch probe URL --max-pages
//! 1`), for the real-page tests.
#![allow(dead_code)] // each test file uses a part

use govwatch_model::{FetchRecord, Link, Page, Purpose, Site, SiteCrawl, SiteKind, Timestamp};

/// A page of HTML fetched from `url` at `t` with status 200, at `depth`, with its link list
/// (the probes read links from the DOM; the list only matters for columns and mixed content).
pub fn html_page(url: &str, html: String, depth: u32, links: Vec<Link>, t: Timestamp) -> Page {
    Page {
        fetch: FetchRecord {
            url: url.into(),
            final_url: url.into(),
            method: "GET".into(),
            purpose: Purpose::Page,
            status: Some(200),
            started_at: t,
            elapsed_ms: 1,
            queue_ms: 0,
            bytes: html.len() as u64,
            content_type: Some("text/html".into()),
            content_hash: None,
            remote_addr: None,
            family: Some(4),
            error: None,
            error_message: None,
            redirects: vec![],
            attempt: 1,
        },
        depth,
        title: None,
        text: html,
        charset: None,
        charset_source: None,
        links,
        is_html: true,
    }
}

/// The crawl of a site named `name` whose pages are `pages` (the first is its home page).
pub fn crawl_of_pages(name: &str, pages: Vec<Page>) -> SiteCrawl {
    SiteCrawl {
        site: Site {
            id: "5203250001".into(),
            name: name.into(),
            home: url::Url::parse(&pages[0].fetch.url).unwrap(),
            org: String::new(),
            region: String::new(),
            kind: SiteKind::Department,
            overrides: Default::default(),
        },
        pages,
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
    }
}

/// The site whose only page is `html`, fetched from `url` at `t`.
pub fn single_page_crawl(url: &str, html: String, t: Timestamp) -> SiteCrawl {
    crawl_of_pages("site", vec![html_page(url, html, 0, vec![], t)])
}
