//! Broken links and resources (rule: 错链/死链; vendors' deduction: −1 each on the home page,
//! −0.1 each on other pages).
//!
//! Every link and resource of every crawled page is matched with the crawler's result for its URL
//! (the page fetch when it was crawled, the link check otherwise). A link is broken when its final
//! answer is an error status (≥ 400) or a transport failure (DNS, connection, TLS, timeout,
//! redirect loop). URLs robots.txt forbids, and links left out by the check budget, are not judged.
//!
//! Codes:
//! - `link.summary` (fact): `{links, unique, checked, broken, broken_home, unchecked}`.
//! - `link.broken_home` (finding, deduct): a broken URL linked from the home page, once per URL.
//! - `link.broken` (finding, deduct): a broken URL linked from other pages only, once per URL,
//!   listing the pages that link to it.
//!
//! Evidence: the failure (status or error), the anchor text, the linking page and an excerpt of
//! its markup around the link; the archived copy is the linking page.

use crate::evidence::{clip, excerpt_around};
use crate::{Probe, ProbeInput, ProbeOutput};
use govwatch_model::{Fact, FetchError, FetchRecord, LinkKind, Page, Severity};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `link.summary` (fact).
    pub const SUMMARY: &str = "link.summary";
    /// `link.broken_home` (finding).
    pub const BROKEN_HOME: &str = "link.broken_home";
    /// `link.broken` (finding).
    pub const BROKEN: &str = "link.broken";
    /// Every code above.
    pub const ALL: &[&str] = &[SUMMARY, BROKEN_HOME, BROKEN];
}

pub struct Links;

/// Most linking pages listed in one finding's value.
const MAX_FROM: usize = 20;

struct Target<'a> {
    /// Pages linking to it, in crawl order, with the link.
    from: Vec<(&'a Page, &'a govwatch_model::Link)>,
    on_home: bool,
}

fn kind_str(k: LinkKind) -> &'static str {
    match k {
        LinkKind::Anchor => "anchor",
        LinkKind::Image => "image",
        LinkKind::Script => "script",
        LinkKind::Stylesheet => "stylesheet",
        LinkKind::Frame => "frame",
        LinkKind::Other => "other",
    }
}

/// The kind of link as people name it (图片, 脚本 …).
fn kind_zh(k: LinkKind) -> &'static str {
    match k {
        LinkKind::Anchor => "链接",
        LinkKind::Image => "图片",
        LinkKind::Script => "脚本",
        LinkKind::Stylesheet => "样式表",
        LinkKind::Frame => "内嵌框架",
        LinkKind::Other => "资源",
    }
}

/// Why a fetch failed, in plain Chinese (the raw error text stays in the value and evidence).
pub(crate) fn failure_zh(rec: &FetchRecord) -> String {
    match (rec.error, rec.status) {
        (Some(e), _) => fetch_error_zh(e).to_string(),
        (None, Some(404)) => "页面不存在（HTTP 404）".into(),
        (None, Some(410)) => "页面已删除（HTTP 410）".into(),
        (None, Some(403)) => "禁止访问（HTTP 403）".into(),
        (None, Some(s)) if s >= 500 => format!("服务器错误（HTTP {s}）"),
        (None, Some(s)) => format!("HTTP {s}"),
        (None, None) => "无应答".into(),
    }
}

/// A fetch failure cause in plain Chinese.
pub(crate) fn fetch_error_zh(e: FetchError) -> &'static str {
    e.zh()
}

/// Whether the result shows the link is broken; `None` when it was not judged.
fn broken(rec: &FetchRecord) -> Option<bool> {
    match rec.error {
        Some(FetchError::RobotsDisallowed) => None,
        Some(_) => Some(true),
        None => Some(!matches!(rec.status, Some(s) if s < 400)),
    }
}

impl Probe for Links {
    fn name(&self) -> &'static str {
        "links"
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let crawl = input.crawl;
        let mut results: HashMap<String, &FetchRecord> = HashMap::new();
        for c in &crawl.link_checks {
            results.insert(c.url.clone(), &c.record);
        }
        for p in &crawl.pages {
            results.insert(p.fetch.url.clone(), &p.fetch);
        }
        let mut targets: BTreeMap<String, Target> = BTreeMap::new();
        let mut total_links = 0usize;
        for page in crawl.pages.iter().filter(|p| p.is_html) {
            for link in &page.links {
                total_links += 1;
                let Some(key) = input.normalized(&link.url) else {
                    continue;
                };
                let t = targets.entry(key).or_insert_with(|| Target {
                    from: Vec::new(),
                    on_home: false,
                });
                if page.depth == 0 {
                    t.on_home = true;
                }
                if !t.from.iter().any(|(p, _)| std::ptr::eq(*p, page)) {
                    t.from.push((page, link));
                }
            }
        }
        let mut out = ProbeOutput::default();
        let (mut checked, mut n_broken, mut n_home, mut unchecked) = (0, 0, 0, 0);
        for (url, t) in &targets {
            let Some(rec) = results.get(url) else {
                unchecked += 1;
                continue;
            };
            let Some(is_broken) = broken(rec) else {
                unchecked += 1;
                continue;
            };
            checked += 1;
            if !is_broken {
                continue;
            }
            n_broken += 1;
            let from: Vec<&(&Page, &govwatch_model::Link)> = if t.on_home {
                n_home += 1;
                t.from.iter().filter(|(p, _)| p.depth == 0).collect()
            } else {
                t.from.iter().collect()
            };
            let (page, link) = *from[0];
            let failure = rec.failure().unwrap_or_default();
            let code = if t.on_home {
                codes::BROKEN_HOME
            } else {
                codes::BROKEN
            };
            let from_urls: Vec<&str> = t
                .from
                .iter()
                .take(MAX_FROM)
                .map(|(p, _)| p.fetch.url.as_str())
                .collect();
            // the page's text is read again for the excerpt when it is not in memory
            let text = match crawl.pages.iter().position(|p| std::ptr::eq(p, page)) {
                Some(i) => input.raw_text(i),
                None => page.text.as_str(),
            };
            let excerpt = excerpt_around(text, &link.raw, 80).map(|e| clip(&e, 300));
            out.findings.push(
                crate::evidence::finding(self.name(), code, Severity::Deduct, rec.started_at)
                    .url(url.clone())
                    .value(json!({
                    "target": url,
                    "failure": failure,
                    "status": rec.status,
                    "error": rec.error.map(|e| e.as_str()),
                    "redirects": rec.redirects,
                    "kind": kind_str(link.kind),
                    "anchor": link.text,
                    "from": from_urls,
                    "from_count": t.from.len(),
                }))
                    .message(if link.text.is_empty() {
                    format!("{}打不开：{}（所在页面 {}）", kind_zh(link.kind), failure_zh(rec), page.fetch.url)
                } else {
                    format!("{}“{}”打不开：{}（所在页面 {}）", kind_zh(link.kind), link.text, failure_zh(rec), page.fetch.url)
                })
                    .excerpt(excerpt)
                    .status(rec.status)
                    .archived(Some(page.fetch.url.clone()))
                    .body_hash(page.fetch.content_hash.clone())
                    .extra(json!({ "linking_page": page.fetch.url, "anchor": link.text, "href": link.raw, "failure": failure }))
                    .build(),
            );
        }
        if let Some(home) = input.home() {
            out.facts.push(Fact {
                probe: self.name().into(),
                code: codes::SUMMARY.into(),
                url: Some(home.fetch.url.clone()),
                value: json!({
                    "links": total_links,
                    "unique": targets.len(),
                    "checked": checked,
                    "broken": n_broken,
                    "broken_home": n_home,
                    "unchecked": unchecked,
                }),
                observed_at: home.fetch.started_at,
            });
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use govwatch_model::{Link, LinkCheck, Purpose, Site, SiteCrawl, SiteKind};

    pub fn rec(url: &str, status: Option<u16>, error: Option<FetchError>) -> FetchRecord {
        FetchRecord {
            url: url.into(),
            final_url: url.into(),
            method: "GET".into(),
            purpose: Purpose::Page,
            status,
            started_at: chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap(),
            elapsed_ms: 5,
            queue_ms: 0,
            bytes: 10,
            content_type: Some("text/html".into()),
            content_hash: Some("h".into()),
            remote_addr: None,
            family: Some(4),
            error,
            error_message: None,
            redirects: vec![],
            attempt: 1,
        }
    }

    fn link(url: &str, text: &str, kind: LinkKind) -> Link {
        Link {
            url: url.into(),
            raw: url.into(),
            text: text.into(),
            kind,
        }
    }

    fn page(url: &str, depth: u32, links: Vec<Link>) -> Page {
        Page {
            fetch: rec(url, Some(200), None),
            depth,
            text: links
                .iter()
                .map(|l| format!("<a href=\"{}\">{}</a>", l.raw, l.text))
                .collect(),
            charset: Some("UTF-8".into()),
            charset_source: None,
            title: None,
            links,
            is_html: true,
        }
    }

    pub fn crawl_with(pages: Vec<Page>, checks: Vec<LinkCheck>) -> SiteCrawl {
        SiteCrawl {
            site: Site {
                id: "1310000002".into(),
                name: "测试".into(),
                home: "http://a.gov.test/".parse().unwrap(),
                org: "o".into(),
                region: "r".into(),
                kind: SiteKind::Department,
                overrides: Default::default(),
            },
            pages,
            fetches: vec![],
            link_checks: checks,
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

    #[test]
    fn home_and_inner_broken_links_once_each() {
        let home = page(
            "http://a.gov.test/",
            0,
            vec![
                link("http://a.gov.test/gone.html", "旧栏目", LinkKind::Anchor),
                link("http://a.gov.test/a.html", "正常", LinkKind::Anchor),
                link("http://dead.test/", "合作网站", LinkKind::Anchor),
                link("http://a.gov.test/logo.png", "", LinkKind::Image),
                link("http://a.gov.test/admin/x", "后台", LinkKind::Anchor),
            ],
        );
        let inner = page(
            "http://a.gov.test/a.html",
            1,
            vec![
                link("http://a.gov.test/gone.html#p", "旧栏目", LinkKind::Anchor),
                link("http://a.gov.test/f.doc", "附件", LinkKind::Anchor),
                link("http://a.gov.test/moved", "转移", LinkKind::Anchor),
            ],
        );
        let mut gone = rec("http://a.gov.test/gone.html", Some(404), None);
        gone.purpose = Purpose::Page;
        let checks = vec![
            LinkCheck {
                url: "http://a.gov.test/gone.html".into(),
                record: gone,
                target_title: None,
                target_meta: None,
            },
            LinkCheck {
                url: "http://dead.test/".into(),
                record: rec("http://dead.test/", None, Some(FetchError::Dns)),
                target_title: None,
                target_meta: None,
            },
            LinkCheck {
                url: "http://a.gov.test/logo.png".into(),
                record: rec("http://a.gov.test/logo.png", Some(200), None),
                target_title: None,
                target_meta: None,
            },
            LinkCheck {
                url: "http://a.gov.test/admin/x".into(),
                record: rec(
                    "http://a.gov.test/admin/x",
                    None,
                    Some(FetchError::RobotsDisallowed),
                ),
                target_title: None,
                target_meta: None,
            },
            LinkCheck {
                url: "http://a.gov.test/f.doc".into(),
                record: rec("http://a.gov.test/f.doc", Some(404), None),
                target_title: None,
                target_meta: None,
            },
            LinkCheck {
                url: "http://a.gov.test/moved".into(),
                record: rec("http://a.gov.test/moved", Some(301), None),
                target_title: None,
                target_meta: None,
            },
        ];
        let c = crawl_with(vec![home, inner], checks);
        let out = Links.run(&ProbeInput::new(&c, c.pages[0].fetch.started_at));
        let got: Vec<(&str, &str)> = out
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.url.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                (codes::BROKEN, "http://a.gov.test/f.doc"),
                (codes::BROKEN_HOME, "http://a.gov.test/gone.html"),
                (codes::BROKEN_HOME, "http://dead.test/"),
            ]
        );
        let f = &out.findings[0];
        assert_eq!(f.value["from"], json!(["http://a.gov.test/a.html"]));
        assert_eq!(f.value["anchor"], "附件");
        assert_eq!(f.evidence.status, Some(404));
        assert!(f.evidence.excerpt.as_deref().unwrap().contains("f.doc"));
        assert_eq!(out.findings[2].value["failure"], "dns");
        let s = &out.facts[0].value;
        assert_eq!(
            (
                s["unique"].as_u64(),
                s["broken"].as_u64(),
                s["unchecked"].as_u64()
            ),
            (Some(7), Some(3), Some(1))
        );
    }
}
