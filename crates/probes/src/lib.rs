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
//! - [`media`]: government new-media accounts over their feeds' posts (not updated, stop
//!   announcements, reposts, ads, off-topic posts, duplicate accounts, inspectors' findings).
//!   Codes `media.*`.
//!
//! Every code is documented in `docs/codes.md`.

pub mod availability;
pub mod columns;
pub mod dates;
pub mod evidence;
pub mod integrity;
pub mod interaction;
pub mod interpretation;
pub mod ipv6;
pub mod links;
pub mod media;
pub mod search;

pub use govwatch_config::ProbeRules;
use govwatch_model::{Fact, Finding, Page, SiteCrawl, Timestamp};
use scraper::Html;
use std::cell::OnceCell;

/// What a probe sees of one site in one run.
pub struct ProbeInput<'a> {
    pub crawl: &'a SiteCrawl,
    /// The monitoring time point every date rule is judged against.
    pub as_of: Timestamp,
    /// What the newest earlier run recorded for the site (for comparisons across runs).
    pub previous: Option<&'a Previous>,
    doms: Vec<OnceCell<Html>>,
    texts: Vec<OnceCell<String>>,
}

/// Facts of the newest earlier run that finished the site, with its monitoring time.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    pub as_of: Option<Timestamp>,
    pub facts: Vec<Fact>,
}

impl<'a> ProbeInput<'a> {
    pub fn new(crawl: &'a SiteCrawl, as_of: Timestamp) -> ProbeInput<'a> {
        ProbeInput {
            crawl,
            as_of,
            previous: None,
            doms: (0..crawl.pages.len()).map(|_| OnceCell::new()).collect(),
            texts: (0..crawl.pages.len()).map(|_| OnceCell::new()).collect(),
        }
    }

    pub fn pages(&self) -> &'a [Page] {
        &self.crawl.pages
    }

    /// The home page, when it was fetched.
    pub fn home(&self) -> Option<&'a Page> {
        self.crawl.pages.iter().find(|p| p.depth == 0)
    }

    /// The visible text of page `i` (no script, style or head; white space folded), computed
    /// once on first use and shared by every probe.
    pub fn text(&self, i: usize) -> &str {
        self.texts[i]
            .get_or_init(|| integrity::visible_text(self.dom(i), &std::collections::HashSet::new()))
    }

    /// The parsed DOM of page `i`, parsed once on first use and shared by every probe.
    pub fn dom(&self, i: usize) -> &Html {
        self.doms[i].get_or_init(|| Html::parse_document(&self.crawl.pages[i].text))
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
pub trait Probe {
    /// Short stable name, the prefix of its codes (`links`, `availability`, …).
    fn name(&self) -> &'static str;
    fn run(&self, input: &ProbeInput) -> ProbeOutput;
}

/// Every probe, in the order they run, with its thresholds.
pub fn all(rules: &ProbeRules) -> Vec<Box<dyn Probe>> {
    vec![
        Box::new(availability::Availability),
        Box::new(links::Links),
        Box::new(ipv6::Ipv6 {
            rules: rules.ipv6.clone(),
        }),
        Box::new(search::Search),
        Box::new(columns::Columns {
            rules: rules.columns.clone(),
        }),
        Box::new(interpretation::Interpretation),
        Box::new(integrity::Integrity::new(rules.integrity.clone())),
        Box::new(interaction::Interaction::new(
            rules.interaction.clone(),
            rules.calendar.clone(),
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
    let mut out = ProbeOutput::default();
    for p in all(rules) {
        out.extend(p.run(&input));
    }
    out
}
