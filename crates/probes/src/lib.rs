//! Probes: pure judges of what the crawler gathered.
//!
//! A probe takes a site's crawl ([`ProbeInput`]: fetched pages with decoded text, a parsed DOM on
//! demand, every fetch record, link checks and availability samples) and returns facts and
//! findings. No probe opens a socket or reads a clock: that keeps them testable offline and keeps
//! politeness in one place, the crawler.
//!
//! Adding a probe is one module and one line in [`all`]. Probes so far:
//! - [`availability`]: home page samples (rule: 站点无法访问). Codes `avail.sample`, `avail.sample_failed`.
//! - [`links`]: broken links and resources (rule: 错链/死链). Codes `link.summary`, `link.broken_home`,
//!   `link.broken`.
//! - [`ipv6`]: IPv6 support (AAAA, every address, same content, name servers, link support).
//!   Codes `ipv6.*`.
//! - [`search`]: site search present, working, without column-first or scope restrictions.
//!   Codes `search.*`.
//! - [`columns`]: stale, blank and undated columns, home page updates, backdated items.
//!   Codes `column.*`, `home.stale`, `content.backdated`.
//! - [`interpretation`]: policy documents and their interpretations linked both ways, to the
//!   right document. Code `policy.interpretation_mismatch`.
//! - [`integrity`]: hidden link farms, spam words, hijack scripts, defacement, privacy leaks, HTTPS.
//!   Codes `integrity.*`, `privacy.*`, `security.*`.
//! - [`interaction`]: consultation channels, message-form limits, reply lookup, letters and reply
//!   latency in working days, surveys, commercial content. Codes `message.*`, `survey.count`,
//!   `content.commercial_ad`.
//! - [`attachments`]: personal data in the site's attachments (xlsx, xls, et, ods, docx, odt, PDF,
//!   csv, txt), read from the bytes the crawler fetched. Codes `attachment.*`, `privacy.attachment`.
//! - [`identity`]: the site's identity marks on its home page (网站标识码, ICP and 公安 filings,
//!   the conac badge, 主办单位, the 我为政府网站找错 entry). Codes `identity.*`.
//! - [`accessibility`]: the accessibility baseline (an accessible-mode entry, images without alt,
//!   inputs without labels, the page language). Codes `a11y.*`.
//! - [`media`]: government new-media accounts over their feeds' posts (not updated, stop
//!   announcements, reposts, ads, off-topic posts, duplicate accounts, inspectors' findings).
//!   Codes `media.*`.
//! - [`wording`]: 严重表述错误 — leaders' names and titles, formulations, known wrong forms, on
//!   every page and in new-media posts. Codes `wording.serious`, `wording.suspect`.
//!
//! Every code is documented in `docs/codes.md`.

pub mod accessibility;
pub mod attachments;
pub mod availability;
pub mod columns;
pub mod dates;
pub mod evidence;
pub mod html;
pub mod identity;
pub mod integrity;
pub mod interaction;
pub mod interpretation;
pub mod ipv6;
pub mod links;
pub mod lists;
pub mod media;
pub mod scripted;
pub mod search;
pub mod wording;

pub use govwatch_config::ProbeRules;
use govwatch_model::{Fact, Finding, Page, Site, SiteCrawl, Timestamp};
use scraper::Html;
use std::any::Any;
use std::cell::OnceCell;
use std::collections::HashSet;

/// The codes any probe may give (each probe's own are in its `codes` module; all are listed in
/// `docs/codes.md`).
pub mod codes {
    /// `probe.error` (fact): a probe failed on this site; the night goes on.
    pub const PROBE_ERROR: &str = "probe.error";
    /// Every code above.
    pub const ALL: &[&str] = &[PROBE_ERROR];
}

/// What a probe reads of one page while the page's DOM is at hand ([`Probe::scan`]).
pub type Scan = Box<dyn Any + Send + Sync>;

/// Slots of [`PageScans`]: one per probe that scans pages.
pub const SCAN_SLOTS: usize = 9;

/// The scans of one page, by probe slot ([`Probe::slot`]); `scanned` when the page was scanned
/// at all (an empty slot then means the probe noted nothing, not that it has yet to read).
#[derive(Default)]
pub struct PageScans {
    pub slots: [Option<Scan>; SCAN_SLOTS],
    pub scanned: bool,
    /// Probes whose scan panicked on this page, with the panic's message: their slot stays
    /// empty (the probe then sees nothing to note here), and the run records a `probe.error`
    /// fact naming the page ([`scan_errors`]).
    pub panics: Vec<(String, String)>,
}

/// What the probes read of one attachment of the site ([`Probe::attachment`]), on a CPU worker
/// while its bytes are at hand; a probe that panics on it is noted like a page scan's panic.
pub fn scan_attachment(
    probes: &[Box<dyn Probe>],
    rec: &govwatch_model::FetchRecord,
    body: Option<&[u8]>,
) -> PageScans {
    let mut out = PageScans {
        scanned: true,
        ..Default::default()
    };
    for p in probes {
        if let Some(slot) = p.slot() {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.attachment(rec, body)))
            {
                Ok(scan) => out.slots[slot] = scan,
                Err(e) => out.panics.push((p.name().to_string(), panic_message(&*e))),
            }
        }
    }
    out
}

/// The `probe.error` facts of the probes that panicked reading the attachment `rec`.
pub fn attachment_errors(rec: &govwatch_model::FetchRecord, scans: &PageScans) -> Vec<Fact> {
    scans
        .panics
        .iter()
        .map(|(probe, msg)| Fact {
            probe: probe.clone(),
            code: "probe.error".into(),
            url: Some(rec.url.clone()),
            value: serde_json::json!({ "probe": probe, "error": msg, "attachment": rec.url }),
            observed_at: rec.started_at,
        })
        .collect()
}

/// The `probe.error` facts of the scans that panicked on `page`.
pub fn scan_errors(page: &Page, scans: &PageScans) -> Vec<Fact> {
    scans
        .panics
        .iter()
        .map(|(probe, msg)| Fact {
            probe: probe.clone(),
            code: "probe.error".into(),
            url: Some(page.fetch.url.clone()),
            value: serde_json::json!({ "probe": probe, "error": msg, "page": page.fetch.url }),
            observed_at: page.fetch.started_at,
        })
        .collect()
}

/// The message a panic carried (`panic!` with a literal or a formatted string).
fn panic_message(e: &(dyn Any + Send)) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// What a page scan may know besides the page: the site, the monitoring time, and the text
/// nodes of the site's home page (its template: navigation, header, footer), which the home page
/// gives before any other page is fetched.
pub struct ScanCx<'a> {
    pub site: &'a Site,
    pub as_of: Timestamp,
    pub template: Option<&'a HashSet<u64>>,
    /// The page's visible text, computed once for every probe that reads it.
    pub text: OnceCell<String>,
}

impl ScanCx<'_> {
    /// The visible text of the page being scanned (see [`ProbeInput::text`]).
    pub fn visible_text(&self, doc: &Html) -> &str {
        self.text
            .get_or_init(|| html::visible_text(doc, &HashSet::new()))
    }
}

/// Scans one page for every probe that scans pages (see [`Probe::scan`]).
pub fn scan_page(probes: &[Box<dyn Probe>], page: &Page, doc: &Html, cx: &ScanCx) -> PageScans {
    let mut out = PageScans {
        scanned: true,
        ..Default::default()
    };
    for p in probes {
        if let Some(slot) = p.slot() {
            // one page no one foresaw must not end the site's crawl, nor the night
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.scan(page, doc, cx))) {
                Ok(scan) => out.slots[slot] = scan,
                Err(e) => out.panics.push((p.name().to_string(), panic_message(&*e))),
            }
        }
    }
    out
}

/// Reads a page's text again when it is not in memory (the nightly run keeps it in the store).
pub type Loader<'a> = Box<dyn Fn(&Page) -> Option<String> + 'a>;

/// What a probe sees of one site in one run.
///
/// Pages come with their scans when they were scanned during the crawl (the nightly run); a scan
/// missing, or a page's DOM or text asked for, is computed here on first use (the page's text
/// read again through the loader when it is not in memory), so a probe gives the same answer
/// either way.
pub struct ProbeInput<'a> {
    pub crawl: &'a SiteCrawl,
    /// The monitoring time point every date rule is judged against.
    pub as_of: Timestamp,
    /// What the newest earlier run recorded for the site (for comparisons across runs).
    pub previous: Option<&'a Previous>,
    doms: Vec<OnceCell<Html>>,
    texts: Vec<OnceCell<String>>,
    raw: Vec<OnceCell<String>>,
    scans: Vec<[OnceCell<Option<Scan>>; SCAN_SLOTS]>,
    template: OnceCell<HashSet<u64>>,
    loader: Option<Loader<'a>>,
    site_scans: [Option<Scan>; SCAN_SLOTS],
    attachments: Vec<PageScans>,
    norms: std::cell::RefCell<std::collections::HashMap<String, Option<String>>>,
}

/// Facts of the newest earlier run that finished the site, with its monitoring time.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    pub as_of: Option<Timestamp>,
    pub facts: Vec<Fact>,
}

impl<'a> ProbeInput<'a> {
    pub fn new(crawl: &'a SiteCrawl, as_of: Timestamp) -> ProbeInput<'a> {
        let n = crawl.pages.len();
        ProbeInput {
            crawl,
            as_of,
            previous: None,
            doms: (0..n).map(|_| OnceCell::new()).collect(),
            texts: (0..n).map(|_| OnceCell::new()).collect(),
            raw: (0..n).map(|_| OnceCell::new()).collect(),
            scans: (0..n).map(|_| Default::default()).collect(),
            template: OnceCell::new(),
            loader: None,
            site_scans: Default::default(),
            attachments: Vec::new(),
            norms: Default::default(),
        }
    }

    /// Adds what the probes read of the site's attachments during the crawl
    /// ([`scan_attachment`]).
    pub fn with_attachments(mut self, scans: Vec<PageScans>) -> Self {
        self.attachments = scans;
        self
    }

    /// What `probe` read of each attachment of the site, in the order they were read.
    pub fn attachment_scans<T: Any>(&self, probe: &dyn Probe) -> Vec<&T> {
        let Some(slot) = probe.slot() else {
            return Vec::new();
        };
        self.attachments
            .iter()
            .filter_map(|s| s.slots[slot].as_ref())
            .filter_map(|s| s.downcast_ref::<T>())
            .collect()
    }

    /// [`govwatch_model::normalize_url_str`], remembered: a site's pages repeat the same links
    /// (navigation, footer) hundreds of times, and the probes normalise each of them.
    pub fn normalized(&self, url: &str) -> Option<String> {
        if let Some(n) = self.norms.borrow().get(url) {
            return n.clone();
        }
        let n = govwatch_model::normalize_url_str(url);
        self.norms.borrow_mut().insert(url.to_string(), n.clone());
        n
    }

    /// Adds what the crawl noted for `probe` over the whole site (e.g. the search boxes found
    /// page by page), so the probe need not read the pages again.
    pub fn with_site_scan(mut self, probe: &dyn Probe, scan: Scan) -> Self {
        if let Some(slot) = probe.slot() {
            self.site_scans[slot] = Some(scan);
        }
        self
    }

    /// What the crawl noted for `probe` over the whole site, if anything.
    pub fn site_scan<T: Any>(&self, probe: &dyn Probe) -> Option<&T> {
        self.site_scans[probe.slot()?]
            .as_ref()
            .and_then(|s| s.downcast_ref::<T>())
    }

    /// Like [`ProbeInput::new`], with the pages' scans made during the crawl (`scans[i]` for
    /// page `i`), the home page's template, and a loader for the pages' text.
    pub fn with_scans(
        crawl: &'a SiteCrawl,
        as_of: Timestamp,
        scans: Vec<PageScans>,
        template: Option<HashSet<u64>>,
        loader: Option<Loader<'a>>,
    ) -> Self {
        let mut input = ProbeInput::new(crawl, as_of);
        for (cells, scan) in input.scans.iter_mut().zip(scans) {
            if !scan.scanned {
                continue;
            }
            for (cell, s) in cells.iter_mut().zip(scan.slots) {
                let _ = cell.set(s);
            }
        }
        if let Some(t) = template {
            let _ = input.template.set(t);
        }
        input.loader = loader;
        input
    }

    pub fn pages(&self) -> &'a [Page] {
        &self.crawl.pages
    }

    /// The home page, when it was fetched.
    pub fn home(&self) -> Option<&'a Page> {
        self.crawl.pages.iter().find(|p| p.depth == 0)
    }

    /// The decoded text (HTML) of page `i`: in memory, or read again through the loader.
    pub fn raw_text(&self, i: usize) -> &str {
        let p = &self.crawl.pages[i];
        if !p.text.is_empty() || !p.is_html {
            return &p.text;
        }
        self.raw[i].get_or_init(|| self.loader.as_ref().and_then(|l| l(p)).unwrap_or_default())
    }

    /// The visible text of page `i` (no script, style or head; white space folded), computed
    /// once on first use and shared by every probe.
    pub fn text(&self, i: usize) -> &str {
        self.texts[i].get_or_init(|| html::visible_text(self.dom(i), &HashSet::new()))
    }

    /// The parsed DOM of page `i`, parsed once on first use and shared by every probe. A page
    /// the crawler did not parse (no body, or over the parse budget: `page.budget_exceeded`) is an
    /// empty document: its text is never handed to the parser here either.
    pub fn dom(&self, i: usize) -> &Html {
        self.doms[i].get_or_init(|| {
            if self.crawl.pages[i].is_html {
                Html::parse_document(self.raw_text(i))
            } else {
                Html::parse_document("")
            }
        })
    }

    /// The home page's template: the text nodes it shares with every page of the site.
    pub fn template(&self) -> &HashSet<u64> {
        self.template
            .get_or_init(|| match self.crawl.pages.first() {
                Some(p) if p.depth == 0 && p.is_html => columns::template(self.dom(0)),
                _ => HashSet::new(),
            })
    }

    /// What `probe` read of page `i`: its scan from the crawl, or the scan made now.
    pub fn scan<T: Any>(&self, probe: &dyn Probe, i: usize) -> Option<&T> {
        let slot = probe.slot()?;
        self.scans[i][slot]
            .get_or_init(|| {
                let page = &self.crawl.pages[i];
                if !page.is_html {
                    return None;
                }
                let template = (i != 0).then(|| self.template());
                let cx = ScanCx {
                    site: &self.crawl.site,
                    as_of: self.as_of,
                    template,
                    text: OnceCell::new(),
                };
                probe.scan(page, self.dom(i), &cx)
            })
            .as_ref()
            .and_then(|s| s.downcast_ref::<T>())
    }
}

/// Facts and findings from one probe.
#[derive(Debug, Default, Clone)]
pub struct ProbeOutput {
    pub facts: Vec<Fact>,
    pub findings: Vec<Finding>,
}

impl ProbeOutput {
    pub fn extend(&mut self, other: ProbeOutput) {
        self.facts.extend(other.facts);
        self.findings.extend(other.findings);
    }
}

/// A judge of one family of rules.
pub trait Probe: Send + Sync {
    /// Short stable name, the prefix of its codes (`links`, `availability`, …).
    fn name(&self) -> &'static str;

    /// The probe's slot in [`PageScans`], when it scans pages.
    fn slot(&self) -> Option<usize> {
        None
    }

    /// What the probe reads of one page, while its DOM is at hand: the nightly run scans each
    /// page as it is fetched and keeps only the scans, so [`Probe::run`] needs neither the
    /// page's text nor its DOM again. `None` for a page with nothing to note.
    fn scan(&self, _page: &Page, _doc: &Html, _cx: &ScanCx) -> Option<Scan> {
        None
    }

    /// What the probe reads of one attachment of the site (a document the crawler fetched from
    /// one of the site's hosts): its fetch record and its bytes (`None`: over the size cap, not
    /// downloaded). Called on a CPU worker while the bytes are at hand; they are dropped after.
    fn attachment(&self, _rec: &govwatch_model::FetchRecord, _body: Option<&[u8]>) -> Option<Scan> {
        None
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput;
}

/// Every probe, in the order they run, with its thresholds.
pub fn all(rules: &ProbeRules) -> Vec<Box<dyn Probe>> {
    vec![
        Box::new(availability::Availability),
        Box::new(links::Links {
            soft_404: rules.soft_404.clone(),
        }),
        Box::new(ipv6::Ipv6 {
            rules: rules.ipv6.clone(),
        }),
        Box::new(search::Search::new(&rules.columns)),
        Box::new(columns::Columns {
            rules: rules.columns.clone(),
        }),
        Box::new(interpretation::Interpretation),
        Box::new(integrity::Integrity::new(rules.integrity.clone())),
        Box::new(interaction::Interaction::new(
            rules.interaction.clone(),
            rules.calendar.clone(),
        )),
        Box::new(wording::Wording::new(&rules.wording)),
        Box::new(attachments::Attachments {
            rules: rules.attachments.clone(),
        }),
        Box::new(identity::Identity::new(rules.identity.clone())),
        Box::new(accessibility::Accessibility::new(
            rules.accessibility.clone(),
        )),
    ]
}

/// Runs every probe on one site; `previous` is what the last run recorded for it, if any.
pub fn run_all(
    crawl: &SiteCrawl,
    as_of: Timestamp,
    rules: &ProbeRules,
    previous: Option<&Previous>,
) -> ProbeOutput {
    let mut input = ProbeInput::new(crawl, as_of);
    input.previous = previous;
    run_input(&input, &all(rules))
}

/// Runs every probe over a prepared input (pages possibly parsed already). A probe that panics
/// (a page no one foresaw) is recorded as a `probe.error` fact and the other probes still run:
/// one bad page never ends the night.
pub fn run_input(input: &ProbeInput, probes: &[Box<dyn Probe>]) -> ProbeOutput {
    let mut out = ProbeOutput::default();
    for p in probes {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.run(input))) {
            Ok(o) => out.extend(o),
            Err(e) => {
                let msg = panic_message(&*e);
                let home = input.home();
                out.facts.push(Fact {
                    probe: p.name().into(),
                    code: codes::PROBE_ERROR.into(),
                    url: Some(input.crawl.site.home.to_string()),
                    value: serde_json::json!({ "probe": p.name(), "error": msg }),
                    observed_at: home.map(|h| h.fetch.started_at).unwrap_or(input.as_of),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwatch_model::{FetchError, Ipv6Gathered, Sample};

    /// A site whose name no longer resolves: the home page never answered, over any family.
    fn unreachable_site() -> SiteCrawl {
        let mut home = links::tests::rec("http://a.gov.test/", None, Some(FetchError::Dns));
        home.bytes = 0;
        home.content_hash = None;
        home.error_message = Some("no record found for a.gov.test".into());
        let page = Page::failed(home.clone(), 0);
        let mut crawl = links::tests::crawl_with(vec![page], vec![]);
        crawl.samples = vec![Sample {
            url: home.url.clone(),
            at: home.started_at,
            family: None,
            ok: false,
            status: None,
            error: Some(FetchError::Dns),
            elapsed_ms: 3,
        }];
        crawl.fetches = vec![home];
        crawl.ipv6 = Some(Ipv6Gathered {
            host: "a.gov.test".into(),
            port: 80,
            ..Default::default()
        });
        crawl
    }

    #[test]
    fn an_unreachable_home_page_gives_only_the_availability_finding() {
        let crawl = unreachable_site();
        let as_of = crawl.fetches[0].started_at;
        let out = run_all(&crawl, as_of, &ProbeRules::default(), None);
        let codes: Vec<&str> = out.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, vec!["avail.sample_failed"]);
        // the IPv6 facts are still recorded, for the record
        assert!(out.facts.iter().any(|f| f.code == "ipv6.aaaa"));
    }

    #[test]
    fn a_failed_aaaa_lookup_is_not_a_missing_aaaa() {
        let mut crawl = unreachable_site();
        crawl.pages[0].fetch = links::tests::rec("http://a.gov.test/", Some(200), None);
        let g = crawl.ipv6.as_mut().unwrap();
        g.a = vec!["203.0.113.7".into()];
        g.dns_error = Some("AAAA a.gov.test: request timed out".into());
        let as_of = crawl.fetches[0].started_at;
        let out = run_all(&crawl, as_of, &ProbeRules::default(), None);
        assert!(
            !out.findings.iter().any(|f| f.code == "ipv6.no_aaaa"),
            "{:?}",
            out.findings
        );
    }

    /// A page kept unparsed by the crawl (over the parse budget: `is_html` false, its text kept)
    /// is never parsed by the probes either: its DOM is empty, its visible text too.
    #[test]
    fn a_page_over_the_parse_budget_is_not_parsed_by_the_probes() {
        let mut crawl = unreachable_site();
        let bomb = format!(
            "<html><body>{}深{}</body></html>",
            "<div>".repeat(2000),
            "</div>".repeat(2000)
        );
        crawl.pages[0].fetch = links::tests::rec("http://a.gov.test/", Some(200), None);
        crawl.pages[0].text = bomb.clone();
        crawl.pages[0].is_html = false;
        let mut sane = crawl.pages[0].clone();
        sane.text = "<html><body><p>正文</p></body></html>".into();
        sane.is_html = true;
        crawl.pages.push(sane);
        let input = ProbeInput::new(&crawl, crawl.fetches[0].started_at);
        assert_eq!(input.dom(0).root_element().text().count(), 0);
        assert_eq!(
            input.dom(0).root_element().descendants().count(),
            3,
            "html, head, body"
        );
        assert_eq!(input.text(0), "");
        assert_eq!(input.raw_text(0), bomb, "the text stays, as evidence");
        assert_eq!(input.text(1), "正文");
    }
}
