//! Pages read again in headless Chromium (issue 25): only those whose static reading found a
//! list or a search box built by script ([`govwatch_probes::scripted`]), or every page with
//! `render = "always"`; never any when the crawler has no browser.
//!
//! For each such page (at most `max_renders_per_site`), after the crawl:
//! - the browser draws it ([`Crawler::render`]: every request it makes goes through the
//!   crawler's host gates, GET only), and the drawn DOM becomes a page of its own (fetch method
//!   `RENDER`), parsed and scanned by the probes in place of the raw page — the probes judge what
//!   a person sees — and stored beside the raw body (its own WARC record);
//! - a search box whose script the page does not show is tried: a crawled article's title typed
//!   in, its button pressed, and the URL the script navigates to recorded (not fetched); the
//!   crawler then submits that search like a script-built one;
//! - the findings and `column.latest` facts of the page say it was read rendered;
//! - a `page.rendered` fact records why, how long, the requests and what was refused.

use crate::lock::locked;
use govwatch_crawler::Crawler;
use govwatch_crawler::fetch::Fetched;
use govwatch_crawler::render::{RenderJob, Rendered, SearchDrive};
use govwatch_crawler::site::{CrawlContext, parse_page};
use govwatch_model::{Fact, FetchRecord, Page, Purpose, SiteCrawl, Timestamp};
use govwatch_probes::ProbeOutput;
use govwatch_probes::scripted::{Shape, assess};
use govwatch_probes::search::{SearchEntry, SearchScan};
use scraper::Html;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Mutex;
use url::Url;

/// The fetch method of a page as the browser drew it.
pub const RENDER_METHOD: &str = "RENDER";

/// Whether a page is a browser's drawing of a crawled page.
pub(crate) fn is_rendered(page: &Page) -> bool {
    page.fetch.method == RENDER_METHOD
}

/// A page to read in the browser, and why.
#[derive(Debug, Clone)]
struct Want {
    url: String,
    why: Vec<Shape>,
}

/// The pages of a site its static reading asks to read in the browser, noted while they are
/// parsed.
pub(crate) struct Wanted {
    all: bool,
    pages: Mutex<Vec<Want>>,
}

impl Wanted {
    /// What a crawler with a browser notes; `None` without one.
    pub(crate) fn for_crawler(crawler: &Crawler) -> Option<Wanted> {
        crawler.renderer().map(|r| Wanted {
            all: r.mode() == govwatch_config::RenderMode::Always,
            pages: Mutex::new(Vec::new()),
        })
    }

    /// Notes a crawled page when a script builds its list or search box (any HTML page with
    /// `render = "always"`).
    pub(crate) fn note(&self, page: &Page, doc: &Html, as_of: Timestamp) {
        if !page.is_html || !page.fetch.ok() {
            return;
        }
        let Ok(base) = Url::parse(&page.fetch.final_url) else {
            return;
        };
        let a = assess(doc, &base, as_of.date_naive(), None);
        let why: Vec<Shape> = a
            .list
            .iter()
            .chain(a.search.iter())
            .map(|f| f.shape)
            .collect();
        if why.is_empty() && !self.all {
            return;
        }
        locked(&self.pages).push(Want {
            url: page.fetch.url.clone(),
            why,
        });
    }
}

/// What the render phase did to a site's crawl, undone and reported after the probes.
#[derive(Default)]
pub(crate) struct Rendering {
    /// Crawled pages whose text (in memory) or stored body (streamed) was swapped for their
    /// drawing while the probes read them: index, and the text or hash to put back.
    swapped: Vec<(usize, Swap)>,
    /// The drawn pages, stored beside the raw ones.
    pub pages: Vec<Page>,
    /// `page.rendered` facts.
    pub facts: Vec<Fact>,
    /// URLs of the crawled pages read rendered.
    urls: HashSet<String>,
}

enum Swap {
    Text(String),
    Hash(Option<String>),
}

/// The search entry a tried search box gives: the URL its script navigated to, with the term
/// as the last parameter (the planner appends the term to it, as for a script-built search).
fn entry_of_navigation(page: &str, navigated: &str, term: &str, did: &str) -> Option<SearchEntry> {
    let u = Url::parse(navigated).ok()?;
    let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    let field = pairs
        .iter()
        .find(|(_, v)| v.trim() == term.trim())
        .map(|(k, _)| k.clone())?;
    let mut base = u.clone();
    base.set_query(None);
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(k, _)| *k != field) {
        ser.append_pair(k, v);
    }
    let others = ser.finish();
    let action = if others.is_empty() {
        format!("{base}?{field}=")
    } else {
        format!("{base}?{others}&{field}=")
    };
    Some(SearchEntry {
        page: page.to_string(),
        kind: "script",
        action,
        method: "GET".into(),
        query_field: field,
        hidden: Vec::new(),
        selects: Vec::new(),
        maxlength: None,
        pattern: None,
        host: u.host_str().unwrap_or("").to_string(),
        excerpt: format!(
            "rendered: the term typed in the search box and its button pressed ({did}); the script sent the search to {navigated}"
        ),
    })
}

/// The record of a drawing: the page's URL, method `RENDER`, the last document's status, the
/// render time.
fn render_record(page: &Page, r: &Rendered, started: Timestamp) -> FetchRecord {
    FetchRecord {
        url: page.fetch.url.clone(),
        final_url: r.final_url.clone(),
        method: RENDER_METHOD.into(),
        purpose: Purpose::Page,
        status: r.status,
        started_at: started,
        elapsed_ms: r.elapsed_ms,
        queue_ms: 0,
        bytes: r.html.len() as u64,
        content_type: Some("text/html; charset=utf-8".into()),
        content_hash: None,
        remote_addr: None,
        family: None,
        error: None,
        error_message: None,
        redirects: Vec::new(),
        attempt: 1,
    }
}

/// Reads the site's wanted pages in the browser (see the module documentation): those `wanted`
/// noted, and those whose search box `search` could not read (`unverified`). `streamed`: the
/// crawl's page texts are in the store (their hashes are swapped, not their texts).
pub(crate) async fn render_phase(
    crawler: &Crawler,
    crawl: &mut SiteCrawl,
    ctx: &CrawlContext,
    wanted: Option<&Wanted>,
    search: &Mutex<SearchScan>,
    streamed: bool,
) -> Rendering {
    let mut out = Rendering::default();
    let Some(wanted) = wanted else {
        return out;
    };
    let (wants, unverified) = wants_of(wanted, search, crawler.settings().max_renders_per_site);
    if wants.is_empty() {
        return out;
    }
    let term = govwatch_probes::search::pick_term(crawl).map(|(t, _)| t);
    for want in wants {
        let Some(i) = crawl.pages.iter().position(|p| p.fetch.url == want.url) else {
            continue;
        };
        let depth = crawl.pages[i].depth;
        let Ok(url) = Url::parse(&crawl.pages[i].fetch.final_url) else {
            continue;
        };
        let drive = match (&term, unverified.contains(&want.url)) {
            (Some(t), true) => search_drive(search, &want.url, t),
            _ => None,
        };
        let job = RenderJob {
            url,
            robots: depth > 0,
            search: drive.clone(),
        };
        let started = chrono::Local::now().fixed_offset();
        let r = match crawler.render(&job).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(url = %want.url, error = %e, "rendering a page failed");
                let why: Vec<&str> = want.why.iter().map(|s| s.as_str()).collect();
                out.facts.push(Fact {
                    probe: "crawler".into(),
                    code: "page.rendered".into(),
                    url: Some(want.url.clone()),
                    value: json!({ "why": why, "error": e.to_string() }),
                    observed_at: started,
                });
                continue;
            }
        };
        crawl.fetches.extend(r.requests.iter().cloned());
        out.facts
            .push(rendered_fact(&want, &r, drive.as_ref(), search, started));
        // the drawing, parsed and scanned in place of the raw page
        let rec = render_record(&crawl.pages[i], &r, started);
        let fetched = Fetched {
            attempts: vec![rec],
            body: Some(r.html.into_bytes()),
            set_cookie: Vec::new(),
        };
        let s = ctx.sink.clone();
        let drawn = match crawler
            .cpu(move || parse_page(fetched, depth, s.as_ref()).1)
            .await
        {
            Ok(p) if p.is_html => p,
            _ => continue,
        };
        out.swap_in(crawl, i, want.url, drawn, streamed);
    }
    out
}

/// The pages to read in the browser, each once, at most `max`: those noted while the site was
/// crawled, and those whose search box a script hides (`unverified` search entries, returned
/// too: their boxes are tried).
fn wants_of(wanted: &Wanted, search: &Mutex<SearchScan>, max: usize) -> (Vec<Want>, Vec<String>) {
    let mut wants: Vec<Want> = std::mem::take(&mut *locked(&wanted.pages));
    // search boxes whose script the page does not show: tried in the browser
    let unverified: Vec<String> = locked(search)
        .entries()
        .into_iter()
        .filter(|e| e.kind == "unverified")
        .map(|e| e.page)
        .collect();
    for page in &unverified {
        match wants.iter_mut().find(|w| &w.url == page) {
            Some(w) if !w.why.contains(&Shape::ScriptSearch) => w.why.push(Shape::ScriptSearch),
            Some(_) => {}
            None => wants.push(Want {
                url: page.clone(),
                why: vec![Shape::ScriptSearch],
            }),
        }
    }
    let mut seen = HashSet::new();
    wants.retain(|w| seen.insert(w.url.clone()));
    wants.truncate(max);
    (wants, unverified)
}

/// The search to try in the browser on `page`: `term` typed in the field of its unverified
/// search box.
fn search_drive(search: &Mutex<SearchScan>, page: &str, term: &str) -> Option<SearchDrive> {
    let field = locked(search)
        .entries()
        .into_iter()
        .find(|e| e.page == page && e.kind == "unverified")
        .map(|e| e.query_field);
    field.map(|field| SearchDrive {
        field,
        term: term.to_string(),
    })
}

/// The `page.rendered` fact of a drawing; a search the script navigated to is handed to the
/// site's search scan as tried in the browser.
fn rendered_fact(
    want: &Want,
    r: &Rendered,
    drive: Option<&SearchDrive>,
    search: &Mutex<SearchScan>,
    started: Timestamp,
) -> Fact {
    let why: Vec<&str> = want.why.iter().map(|s| s.as_str()).collect();
    let mut search_fact = None;
    if let (Some(d), Some(did)) = (drive, &r.drive) {
        let entry = r
            .navigated
            .as_deref()
            .and_then(|n| entry_of_navigation(&want.url, n, &d.term, did));
        search_fact = Some(json!({ "field": d.field, "did": did, "url": r.navigated }));
        if let Some(e) = entry {
            locked(search).tried_in_browser(&want.url, e);
        }
    }
    Fact {
        probe: "crawler".into(),
        code: "page.rendered".into(),
        url: Some(want.url.clone()),
        value: json!({
            "why": why,
            "status": r.status,
            "elapsed_ms": r.elapsed_ms,
            "requests": r.requests.len(),
            "refused": r.refused,
            "timed_out": r.timed_out,
            "search": search_fact,
        }),
        observed_at: started,
    }
}

impl Rendering {
    /// Puts the drawing of crawled page `i` (at `url`) in its place for the probes: its stored
    /// body's hash (`streamed`) or its text, the raw one kept to be put back.
    fn swap_in(
        &mut self,
        crawl: &mut SiteCrawl,
        i: usize,
        url: String,
        drawn: Page,
        streamed: bool,
    ) {
        let swap = if streamed {
            Swap::Hash(std::mem::replace(
                &mut crawl.pages[i].fetch.content_hash,
                drawn.fetch.content_hash.clone(),
            ))
        } else {
            Swap::Text(std::mem::replace(
                &mut crawl.pages[i].text,
                drawn.text.clone(),
            ))
        };
        self.swapped.push((i, swap));
        self.urls.insert(url);
        self.pages.push(drawn);
    }

    /// Puts the raw pages back and marks what was read rendered: the findings on those pages
    /// (`value.read`, the message, `evidence.extra.rendered`) and their `column.latest` facts.
    pub(crate) fn finish(mut self, crawl: &mut SiteCrawl, out: &mut ProbeOutput) -> Self {
        for (i, swap) in self.swapped.drain(..) {
            if let Some(p) = crawl.pages.get_mut(i) {
                match swap {
                    Swap::Text(t) => p.text = t,
                    Swap::Hash(h) => p.fetch.content_hash = h,
                }
            }
        }
        if self.urls.is_empty() {
            return self;
        }
        let on = |url: Option<&str>| url.is_some_and(|u| self.urls.contains(u));
        // the findings that read what the page shows (not its address, links or samples)
        let reads_content = |code: &str| {
            !["security.", "link.", "avail.", "ipv6."]
                .iter()
                .any(|p| code.starts_with(p))
        };
        for f in out.findings.iter_mut() {
            if reads_content(&f.code)
                && (on(f.url.as_deref()) || on(f.evidence.archived.as_deref()))
            {
                if let Some(v) = f.value.as_object_mut() {
                    v.insert("read".into(), json!("rendered"));
                }
                if !f.message.contains("经浏览器渲染") {
                    f.message.push_str("〔经浏览器渲染读取〕");
                }
                if f.evidence.extra.is_null() {
                    f.evidence.extra = json!({});
                }
                if let Some(x) = f.evidence.extra.as_object_mut() {
                    x.insert("rendered".into(), json!(true));
                }
            }
        }
        for f in out.facts.iter_mut() {
            if f.code == "column.latest"
                && on(f.url.as_deref())
                && let Some(v) = f.value.as_object_mut()
            {
                v.insert("read".into(), json!("rendered"));
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_a_script_navigates_to() {
        let e = entry_of_navigation(
            "http://www.a.gov.test/",
            "http://www.a.gov.test/jsearch/search.do?siteid=12&searchWord=%E5%8E%BF%E6%94%BF%E5%BA%9C%E5%B8%B8%E5%8A%A1%E4%BC%9A%E8%AE%AE&p=1",
            "县政府常务会议",
            "clicked",
        )
        .unwrap();
        assert_eq!(
            (
                e.kind,
                e.action.as_str(),
                e.query_field.as_str(),
                e.method.as_str()
            ),
            (
                "script",
                "http://www.a.gov.test/jsearch/search.do?siteid=12&p=1&searchWord=",
                "searchWord",
                "GET"
            )
        );
        // a navigation that does not carry the term is no search
        assert!(
            entry_of_navigation("http://a/", "http://a/other.html", "县政府", "clicked").is_none()
        );
    }
}
