//! The page sink of one site: what the crawl hands each page to while its DOM is at hand
//! ([`SiteSink`]), the site's links packed while it is in flight ([`LinkTable`]), and the run's
//! estimates of requests from the home pages read so far ([`HomeBoard`]).

use crate::lock::locked;
use crate::{plan, rendering};
use govwatch_crawler::site::PageSink;
use govwatch_model::{Fact, Link, LinkKind, Page, Site, Timestamp};
use govwatch_probes::search::SearchScan;
use govwatch_probes::{PageScans, Probe, ScanCx};
use govwatch_store::{PackedBody, StoreWriter, pack_body};
use scraper::Html;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// The links of a site's pages, packed while the site is crawled: every distinct string once,
/// each page a list of indices. A site in flight keeps no page text and no link objects; the
/// pages get their links back when the probes run.
#[derive(Default)]
pub(crate) struct LinkTable {
    strings: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
    pages: HashMap<u64, Vec<(u32, u32, u32, LinkKind)>>,
}

/// A page's key in the per-site tables while the site is in flight (a hash of its URL, so the
/// URL is not kept a third time).
pub(crate) fn url_key(url: &str) -> u64 {
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

    pub(crate) fn links_of(&self, url: &str) -> Option<Vec<Link>> {
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
pub(crate) struct SiteSink {
    site: Site,
    as_of: Timestamp,
    pub(crate) probes: Arc<Vec<Box<dyn Probe>>>,
    pub(crate) bodies: Option<StoreWriter>,
    pub(crate) search: Mutex<SearchScan>,
    pub(crate) template: Mutex<Option<Arc<HashSet<u64>>>>,
    pub(crate) scans: Mutex<HashMap<u64, PageScans>>,
    pub(crate) links: Mutex<LinkTable>,
    pub(crate) lost: Mutex<Option<String>>,
    /// What the probes read of the site's attachments, with their `probe.error` facts.
    pub(crate) attachments: Mutex<(Vec<PageScans>, Vec<Fact>)>,
    /// Pages to read again in the browser (when the crawler has one): what their static
    /// reading found built by script.
    pub(crate) render: Option<rendering::Wanted>,
    /// Where the run gathers its estimates from home pages (a stored run's only).
    homes: Option<Arc<HomeBoard>>,
    /// The run's crawl settings (for the estimate from the home page).
    settings: Option<govwatch_config::CrawlSettings>,
}

impl SiteSink {
    /// The sink of `site` for `crawler`: page texts streamed through `bodies` when given, home
    /// page estimates noted on `homes` when given (a stored run's).
    pub(crate) fn new(
        crawler: &govwatch_crawler::Crawler,
        site: &Site,
        as_of: Timestamp,
        probes: &Arc<Vec<Box<dyn Probe>>>,
        bodies: Option<StoreWriter>,
        homes: Option<Arc<HomeBoard>>,
    ) -> SiteSink {
        SiteSink {
            site: site.clone(),
            as_of,
            probes: probes.clone(),
            bodies,
            search: Mutex::new(SearchScan::default()),
            template: Mutex::new(None),
            scans: Mutex::new(HashMap::new()),
            links: Mutex::new(LinkTable::default()),
            lost: Mutex::new(None),
            attachments: Mutex::new((Vec::new(), Vec::new())),
            render: rendering::Wanted::for_crawler(crawler),
            settings: homes.is_some().then(|| crawler.settings().clone()),
            homes,
        }
    }
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
