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

use crate::evidence::clip;
use crate::html::{sel, visible_text};
use crate::{Probe, ProbeInput, ProbeOutput};
use aho_corasick::AhoCorasick;
use govwatch_config::IntegrityRules;
use govwatch_model::{Fact, FetchError, Finding, Page, Severity};
use regex::Regex;
use scraper::{ElementRef, Html};
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;
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

fn hidden_rule_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    // simple single-selector rules only: `.x{display:none}`, `#y{visibility:hidden}`
    R.get_or_init(|| Regex::new(r"(?s)(^|[}\s,])([.#][A-Za-z0-9_-]+)\s*\{([^}]*)\}").unwrap())
}

fn offscreen_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(left|top|text-indent):-\d{3,}").unwrap())
}

fn hides(decl: &str) -> bool {
    let d: String = decl
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    d.contains("display:none")
        || d.contains("visibility:hidden")
        || (d.contains("position:absolute") && offscreen_re().is_match(&d))
        || ((d.contains("width:0") || d.contains("height:0")) && d.contains("overflow:hidden"))
        || d.contains("font-size:0")
}

/// Classes and ids hidden by the page's own `<style>` blocks.
fn hidden_selectors(doc: &Html) -> (HashSet<String>, HashSet<String>) {
    let (mut classes, mut ids) = (HashSet::new(), HashSet::new());
    for st in doc.select(sel("style")) {
        let css = st.text().collect::<String>();
        for c in hidden_rule_re().captures_iter(&css) {
            if hides(&c[3]) {
                let s = &c[2];
                if let Some(class) = s.strip_prefix('.') {
                    classes.insert(class.to_string());
                } else if let Some(id) = s.strip_prefix('#') {
                    ids.insert(id.to_string());
                }
            }
        }
    }
    (classes, ids)
}

fn is_hidden(e: &ElementRef, classes: &HashSet<String>, ids: &HashSet<String>) -> bool {
    let v = e.value();
    if v.attr("style").is_some_and(hides) || v.attr("hidden").is_some() {
        return true;
    }
    if v.classes().any(|c| classes.contains(c)) || v.id().is_some_and(|i| ids.contains(i)) {
        return true;
    }
    if v.name() == "marquee" {
        let tiny = |a: &str| {
            v.attr(a)
                .and_then(|x| x.trim_end_matches("px").trim().parse::<u32>().ok())
                .is_some_and(|n| n <= 2)
        };
        return tiny("width") || tiny("height");
    }
    false
}

/// Whether the text holds a run of at least `n` ASCII digits (a mobile number has 11, an ID
/// number 17 or 18): most pages have none, and need no regex search.
fn has_digit_run(text: &str, n: usize) -> bool {
    let mut run = 0;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

fn id_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?:^|[^0-9A-Za-z])([1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])(?:[^0-9A-Za-z]|$)").unwrap())
}

fn phone_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?:^|[^\d])(1[3-9]\d{9})(?:[^\d]|$)").unwrap())
}

/// An 18-digit resident ID number with a valid date and check digit (GB 11643).
pub fn valid_id_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let date = &s[6..14];
    if chrono::NaiveDate::parse_from_str(date, "%Y%m%d").is_err() {
        return false;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(c, w)| (c - b'0') as u32 * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    b[17].to_ascii_uppercase() == check
}

fn mask_id(s: &str) -> String {
    format!("{}********{}", &s[..6], &s[14..])
}

fn mask_phone(s: &str) -> String {
    format!("{}****{}", &s[..3], &s[7..])
}

fn line_hashes(doc: &Html) -> BTreeSet<u64> {
    let text = visible_text(doc, &HashSet::new());
    let mut set = BTreeSet::new();
    for part in text
        .split([' ', '|', '，', '。'])
        .filter(|p| p.chars().count() >= 2)
    {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        part.hash(&mut h);
        set.insert(h.finish() >> 11); // 53 bits: exact in JSON numbers
        if set.len() >= 800 {
            break;
        }
    }
    set
}

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
    /// Reads one page (sections 1–5 of the probe, and the home page's profile).
    fn read_page(&self, page: &Page, doc: &Html, cx: &crate::ScanCx) -> Option<IntegrityScan> {
        let site = cx.site;
        if !page.is_html || !page.fetch.ok() {
            return None;
        }
        let hosts = site.hosts();
        let owned = |h: &str| hosts.iter().any(|x| x.eq_ignore_ascii_case(h));
        let mk =
            |code: &str,
             sev: Severity,
             page: &Page,
             url: &str,
             value: serde_json::Value,
             message: String,
             excerpt: String| finding(code, sev, page, url, value, message, excerpt);
        let mut scan = IntegrityScan {
            findings: Vec::new(),
            foreign: Vec::new(),
            hijack: None,
            mixed: Vec::new(),
            home: None,
        };
        let out = &mut scan;

        let Ok(base) = Url::parse(&page.fetch.final_url) else {
            return None;
        };
        let url = page.fetch.url.as_str();
        let (classes, ids) = hidden_selectors(doc);

        // 1. hidden link farms
        let mut hidden_roots: HashSet<ego_tree::NodeId> = HashSet::new();
        let mut farm_hosts: BTreeSet<String> = BTreeSet::new();
        let mut farm_words: BTreeSet<(String, String)> = BTreeSet::new();
        let (mut farm_links, mut farm_blocks) = (0usize, 0usize);
        let mut farm_excerpt = String::new();
        for el in doc
            .root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
        {
            if !is_hidden(&el, &classes, &ids)
                || el.ancestors().any(|a| hidden_roots.contains(&a.id()))
            {
                continue;
            }
            hidden_roots.insert(el.id());
            let mut hosts: BTreeSet<String> = BTreeSet::new();
            let mut words = BTreeSet::new();
            let mut outbound = 0;
            for a in el.select(sel("a[href]")) {
                let Ok(u) = base.join(a.value().attr("href").unwrap_or("").trim()) else {
                    continue;
                };
                let Some(h) = u.host_str().map(str::to_ascii_lowercase) else {
                    continue;
                };
                if owned(&h) || !matches!(u.scheme(), "http" | "https") {
                    continue;
                }
                outbound += 1;
                hosts.insert(h);
                words.extend(self.spam_words(&format!("{} {}", a.text().collect::<String>(), u)));
            }
            if outbound == 0 {
                continue;
            }
            let r = &self.rules.hidden_links;
            let gov = hosts
                .iter()
                .filter(|h| host_allowed(h, &r.government_suffixes))
                .count();
            let share = gov as f64 / hosts.len() as f64;
            let farm = words.len() >= r.min_spam_words
                || (hosts.len() >= r.min_outbound_hosts && share < r.max_government_share);
            if farm {
                farm_blocks += 1;
                farm_links += outbound;
                farm_hosts.extend(hosts);
                farm_words.extend(words);
                if farm_excerpt.is_empty() {
                    farm_excerpt = clip(
                        &el.html().split_whitespace().collect::<Vec<_>>().join(" "),
                        500,
                    );
                }
            }
        }
        if farm_blocks > 0 {
            let words: Vec<&str> = farm_words.iter().map(|(_, w)| w.as_str()).collect();
            out.findings.push(mk(
                codes::HIDDEN_LINKS,
                Severity::Veto,
                page,
                url,
                json!({ "blocks": farm_blocks, "links": farm_links, "hosts": farm_hosts, "words": words }),
                format!("{farm_links} hidden links to {} outside hosts on {url} (暗链)", farm_hosts.len()),
                farm_excerpt,
            ));
        }

        // 2. spam words in the title, meta tags and visible text (hidden blocks left out)
        let title = page.title.clone().unwrap_or_default();
        let meta: String = doc
            .select(sel(r#"meta[name="keywords"], meta[name="Keywords"], meta[name="description"], meta[name="Description"]"#))
            .filter_map(|m| m.value().attr("content"))
            .collect::<Vec<_>>()
            .join(" ");
        let in_head = self.spam_words(&format!("{title} {meta}"));
        let text = visible_text(doc, &hidden_roots);
        let in_text = self.spam_words(&text);
        let sk = &self.rules.spam_keywords;
        if in_head.len() >= sk.min_in_title_meta.max(1) || in_text.len() >= sk.min_in_text.max(1) {
            let all: BTreeSet<&str> = in_head
                .iter()
                .chain(in_text.iter())
                .map(|(_, w)| w.as_str())
                .collect();
            let excerpt = if !in_head.is_empty() {
                clip(
                    &format!("<title>{title}</title> keywords/description: {meta}"),
                    400,
                )
            } else {
                let w = in_text
                    .iter()
                    .next()
                    .map(|(_, w)| w.clone())
                    .unwrap_or_default();
                crate::evidence::excerpt_around(&text.to_lowercase(), &w, 60).unwrap_or_default()
            };
            out.findings.push(mk(
                codes::SPAM_KEYWORDS,
                Severity::Veto,
                page,
                url,
                json!({ "words": all, "in_title_meta": in_head.iter().map(|(_, w)| w).collect::<Vec<_>>(), "in_text": in_text.iter().map(|(_, w)| w).collect::<Vec<_>>() }),
                format!("spam words on {url}: {}", all.iter().copied().collect::<Vec<_>>().join("、")),
                excerpt,
            ));
        }

        // 3. external scripts and hijack redirects
        let inline: String = doc
            .select(sel("script:not([src])"))
            .map(|s| s.text().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n");
        let hijack = (inline.contains("document.referrer")
            && (inline.contains("location") || inline.contains("window.open")))
        .then(|| {
            crate::evidence::excerpt_around(&inline, "document.referrer", 120).unwrap_or_default()
        });
        let mut foreign: Vec<(String, String)> = Vec::new();
        for s in doc.select(sel("script[src]")) {
            let Ok(u) = base.join(s.value().attr("src").unwrap_or("").trim()) else {
                continue;
            };
            if !matches!(u.scheme(), "http" | "https") {
                continue; // browser extensions saved with the page, data: URLs
            }
            let Some(h) = u.host_str().map(str::to_ascii_lowercase) else {
                continue;
            };
            if !owned(&h) && !host_allowed(&h, &self.rules.scripts.allowed_hosts) {
                foreign.push((h, u.to_string()));
            }
        }
        out.foreign = foreign;
        out.hijack = hijack;

        // 4. privacy: resident ID numbers and mobile numbers in page text
        let all_text = cx.visible_text(doc).to_string();
        let all_text = all_text.as_str();
        let digits = has_digit_run(all_text, 11);
        let ids_found: BTreeSet<String> = (if digits { Some(id_re()) } else { None })
            .into_iter()
            .flat_map(|re| re.captures_iter(all_text))
            .map(|c| c[1].to_string())
            .filter(|s| valid_id_number(s))
            .collect();
        if !ids_found.is_empty() {
            let masked: Vec<String> = ids_found.iter().map(|s| mask_id(s)).collect();
            out.findings.push(mk(
                codes::PRIVACY_ID_NUMBER,
                Severity::Deduct,
                page,
                url,
                json!({ "count": ids_found.len(), "masked": masked }),
                format!(
                    "{} resident ID number(s) published on {url}",
                    ids_found.len()
                ),
                masked.join(", "),
            ));
        }
        let phones: BTreeSet<String> = (if digits { Some(phone_re()) } else { None })
            .into_iter()
            .flat_map(|re| re.captures_iter(all_text))
            .map(|c| c[1].to_string())
            .filter(|p| !ids_found.iter().any(|id| id.contains(p.as_str())))
            .collect();
        if !phones.is_empty() {
            let masked: Vec<String> = phones.iter().map(|s| mask_phone(s)).collect();
            out.findings.push(mk(
                codes::PRIVACY_PHONE,
                Severity::Warn,
                page,
                url,
                json!({ "count": phones.len(), "masked": masked }),
                format!("{} mobile number(s) published on {url}", phones.len()),
                masked.join(", "),
            ));
        }

        // 5. mixed content on https pages
        if base.scheme() == "https" {
            out.mixed = page
                .links
                .iter()
                .filter(|l| {
                    l.kind != govwatch_model::LinkKind::Anchor && l.url.starts_with("http://")
                })
                .map(|l| l.url.clone())
                .collect();
        }
        if page.depth == 0 {
            let text = cx.visible_text(doc).to_lowercase();
            let title = page.title.clone().unwrap_or_default().to_lowercase();
            let marker = self.rules.defacement.markers.iter().find_map(|m| {
                let lm = m.to_lowercase();
                (text.contains(&lm) || title.contains(&lm)).then(|| {
                    let excerpt =
                        crate::evidence::excerpt_around(&text, &lm, 80).unwrap_or_default();
                    (m.clone(), excerpt)
                })
            });
            out.home = Some(HomeScan {
                lines: line_hashes(doc),
                marker,
                head: clip(&text, 200),
            });
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
        let mk = finding;
        let mut scripts_seen: HashSet<String> = HashSet::new();
        let mut mixed_seen = false;
        for (i, page) in crawl.pages.iter().enumerate() {
            let Some(sc) = input.scan::<IntegrityScan>(self, i) else {
                continue;
            };
            let url = page.fetch.url.as_str();
            out.findings.extend(sc.findings.iter().cloned());
            let new: Vec<&(String, String)> = sc
                .foreign
                .iter()
                .filter(|(h, _)| scripts_seen.insert(h.clone()))
                .collect();
            if !new.is_empty() {
                let hosts: Vec<&str> = new.iter().map(|(h, _)| h.as_str()).collect();
                out.findings.push(mk(
                    codes::EXTERNAL_SCRIPT,
                    if sc.hijack.is_some() { Severity::Veto } else { Severity::Warn },
                    page,
                    url,
                    json!({ "hosts": hosts, "scripts": new.iter().map(|(_, u)| u).collect::<Vec<_>>(), "hijack": sc.hijack.is_some() }),
                    format!("scripts from outside hosts on {url}: {}", hosts.join(", ")),
                    match &sc.hijack {
                        Some(h) => clip(&format!("<script src=\"{}\"> … {h}", new[0].1), 400),
                        None => format!("<script src=\"{}\">", new[0].1),
                    },
                ));
            } else if let Some(h) = &sc.hijack
                && sc.foreign.is_empty()
            {
                out.findings.push(mk(
                    codes::HIJACK_REDIRECT,
                    Severity::Veto,
                    page,
                    url,
                    json!({ "script": h }),
                    format!("a script on {url} redirects visitors by where they came from"),
                    clip(h, 400),
                ));
            }
            if !mixed_seen && !sc.mixed.is_empty() {
                mixed_seen = true;
                let http_res = &sc.mixed;
                out.findings.push(mk(
                    codes::SECURITY_MIXED_CONTENT,
                    Severity::Warn,
                    page,
                    url,
                    json!({ "resources": http_res.iter().take(20).collect::<Vec<_>>(), "count": http_res.len() }),
                    format!("{} resources loaded over plain http on the https page {url}", http_res.len()),
                    http_res.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                ));
            }
        }

        // 6. outbound links whose target now serves spam (a lapsed domain re-registered)
        for c in &crawl.link_checks {
            let (Some(title), meta) = (&c.target_title, c.target_meta.clone().unwrap_or_default())
            else {
                continue;
            };
            let words = self.spam_words(&format!("{title} {meta}"));
            if words.is_empty() {
                continue;
            }
            let from: Vec<(&Page, &govwatch_model::Link)> = crawl
                .pages
                .iter()
                .flat_map(|p| p.links.iter().map(move |l| (p, l)))
                .filter(|(_, l)| input.normalized(&l.url).as_deref() == Some(c.url.as_str()))
                .collect();
            let Some((page, link)) = from.first().copied() else {
                continue;
            };
            let pages: BTreeSet<&str> = from.iter().map(|(p, _)| p.fetch.url.as_str()).collect();
            let w: Vec<&str> = words.iter().map(|(_, w)| w.as_str()).collect();
            out.findings.push(mk(
                codes::EXTERNAL_LINK_CHANGED,
                Severity::Veto,
                page,
                &c.url,
                json!({ "target": c.url, "anchor": link.text, "target_title": title, "words": w, "from": pages }),
                format!("the link “{}” on {} now leads to a page about {}", link.text, page.fetch.url, w.join("、")),
                clip(&format!("link “{}” → {} — <title>{title}</title> {meta}", link.text, c.url), 400),
            ));
        }

        // 7. the home page: HTTPS, certificate, defacement
        let Some((hi, home)) = crawl.pages.iter().enumerate().find(|(_, p)| p.depth == 0) else {
            return out;
        };
        if home.fetch.error == Some(FetchError::Tls) {
            out.findings.push(mk(
                codes::SECURITY_CERT_INVALID,
                Severity::Deduct,
                home,
                &home.fetch.url,
                json!({ "error": home.fetch.error_message }),
                format!("TLS failure on {}", home.fetch.url),
                home.fetch.error_message.clone().unwrap_or_default(),
            ));
        }
        if home.fetch.final_url.starts_with("http://")
            && (home.fetch.ok() || home.fetch.status.is_some())
        {
            out.findings.push(mk(
                codes::SECURITY_NO_HTTPS,
                Severity::Info,
                home,
                &home.fetch.url,
                json!({ "final_url": home.fetch.final_url }),
                format!(
                    "the home page is served over plain http ({})",
                    home.fetch.final_url
                ),
                format!(
                    "GET {} → HTTP {} over http",
                    home.fetch.url,
                    home.fetch.status.unwrap_or(0)
                ),
            ));
        }
        if let Some(IntegrityScan { home: Some(hs), .. }) = input.scan::<IntegrityScan>(self, hi) {
            let lines = hs.lines.clone();
            let title = home.title.clone().unwrap_or_default();
            out.facts.push(Fact {
                probe: "integrity".into(),
                code: codes::HOME_PROFILE.into(),
                url: Some(home.fetch.url.clone()),
                value: json!({ "title": title, "lines": lines }),
                observed_at: home.fetch.started_at,
            });
            let marker = hs.marker.as_ref().map(|(m, _)| m);
            let prev: Option<BTreeSet<u64>> = input.previous.and_then(|p| {
                p.facts
                    .iter()
                    .find(|f| f.code == codes::HOME_PROFILE)
                    .map(|f| {
                        f.value["lines"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|v| v.as_u64())
                            .collect()
                    })
            });
            let similarity = prev.as_ref().filter(|p| !p.is_empty()).map(|p| {
                let inter = p.intersection(&lines).count() as f64;
                let union = p.union(&lines).count().max(1) as f64;
                inter / union
            });
            let spam_on_home = out.findings.iter().any(|f| {
                f.url.as_deref() == Some(home.fetch.url.as_str())
                    && matches!(f.code.as_str(), codes::HIDDEN_LINKS | codes::SPAM_KEYWORDS)
            });
            let changed = similarity.is_some_and(|s| s < self.rules.defacement.max_similarity);
            if (changed && (spam_on_home || marker.is_some()))
                || (marker.is_some() && similarity.is_some())
            {
                let excerpt = match &hs.marker {
                    Some((_, e)) => e.clone(),
                    None => hs.head.clone(),
                };
                out.findings.push(mk(
                    codes::DEFACEMENT,
                    Severity::Veto,
                    home,
                    &home.fetch.url,
                    json!({ "similarity": similarity.map(|s| (s * 1000.0).round() / 1000.0), "marker": marker, "spam": spam_on_home, "title": title }),
                    format!(
                        "the home page changed drastically since the last run (similarity {:.0}%){}",
                        similarity.unwrap_or(0.0) * 100.0,
                        marker.map(|m| format!(" and shows “{m}”")).unwrap_or_default()
                    ),
                    excerpt,
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
