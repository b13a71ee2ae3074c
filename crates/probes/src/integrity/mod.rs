//! Integrity and security (single veto 1: publishing or linking pornographic, gambling or similar
//! content, defacement not handled; privacy leaks; HTTPS).
//!
//! Real hacked government pages carry a `display:none` block of outbound links to hospitals,
//! lotteries and fake diplomas, an external hijack script, keyword-stuffed titles — while healthy
//! pages hide hundreds of menus and tabs. So hidden alone proves nothing: a hidden block is a link
//! farm only when it links to other hosts *and* carries spam words, or links to many unrelated
//! (non-government) hosts. Words and thresholds are data (`config/integrity.toml`), matched with
//! Aho-Corasick.
//!
//! Findings: `integrity.hidden_links`, `integrity.spam_keywords`, `integrity.external_script`,
//! `integrity.hijack_redirect`, `integrity.defacement` (against the previous run's home page),
//! `integrity.external_link_changed` (an outbound link whose target now serves spam),
//! `privacy.id_number`, `privacy.phone` (masked in the evidence), `security.no_https`,
//! `security.cert_invalid`, `security.mixed_content`. Fact: `integrity.home_profile` (what the
//! next run compares the home page with).
//!
//! One file per check: [`hidden`] (1, link farms), [`spam`] (2, spam words; 6, changed outbound
//! links), [`scripts`] (3, foreign and hijack scripts), [`privacy`] (4, ID and mobile numbers),
//! [`security`] (5 and 7, mixed content and HTTPS), [`defacement`] (7, the home page against the
//! previous run). Pages are read while their DOM is at hand ([`IntegrityScan`]); `run` judges
//! the site from the scans.

use crate::{Probe, ProbeInput, ProbeOutput};
use aho_corasick::AhoCorasick;
use govwatch_config::IntegrityRules;
use govwatch_model::{Finding, Page, Severity};
use scraper::Html;
use std::collections::{BTreeSet, HashSet};
use url::Url;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `integrity.home_profile` (fact).
    pub const HOME_PROFILE: &str = "integrity.home_profile";
    /// `integrity.hidden_links` (finding).
    pub const HIDDEN_LINKS: &str = "integrity.hidden_links";
    /// `integrity.spam_keywords` (finding).
    pub const SPAM_KEYWORDS: &str = "integrity.spam_keywords";
    /// `integrity.external_script` (finding).
    pub const EXTERNAL_SCRIPT: &str = "integrity.external_script";
    /// `integrity.hijack_redirect` (finding).
    pub const HIJACK_REDIRECT: &str = "integrity.hijack_redirect";
    /// `integrity.defacement` (finding).
    pub const DEFACEMENT: &str = "integrity.defacement";
    /// `integrity.external_link_changed` (finding).
    pub const EXTERNAL_LINK_CHANGED: &str = "integrity.external_link_changed";
    /// `privacy.id_number` (finding).
    pub const PRIVACY_ID_NUMBER: &str = "privacy.id_number";
    /// `privacy.phone` (finding).
    pub const PRIVACY_PHONE: &str = "privacy.phone";
    /// `security.no_https` (finding).
    pub const SECURITY_NO_HTTPS: &str = "security.no_https";
    /// `security.cert_invalid` (finding).
    pub const SECURITY_CERT_INVALID: &str = "security.cert_invalid";
    /// `security.mixed_content` (finding).
    pub const SECURITY_MIXED_CONTENT: &str = "security.mixed_content";
    /// Every code above.
    pub const ALL: &[&str] = &[
        HOME_PROFILE,
        HIDDEN_LINKS,
        SPAM_KEYWORDS,
        EXTERNAL_SCRIPT,
        HIJACK_REDIRECT,
        DEFACEMENT,
        EXTERNAL_LINK_CHANGED,
        PRIVACY_ID_NUMBER,
        PRIVACY_PHONE,
        SECURITY_NO_HTTPS,
        SECURITY_CERT_INVALID,
        SECURITY_MIXED_CONTENT,
    ];
}

pub struct Integrity {
    rules: IntegrityRules,
    words: Vec<(String, String)>,
    matcher: AhoCorasick,
}

impl Integrity {
    pub fn new(rules: IntegrityRules) -> Integrity {
        let words: Vec<(String, String)> = rules
            .spam
            .iter()
            .flat_map(|(cat, ws)| ws.iter().map(|w| (cat.clone(), w.to_lowercase())))
            .collect();
        // ASCII letters match in either case; the text is not lower-cased first (a copy of every
        // page's text was the probe's largest cost)
        let matcher = aho_corasick::AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(words.iter().map(|(_, w)| w.as_str()))
            .expect("spam words build a matcher");
        Integrity {
            rules,
            words,
            matcher,
        }
    }

    /// Distinct spam words in `text` (lower-cased), with their categories.
    fn spam_words(&self, text: &str) -> BTreeSet<(String, String)> {
        self.matcher
            .find_iter(text)
            .map(|m| self.words[m.pattern().as_usize()].clone())
            .collect()
    }
}

mod defacement;
mod hidden;
pub(crate) mod privacy;
mod scripts;
mod security;
mod spam;

pub use privacy::valid_id_number;

fn host_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|a| {
        if a.starts_with('.') {
            host.ends_with(a.as_str())
        } else {
            host == a || host.ends_with(&format!(".{a}"))
        }
    })
}

/// What the integrity probe reads of one page: its own findings (link farms, spam words,
/// privacy), the scripts it loads from other hosts, its plain-http resources and, for the home
/// page, what the next run compares it with.
pub struct IntegrityScan {
    findings: Vec<Finding>,
    /// Scripts from hosts that are neither the site's nor allowed: (host, URL).
    foreign: Vec<(String, String)>,
    /// An inline script that redirects visitors by where they came from.
    hijack: Option<String>,
    /// Resources loaded over plain http on an https page.
    mixed: Vec<String>,
    /// The home page's profile: its line hashes, the first defacement marker it shows with the
    /// text around it, and the start of its text.
    home: Option<HomeScan>,
}

/// What the home page shows, for the defacement check against the previous run.
struct HomeScan {
    lines: BTreeSet<u64>,
    marker: Option<(String, String)>,
    head: String,
}

/// A finding about `page`, with the page as evidence.
fn finding(
    code: &str,
    sev: Severity,
    page: &Page,
    url: &str,
    value: serde_json::Value,
    message: String,
    excerpt: String,
) -> Finding {
    crate::evidence::finding("integrity", code, sev, page.fetch.started_at)
        .url(url)
        .value(value)
        .message(message)
        .excerpt(excerpt)
        .page(Some(page))
        .build()
}

impl Integrity {
    /// Reads one page (checks 1–5 of the probe, and the home page's profile).
    fn read_page(&self, page: &Page, doc: &Html, cx: &crate::ScanCx) -> Option<IntegrityScan> {
        let site = cx.site;
        if !page.is_html || !page.fetch.ok() {
            return None;
        }
        let hosts = site.hosts();
        let owned = |h: &str| hosts.iter().any(|x| x.eq_ignore_ascii_case(h));
        let mut scan = IntegrityScan {
            findings: Vec::new(),
            foreign: Vec::new(),
            hijack: None,
            mixed: Vec::new(),
            home: None,
        };
        let Ok(base) = Url::parse(&page.fetch.final_url) else {
            return None;
        };
        let hidden_roots = self.hidden_links(page, doc, &base, &owned, &mut scan);
        self.spam_keywords(page, doc, &hidden_roots, &mut scan);
        self.read_scripts(doc, &base, &owned, &mut scan);
        privacy::privacy(page, doc, cx, &mut scan);
        security::mixed_resources(page, &base, &mut scan);
        if page.depth == 0 {
            self.home_profile(page, doc, cx, &mut scan);
        }
        // nothing noted: nothing kept while the site is in flight
        let empty = scan.findings.is_empty()
            && scan.foreign.is_empty()
            && scan.hijack.is_none()
            && scan.mixed.is_empty()
            && scan.home.is_none();
        (!empty).then_some(scan)
    }
}

impl Probe for Integrity {
    fn name(&self) -> &'static str {
        "integrity"
    }

    fn slot(&self) -> Option<usize> {
        Some(0)
    }

    fn scan(&self, page: &Page, doc: &Html, cx: &crate::ScanCx) -> Option<crate::Scan> {
        self.read_page(page, doc, cx)
            .map(|s| Box::new(s) as crate::Scan)
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let crawl = input.crawl;
        let mut out = ProbeOutput::default();
        let mut scripts_seen: HashSet<String> = HashSet::new();
        let mut mixed_seen = false;
        for (i, page) in crawl.pages.iter().enumerate() {
            let Some(sc) = input.scan::<IntegrityScan>(self, i) else {
                continue;
            };
            out.findings.extend(sc.findings.iter().cloned());
            scripts::judge_scripts(page, sc, &mut scripts_seen, &mut out);
            if !mixed_seen {
                mixed_seen = security::mixed_content(page, sc, &mut out);
            }
        }
        self.changed_links(input, &mut out);
        let Some((hi, home)) = crawl.pages.iter().enumerate().find(|(_, p)| p.depth == 0) else {
            return out;
        };
        security::home_https(home, &mut out);
        self.defacement(input, hi, home, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::hidden::hides;
    use super::privacy::{mask_id, mask_phone, valid_id_number};

    #[test]
    fn id_numbers_and_masks() {
        // 11010519491231002X is the standard's own example
        assert!(valid_id_number("11010519491231002X"));
        assert!(!valid_id_number("110105194912310021"));
        assert!(!valid_id_number("110105194913310028"), "month 13");
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
        assert_eq!(mask_phone("13912345678"), "139****5678");
    }

    #[test]
    fn hiding_declarations() {
        assert!(hides("display: none"));
        assert!(hides("position:absolute; left:-9999px; top:0"));
        assert!(hides("width:0;height:0;overflow:hidden"));
        assert!(!hides("position:absolute; left:10px"));
        assert!(!hides("display:block"));
    }
}
