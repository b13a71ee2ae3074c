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
//! - `link.soft_404` (finding, deduct): a linked page that answers 200 but is a "not found" page
//!   — its own text (outside the home page's template) is the site's not-found page's (asked once
//!   per site at a random path, [`SiteCrawl::not_found`]), it is where the not-found request was
//!   redirected to, or its title or first heading says so (页面不存在, 404, 找不到页面 …,
//!   `config/probes.toml` `[soft_404]`). A broken link: scored like `link.broken_home` on the
//!   home page (`on_home: true`) and `link.broken` elsewhere.
//! - `link.not_found_page` (fact): what the site answered for the path that cannot exist, and
//!   whether its content could tell pages apart.
//!
//! A broken link to an attachment (`.xls .pdf .doc …`) says 附件无法下载 (`attachment: true`).
//!
//! Evidence: the failure (status or error), the anchor text, the linking page and an excerpt of
//! its markup around the link; the archived copy is the linking page.

use crate::evidence::{clip, excerpt_around};
use crate::{Probe, ProbeInput, ProbeOutput, Scan, ScanCx};
use govwatch_config::Soft404Rules;
use govwatch_model::{Fact, FetchError, FetchRecord, LinkKind, Page, Severity};
use scraper::{Html, Selector};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `link.summary` (fact).
    pub const SUMMARY: &str = "link.summary";
    /// `link.broken_home` (finding).
    pub const BROKEN_HOME: &str = "link.broken_home";
    /// `link.broken` (finding).
    pub const BROKEN: &str = "link.broken";
    /// `link.soft_404` (finding).
    pub const SOFT_404: &str = "link.soft_404";
    /// `link.not_found_page` (fact).
    pub const NOT_FOUND_PAGE: &str = "link.not_found_page";
    /// Every code above.
    pub const ALL: &[&str] = &[SUMMARY, BROKEN_HOME, BROKEN, SOFT_404, NOT_FOUND_PAGE];
}

#[derive(Default)]
pub struct Links {
    pub soft_404: Soft404Rules,
}

/// What the links probe reads of a page (for the soft-404 check): the hashes of its own words
/// (outside the home page's template; `None` when there are more than [`MAX_OWN`], a page of
/// content), and the not-found phrase its title or first heading says, if any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageShape {
    pub own: Option<Vec<u64>>,
    pub says: Option<String>,
}

/// Most own words a page may have and still be compared with the not-found page.
const MAX_OWN: usize = 64;

/// Longest text node (bytes, trimmed) a "not found" notice has: a longer one is an article's
/// paragraph, and the page one of content (its text is not folded and hashed: on a page of one
/// 90 KB paragraph that was most of the scan's time).
const MAX_NODE_BYTES: usize = 1024;

/// The hash of a text node's words with Latin letters, digits and URL punctuation folded into
/// `#` (an echoed path or a request id differs between two not-found answers); `None` for a node
/// of nothing else.
fn folded_hash(text: &str) -> Option<u64> {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let (mut in_run, mut any) = (false, false);
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "/._-?=&%:#".contains(c) {
            if !in_run {
                h.write_u32('#' as u32);
                in_run = true;
            }
        } else if !c.is_whitespace() {
            h.write_u32(c as u32);
            in_run = false;
            any |= c.is_alphanumeric();
        }
    }
    any.then(|| h.finish())
}

/// The own text of a page: its text nodes outside the home page's template (matched as the
/// columns probe hashes them), each as [`folded_hash`], sorted; `None` once there are more than
/// [`MAX_OWN`] or one is longer than [`MAX_NODE_BYTES`] (a page of content: the walk stops
/// there). Scripts, styles and the head are skipped.
fn own_words(doc: &Html, template: Option<&HashSet<u64>>) -> Option<Vec<u64>> {
    use scraper::Node;
    let mut own = Vec::new();
    let mut stack = vec![doc.tree.root()];
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Element(e)
                if matches!(
                    e.name(),
                    "script" | "style" | "noscript" | "head" | "template"
                ) =>
            {
                continue;
            }
            Node::Text(t) => {
                let text: &str = t;
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    continue;
                }
                if trimmed.len() > MAX_NODE_BYTES {
                    return None;
                }
                let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if template.is_some_and(|t| t.contains(&crate::columns::node_hash(&folded))) {
                    continue;
                }
                if let Some(h) = folded_hash(&folded) {
                    own.push(h);
                    if own.len() > 2 * MAX_OWN {
                        return None;
                    }
                }
                continue;
            }
            _ => {}
        }
        let children: Vec<_> = node.children().collect();
        stack.extend(children.into_iter().rev());
    }
    own.sort_unstable();
    own.dedup();
    (own.len() <= MAX_OWN).then_some(own)
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f64 / (a.len() + b.len() - both) as f64
}

/// The not-found phrase a short text says (`404` only as a number of its own), if any.
fn says_not_found(text: &str, rules: &Soft404Rules) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > rules.max_heading_chars {
        return None;
    }
    let lower = t.to_lowercase();
    for p in &rules.phrases {
        let p = p.to_lowercase();
        if p.is_empty() {
            continue;
        }
        let numeric = p.chars().all(|c| c.is_ascii_digit());
        for (at, _) in lower.match_indices(p.as_str()) {
            if numeric {
                let before = lower[..at].chars().next_back();
                let after = lower[at + p.len()..].chars().next();
                if before.is_some_and(|c| c.is_ascii_digit() || c == '第')
                    || after.is_some_and(|c| c.is_ascii_digit() || c == '号')
                {
                    continue;
                }
            }
            return Some(t.to_string());
        }
    }
    None
}

/// The not-found phrase of a page's title (any of its parts between separators) or first heading.
fn page_says(title: Option<&str>, doc: Option<&Html>, rules: &Soft404Rules) -> Option<String> {
    if let Some(t) = title {
        for part in t.split(['-', '_', '|', '｜', '—', '–', '·', ':', '：']) {
            if let Some(s) = says_not_found(part, rules) {
                return Some(s);
            }
        }
    }
    static SEL: OnceLock<Selector> = OnceLock::new();
    let sel = SEL.get_or_init(|| Selector::parse("h1, h2, h3").expect("valid selector"));
    let h = doc?.select(sel).next()?;
    let text: String = h.text().collect::<Vec<_>>().join(" ");
    says_not_found(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
        rules,
    )
}

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
        // robots.txt forbids it, or an anti-bot wall answered: nothing known about the link
        Some(FetchError::RobotsDisallowed | FetchError::Challenged) => None,
        Some(_) => Some(true),
        None => Some(!matches!(rec.status, Some(s) if s < 400)),
    }
}

/// Extensions of attachments (documents), for the wording of their broken links.
const ATTACHMENT_EXT: &[&str] = &[
    "xls", "xlsx", "et", "doc", "docx", "wps", "pdf", "ods", "odt", "csv", "txt", "zip", "rar",
    "7z", "ppt", "pptx", "ofd",
];

fn is_attachment(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    last.rsplit_once('.')
        .is_some_and(|(_, e)| ATTACHMENT_EXT.contains(&e.to_ascii_lowercase().as_str()))
}

/// The site's not-found page (asked once at a random path), as the soft-404 check reads it.
struct NotFound<'a> {
    /// What the site answered, anti-bot walls included.
    asked: Option<&'a Page>,
    /// The answer when it was no fetch error (an anti-bot wall's challenge says nothing of the
    /// site's not-found page).
    page: Option<&'a Page>,
    /// The page's own words (outside the home page's template), when it has any.
    own: Option<Vec<u64>>,
    /// Where the not-found request was redirected to, when it was.
    redirect: Option<String>,
}

/// A page judged a soft 404: its index, why (`redirected_to_not_found`, `same_as_not_found`,
/// `says_not_found`), the not-found phrase it shows, and its similarity to the not-found page.
type Judged = (usize, &'static str, Option<String>, f64);

impl Links {
    /// The soft-404 findings and the not-found page's fact.
    fn soft_404s(
        &self,
        input: &ProbeInput,
        targets: &BTreeMap<String, Target>,
        out: &mut ProbeOutput,
    ) {
        let nf = not_found_page(input);
        let (judged, content_judged) = self.judge_soft_404s(input, &nf);
        if let Some(p) = nf.asked {
            out.facts.push(Fact {
                probe: self.name().into(),
                code: codes::NOT_FOUND_PAGE.into(),
                url: Some(p.fetch.url.clone()),
                value: json!({
                    "status": p.fetch.status,
                    "error": p.fetch.error,
                    "final_url": p.fetch.final_url,
                    "title": p.title,
                    "own_words": nf.own.as_ref().map(Vec::len),
                    "content_judged": content_judged && nf.own.is_some(),
                    "soft_404": judged.len(),
                }),
                observed_at: p.fetch.started_at,
            });
        }
        for j in judged {
            if let Some(f) = self.soft_404_finding(input, targets, &nf, j) {
                out.findings.push(f);
            }
        }
    }

    /// Every crawled page below the home page that answered 200 and is a not-found page, and
    /// whether the not-found page's content could tell pages apart.
    fn judge_soft_404s(&self, input: &ProbeInput, nf: &NotFound) -> (Vec<Judged>, bool) {
        let rules = &self.soft_404;
        let mut judged: Vec<Judged> = Vec::new();
        let mut content_matches = 0usize;
        let mut eligible = 0usize;
        for (i, page) in input.crawl.pages.iter().enumerate() {
            if page.depth == 0 || !page.is_html || !page.fetch.ok() {
                continue;
            }
            let Some(shape) = input.scan::<PageShape>(self, i) else {
                continue;
            };
            eligible += 1;
            if nf.redirect.as_deref() == Some(page.fetch.final_url.as_str()) {
                judged.push((i, "redirected_to_not_found", None, 1.0));
                continue;
            }
            if let (Some(n), Some(own)) = (&nf.own, &shape.own)
                && !own.is_empty()
            {
                let sim = jaccard(own, n);
                if sim >= rules.min_similarity {
                    content_matches += 1;
                    judged.push((i, "same_as_not_found", shape.says.clone(), sim));
                    continue;
                }
            }
            if let Some(s) = &shape.says {
                judged.push((i, "says_not_found", Some(s.clone()), 0.0));
            }
        }
        // a not-found page like most pages tells nothing apart (a generic page for every path)
        let content_judged =
            !(content_matches >= 3 && content_matches as f64 > rules.max_share * eligible as f64);
        if !content_judged {
            judged.retain(|(_, why, says, _)| *why != "same_as_not_found" || says.is_some());
        }
        (judged, content_judged)
    }

    /// The `link.soft_404` finding of one judged page, through the first link to it (from the
    /// home page when it is linked there); `None` when no crawled page links to it.
    fn soft_404_finding(
        &self,
        input: &ProbeInput,
        targets: &BTreeMap<String, Target>,
        nf: &NotFound,
        (i, why, says, sim): Judged,
    ) -> Option<govwatch_model::Finding> {
        let crawl = input.crawl;
        let page = &crawl.pages[i];
        let key = input.normalized(&page.fetch.url)?;
        let t = targets.get(&key)?;
        let from: Vec<&(&Page, &govwatch_model::Link)> = if t.on_home {
            t.from.iter().filter(|(p, _)| p.depth == 0).collect()
        } else {
            t.from.iter().collect()
        };
        let &&(linking, link) = from.first()?;
        let text = match crawl.pages.iter().position(|p| std::ptr::eq(p, linking)) {
            Some(j) => input.raw_text(j),
            None => linking.text.as_str(),
        };
        let excerpt = excerpt_around(text, &link.raw, 80).map(|e| clip(&e, 300));
        let shown = match (&says, why) {
            (Some(s), _) => format!("显示“{s}”"),
            (None, "redirected_to_not_found") => "跳转到网站的“页面不存在”页面".to_string(),
            _ => "与网站的“页面不存在”页面相同".to_string(),
        };
        let from_urls: Vec<&str> = t
            .from
            .iter()
            .take(MAX_FROM)
            .map(|(p, _)| p.fetch.url.as_str())
            .collect();
        let name = if link.text.is_empty() {
            "链接".to_string()
        } else {
            format!("链接“{}”", link.text)
        };
        Some(
            crate::evidence::finding(self.name(), codes::SOFT_404, Severity::Deduct, page.fetch.started_at)
                .url(key.clone())
                .value(json!({
                    "target": key,
                    "on_home": t.on_home,
                    "reason": why,
                    "says": says,
                    "similarity": (sim * 1000.0).round() / 1000.0,
                    "status": page.fetch.status,
                    "title": page.title,
                    "anchor": link.text,
                    "from": from_urls,
                    "from_count": t.from.len(),
                }))
                .message(format!(
                    "{name}指向的页面{shown}（HTTP {}，实为死链；所在页面 {}）",
                    page.fetch.status.unwrap_or(200),
                    linking.fetch.url
                ))
                .excerpt(excerpt)
                .status(page.fetch.status)
                .archived(Some(page.fetch.url.clone()))
                .body_hash(page.fetch.content_hash.clone())
                .extra(json!({ "linking_page": linking.fetch.url, "anchor": link.text, "href": link.raw, "not_found_url": nf.page.map(|p| p.fetch.url.clone()) }))
                .build(),
        )
    }
}

/// The site's not-found page: its answer, its own words, where it redirected.
fn not_found_page<'a>(input: &ProbeInput<'a>) -> NotFound<'a> {
    let asked = input.crawl.not_found.as_ref();
    let page = asked.filter(|p| p.fetch.error.is_none());
    let own = page
        .filter(|p| p.is_html && !p.text.is_empty())
        .and_then(|p| {
            let doc = Html::parse_document(&p.text);
            own_words(&doc, Some(input.template()))
        })
        .filter(|o| !o.is_empty());
    let redirect = page
        .filter(|p| p.fetch.ok() && p.fetch.final_url != p.fetch.url)
        .map(|p| p.fetch.final_url.clone());
    NotFound {
        asked,
        page,
        own,
        redirect,
    }
}

impl Probe for Links {
    fn name(&self) -> &'static str {
        "links"
    }

    fn slot(&self) -> Option<usize> {
        Some(5)
    }

    fn scan(&self, page: &Page, doc: &Html, cx: &ScanCx) -> Option<Scan> {
        if page.depth == 0 || !page.is_html || !page.fetch.ok() {
            return None;
        }
        let own = own_words(doc, cx.template);
        // a page of content (more own text than a notice has) is read by its title alone
        let says = page_says(
            page.title.as_deref(),
            own.is_some().then_some(doc),
            &self.soft_404,
        );
        Some(Box::new(PageShape { own, says }))
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
            let attachment = link.kind == LinkKind::Anchor && is_attachment(url);
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
                    "attachment": attachment,
                }))
                    .message(match (attachment, link.text.is_empty()) {
                    (true, true) => format!("附件无法下载：{}（所在页面 {}）", failure_zh(rec), page.fetch.url),
                    (true, false) => format!("附件“{}”无法下载：{}（所在页面 {}）", link.text, failure_zh(rec), page.fetch.url),
                    (false, true) => format!("{}打不开：{}（所在页面 {}）", kind_zh(link.kind), failure_zh(rec), page.fetch.url),
                    (false, false) => format!("{}“{}”打不开：{}（所在页面 {}）", kind_zh(link.kind), link.text, failure_zh(rec), page.fetch.url),
                })
                    .excerpt(excerpt)
                    .status(rec.status)
                    .archived(Some(page.fetch.url.clone()))
                    .body_hash(page.fetch.content_hash.clone())
                    .extra(json!({ "linking_page": page.fetch.url, "anchor": link.text, "href": link.raw, "failure": failure }))
                    .build(),
            );
        }
        self.soft_404s(input, &targets, &mut out);
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
    fn a_link_an_anti_bot_wall_answered_is_not_judged() {
        let home = page(
            "http://a.gov.test/",
            0,
            vec![
                link("http://walled.gov.test/", "市政府门户", LinkKind::Anchor),
                link("http://a.gov.test/gone.html", "旧栏目", LinkKind::Anchor),
            ],
        );
        let mut walled = rec(
            "http://walled.gov.test/",
            Some(412),
            Some(FetchError::Challenged),
        );
        walled.error_message = Some("anti-bot wall ruishu (瑞数): HTTP 412, markers $_ts".into());
        let checks = vec![
            LinkCheck {
                url: "http://walled.gov.test/".into(),
                record: walled,
                target_title: None,
                target_meta: None,
            },
            LinkCheck {
                url: "http://a.gov.test/gone.html".into(),
                record: rec("http://a.gov.test/gone.html", Some(404), None),
                target_title: None,
                target_meta: None,
            },
        ];
        let c = crawl_with(vec![home], checks);
        let out = Links::default().run(&ProbeInput::new(&c, c.pages[0].fetch.started_at));
        let broken: Vec<&str> = out
            .findings
            .iter()
            .map(|f| f.url.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            broken,
            ["http://a.gov.test/gone.html"],
            "the 412 challenge is no broken link"
        );
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
        let out = Links::default().run(&ProbeInput::new(&c, c.pages[0].fetch.started_at));
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

    /// A page of the site's template (the same header and footer as the home page) around `body`.
    fn shaped(url: &str, depth: u32, title: &str, body: &str) -> Page {
        let mut p = page(url, depth, vec![]);
        p.title = Some(title.into());
        p.text = format!(
            "<html><head><title>{title}</title></head><body>\
             <div class=\"head\">云泽市人民政府 <a href=\"/\">首页</a> <a href=\"/zwgk/\">政务公开</a></div>\
             {body}\
             <div class=\"foot\">主办：云泽市人民政府办公室 网站标识码：1350000001</div></body></html>"
        );
        p
    }

    fn shaped_home(links: &[(&str, &str)]) -> Page {
        let body: String = links
            .iter()
            .map(|(u, t)| format!("<li><a href=\"{u}\">{t}</a><span>2026-11-20</span></li>"))
            .collect();
        let mut home = shaped(
            "http://a.gov.test/",
            0,
            "云泽市人民政府",
            &format!("<ul>{body}</ul>"),
        );
        home.links = links
            .iter()
            .map(|(u, t)| link(u, t, LinkKind::Anchor))
            .collect();
        home
    }

    fn soft(c: &SiteCrawl) -> (Vec<(String, String)>, Option<serde_json::Value>) {
        let out = Links::default().run(&ProbeInput::new(c, c.pages[0].fetch.started_at));
        let got = out
            .findings
            .iter()
            .filter(|f| f.code == codes::SOFT_404)
            .map(|f| {
                (
                    f.url.clone().unwrap(),
                    f.value["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let fact = out
            .facts
            .iter()
            .find(|f| f.code == codes::NOT_FOUND_PAGE)
            .map(|f| f.value.clone());
        (got, fact)
    }

    #[test]
    fn soft_404_same_content_as_the_not_found_answer_with_its_path_echoed() {
        let home = shaped_home(&[
            ("http://a.gov.test/zwgk/a.html", "通知"),
            ("http://a.gov.test/old/b.html", "旧文件"),
            ("http://a.gov.test/zwgk/c.html", "公告"),
        ]);
        let a = shaped(
            "http://a.gov.test/zwgk/a.html",
            1,
            "关于做好冬季防火工作的通知",
            "<h1>关于做好冬季防火工作的通知</h1><p>各乡镇、各部门：现将有关事项通知如下。</p>",
        );
        // the error page names the path asked for: the folded words still match
        let gone = shaped(
            "http://a.gov.test/old/b.html",
            1,
            "云泽市人民政府",
            "<div><p>对不起，您请求的地址 /old/b.html 已失效</p><p>请与网站管理员联系</p></div>",
        );
        let c_page = shaped(
            "http://a.gov.test/zwgk/c.html",
            1,
            "公告",
            "<table><tr><td>对不起，请与网站管理员联系</td></tr><tr><td>办理时限：5 个工作日</td></tr></table>",
        );
        let mut nf = shaped(
            "http://a.gov.test/govwatch-not-found-0123456789abcdef.html",
            1,
            "云泽市人民政府",
            "<div><p>对不起，您请求的地址 /govwatch-not-found-0123456789abcdef.html 已失效</p><p>请与网站管理员联系</p></div>",
        );
        nf.fetch.status = Some(404);
        let mut c = crawl_with(vec![home, a, gone, c_page], vec![]);
        c.not_found = Some(nf);
        let (got, fact) = soft(&c);
        assert_eq!(
            got,
            vec![(
                "http://a.gov.test/old/b.html".to_string(),
                "same_as_not_found".to_string()
            )]
        );
        let fact = fact.unwrap();
        assert_eq!(fact["status"], 404);
        assert_eq!(fact["own_words"], 2);
        assert_eq!(fact["content_judged"], true);
    }

    #[test]
    fn soft_404_redirected_to_the_not_found_page() {
        let home = shaped_home(&[
            ("http://a.gov.test/xxgk/1.html", "旧政策"),
            ("http://a.gov.test/xxgk/2.html", "新政策"),
        ]);
        let mut moved = shaped(
            "http://a.gov.test/xxgk/1.html",
            1,
            "温馨提示",
            "<p>您要找的内容暂时无法显示</p>",
        );
        moved.fetch.final_url = "http://a.gov.test/error.htm".into();
        let ok = shaped(
            "http://a.gov.test/xxgk/2.html",
            1,
            "新政策",
            "<p>新政策全文</p>",
        );
        let mut nf = moved.clone();
        nf.fetch.url = "http://a.gov.test/govwatch-not-found-0123456789abcdef.html".into();
        let mut c = crawl_with(vec![home, moved, ok], vec![]);
        c.not_found = Some(nf);
        let (got, _) = soft(&c);
        assert_eq!(
            got,
            vec![(
                "http://a.gov.test/xxgk/1.html".to_string(),
                "redirected_to_not_found".to_string()
            )]
        );
    }

    #[test]
    fn soft_404_by_title_or_heading_and_what_is_not_one() {
        let home = shaped_home(&[
            ("http://a.gov.test/a.html", "甲"),
            ("http://a.gov.test/b.html", "乙"),
            ("http://a.gov.test/c.html", "丙"),
            ("http://a.gov.test/d.html", "丁"),
            ("http://a.gov.test/e.html", "戊"),
        ]);
        let pages = vec![
            home,
            // Apache's own page, no site template
            {
                let mut p = page("http://a.gov.test/a.html", 1, vec![]);
                p.title = Some("404 Not Found".into());
                p.text = "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>".into();
                p
            },
            // a CMS notice: the heading says it, the title is the site's
            shaped(
                "http://a.gov.test/b.html",
                1,
                "云泽市人民政府",
                "<div class=\"msg\"><h3>抱歉，找不到页面</h3><a href=\"/\">返回</a></div>",
            ),
            // 404 as a document number is no notice
            shaped(
                "http://a.gov.test/c.html",
                1,
                "云泽市人民政府令第404号",
                "<h1>云泽市人民政府令（第404号）</h1><p>现予公布，自公布之日起施行。</p>",
            ),
            // a headline that quotes a phrase is longer than a notice
            shaped(
                "http://a.gov.test/d.html",
                1,
                "市数据局：政务网站“页面不存在”等问题整改情况通报（第三季度）及下一步工作安排说明",
                "<h1>市数据局：政务网站“页面不存在”等问题整改情况通报（第三季度）及下一步工作安排说明</h1>",
            ),
            // a page of content whose late heading says 404 is read by its title alone
            shaped(
                "http://a.gov.test/e.html",
                1,
                "统计年鉴",
                &(1..=140)
                    .map(|i| format!("<p>第{i}行：指标{i}</p>"))
                    .chain(std::iter::once("<h2>404</h2>".to_string()))
                    .collect::<String>(),
            ),
        ];
        let c = crawl_with(pages, vec![]);
        let (got, fact) = soft(&c);
        assert_eq!(
            got,
            vec![
                (
                    "http://a.gov.test/a.html".to_string(),
                    "says_not_found".to_string()
                ),
                (
                    "http://a.gov.test/b.html".to_string(),
                    "says_not_found".to_string()
                ),
            ]
        );
        // no not-found request was made: no fact of it
        assert_eq!(fact, None);
    }

    #[test]
    fn a_not_found_answer_like_most_pages_tells_nothing_apart() {
        // a site of script-drawn pages: every path, real or not, answers the same shell
        let shell = "<div id=\"app\"><p>正在加载，请稍候</p></div>";
        let urls: Vec<String> = (1..=4)
            .map(|i| format!("http://a.gov.test/p{i}.html"))
            .collect();
        let links: Vec<(&str, &str)> = urls.iter().map(|u| (u.as_str(), "栏目")).collect();
        let mut pages = vec![shaped_home(&links)];
        for u in &urls {
            pages.push(shaped(u, 1, "云泽市人民政府", shell));
        }
        let mut nf = shaped(
            "http://a.gov.test/govwatch-not-found-0123456789abcdef.html",
            1,
            "云泽市人民政府",
            shell,
        );
        nf.fetch.status = Some(200);
        let mut c = crawl_with(pages, vec![]);
        c.not_found = Some(nf);
        let (got, fact) = soft(&c);
        assert_eq!(got, vec![]);
        let fact = fact.unwrap();
        assert_eq!(fact["content_judged"], false);
        assert_eq!(fact["soft_404"], 0);
    }
}
