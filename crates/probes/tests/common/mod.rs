//! A page probed alone as the start page of an ad-hoc site (as `govwatch probe URL --max-pages
//! 1`), for the real-page tests.
#![allow(dead_code)] // each test file uses a part

use govwatch_model::{FetchRecord, Page, Purpose, Site, SiteCrawl, SiteKind, Timestamp};

/// The site whose only page is `html`, fetched from `url` at `t`.
pub fn single_page_crawl(url: &str, html: String, t: Timestamp) -> SiteCrawl {
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
        depth: 0,
        title: None,
        text: html,
        charset: None,
        charset_source: None,
        // the probes read links from the DOM; the link list only matters for mixed content
        links: vec![],
        is_html: true,
    };
    SiteCrawl {
        site: Site {
            id: "5203250001".into(),
            name: "site".into(),
            home: url::Url::parse(url).unwrap(),
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
    }
}
