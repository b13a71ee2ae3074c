//! One site's inspection: its crawl (through its page sink, `SiteSink`), the pages read again
//! in the browser, the searches, then the probe phase over what the sink kept (in a run, with
//! the run's cache, store and slots: `Stored`). Also the site's availability window from the
//! stored samples ([`availability_verdict`]).

use crate::lock::locked;
use crate::sink::{HomeBoard, SiteSink, url_key};
use crate::{network, rendering};
use govwatch_config::ProbeRules;
use govwatch_crawler::Crawler;
use govwatch_crawler::cache::RunCache;
use govwatch_crawler::site::CrawlContext;
use govwatch_model::{Fact, Page, Site, SiteCrawl, SiteResult, Timestamp};
use govwatch_probes::{Previous, Probe, ProbeInput};
use govwatch_store::{Store, StoreError, StoreWriter, unpack_body};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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
    match inspect(crawler, site, as_of, &probes, previous, None).await {
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

/// What a site of a stored run shares with the run: its answers (`cache`), the store's writer
/// its page texts are streamed through (`bodies`), the probe slots one of which it holds from
/// the end of its crawl on, the run's network gate, and its estimates from home pages.
pub(crate) struct Stored<'s> {
    pub(crate) cache: Arc<RunCache>,
    pub(crate) bodies: StoreWriter,
    pub(crate) slots: &'s tokio::sync::Semaphore,
    pub(crate) gate: &'s network::NetGate,
    pub(crate) homes: Arc<HomeBoard>,
}

/// One site, start to finish: crawl, search, probes; in a stored run (`run`), sharing the run's
/// cache, streaming page texts to the store, and from the end of the crawl on holding one of the
/// run's probe slots (returned with the result, to be kept until the result is stored).
pub(crate) async fn inspect<'s>(
    crawler: &Crawler,
    site: &Site,
    as_of: Timestamp,
    probes: &Arc<Vec<Box<dyn Probe>>>,
    previous: Option<&Previous>,
    run: Option<Stored<'s>>,
) -> Result<(SiteResult, Option<tokio::sync::SemaphorePermit<'s>>), InspectError> {
    let (cache, bodies, slots, gate, homes) = match run {
        Some(r) => (
            Some(r.cache),
            Some(r.bodies),
            Some(r.slots),
            Some(r.gate),
            Some(r.homes),
        ),
        None => (None, None, None, None, None),
    };
    let started_at = crawler.now();
    let sink = Arc::new(SiteSink::new(
        crawler,
        site,
        as_of,
        probes,
        bodies.clone(),
        homes,
    ));
    let ctx = CrawlContext {
        sink: sink.clone(),
        cache,
    };
    let mut crawl = crawler.crawl_site_with(site, &ctx).await;
    // pages whose lists or search boxes a script builds, read again in the browser
    let rendering = rendering::render_phase(
        crawler,
        &mut crawl,
        &ctx,
        sink.render.as_ref(),
        &sink.search,
        bodies.is_some(),
    )
    .await;
    // the search probe's network part, done by the crawler
    govwatch_crawler::search_io::search_io(
        crawler,
        &mut crawl,
        &ctx,
        |c| locked(&sink.search).discovery_links(c),
        |c| locked(&sink.search).plan(c),
    )
    .await;
    if let Some(lost) = locked(&sink.lost).take() {
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
    let packed = match &bodies {
        None => HashMap::new(),
        Some(w) => packed_for_probes(&crawl, w).await?,
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

/// The stored bodies the probes read again: only the search pages and results (the crawled
/// pages were scanned as they came), by content hash.
async fn packed_for_probes(
    crawl: &SiteCrawl,
    bodies: &StoreWriter,
) -> Result<HashMap<String, Vec<u8>>, StoreError> {
    let wanted: Vec<String> = crawl
        .search_pages
        .iter()
        .chain(crawl.searches.iter().map(|s| &s.result))
        .filter(|p| p.is_html)
        .filter_map(|p| p.fetch.content_hash.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    Ok(bodies.packed_bodies(wanted).await?.into_iter().collect())
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
