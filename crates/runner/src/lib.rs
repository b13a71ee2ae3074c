//! The nightly job: crawl every registered site, run every probe, store the results.
//!
//! - [`inspect_site`]: one site, start to finish, no storage (`govwatch probe` uses it directly).
//! - [`run`]: many sites in parallel (politeness is the crawler's business), each site's result
//!   committed in one transaction through the store's writer thread, so a run stopped at any point
//!   (Ctrl-C, SIGTERM, kill -9) leaves whole sites or nothing, and `resume` finishes the rest.
//! - [`media`]: after the sites, the feeds of the registered new-media accounts (政务新媒体),
//!   each account committed in one transaction like a site.

pub mod demo;
pub mod media;
pub mod memory;
pub mod network;
pub mod plan;
mod rendering;

use futures::StreamExt;
pub use govwatch_config::ProbeRules;
use govwatch_crawler::cache::RunCache;
use govwatch_crawler::site::{CrawlContext, PageSink, parse_page};
use govwatch_crawler::{Crawler, FetchSpec, Fetched};
use govwatch_model::{
    Fact, Link, LinkKind, Page, SearchAttempt, Site, SiteCrawl, SiteResult, Timestamp,
};
pub use govwatch_probes::Previous;
use govwatch_probes::search::SearchScan;
use govwatch_probes::{PageScans, Probe, ProbeInput, ScanCx};
use govwatch_store::{
    PackedBody, RunStatus, Store, StoreError, StoreWriter, pack_body, spawn_writer, unpack_body,
};
use scraper::Html;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no unfinished run to resume in the database")]
    NothingToResume,
    #[error("unknown site id(s): {0}")]
    UnknownSites(String),
    #[error("the store writer stopped unexpectedly")]
    WriterGone,
    /// The monitoring machine's own network is down: nothing about the sites was recorded.
    #[error(
        "本机网络不通，未检查任何网站 (the monitoring machine cannot reach the network; no site was inspected): {0}"
    )]
    NetworkDown(String),
    /// Another run (or the daemon) holds the database: exit 2, naming it.
    #[error(transparent)]
    Locked(#[from] govwatch_store::lock::LockError),
}

/// Options of one run.
pub struct RunOptions {
    /// The monitoring time point (recorded in the run).
    pub as_of: Timestamp,
    /// Only these site ids (all when `None`).
    pub only: Option<Vec<String>>,
    /// Continue the newest unfinished run instead of starting one.
    pub resume: bool,
    /// Settings recorded with the run.
    pub settings: serde_json::Value,
    /// Probe thresholds (`config/probes.toml`).
    pub rules: ProbeRules,
    /// The new-media account registry (`config/accounts.toml`); the run reads the accounts of
    /// the sites it inspects.
    pub accounts: Vec<govwatch_model::Account>,
}

/// Progress events, for a progress bar or log lines.
pub enum Progress<'a> {
    /// The run's plan, before the first request.
    Planned(&'a plan::Plan),
    /// The plan again, once the home pages of the first sites in flight are read: a first run's
    /// estimate of requests then comes from what those home pages link to
    /// ([`plan::estimate_from_home`]) instead of the page budget.
    Replanned(&'a plan::Plan),
    /// Every second: requests sent so far in this run.
    Tick { requests: u64 },
    /// Every second while the memory budget holds sites back: resident memory, the budget, the
    /// sites in flight and those waiting to start.
    MemoryHeld {
        resident_mb: u64,
        budget_mb: u64,
        in_flight: usize,
        waiting: usize,
    },
    Started {
        run_id: i64,
        total: usize,
        already_done: usize,
    },
    SiteDone {
        site: &'a Site,
        pages: usize,
        findings: usize,
    },
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: i64,
    pub as_of: Timestamp,
    pub sites: usize,
    /// Sites already committed before this invocation (resume).
    pub already_done: usize,
    pub pages: usize,
    pub findings: usize,
    pub interrupted: bool,
    /// Why the run stopped when the monitoring machine's network went down (the run is left
    /// interrupted, resumable; sites recorded before are kept).
    pub network_down: Option<String>,
    /// The run's plan (for this invocation's sites).
    pub plan: plan::Plan,
    /// Wall time of this invocation.
    pub wall: std::time::Duration,
    /// Requests this invocation sent.
    pub requests: u64,
    /// The host that took the most requests in this invocation, with how many, and the least
    /// time they needed at its rate (the politeness bound the run actually met).
    pub busiest_host: Option<(String, u64, std::time::Duration)>,
    /// The server address that took the most requests in this invocation (every host on it),
    /// with how many, and the least time they needed at `address_rate`.
    pub busiest_address: Option<(std::net::IpAddr, u64, std::time::Duration)>,
    /// Peak resident memory seen by the run's budget checks, in MiB (`None` where the system
    /// does not say), and the seconds new sites were held back for it.
    pub peak_resident_mb: Option<u64>,
    pub memory_held_secs: u64,
    /// New-media accounts of the run, and those recorded by this invocation.
    pub accounts: usize,
    pub accounts_done: usize,
    /// Findings of the accounts recorded by this invocation.
    pub account_findings: usize,
    /// What headless Chromium did in this process (`None`: no browser, or `render = "off"`):
    /// pages rendered, browsers started, their CPU and peak memory.
    pub render: Option<govwatch_crawler::render::RenderStats>,
    /// Sites this invocation could not inspect or record (`id: error`); the run goes on without
    /// them and its note names them.
    pub failed_sites: Vec<String>,
}

/// Crawls one site, runs every probe and gathers the result (nothing stored; the pages' text is
/// kept in memory — `govwatch probe` and tests).
pub async fn inspect_site(
    crawler: &Crawler,
    site: &Site,
    as_of: Timestamp,
    rules: &ProbeRules,
    previous: Option<&Previous>,
) -> SiteResult {
    let probes = Arc::new(govwatch_probes::all(rules));
    match inspect(
        crawler, site, as_of, &probes, previous, None, None, None, None, None,
    )
    .await
    {
        Ok((r, _)) => r,
        Err(e) => {
            // only a probe that panicked can get here when nothing is stored
            tracing::error!(site = %site.id, error = %e, "inspecting a site failed");
            SiteResult {
                site: site.clone(),
                started_at: as_of,
                finished_at: as_of,
                fetches: vec![],
                pages: vec![],
                samples: vec![],
                facts: vec![],
                findings: vec![],
            }
        }
    }
}

/// Why one site could not be inspected to the end.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the archived body of {0} is missing from the store")]
    BodyLost(String),
    #[error("probing the site failed: {0}")]
    Probes(String),
    #[error("the monitoring machine cannot reach the network: {0}")]
    NetworkDown(String),
}

/// The links of a site's pages, packed while the site is crawled: every distinct string once,
/// each page a list of indices. A site in flight keeps no page text and no link objects; the
/// pages get their links back when the probes run.
#[derive(Default)]
struct LinkTable {
    strings: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
    pages: HashMap<u64, Vec<(u32, u32, u32, LinkKind)>>,
}

/// A page's key in the per-site tables while the site is in flight (a hash of its URL, so the
/// URL is not kept a third time).
fn url_key(url: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    h.finish()
}

impl LinkTable {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let a: Arc<str> = Arc::from(s);
        let i = self.strings.len() as u32;
        self.strings.push(a.clone());
        self.index.insert(a, i);
        i
    }

    fn keep(&mut self, page: &Page) {
        let packed = page
            .links
            .iter()
            .map(|l| {
                (
                    self.intern(&l.url),
                    self.intern(&l.raw),
                    self.intern(&l.text),
                    l.kind,
                )
            })
            .collect();
        self.pages.insert(url_key(&page.fetch.url), packed);
    }

    fn links_of(&self, url: &str) -> Option<Vec<Link>> {
        let s = |i: u32| self.strings[i as usize].to_string();
        self.pages.get(&url_key(url)).map(|v| {
            v.iter()
                .map(|&(u, r, t, kind)| Link {
                    url: s(u),
                    raw: s(r),
                    text: s(t),
                    kind,
                })
                .collect()
        })
    }
}

/// What the crawl hands each page to, for one site: while the page's DOM is at hand, every
/// probe scans it, its search boxes and links are noted, and (in a stored run) its text is
/// streamed to the store — so a site in flight holds no page text, no DOM and no link objects,
/// and its probes need not parse any page again.
struct SiteSink {
    site: Site,
    as_of: Timestamp,
    probes: Arc<Vec<Box<dyn Probe>>>,
    bodies: Option<StoreWriter>,
    search: Mutex<SearchScan>,
    template: Mutex<Option<Arc<HashSet<u64>>>>,
    scans: Mutex<HashMap<u64, PageScans>>,
    links: Mutex<LinkTable>,
    lost: Mutex<Option<String>>,
    /// What the probes read of the site's attachments, with their `probe.error` facts.
    attachments: Mutex<(Vec<PageScans>, Vec<Fact>)>,
    /// Pages to read again in the browser (when the crawler has one): what their static
    /// reading found built by script.
    render: Option<rendering::Wanted>,
    /// Where the run gathers its estimates from home pages (a stored run's only).
    homes: Option<Arc<HomeBoard>>,
    /// The run's crawl settings (for the estimate from the home page).
    settings: Option<govwatch_config::CrawlSettings>,
}

/// The run's estimates of requests from the home pages read so far, by site id
/// ([`plan::estimate_from_home`]).
#[derive(Default)]
pub struct HomeBoard {
    estimates: Mutex<HashMap<String, u64>>,
}

impl HomeBoard {
    fn note(&self, site: &str, requests: u64) {
        locked(&self.estimates).insert(site.to_string(), requests);
    }

    /// The estimates so far.
    pub fn estimates(&self) -> HashMap<String, u64> {
        locked(&self.estimates).clone()
    }
}

/// Distinct pages of the site a home page links to (anchors on its own host, documents aside).
fn home_links(page: &Page) -> usize {
    let Ok(base) = url::Url::parse(&page.fetch.final_url) else {
        return 0;
    };
    let mut seen = HashSet::new();
    for l in &page.links {
        if l.kind != LinkKind::Anchor {
            continue;
        }
        let Ok(mut u) = url::Url::parse(&l.url) else {
            continue;
        };
        if u.host_str() != base.host_str() || govwatch_crawler::frontier::looks_like_document(&u) {
            continue;
        }
        u.set_fragment(None);
        if u.path() == "/index.html" || u.path() == "/index.htm" {
            u.set_path("/");
        }
        if u.as_str() != base.as_str() {
            seen.insert(u.to_string());
        }
    }
    seen.len()
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl PageSink for SiteSink {
    fn page(&self, page: &mut Page, doc: &Html) {
        let rendered = rendering::is_rendered(page);
        if rendered {
            locked(&self.search).rendered_page(page, doc);
        } else {
            locked(&self.search).add(page, doc);
            if let Some(w) = &self.render {
                w.note(page, doc, self.as_of);
            }
        }
        if !rendered
            && page.depth == 0
            && page.is_html
            && let (Some(board), Some(settings)) = (&self.homes, &self.settings)
        {
            let n = plan::estimate_from_home(&self.site, settings, home_links(page));
            board.note(&self.site.id, n);
        }
        let Some(writer) = &self.bodies else { return };
        if !page.is_html {
            return;
        }
        // the home page comes first: its text nodes are the template other pages are read against
        if page.depth == 0 && locked(&self.template).is_none() {
            *locked(&self.template) = Some(Arc::new(govwatch_probes::columns::template(doc)));
        }
        let template = locked(&self.template).clone();
        let cx = ScanCx {
            site: &self.site,
            as_of: self.as_of,
            template: template.as_deref().filter(|_| page.depth > 0),
            text: std::cell::OnceCell::new(),
        };
        let scans = govwatch_probes::scan_page(&self.probes, page, doc, &cx);
        locked(&self.scans).insert(url_key(&page.fetch.url), scans);
        if !rendered {
            // a page read in the browser keeps the links the crawl checked
            locked(&self.links).keep(page);
        }
        let hash = page
            .fetch
            .content_hash
            .clone()
            .unwrap_or_else(|| govwatch_store::text_hash(&page.text));
        page.fetch.content_hash = Some(hash.clone());
        let body = PackedBody {
            hash,
            charset: page.charset.clone(),
            size: page.text.len() as u64,
            data: pack_body(&page.text),
        };
        match writer.put_body(body) {
            Ok(()) => page.text = String::new(),
            Err(e) => {
                locked(&self.lost).get_or_insert_with(|| format!("{}: {e}", page.fetch.url));
            }
        }
    }

    fn keeps_links(&self) -> bool {
        self.bodies.is_none()
    }

    fn attachment(&self, rec: &govwatch_model::FetchRecord, body: Option<&[u8]>) {
        let scans = govwatch_probes::scan_attachment(&self.probes, rec, body);
        let errors = govwatch_probes::attachment_errors(rec, &scans);
        let mut a = locked(&self.attachments);
        a.0.push(scans);
        a.1.extend(errors);
    }
}

/// One site, start to finish: crawl (sharing `cache` with the run's other sites; streaming page
/// texts through `bodies` when given), search, probes. From the end of the crawl on, the site
/// holds one of `slots` (returned with the result, to be kept until the result is stored).
#[allow(clippy::too_many_arguments)]
async fn inspect<'s>(
    crawler: &Crawler,
    site: &Site,
    as_of: Timestamp,
    probes: &Arc<Vec<Box<dyn Probe>>>,
    previous: Option<&Previous>,
    cache: Option<Arc<RunCache>>,
    bodies: Option<StoreWriter>,
    slots: Option<&'s tokio::sync::Semaphore>,
    gate: Option<&network::NetGate>,
    homes: Option<Arc<HomeBoard>>,
) -> Result<(SiteResult, Option<tokio::sync::SemaphorePermit<'s>>), InspectError> {
    let started_at = crawler.now();
    let sink = Arc::new(SiteSink {
        site: site.clone(),
        as_of,
        probes: probes.clone(),
        bodies: bodies.clone(),
        search: Mutex::new(SearchScan::default()),
        template: Mutex::new(None),
        scans: Mutex::new(HashMap::new()),
        links: Mutex::new(LinkTable::default()),
        lost: Mutex::new(None),
        attachments: Mutex::new((Vec::new(), Vec::new())),
        render: rendering::Wanted::for_crawler(crawler),
        settings: homes.is_some().then(|| crawler.settings().clone()),
        homes,
    });
    let ctx = CrawlContext {
        sink: sink.clone(),
        cache,
    };
    let mut crawl = crawler.crawl_site_with(site, &ctx).await;
    // pages whose lists or search boxes a script builds, read again in the browser
    let rendering = rendering::render_phase(crawler, &mut crawl, &sink, &ctx).await;
    search_io(crawler, &mut crawl, &sink, &ctx).await;
    if let Some(lost) = sink.lost.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Err(InspectError::BodyLost(lost));
    }
    // nothing is recorded before the run has seen the network work
    if let Some(g) = gate {
        g.pass().await.map_err(InspectError::NetworkDown)?;
    }
    let t_slot = std::time::Instant::now();
    let slot = match slots {
        Some(s) => Some(s.acquire().await.expect("probe slots never close")),
        None => None,
    };
    let t_load = std::time::Instant::now();
    // the pages' texts back from the store, for the probes
    let packed: HashMap<String, Vec<u8>> = match &bodies {
        None => HashMap::new(),
        Some(w) => {
            // the probes read only the search pages and results again (the crawled pages were
            // scanned as they came)
            let wanted: Vec<String> = crawl
                .search_pages
                .iter()
                .chain(crawl.searches.iter().map(|s| &s.result))
                .filter(|p| p.is_html)
                .filter_map(|p| p.fetch.content_hash.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            w.packed_bodies(wanted).await?.into_iter().collect()
        }
    };
    let previous = previous.cloned();
    let t_probe = std::time::Instant::now();
    let (mut crawl, mut out) = crawler
        .cpu(move || probe_phase(crawl, &sink, packed, bodies, as_of, previous.as_ref()))
        .await
        .map_err(|e| InspectError::Probes(e.to_string()))??;
    // the pages read in the browser: their static record back, their findings marked, their
    // drawn DOM kept beside the raw body
    let rendering = rendering.finish(&mut crawl, &mut out);
    tracing::debug!(
        site = %site.id,
        slot_wait_ms = (t_load - t_slot).as_millis() as u64,
        load_ms = (t_probe - t_load).as_millis() as u64,
        probe_ms = t_probe.elapsed().as_millis() as u64,
        "site probed"
    );
    let mut facts = vec![crawl_summary(&crawl, started_at)];
    facts.extend(crawl_notes(&crawl, started_at));
    facts.extend(std::mem::take(&mut out.facts));
    if crawl.notes.iter().any(|n| n.code == "site.not_inspected") {
        // nothing was read of the site: findings of what was not seen would be false
        out.findings.retain(|f| f.code.starts_with("avail."));
    }
    facts.extend(rendering.facts);
    let mut pages = crawl.pages;
    pages.extend(rendering.pages);
    pages.extend(crawl.search_pages);
    pages.extend(crawl.searches.into_iter().map(|s| s.result));
    let result = SiteResult {
        site: crawl.site,
        started_at,
        finished_at: crawler.now(),
        fetches: crawl.fetches,
        pages,
        samples: crawl.samples,
        facts,
        findings: out.findings,
    };
    Ok((result, slot))
}

/// The CPU part of a site's inspection. In a stored run the pages come back without text or
/// links: their links are unpacked and every probe runs over the scans made while the site was
/// crawled (a page the probes still need to read is read again from the store); the search pages
/// and results get their text back. Texts are dropped again before the result is stored.
fn probe_phase(
    mut crawl: SiteCrawl,
    sink: &SiteSink,
    packed: HashMap<String, Vec<u8>>,
    bodies: Option<StoreWriter>,
    as_of: Timestamp,
    previous: Option<&Previous>,
) -> Result<(SiteCrawl, govwatch_probes::ProbeOutput), InspectError> {
    let streamed = bodies.is_some();
    crawl.complete_fetches();
    let mut scans = Vec::new();
    let mut scan_errors = Vec::new();
    if streamed {
        let table = locked(&sink.links);
        let mut by_url = std::mem::take(&mut *locked(&sink.scans));
        for page in crawl.pages.iter_mut() {
            if let Some(links) = table.links_of(&page.fetch.url) {
                page.links = links;
            }
            let scan = by_url.remove(&url_key(&page.fetch.url)).unwrap_or_default();
            scan_errors.extend(govwatch_probes::scan_errors(page, &scan));
            scans.push(scan);
        }
        for page in crawl
            .search_pages
            .iter_mut()
            .chain(crawl.searches.iter_mut().map(|s| &mut s.result))
        {
            if let Some(links) = table.links_of(&page.fetch.url) {
                page.links = links;
            }
            if !page.is_html {
                continue;
            }
            let hash = page.fetch.content_hash.as_deref().unwrap_or("");
            let data = packed
                .get(hash)
                .ok_or_else(|| InspectError::BodyLost(page.fetch.url.clone()))?;
            page.text = unpack_body(data).map_err(|e| {
                InspectError::Store(StoreError::Io {
                    path: std::path::PathBuf::from(&page.fetch.url),
                    source: e,
                })
            })?;
        }
    }
    let out = {
        // a page a probe must still read is read again from the store
        let loader: Option<govwatch_probes::Loader> = bodies.map(|w| {
            Box::new(move |p: &Page| {
                let hash = p.fetch.content_hash.clone()?;
                let got = w.blocking_packed_bodies(vec![hash]).ok()?;
                let (_, data) = got.into_iter().next()?;
                unpack_body(&data).ok()
            }) as govwatch_probes::Loader
        });
        let template = locked(&sink.template).as_deref().cloned();
        let search_entries = locked(&sink.search).entries();
        // the key of the search probe's site scan (its slot), not a probe that runs
        let search = govwatch_probes::search::Search::default();
        let (attachments, attachment_errors) = std::mem::take(&mut *locked(&sink.attachments));
        let mut input = ProbeInput::with_scans(&crawl, as_of, scans, template, loader)
            .with_site_scan(&search, Box::new(search_entries))
            .with_attachments(attachments);
        input.previous = previous;
        let mut out = govwatch_probes::run_input(&input, &sink.probes);
        out.facts.extend(scan_errors);
        out.facts.extend(attachment_errors);
        out
    };
    if streamed {
        // the store has the texts; the result going to it carries only their hashes
        for page in crawl
            .pages
            .iter_mut()
            .chain(crawl.search_pages.iter_mut())
            .chain(crawl.searches.iter_mut().map(|s| &mut s.result))
        {
            page.text = String::new();
        }
    }
    Ok((crawl, out))
}

/// The search probe's network part, done by the crawler: fetch search pages on other hosts of
/// the site, then submit the planned searches (GET; POST only where the site allows it; never
/// any other form).
async fn search_io(
    crawler: &Crawler,
    crawl: &mut SiteCrawl,
    sink: &Arc<SiteSink>,
    ctx: &CrawlContext,
) {
    let discovery = sink
        .search
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .discovery_links(crawl);
    for u in discovery {
        let Ok(url) = url::Url::parse(&u) else {
            continue;
        };
        let f = crawler.fetch(&url, FetchSpec::PAGE).await;
        crawl.fetches.extend(f.attempts.iter().cloned());
        crawl.search_pages.push(parse_on_cpu(crawler, f, ctx).await);
    }
    let plans = sink
        .search
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .plan(crawl);
    for plan in plans {
        let Ok(url) = url::Url::parse(&plan.url) else {
            continue;
        };
        let f = match (&plan.method[..], &plan.body) {
            ("POST", Some(body)) => crawler.post_search_form(&url, body).await,
            _ => crawler.fetch(&url, FetchSpec::PAGE).await,
        };
        crawl.fetches.extend(f.attempts.iter().cloned());
        crawl.searches.push(SearchAttempt {
            plan,
            result: parse_on_cpu(crawler, f, ctx).await,
        });
    }
}

/// Parses a fetched search page on a CPU worker through the site's sink.
async fn parse_on_cpu(crawler: &Crawler, f: Fetched, ctx: &CrawlContext) -> Page {
    let sink = ctx.sink.clone();
    let fallback = f.last().clone();
    match crawler.cpu(move || parse_page(f, 1, sink.as_ref()).1).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(url = %fallback.url, error = %e, "parsing a search page failed");
            Page::failed(fallback, 1)
        }
    }
}

/// The crawler's own fact about a site: what was fetched and what was left out.
fn crawl_summary(c: &SiteCrawl, at: Timestamp) -> Fact {
    let html = c.pages.iter().filter(|p| p.is_html).count();
    let bytes: u64 = c.fetches.iter().map(|f| f.bytes).sum();
    let errors = c.fetches.iter().filter(|f| f.error.is_some()).count();
    Fact {
        probe: "crawler".into(),
        code: "crawl.summary".into(),
        url: Some(c.site.home.to_string()),
        value: json!({
            "pages": c.pages.len(),
            "html_pages": html,
            "fetches": c.fetches.len(),
            "fetch_errors": errors,
            "bytes": bytes,
            "link_checks": c.link_checks.len(),
            "robots_blocked": c.robots_blocked,
            "skipped": c.skipped,
        }),
        observed_at: at,
    }
}

/// The crawler's notes about a site (budgets, refusals, charsets, not inspected), as facts.
fn crawl_notes(c: &SiteCrawl, at: Timestamp) -> Vec<Fact> {
    c.notes
        .iter()
        .map(|n| Fact {
            probe: "crawler".into(),
            code: n.code.clone(),
            url: n.url.clone(),
            value: n.value.clone(),
            observed_at: at,
        })
        .collect()
}

/// The availability window of `site` over the stored samples of the `window_days` before
/// `until`, as the `avail.window` fact and, when the rule is met, the `avail.unreachable` veto.
pub fn availability_verdict(
    store: &Store,
    site: &Site,
    until: Timestamp,
    rules: &govwatch_config::AvailabilityRules,
) -> Result<(Fact, Option<govwatch_model::Finding>), StoreError> {
    let from = until - chrono::Duration::days(i64::from(rules.window_days));
    let samples = store.samples(&site.id, from, until)?;
    Ok(govwatch_probes::availability::verdict(
        &samples,
        until,
        rules,
        site.home.as_str(),
    ))
}

/// One site of a run: inspected with the run's cache, its page texts streamed to the store, then
/// probed and committed while holding one of the run's probe slots.
#[allow(clippy::too_many_arguments)]
async fn inspect_in_run(
    crawler: &Crawler,
    site: &Site,
    as_of: Timestamp,
    probes: &Arc<Vec<Box<dyn Probe>>>,
    previous: Option<&Previous>,
    cache: Arc<RunCache>,
    writer: &StoreWriter,
    probe_slots: &tokio::sync::Semaphore,
    write_slots: &tokio::sync::Semaphore,
    run_id: i64,
    window: Option<&(Fact, Option<govwatch_model::Finding>)>,
    gate: &network::NetGate,
    homes: Arc<HomeBoard>,
) -> Result<(usize, usize), InspectError> {
    let (mut result, slot) = inspect(
        crawler,
        site,
        as_of,
        probes,
        previous,
        Some(cache),
        Some(writer.clone()),
        Some(probe_slots),
        Some(gate),
        Some(homes),
    )
    .await?;
    if let Some((fact, finding)) = window {
        result.facts.push(fact.clone());
        result.findings.extend(finding.clone());
    }
    let (pages, findings) = (result.pages.len(), result.findings.len());
    if let Some(why) = gate.down() {
        return Err(InspectError::NetworkDown(why));
    }
    let t_write = std::time::Instant::now();
    // the JSON columns are written out on a CPU worker: the store's one writer only inserts
    let prepared = crawler
        .cpu(move || govwatch_store::prepare_site(result, true))
        .await
        .map_err(|e| InspectError::Probes(e.to_string()))??;
    // the next site may be probed while this one waits for the writer, which writes the sites
    // waiting together (a few results, small now, wait at once)
    let _write_slot = write_slots
        .acquire()
        .await
        .expect("write slots never close");
    drop(slot);
    writer.write_prepared(run_id, prepared).await?;
    tracing::debug!(site = %site.id, write_ms = t_write.elapsed().as_millis() as u64, "site written");
    Ok((pages, findings))
}

/// Runs (or resumes) the nightly job over `sites`. Stops early, leaving a resumable run, when
/// `stop` resolves (Ctrl-C, SIGTERM).
pub async fn run(
    crawler: Arc<Crawler>,
    store: Store,
    sites: Vec<Site>,
    opts: RunOptions,
    stop: impl std::future::Future<Output = ()>,
    progress: impl FnMut(Progress),
) -> Result<(RunReport, Store), RunError> {
    let probes = govwatch_probes::all(&opts.rules);
    run_with_probes(crawler, store, sites, opts, probes, stop, progress).await
}

/// [`run`] with these probes instead of every probe of `opts.rules` (tests put a probe that
/// fails beside the others).
pub async fn run_with_probes(
    crawler: Arc<Crawler>,
    mut store: Store,
    sites: Vec<Site>,
    opts: RunOptions,
    probes: Vec<Box<dyn Probe>>,
    stop: impl std::future::Future<Output = ()>,
    mut progress: impl FnMut(Progress),
) -> Result<(RunReport, Store), RunError> {
    let sites: Vec<Site> = match &opts.only {
        None => sites,
        Some(ids) => {
            let known: HashSet<&str> = sites.iter().map(|s| s.id.as_str()).collect();
            let unknown: Vec<&str> = ids
                .iter()
                .map(|s| s.as_str())
                .filter(|i| !known.contains(i))
                .collect();
            if !unknown.is_empty() {
                return Err(RunError::UnknownSites(unknown.join(", ")));
            }
            sites.into_iter().filter(|s| ids.contains(&s.id)).collect()
        }
    };
    // one writer run per database: a second run, or a resume of a live one, stops here
    // (a database in memory is this process's alone)
    let _lock = if store.path() == std::path::Path::new(":memory:") {
        None
    } else {
        Some(govwatch_store::lock::RunLock::acquire(
            store.path(),
            if opts.resume {
                "govwatch run --resume"
            } else {
                "govwatch run"
            },
        )?)
    };
    // our own network first: with no reference host answering, no site can be judged
    network::preflight(&crawler)
        .await
        .map_err(RunError::NetworkDown)?;
    store.upsert_sites(&sites)?;
    let (run_id, as_of) = if opts.resume {
        let row = store
            .latest_unfinished_run()?
            .ok_or(RunError::NothingToResume)?;
        let row = store.resume_run(row.id)?;
        let as_of = chrono::DateTime::parse_from_rfc3339(&row.as_of).unwrap_or(opts.as_of);
        (row.id, as_of)
    } else {
        (store.begin_run(opts.as_of, &opts.settings)?, opts.as_of)
    };
    // The accounts of the sites the run inspects, and the inspectors' observations.
    let accounts = media::accounts_of_run(&opts.accounts, &sites);
    store.upsert_accounts(&accounts)?;
    let accounts_done = store.accounts_done(run_id)?;
    let accounts_todo: Vec<govwatch_model::Account> = accounts
        .iter()
        .filter(|a| !accounts_done.contains(&a.key()))
        .cloned()
        .collect();
    let manual = store.manual_findings()?;
    let done = store.sites_done(run_id)?;
    let todo: Vec<Site> = sites
        .iter()
        .filter(|s| !done.contains(&s.id))
        .cloned()
        .collect();
    // What the last run saw of each site, for the probes that compare runs (backdated items).
    let mut previous: std::collections::HashMap<String, Previous> =
        std::collections::HashMap::new();
    for s in &todo {
        for prefix in ["column.items", "integrity.home_profile"] {
            if let Some((as_of, facts)) = store.previous_facts(&s.id, run_id, prefix)? {
                let p = previous.entry(s.id.clone()).or_insert_with(|| Previous {
                    as_of: Some(as_of),
                    facts: vec![],
                });
                p.facts.extend(facts);
            }
        }
    }
    let previous = &previous;
    // The availability window of each site: the stored samples of the week before the monitoring
    // time (the daemon's and earlier runs'), judged by the veto rule.
    let mut windows: std::collections::HashMap<String, (Fact, Option<govwatch_model::Finding>)> =
        std::collections::HashMap::new();
    for s in &todo {
        windows.insert(
            s.id.clone(),
            availability_verdict(&store, s, as_of, &opts.rules.availability)?,
        );
    }
    let windows = &windows;
    let history = store.recent_site_fetches()?;
    let china = govwatch_model::time::CHINA_TZ;
    // the server address of every home host, for the bound per server (resolved once; the
    // requests use the same answers)
    let hosts: Vec<String> = todo
        .iter()
        .filter_map(|s| s.home.host_str().map(str::to_ascii_lowercase))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let addresses = crawler.server_addresses(&hosts).await;
    let the_plan = plan::plan_with(
        &todo,
        crawler.settings(),
        &plan::Known {
            history: &history,
            addresses: &addresses,
            ..Default::default()
        },
        chrono::Utc::now().with_timezone(&china),
    );
    progress(Progress::Planned(&the_plan));
    let already_done = sites.len() - todo.len();
    progress(Progress::Started {
        run_id,
        total: sites.len(),
        already_done,
    });
    tracing::info!(run_id, sites = sites.len(), already_done, %as_of, "run started");

    let (writer, handle) = spawn_writer(store);
    let concurrency = the_plan.in_flight.max(1);
    let gate = Arc::new(network::NetGate::new(&crawler, concurrency.min(todo.len())));
    let watcher = tokio::spawn(
        gate.clone()
            .watch(crawler.clone(), std::time::Duration::from_secs(10)),
    );
    let requests_at_start = crawler.requests_sent();
    let gates_at_start = crawler.gates().request_counts();
    let addresses_at_start = crawler.address_gates().request_counts();
    let started = std::time::Instant::now();
    // Every probe, built once for the run (their word matchers are not small).
    let probes = Arc::new(probes);
    let probes = &probes;
    // One answer per URL for the whole run, shared by every site.
    let cache = Arc::new(RunCache::new());
    // Sites between the end of their crawl and their commit: each holds its pages' texts and
    // parsed pages while it is probed, so only a few at a time (one per core, plus one loading).
    let probe_slots = Arc::new(tokio::sync::Semaphore::new(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            + 1,
    ));
    // Results waiting for the store's writer (written together, in one transaction).
    let write_slots = Arc::new(tokio::sync::Semaphore::new(16));
    let homes = Arc::new(HomeBoard::default());
    let start_site = |site: Site| {
        let crawler = crawler.clone();
        let writer = writer.clone();
        let cache = cache.clone();
        let probe_slots = probe_slots.clone();
        let write_slots = write_slots.clone();
        let gate = gate.clone();
        let homes = homes.clone();
        async move {
            let r = inspect_in_run(
                &crawler,
                &site,
                as_of,
                probes,
                previous.get(&site.id),
                cache,
                &writer,
                &probe_slots,
                &write_slots,
                run_id,
                windows.get(&site.id),
                &gate,
                homes,
            )
            .await;
            (site, r)
        }
    };
    // Sites start as they fit: at most `concurrency` in flight, and none while the process is
    // near its memory budget (at least one always goes on).
    let budget_mb = crawler.settings().memory_budget_mb;
    let first_wave = concurrency.min(todo.len());
    let mut waiting: std::collections::VecDeque<Site> = todo.iter().cloned().collect();
    let mut results = futures::stream::FuturesUnordered::new();
    let (mut peak_resident, mut held_secs) = (None::<u64>, 0u64);
    let mut finished = 0usize;
    let mut replanned = todo
        .iter()
        .all(|s| history.get(&s.id).is_some_and(|&n| n > 0));
    let (mut pages, mut findings, mut interrupted) = (0, 0, false);
    let mut first_error: Option<StoreError> = None;
    let mut failed_sites: Vec<String> = Vec::new();
    let mut network_down: Option<String> = None;
    let mut down_rx = gate.subscribe_down();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tokio::pin!(stop);
    loop {
        let resident = memory::resident_mb();
        peak_resident = peak_resident.max(resident);
        let mut held = false;
        while results.len() < concurrency && !waiting.is_empty() {
            if !memory::may_start(resident, budget_mb, results.len()) {
                held = true;
                break;
            }
            let site = waiting.pop_front().expect("not empty");
            results.push(start_site(site));
        }
        tokio::select! {
            _ = tick.tick() => {
                progress(Progress::Tick { requests: crawler.requests_sent() - requests_at_start });
                if held {
                    held_secs += 1;
                    progress(Progress::MemoryHeld {
                        resident_mb: resident.unwrap_or(0),
                        budget_mb,
                        in_flight: results.len(),
                        waiting: waiting.len(),
                    });
                }
                // a first run plans again once the first sites' home pages are read
                if !replanned {
                    let home = homes.estimates();
                    // every site of the first wave read its home page, or finished without one
                    if home.len() + finished >= first_wave {
                        replanned = true;
                        let again = plan::plan_with(
                            &todo,
                            crawler.settings(),
                            &plan::Known {
                                history: &history,
                                home: &home,
                                addresses: &addresses,
                            },
                            chrono::Utc::now().with_timezone(&china),
                        );
                        tracing::info!(
                            run_id,
                            replanned_requests = again.requests,
                            from_home = again.from_home,
                            bound_ms = again.bound.as_millis() as u64,
                            "plan updated"
                        );
                        progress(Progress::Replanned(&again));
                    }
                }
            }
            _ = down_rx.changed() => {
                if let Some(why) = gate.down() {
                    tracing::error!(run_id, %why, "the monitoring machine's network is down: stopping the run");
                    network_down = Some(why);
                    break;
                }
            }
            next = results.next() => match next.inspect(|_| finished += 1) {
                None => break,
                Some((site, Ok((p, f)))) => {
                    pages += p;
                    findings += f;
                    progress(Progress::SiteDone { site: &site, pages: p, findings: f });
                }
                Some((_, Err(InspectError::NetworkDown(why)))) => {
                    network_down = Some(why);
                    break;
                }
                Some((site, Err(InspectError::Store(e)))) => {
                    tracing::error!(site = %site.id, error = %e, "could not store a site's result");
                    first_error.get_or_insert(e);
                }
                Some((site, Err(e))) => {
                    // this site is left unrecorded (resumable); the night goes on
                    tracing::error!(site = %site.id, error = %e, "could not inspect a site");
                    failed_sites.push(format!("{}: {e}", site.id));
                }
            },
            _ = &mut stop => {
                tracing::warn!(run_id, "stop requested: abandoning sites in flight; committed sites are kept");
                interrupted = true;
                break;
            }
        }
    }
    drop(results);
    let mut media_done = media::AccountsDone::default();
    if !interrupted && network_down.is_none() && first_error.is_none() && !accounts_todo.is_empty()
    {
        tracing::info!(
            run_id,
            accounts = accounts_todo.len(),
            "reading new-media accounts"
        );
        media_done = media::run_accounts(
            &crawler,
            &writer,
            run_id,
            accounts_todo,
            &opts.accounts,
            &manual,
            as_of,
            &opts.rules,
            &mut stop,
        )
        .await;
        interrupted = media_done.interrupted;
        if let Some(e) = media_done.error.take() {
            first_error.get_or_insert(e);
        }
    }
    watcher.abort();
    drop(writer);
    let mut store = handle.join().map_err(|_| RunError::WriterGone)??;
    if let Some(e) = first_error {
        store.finish_run(run_id, RunStatus::Failed, Some(&e.to_string()))?;
        return Err(e.into());
    }
    if let Some(why) = &network_down {
        let note = format!(
            "stopped: the monitoring machine cannot reach the network ({why}); sites recorded \
             before are kept, none after; resume when the network is back"
        );
        store.finish_run(run_id, RunStatus::Interrupted, Some(&note))?;
    } else if interrupted {
        store.mark_interrupted(run_id)?;
    } else if failed_sites.is_empty() {
        store.finish_run(run_id, RunStatus::Done, None)?;
    } else {
        let note = format!(
            "{} site(s) could not be inspected: {}",
            failed_sites.len(),
            failed_sites.join("; ")
        );
        store.finish_run(run_id, RunStatus::Done, Some(&note))?;
    }
    let busiest_host = crawler.gates().busiest_since(&gates_at_start);
    let busiest_address = crawler.address_gates().busiest_since(&addresses_at_start);
    let report = RunReport {
        run_id,
        as_of,
        sites: sites.len(),
        already_done,
        pages,
        findings,
        interrupted: interrupted || network_down.is_some(),
        network_down,
        plan: the_plan,
        wall: started.elapsed(),
        requests: crawler.requests_sent() - requests_at_start,
        busiest_host,
        busiest_address,
        peak_resident_mb: peak_resident.max(memory::resident_mb()),
        memory_held_secs: held_secs,
        accounts: accounts.len(),
        accounts_done: media_done.accounts,
        account_findings: media_done.findings,
        render: crawler.renderer().map(|r| r.stats()),
        failed_sites,
    };
    // one line for tools that measure runs (the benchmark reads it): the bound the run met
    let ms = |d: std::time::Duration| d.as_millis() as u64;
    tracing::info!(
        run_id,
        wall_ms = ms(report.wall),
        requests = report.requests,
        planned_requests = report.plan.requests,
        busiest_host = report.busiest_host.as_ref().map(|b| b.0.as_str()).unwrap_or(""),
        busiest_host_requests = report.busiest_host.as_ref().map(|b| b.1).unwrap_or(0),
        host_bound_ms = report.busiest_host.as_ref().map(|b| ms(b.2)).unwrap_or(0),
        busiest_address = %report.busiest_address.map(|b| b.0.to_string()).unwrap_or_default(),
        busiest_address_requests = report.busiest_address.map(|b| b.1).unwrap_or(0),
        address_bound_ms = report.busiest_address.map(|b| ms(b.2)).unwrap_or(0),
        peak_resident_mb = report.peak_resident_mb.unwrap_or(0),
        memory_held_secs = report.memory_held_secs,
        rendered_pages = report.render.map(|r| r.pages).unwrap_or(0),
        render_launches = report.render.map(|r| r.launches).unwrap_or(0),
        render_ms = report.render.map(|r| r.total_ms).unwrap_or(0),
        render_cpu_ms = report.render.map(|r| r.cpu_ms).unwrap_or(0),
        render_peak_mb = report.render.map(|r| r.peak_rss_kib / 1024).unwrap_or(0),
        "run finished"
    );
    Ok((report, store))
}
