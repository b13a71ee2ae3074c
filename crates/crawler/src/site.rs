//! Crawling a whole site: its pages breadth-first, then every link and resource they reference.
//!
//! The home page is fetched first and is also the run's availability sample (its first attempt,
//! before any retry, is what the 15-second rule judges). robots.txt governs the crawl; the single
//! home page request is the inspection's mandated check and is made even where robots.txt forbids
//! crawling, but nothing is followed from it then.
//!
//! Scheduling keeps politeness the only limit and our own queues short:
//! - each host of the site is a *lane* with as many requests in flight as the host's gate allows
//!   (one by default); the next URL of a lane is taken only when its previous request is done, so
//!   a site never queues a burst on its host while other sites wait, and the order is exactly
//!   breadth-first;
//! - a fetched page is decoded and parsed on a CPU worker ([`Crawler::cpu`]) and handed to the
//!   [`PageSink`] (the nightly run streams its text to the store there); the crawl keeps only what
//!   it needs of it;
//! - once the pages are done, every link and resource not crawled as a page is checked: the site's
//!   own on their host's lane, other sites' a few at a time, each through its host's gate. Checks
//!   (HEAD; a HEAD answered with an error status is confirmed with GET, since many servers answer
//!   HEAD wrongly; links to other sites' pages are read with GET to see what they serve now) go
//!   through the run's [`RunCache`], so a URL linked from many sites is asked once per run.

use crate::Crawler;
use crate::budget;
use crate::cache::{Answer, RunCache};
use crate::decode::decode_html;
use crate::extract;
use crate::fetch::refused_record;
use crate::fetch::{BodyMode, FetchSpec, Fetched};
use crate::frontier::{Frontier, looks_like_document, normalize};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use govwatch_model::{
    CrawlNote, FetchError, FetchRecord, LinkCheck, LinkKind, Page, Purpose, Sample, Site, SiteCrawl,
};
use scraper::Html;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use url::Url;

/// What happens to each fetched page while its DOM is at hand, on a CPU worker.
pub trait PageSink: Send + Sync {
    /// `page` carries its decoded text and links. A sink may take the text away (the nightly run
    /// streams it to the store) and read the DOM (e.g. to note the page's search boxes).
    fn page(&self, page: &mut Page, doc: &Html);

    /// Whether crawled pages keep their link lists once the crawl has read them. A sink that
    /// stores the text says no: the links are read again from the text when the probes need them.
    fn keeps_links(&self) -> bool {
        true
    }

    /// An attachment of the site (a document on one of its hosts, linked from its pages), on a CPU
    /// worker: its fetch record and its bytes, or `None` when it was over `max_attachment_bytes`
    /// and not downloaded. The bytes are dropped when this returns.
    fn attachment(&self, _rec: &FetchRecord, _body: Option<&[u8]>) {}
}

/// Keeps every page's text and links in memory (one-site probes, tests).
pub struct KeepText;

impl PageSink for KeepText {
    fn page(&self, _page: &mut Page, _doc: &Html) {}
}

/// How one site crawl shares the run: where its pages go and the run's cache of answers.
#[derive(Clone)]
pub struct CrawlContext {
    pub sink: Arc<dyn PageSink>,
    pub cache: Option<Arc<RunCache>>,
}

impl Default for CrawlContext {
    fn default() -> Self {
        CrawlContext {
            sink: Arc::new(KeepText),
            cache: None,
        }
    }
}

/// The `keywords` and `description` meta tags of a parsed page, joined.
fn head_meta(doc: &Html) -> String {
    static SEL: std::sync::OnceLock<scraper::Selector> = std::sync::OnceLock::new();
    let sel = SEL.get_or_init(|| {
        scraper::Selector::parse(r#"meta[name="keywords"], meta[name="Keywords"], meta[name="description"], meta[name="Description"]"#)
            .expect("valid selector")
    });
    let parts: Vec<&str> = doc
        .select(sel)
        .filter_map(|m| m.value().attr("content"))
        .map(str::trim)
        .collect();
    let mut meta = extract::fold_ws(&parts.join(" "));
    if meta.len() > 600 {
        let mut cut = 600;
        while !meta.is_char_boundary(cut) {
            cut -= 1;
        }
        meta.truncate(cut);
    }
    meta
}

/// Decodes and parses a fetch into a page (CPU work), hands it to `sink`, and returns the
/// fetch's attempts, the page and the page's meta keywords/description. The default parse budget
/// applies (see [`parse_page_within`]).
pub fn parse_page(
    fetched: Fetched,
    depth: u32,
    sink: &dyn PageSink,
) -> (Vec<FetchRecord>, Page, String) {
    let d = govwatch_config::CrawlSettings::default();
    let (a, p, m, _) = parse_page_within(
        fetched,
        depth,
        sink,
        (d.max_page_depth, d.max_page_elements),
    );
    (a, p, m)
}

/// [`parse_page`] under a parse budget `(max_depth, max_elements)`: a page over it is kept with
/// its decoded text (the evidence) but not parsed: no title, no links, not HTML to the probes,
/// and the returned notes say why (`page.budget_exceeded`). A declared charset passed over is
/// noted too (`page.charset_overridden`).
pub fn parse_page_within(
    fetched: Fetched,
    depth: u32,
    sink: &dyn PageSink,
    (max_depth, max_elements): (usize, usize),
) -> (Vec<FetchRecord>, Page, String, Vec<CrawlNote>) {
    let rec = fetched.last().clone();
    let mut page = Page::failed(rec, depth);
    let mut meta = String::new();
    let mut notes = Vec::new();
    if let Some(body) = &fetched.body
        && !crate::fetch::is_html(page.fetch.content_type.as_deref())
    {
        // an attachment answered at a page's URL (`download.jsp?id=…`): read, never parsed
        sink.attachment(&page.fetch, Some(body));
        return (fetched.attempts, page, meta, notes);
    }
    if let Some(body) = &fetched.body {
        let d = decode_html(body, page.fetch.content_type.as_deref());
        page.charset = Some(d.encoding.name().to_string());
        page.charset_source = Some(d.source);
        if let Some((declared, source, why)) = &d.overridden {
            notes.push(CrawlNote {
                code: "page.charset_overridden".into(),
                url: Some(page.fetch.url.clone()),
                value: serde_json::json!({
                    "declared": declared,
                    "declared_in": source.as_str(),
                    "used": d.encoding.name(),
                    "reason": why,
                }),
            });
        }
        let shape = budget::shape(&d.text, max_depth, max_elements);
        if !budget::within(&shape, max_depth, max_elements) {
            notes.push(CrawlNote {
                code: "page.budget_exceeded".into(),
                url: Some(page.fetch.url.clone()),
                value: serde_json::json!({
                    "depth": shape.depth,
                    "elements": shape.elements,
                    "max_depth": max_depth,
                    "max_elements": max_elements,
                    "bytes": body.len(),
                    "content_hash": page.fetch.content_hash,
                    "page_depth": depth,
                }),
            });
            page.text = d.text;
            return (fetched.attempts, page, meta, notes);
        }
        let doc = Html::parse_document(&d.text);
        page.title = extract::title(&doc);
        if let Ok(base) = Url::parse(&page.fetch.final_url) {
            page.links = extract::links(&doc, &base);
        }
        meta = head_meta(&doc);
        page.text = d.text;
        page.is_html = true;
        sink.page(&mut page, &doc);
    }
    (fetched.attempts, page, meta, notes)
}

/// Turns a fetch into a page: decodes and parses HTML bodies (text and links kept).
pub fn build_page(fetched: &Fetched, depth: u32) -> Page {
    parse_page(fetched.clone(), depth, &KeepText).1
}

/// The availability sample of a home page fetch attempt.
pub fn sample_of(rec: &FetchRecord) -> Sample {
    Sample {
        url: rec.url.clone(),
        at: rec.started_at,
        family: rec.family,
        ok: rec.ok(),
        status: rec.status,
        error: rec.error,
        elapsed_ms: rec.elapsed_ms,
    }
}

/// Link checks to other hosts in flight at once for one site (each still waits for its host's
/// gate; this only bounds how many wait).
const EXTERNAL_CHECKS_IN_FLIGHT: usize = 4;

/// A page of the site waiting for its lane.
struct PageJob {
    url: Url,
    depth: u32,
    /// Reached through an interaction link (extra depth allowed).
    via_interaction: bool,
}

/// A fetched and parsed page coming back to the crawl.
struct PageDone {
    host: String,
    job: PageJob,
    attempts: Vec<FetchRecord>,
    page: Page,
    notes: Vec<CrawlNote>,
}

/// A checked link coming back to the crawl.
struct CheckDone {
    host: Option<String>,
    url: Url,
    /// The requests this site made for it (none when another site's answer was shared).
    own: Vec<FetchRecord>,
    answer: Arc<Answer>,
}

/// A URL's key in a site's sets while it is crawled (a hash, so the URL is not kept twice).
fn hash_of(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

fn host_of(u: &Url) -> String {
    u.host_str().unwrap_or("").to_ascii_lowercase()
}

/// A queue of links to check, each with whether it is read (GET).
type CheckQueue = VecDeque<(Url, bool)>;

/// One site's crawl in progress: what its steps share.
struct SiteRun<'a> {
    site: &'a Site,
    ctx: &'a CrawlContext,
    /// The site's hosts (the home page's redirect target joins them).
    hosts: Vec<String>,
    frontier: Frontier,
    fetches: Vec<FetchRecord>,
    pages: Vec<Page>,
    samples: Vec<Sample>,
    robots_blocked: Vec<String>,
    /// Every link and resource seen, in order, with whether it is read (GET) when checked.
    targets: Vec<(Box<str>, bool)>,
    target_seen: HashSet<u64>,
    /// Internal links of the home page (level 2) and of level-2 pages (level 3), for IPv6.
    levels: [Vec<String>; 2],
    level_seen: HashSet<String>,
    notes: Vec<CrawlNote>,
    /// Whether crawled pages keep their link lists (the sink's choice).
    keep_links: bool,
    /// Whether robots.txt lets the crawl follow the home page.
    home_allowed: bool,
    /// The per-site time budget, on the crawler's clock (a probe never reads one).
    started: tokio::time::Instant,
    budget: std::time::Duration,
    /// The step the budget ran out in.
    budget_hit: Option<&'static str>,
    left_by_budget: u64,
    refused_skips: u64,
}

impl<'a> SiteRun<'a> {
    /// A crawl starting now, with `max_site_secs` to run.
    fn new(
        site: &'a Site,
        ctx: &'a CrawlContext,
        hosts: Vec<String>,
        frontier: Frontier,
        home_allowed: bool,
        max_site_secs: f64,
    ) -> SiteRun<'a> {
        SiteRun {
            site,
            ctx,
            hosts,
            frontier,
            fetches: Vec::new(),
            pages: Vec::new(),
            samples: Vec::new(),
            robots_blocked: Vec::new(),
            targets: Vec::new(),
            target_seen: HashSet::new(),
            levels: [Vec::new(), Vec::new()],
            level_seen: HashSet::new(),
            notes: Vec::new(),
            keep_links: ctx.sink.keeps_links(),
            home_allowed,
            started: tokio::time::Instant::now(),
            budget: std::time::Duration::from_secs_f64(max_site_secs),
            budget_hit: None,
            left_by_budget: 0,
            refused_skips: 0,
        }
    }

    /// Notes the step in which the site's time budget ran out, the first time it has.
    fn check_budget(&mut self, stage: &'static str) {
        if self.budget_hit.is_none() && self.started.elapsed() > self.budget {
            self.budget_hit = Some(stage);
        }
    }

    /// Whether a URL is on one of the site's hosts.
    fn internal(&self, u: &Url) -> bool {
        u.host_str()
            .is_some_and(|h| self.hosts.iter().any(|x| x.eq_ignore_ascii_case(h)))
    }
}

impl Crawler {
    /// Crawls one site and checks its links, keeping every page's text in memory.
    pub async fn crawl_site(&self, site: &Site) -> SiteCrawl {
        let mut crawl = self.crawl_site_with(site, &CrawlContext::default()).await;
        crawl.complete_fetches();
        crawl
    }

    /// Crawls one site and checks its links, sharing the run through `ctx`. The pages' final
    /// answers are in `pages[].fetch` only until [`SiteCrawl::complete_fetches`].
    pub async fn crawl_site_with(&self, site: &Site, ctx: &CrawlContext) -> SiteCrawl {
        let s = &self.settings;
        let hosts: Vec<String> = site.hosts();
        if let Some(rate) = site.overrides.rate {
            for h in &hosts {
                self.gates.configure(h, rate);
            }
        }
        let mut frontier = Frontier::new(
            site.overrides.max_pages.unwrap_or(s.max_pages).max(1),
            site.overrides.max_depth.unwrap_or(s.max_depth),
            s.max_url_len,
            s.max_query_variants,
        );
        let home = normalize(&site.home);
        let _ = frontier.offer(&home, 0);
        // robots.txt first, so its Crawl-delay governs every request to the host, the home page's too.
        let home_allowed = self.robots_allowed(&home).await;
        let mut run = SiteRun::new(site, ctx, hosts, frontier, home_allowed, s.max_site_secs);
        run.level_seen.insert(home.to_string());
        // A home host that refused the crawl in its robots.txt (Crawl-delay beyond what is
        // honoured) is not asked for its home page either (its fetch comes back unsent, with no
        // availability sample): the site is not inspected.
        let home_refused = self.gates.get(&host_of(&home)).refusal();

        // 1. pages, breadth-first, one lane per host
        self.crawl_pages(&mut run, home).await;
        // the site's "not found" page, once, for the soft-404 check
        let not_found = self.not_found_of(&mut run).await;
        // 2. every link and resource not crawled as a page
        let (link_checks, over_budget) = if s.check_links {
            self.check_links(&mut run).await
        } else {
            (Vec::new(), 0)
        };
        // 3. the crawl's own account of itself
        let skipped = self.account(&mut run, over_budget, home_refused.as_deref());
        let SiteRun {
            mut fetches,
            pages,
            samples,
            mut robots_blocked,
            levels,
            notes,
            ..
        } = run;
        robots_blocked.sort();
        robots_blocked.dedup();
        let ipv6 = if s.ipv6 {
            Some(self.gather_ipv6(site, &pages, &levels).await)
        } else {
            None
        };
        if let Some(g) = &ipv6 {
            fetches.extend(g.fetches.iter().cloned());
        }
        SiteCrawl {
            site: site.clone(),
            pages,
            fetches,
            link_checks,
            samples,
            robots_blocked,
            skipped,
            ipv6,
            search_pages: Vec::new(),
            searches: Vec::new(),
            page_fetches_apart: true,
            notes,
            not_found,
        }
    }

    /// Step 1: the site's pages, breadth-first, one lane per host with as many requests in
    /// flight as the host's gate allows.
    async fn crawl_pages(&self, run: &mut SiteRun<'_>, home: Url) {
        let ctx = run.ctx;
        let mut lanes: BTreeMap<String, VecDeque<PageJob>> = BTreeMap::new();
        lanes.entry(host_of(&home)).or_default().push_back(PageJob {
            url: home,
            depth: 0,
            via_interaction: false,
        });
        let mut busy: HashMap<String, u32> = HashMap::new();
        let mut inflight = FuturesUnordered::new();
        loop {
            run.check_budget("pages");
            self.fill_lanes(run, &mut lanes, &mut busy, |host, job| {
                inflight.push(self.page_job(host.clone(), job, ctx));
            });
            let Some(done) = inflight.next().await else {
                break;
            };
            if let Some(n) = busy.get_mut(&done.host) {
                *n = n.saturating_sub(1);
            }
            self.page_done(run, &mut lanes, done);
        }
    }

    /// Starts the next jobs of every lane, as many as its host's gate lets be in flight at once
    /// (`busy` counts them per host); a lane [`Crawler::lane_cap`] closes is emptied instead.
    fn fill_lanes<J>(
        &self,
        run: &mut SiteRun<'_>,
        lanes: &mut BTreeMap<String, VecDeque<J>>,
        busy: &mut HashMap<String, u32>,
        mut start: impl FnMut(&String, J),
    ) {
        for (host, queue) in lanes.iter_mut() {
            let Some(cap) = self.lane_cap(run, host, queue.len()) else {
                queue.clear();
                continue;
            };
            let n = busy.entry(host.clone()).or_default();
            while *n < cap {
                let Some(job) = queue.pop_front() else { break };
                *n += 1;
                start(host, job);
            }
        }
    }

    /// How many requests a lane may have in flight, or `None` when its queue is dropped: the
    /// site's time budget is spent (the queue counted as left) or its host refused the crawl
    /// (counted as skipped).
    fn lane_cap(&self, run: &mut SiteRun<'_>, host: &str, queued: usize) -> Option<u32> {
        if run.budget_hit.is_some() {
            run.left_by_budget += queued as u64;
            return None;
        }
        let gate = self.gates.get(host);
        if gate.refusal().is_some() {
            run.refused_skips += queued as u64;
            return None;
        }
        Some(gate.policy().concurrency.max(1))
    }

    /// Takes a crawled page in: its notes, the home page's availability sample and hosts, the
    /// page's links, and the page itself.
    fn page_done(
        &self,
        run: &mut SiteRun<'_>,
        lanes: &mut BTreeMap<String, VecDeque<PageJob>>,
        done: PageDone,
    ) {
        let PageDone {
            job,
            attempts,
            mut page,
            notes: page_notes,
            ..
        } = done;
        run.notes.extend(page_notes);
        let walls = &self.settings.walls;
        run.notes
            .extend(crate::challenge::page_note(walls, &attempts, job.depth));
        let last = attempts.last().expect("a fetch has one attempt");
        if last.error == Some(FetchError::RobotsDisallowed) {
            run.robots_blocked.push(job.url.to_string());
            return;
        }
        let depth = job.depth;
        let mut follow = true;
        if refused_record(last) {
            // never sent: the host refused the crawl before this request
            run.refused_skips += 1;
            if depth > 0 {
                return;
            }
        }
        if depth == 0 && !refused_record(&attempts[0]) {
            run.samples.push(sample_of(&attempts[0]));
            // A home page that redirects to another host (http → https, a new domain)
            // makes that host part of the site.
            if let Ok(f) = Url::parse(&last.final_url) {
                let h = host_of(&f);
                if !h.is_empty() && !run.hosts.contains(&h) {
                    run.hosts.push(h);
                }
                run.level_seen.insert(normalize(&f).to_string());
            }
            follow = run.home_allowed;
            if !follow {
                run.robots_blocked.push(job.url.to_string());
            }
        }
        // the URL that answered is crawled too: never queue it again
        if let Ok(f) = Url::parse(&last.final_url) {
            run.frontier.mark_seen(&f);
        }
        // the last attempt lives on as the page's own record (see `page_fetches_apart`)
        let n = attempts.len();
        run.fetches
            .extend(attempts.into_iter().take(n.saturating_sub(1)));
        self.offer_links(run, lanes, &page, &job, follow);
        if !run.keep_links {
            page.links = Vec::new();
        }
        run.pages.push(page);
    }

    /// Offers a page's internal anchors to the frontier (when the page is followed), keeps the
    /// internal links of the first two levels for IPv6, and lists every new link and resource
    /// to be checked.
    fn offer_links(
        &self,
        run: &mut SiteRun<'_>,
        lanes: &mut BTreeMap<String, VecDeque<PageJob>>,
        page: &Page,
        job: &PageJob,
        follow: bool,
    ) {
        let depth = job.depth;
        for link in &page.links {
            let Ok(lu) = Url::parse(&link.url) else {
                continue;
            };
            let lu = normalize(&lu);
            let key = lu.to_string();
            let is_internal = run.internal(&lu);
            if link.kind == LinkKind::Anchor {
                if follow && is_internal && !looks_like_document(&lu) {
                    let via = job.via_interaction || self.interaction_link(&link.text);
                    let extra = if via {
                        self.settings.interaction_extra_depth
                    } else {
                        0
                    };
                    if let Ok(u) = run.frontier.offer_within(&lu, depth + 1, extra) {
                        lanes.entry(host_of(&u)).or_default().push_back(PageJob {
                            url: u,
                            depth: depth + 1,
                            via_interaction: via,
                        });
                    }
                }
                if depth <= 1 && is_internal && run.level_seen.insert(key.clone()) {
                    run.levels[depth as usize].push(key.clone());
                }
            }
            if run.target_seen.insert(hash_of(&key)) {
                let read =
                    !is_internal && link.kind == LinkKind::Anchor && !looks_like_document(&lu);
                run.targets.push((key.into(), read));
            }
        }
    }

    /// Whether a link's text names an interaction column (extra depth allowed below it).
    fn interaction_link(&self, text: &str) -> bool {
        self.settings
            .interaction_words
            .iter()
            .any(|w| !w.is_empty() && text.contains(w.as_str()))
    }

    /// The site's "not found" page, asked once when the home page answered with HTML, robots.txt
    /// allows the crawl, the time budget holds and the host has not refused the crawl.
    async fn not_found_of(&self, run: &mut SiteRun<'_>) -> Option<Page> {
        let home_ok = run
            .pages
            .iter()
            .find(|p| p.depth == 0)
            .filter(|p| p.fetch.ok() && p.is_html)
            .and_then(|p| Url::parse(&p.fetch.final_url).ok());
        if self.settings.not_found_check
            && run.home_allowed
            && run.budget_hit.is_none()
            && let Some(base) = home_ok
            && self.gates.get(&host_of(&base)).refusal().is_none()
            && let Some((attempts, page)) = self.not_found_page(&base).await
        {
            let n = attempts.len();
            run.fetches
                .extend(attempts.into_iter().take(n.saturating_sub(1)));
            run.fetches.push(page.fetch.clone());
            return Some(page);
        }
        None
    }

    /// Step 2: every link and resource not crawled as a page, the site's own on their host's
    /// lane, other sites' a few at a time. Returns the checks (by URL) and how many links were
    /// over the check budget.
    async fn check_links(&self, run: &mut SiteRun<'_>) -> (Vec<LinkCheck>, u64) {
        let ctx = run.ctx;
        let (mut lanes, mut external, over_budget) = self.wanted_checks(run);
        let mut link_checks = Vec::new();
        let mut busy: HashMap<String, u32> = HashMap::new();
        let mut external_busy = 0usize;
        let mut inflight = FuturesUnordered::new();
        loop {
            run.check_budget("link_checks");
            if run.budget_hit.is_some() {
                run.left_by_budget += external.len() as u64;
                external.clear();
            }
            self.fill_lanes(run, &mut lanes, &mut busy, |host, (u, read)| {
                let attachment = self.is_attachment(&u);
                inflight.push(self.check_job(Some(host.clone()), u, read, attachment, ctx));
            });
            while external_busy < EXTERNAL_CHECKS_IN_FLIGHT {
                let Some((u, read)) = external.pop_front() else {
                    break;
                };
                external_busy += 1;
                inflight.push(self.check_job(None, u, read, false, ctx));
            }
            let Some(done) = inflight.next().await else {
                break;
            };
            match &done.host {
                Some(h) => {
                    if let Some(n) = busy.get_mut(h) {
                        *n = n.saturating_sub(1);
                    }
                }
                None => external_busy -= 1,
            }
            if let Some(check) = self.check_done(run, done) {
                link_checks.push(check);
            }
        }
        link_checks.sort_by(|a, b| a.url.cmp(&b.url));
        (link_checks, over_budget)
    }

    /// The links to check, in the order seen: the site's own by host lane, other sites' in one
    /// queue (when they are checked at all), and how many were left over the check budget.
    fn wanted_checks(
        &self,
        run: &mut SiteRun<'_>,
    ) -> (BTreeMap<String, CheckQueue>, CheckQueue, u64) {
        let s = &self.settings;
        let crawled: HashSet<String> = run
            .pages
            .iter()
            .flat_map(|p| [p.fetch.url.clone(), p.fetch.final_url.clone()])
            .chain(run.robots_blocked.iter().cloned())
            .collect();
        let mut wanted: Vec<(Url, bool)> = std::mem::take(&mut run.targets)
            .into_iter()
            .filter(|(u, _)| !crawled.contains(&**u))
            .filter_map(|(u, read)| Url::parse(&u).ok().map(|u| (u, read)))
            .filter(|(u, _)| s.check_external || run.internal(u))
            .collect();
        let over_budget = wanted.len().saturating_sub(s.max_link_checks) as u64;
        wanted.truncate(s.max_link_checks);
        let mut lanes: BTreeMap<String, CheckQueue> = BTreeMap::new();
        let mut external = CheckQueue::new();
        for (u, read) in wanted {
            if run.internal(&u) {
                lanes.entry(host_of(&u)).or_default().push_back((u, read));
            } else {
                external.push_back((u, read));
            }
        }
        (lanes, external, over_budget)
    }

    /// Takes a link check in: `None` when robots.txt kept it unasked (listed as such) or its
    /// host refused the crawl (never judged by the requests it refused).
    fn check_done(&self, run: &mut SiteRun<'_>, done: CheckDone) -> Option<LinkCheck> {
        let CheckDone {
            url, own, answer, ..
        } = done;
        if answer.error() == Some(FetchError::RobotsDisallowed) {
            run.robots_blocked.push(url.to_string());
            return None;
        }
        // a host that refused the crawl is not judged by the requests it refused: no
        // broken link for a link never asked, nor for the 429/503 that asked us to stop
        let refused_host = url
            .host_str()
            .is_some_and(|h| self.gates.get(h).refusal().is_some());
        if refused_record(&answer.record(url.as_str()))
            || (refused_host && matches!(answer.record(url.as_str()).status, Some(429 | 503)))
        {
            run.refused_skips += 1;
            return None;
        }
        run.fetches.extend(own);
        let (target_title, target_meta) = match &answer.seen {
            Some((t, m)) => (t.clone(), Some(m.clone()).filter(|m| !m.is_empty())),
            None => (None, None),
        };
        Some(LinkCheck {
            url: url.to_string(),
            record: answer.record(url.as_str()),
            target_title,
            target_meta,
        })
    }

    /// Step 3: the crawl's account of itself: every host's robots.txt records and notes, the
    /// hosts that refused the crawl, the site budget, why the site was not inspected when it was
    /// not; returns what was skipped and why.
    fn account(
        &self,
        run: &mut SiteRun<'_>,
        over_budget: u64,
        home_refused: Option<&str>,
    ) -> BTreeMap<String, u64> {
        let s = &self.settings;
        let home_url = run.site.home.to_string();
        for h in &run.hosts {
            run.fetches.extend(self.robots.take_records(h));
            run.notes.extend(self.robots.take_notes(h));
            if let Some(why) = self.gates.get(h).refusal() {
                run.notes.push(CrawlNote {
                    code: "host.crawl_refused".into(),
                    url: Some(home_url.clone()),
                    value: serde_json::json!({"host": h, "reason": why}),
                });
            }
        }
        let mut skipped: BTreeMap<String, u64> = run.frontier.skipped();
        if over_budget > 0 {
            skipped.insert("link_check_budget".into(), over_budget);
        }
        if run.refused_skips > 0 {
            skipped.insert("host_refused".into(), run.refused_skips);
        }
        if let Some(stage) = run.budget_hit {
            skipped.insert("site_budget".into(), run.left_by_budget);
            run.notes.push(CrawlNote {
                code: "site.budget_exceeded".into(),
                url: Some(home_url.clone()),
                value: serde_json::json!({
                    "max_site_secs": s.max_site_secs,
                    "elapsed_secs": run.started.elapsed().as_secs(),
                    "stage": stage,
                    "pages": run.pages.len(),
                    "left": run.left_by_budget,
                }),
            });
        }
        if let Some(reason) = not_inspected(home_refused, &run.pages, &run.notes, &self.gates)
            .or_else(|| {
                let home = run.pages.iter().find(|p| p.depth == 0)?;
                crate::challenge::not_inspected(&s.walls, &home.fetch)
            })
        {
            run.notes.push(CrawlNote {
                code: "site.not_inspected".into(),
                url: Some(home_url),
                value: reason,
            });
        }
        skipped
    }

    /// Fetches a page (the home page without asking robots.txt), parses it on a CPU worker and
    /// publishes its answer in the run's cache for other sites' link checks.
    async fn page_job(&self, host: String, job: PageJob, ctx: &CrawlContext) -> PageDone {
        let mut spec = if job.depth == 0 {
            FetchSpec {
                robots: false,
                ..FetchSpec::PAGE
            }
        } else {
            FetchSpec::PAGE
        };
        if self.settings.read_attachments {
            // a page's URL may answer with a document (`download.jsp?id=…`): read it too
            spec.body = BodyMode::HtmlOrDocument(self.settings.max_attachment_bytes);
        }
        let mut mine: Option<(Vec<FetchRecord>, Page, Vec<CrawlNote>)> = None;
        if let Some(cache) = &ctx.cache {
            let cell = cache.cell(job.url.as_str());
            let (slot, url, depth) = (&mut mine, &job.url, job.depth);
            cell.get_or_init(|| async move {
                let (attempts, page, meta, notes) =
                    self.fetch_and_parse(url, spec, depth, ctx).await;
                // what another site's link check needs of it: the answer, and for the home page
                // and its level (what other sites link to) what the page shows
                let answer = Answer::of(
                    attempts.last().expect("one attempt"),
                    (page.is_html && depth <= 1).then(|| (page.title.clone(), meta)),
                );
                *slot = Some((attempts, page, notes));
                Arc::new(answer)
            })
            .await;
        }
        // Not cached, or another site's check answered first: a page needs its own body.
        let (attempts, page, notes) = match mine {
            Some(m) => m,
            None => {
                let (a, p, _, n) = self.fetch_and_parse(&job.url, spec, job.depth, ctx).await;
                (a, p, n)
            }
        };
        PageDone {
            host,
            job,
            attempts,
            page,
            notes,
        }
    }

    async fn fetch_and_parse(
        &self,
        url: &Url,
        spec: FetchSpec,
        depth: u32,
        ctx: &CrawlContext,
    ) -> (Vec<FetchRecord>, Page, String, Vec<CrawlNote>) {
        let fetched = self.fetch(url, spec).await;
        // an anti-bot wall's challenge: passed in the browser when there is one
        let fetched = self.through_wall(url, spec, fetched).await;
        let sink = ctx.sink.clone();
        if matches!(spec.body, BodyMode::HtmlOrDocument(_)) && fetched.body.is_none() {
            let last = fetched.last();
            if last.ok()
                && last.method == "GET"
                && crate::fetch::is_document(last.content_type.as_deref())
            {
                // an attachment over the size cap: checked, not read
                let (rec, sink) = (last.clone(), sink.clone());
                let _ = self.cpu(move || sink.attachment(&rec, None)).await;
            }
        }
        let fallback = fetched.attempts.clone();
        let limits = (
            self.settings.max_page_depth,
            self.settings.max_page_elements,
        );
        match self
            .cpu(move || parse_page_within(fetched, depth, sink.as_ref(), limits))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                // The parser gave up on this page: it counts as fetched, not as read.
                tracing::error!(%url, error = %e, "parsing a page failed");
                let page = Page::failed(fallback.last().expect("one attempt").clone(), depth);
                (fallback, page, String::new(), Vec::new())
            }
        }
    }

    /// Whether a link of the site's own hosts is an attachment to read (by its extension).
    fn is_attachment(&self, url: &Url) -> bool {
        let s = &self.settings;
        if !s.read_attachments {
            return false;
        }
        let path = url.path().to_ascii_lowercase();
        match path.rsplit_once('.') {
            Some((_, ext)) if !ext.contains('/') => s
                .attachment_extensions
                .iter()
                .any(|e| e.eq_ignore_ascii_case(ext)),
            _ => false,
        }
    }

    /// Fetches one of the site's attachments with GET (its check and its reading in one request,
    /// through the host's gate like every request) and hands its bytes to the sink on a CPU
    /// worker. At most `attachments_in_flight` are held at once over the run; the answer is the
    /// site's own (not shared through the run's cache, whose answers carry no body).
    async fn attachment_job(&self, url: &Url, ctx: &CrawlContext) -> (Vec<FetchRecord>, Answer) {
        let _slot = self
            .attachments
            .acquire()
            .await
            .expect("attachment slots never close");
        let spec = FetchSpec {
            method: "GET",
            purpose: Purpose::LinkCheck,
            body: BodyMode::Document(self.settings.max_attachment_bytes),
            robots: true,
            retry: true,
            family: None,
        };
        let f = self.fetch(url, spec).await;
        let rec = f.last().clone();
        if rec.ok() {
            let (sink, r) = (ctx.sink.clone(), rec.clone());
            let body = f.body;
            if let Err(e) = self.cpu(move || sink.attachment(&r, body.as_deref())).await {
                tracing::error!(%url, error = %e, "reading an attachment failed");
            }
        }
        (f.attempts, Answer::of(&rec, None))
    }

    /// Asks the site once for a path that cannot exist: its answer (status, final URL, text) is
    /// the site's "not found" page, which the soft-404 check compares linked pages with. The path
    /// (`/govwatch-not-found-<16 hex>.html`) is drawn from the home URL's SHA-256, so it looks
    /// random to the site yet is the same every night (runs and shards compare alike); robots.txt
    /// is obeyed, the text is kept.
    pub async fn not_found_page(&self, home: &Url) -> Option<(Vec<FetchRecord>, Page)> {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(home.as_str().as_bytes());
        let mut url = home.clone();
        url.set_path(&format!(
            "/govwatch-not-found-{}.html",
            hex::encode(&digest[..8])
        ));
        url.set_query(None);
        let spec = FetchSpec {
            purpose: Purpose::LinkCheck,
            ..FetchSpec::PAGE
        };
        let f = self.fetch(&url, spec).await;
        if f.last().error == Some(FetchError::RobotsDisallowed) || refused_record(f.last()) {
            return None;
        }
        match self.cpu(move || parse_page(f, 1, &KeepText)).await {
            Ok((attempts, page, _)) => Some((attempts, page)),
            Err(e) => {
                tracing::error!(%url, error = %e, "parsing the not-found page failed");
                None
            }
        }
    }

    /// Checks one link, sharing the answer through the run's cache; an attachment of the site is
    /// fetched and read instead ([`Crawler::attachment_job`]).
    async fn check_job(
        &self,
        host: Option<String>,
        url: Url,
        read: bool,
        attachment: bool,
        ctx: &CrawlContext,
    ) -> CheckDone {
        if attachment {
            let (own, answer) = self.attachment_job(&url, ctx).await;
            return CheckDone {
                host,
                url,
                own,
                answer: Arc::new(answer),
            };
        }
        let (own, answer) = match &ctx.cache {
            Some(cache) => {
                let cell = cache.cell(url.as_str());
                let mut own = Vec::new();
                let (slot, u) = (&mut own, &url);
                let answer = cell
                    .get_or_init(|| async move {
                        let (recs, a) = self.check_uncached(u, read).await;
                        *slot = recs;
                        Arc::new(a)
                    })
                    .await
                    .clone();
                (own, answer)
            }
            None => {
                let (recs, a) = self.check_uncached(&url, read).await;
                (recs, Arc::new(a))
            }
        };
        CheckDone {
            host,
            url,
            own,
            answer,
        }
    }

    /// One link check: a page of another site is read (GET) to see what it serves now; anything
    /// else gets a HEAD, confirmed with a GET when the HEAD answered with an error status.
    async fn check_uncached(&self, url: &Url, read: bool) -> (Vec<FetchRecord>, Answer) {
        if read {
            let get = self
                .fetch(
                    url,
                    FetchSpec {
                        purpose: Purpose::LinkCheck,
                        ..FetchSpec::PAGE
                    },
                )
                .await;
            let has_body = get.body.is_some();
            let (attempts, page, meta) = match self.cpu(move || parse_page(get, 1, &KeepText)).await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(%url, error = %e, "parsing a linked page failed");
                    return (vec![], Answer::of(&failed_parse(url, self.now()), None));
                }
            };
            let seen = (has_body && page.is_html).then(|| (page.title.clone(), meta));
            let record = attempts.last().expect("one attempt").clone();
            return (attempts, Answer::of(&record, seen));
        }
        let head = self.fetch(url, FetchSpec::CHECK_HEAD).await;
        let mut recs = head.attempts;
        let h = recs.last().expect("one attempt");
        if h.error.is_none() && h.status.is_some_and(|st| st >= 400) {
            let get = self.fetch(url, FetchSpec::CHECK_GET).await;
            recs.extend(get.attempts);
        }
        let record = recs.last().expect("one attempt").clone();
        (recs, Answer::of(&record, None))
    }
}

/// Why a site was not inspected, when it was not: its home page never answered with a page the
/// probes can read — its host refused the crawl (robots.txt Crawl-delay or Retry-After beyond what
/// is honoured), its redirects looped or ran past the cap, or it was over the parse budget. Such a
/// site must never be scored as passing; the scorer reads this (`site.not_inspected`).
fn not_inspected(
    home_refused: Option<&str>,
    pages: &[Page],
    notes: &[CrawlNote],
    gates: &crate::gate::HostGates,
) -> Option<serde_json::Value> {
    if let Some(why) = home_refused {
        return Some(serde_json::json!({"reason": "crawl_refused", "detail": why}));
    }
    let home = pages.iter().find(|p| p.depth == 0)?;
    let rec = &home.fetch;
    if refused_record(rec) {
        let detail = rec.error_message.clone().unwrap_or_default();
        return Some(serde_json::json!({"reason": "crawl_refused", "detail": detail}));
    }
    if matches!(
        rec.error,
        Some(FetchError::RedirectLoop | FetchError::TooManyRedirects)
    ) {
        return Some(serde_json::json!({
            "reason": "redirects",
            "detail": rec.error_message,
            "redirects": rec.redirects.len(),
        }));
    }
    if matches!(rec.status, Some(429 | 503))
        && let Some(host) = Url::parse(&rec.final_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
        && let Some(why) = gates.get(&host).refusal()
    {
        return Some(
            serde_json::json!({"reason": "crawl_refused", "detail": why, "status": rec.status}),
        );
    }
    if notes
        .iter()
        .any(|n| n.code == "page.budget_exceeded" && n.url.as_deref() == Some(rec.url.as_str()))
    {
        return Some(serde_json::json!({
            "reason": "page_budget",
            "detail": "the home page is over the parse budget (max_page_depth / max_page_elements)",
        }));
    }
    None
}

/// The record of a linked page whose answer could not be parsed (never a broken link).
fn failed_parse(url: &Url, at: govwatch_model::Timestamp) -> FetchRecord {
    FetchRecord {
        url: url.to_string(),
        final_url: url.to_string(),
        method: "GET".into(),
        purpose: Purpose::LinkCheck,
        status: None,
        started_at: at,
        elapsed_ms: 0,
        queue_ms: 0,
        bytes: 0,
        content_type: None,
        content_hash: None,
        remote_addr: None,
        family: None,
        error: Some(FetchError::Other),
        error_message: Some("the answer could not be parsed".into()),
        redirects: vec![],
        attempt: 1,
    }
}
