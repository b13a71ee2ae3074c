//! Interaction (互动回应; 国办秘函〔2019〕19号 single veto 5 and deductions; the Anhui 2020 Q1
//! notice's cases): consultation channels, message-form limits, reply lookup, published letters and
//! their reply latency in Chinese working days, surveys, commercial content.
//!
//! Nothing is ever submitted: limits are read from markup, scripts and notice text, replies from
//! the public letter lists and letter pages the crawler fetched.
//!
//! Codes (see `docs/codes.md`): facts `message.channel`, `message.form`, `message.letter`,
//! `message.latency`, `survey.count`; findings `message.channel_missing`, `message.min_length`,
//! `message.max_length`, `message.daily_cap`, `message.open_hours`, `message.login_no_return`,
//! `message.no_lookup`, `message.unanswered_3m`, `message.no_recent_reply`,
//! `content.commercial_ad`.
//!
//! Files, one per check: [`channels`] (what a link leads to, the channel veto), [`replies`]
//! (published letters and the reply rules), [`forms`] (form limits, login, lookup), [`surveys`]
//! (调查征集), [`ads`] (commercial content); [`letters`] and [`limits`] read letters and form limits
//! from a page. [`Interaction`]'s `run` calls them in order.

pub mod ads;
mod channels;
mod forms;
pub mod letters;
pub mod limits;
mod replies;
mod surveys;

pub use channels::Kind;
use channels::{Channel, Role};
use forms::{FormScan, is_lookup_page};
use replies::Letter;

use crate::html::sel;
use crate::{Probe, ProbeInput, ProbeOutput};
use chrono::{FixedOffset, Months, NaiveDate, Timelike};
use govwatch_config::{InteractionRules, WorkCalendar};
use govwatch_model::{Fact, Finding, LinkKind, Page, Severity, Timestamp};
use letters::{LetterInfo, Status};
use scraper::Html;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use url::Url;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `message.channel` (fact).
    pub const CHANNEL: &str = "message.channel";
    /// `message.form` (fact).
    pub const FORM: &str = "message.form";
    /// `message.letter` (fact).
    pub const LETTER: &str = "message.letter";
    /// `message.latency` (fact).
    pub const LATENCY: &str = "message.latency";
    /// `survey.count` (fact).
    pub const SURVEY_COUNT: &str = "survey.count";
    /// `message.channel_missing` (finding).
    pub const CHANNEL_MISSING: &str = "message.channel_missing";
    /// `message.min_length` (finding).
    pub const MIN_LENGTH: &str = "message.min_length";
    /// `message.max_length` (finding).
    pub const MAX_LENGTH: &str = "message.max_length";
    /// `message.daily_cap` (finding).
    pub const DAILY_CAP: &str = "message.daily_cap";
    /// `message.open_hours` (finding).
    pub const OPEN_HOURS: &str = "message.open_hours";
    /// `message.login_no_return` (finding).
    pub const LOGIN_NO_RETURN: &str = "message.login_no_return";
    /// `message.no_lookup` (finding).
    pub const NO_LOOKUP: &str = "message.no_lookup";
    /// `message.unanswered_3m` (finding).
    pub const UNANSWERED_3M: &str = "message.unanswered_3m";
    /// `message.no_recent_reply` (finding).
    pub const NO_RECENT_REPLY: &str = "message.no_recent_reply";
    /// `content.commercial_ad` (finding).
    pub const CONTENT_COMMERCIAL_AD: &str = "content.commercial_ad";
    /// Every code above.
    pub const ALL: &[&str] = &[
        CHANNEL,
        FORM,
        LETTER,
        LATENCY,
        SURVEY_COUNT,
        CHANNEL_MISSING,
        MIN_LENGTH,
        MAX_LENGTH,
        DAILY_CAP,
        OPEN_HOURS,
        LOGIN_NO_RETURN,
        NO_LOOKUP,
        UNANSWERED_3M,
        NO_RECENT_REPLY,
        CONTENT_COMMERCIAL_AD,
    ];
}

/// The probe, with its rules and the working-day calendar.
pub struct Interaction {
    pub rules: InteractionRules,
    pub calendar: WorkCalendar,
    /// The sales phrases (strong ones first, then weak), found in one pass over a page's text.
    ad_matcher: aho_corasick::AhoCorasick,
}

impl Interaction {
    pub fn new(rules: InteractionRules, calendar: WorkCalendar) -> Interaction {
        let ad_matcher =
            aho_corasick::AhoCorasick::new(rules.ads.strong.iter().chain(rules.ads.weak.iter()))
                .expect("sales phrases build a matcher");
        Interaction {
            rules,
            calendar,
            ad_matcher,
        }
    }

    /// The distinct strong and weak sales phrases in `text`, in the rules' order.
    fn ad_words(&self, text: &str) -> (Vec<String>, Vec<String>) {
        let n_strong = self.rules.ads.strong.len();
        let mut found = vec![false; n_strong + self.rules.ads.weak.len()];
        for m in self.ad_matcher.find_overlapping_iter(text) {
            found[m.pattern().as_usize()] = true;
        }
        let pick = |words: &[String], offset: usize| -> Vec<String> {
            words
                .iter()
                .enumerate()
                .filter(|(i, _)| found[offset + i])
                .map(|(_, w)| w.clone())
                .collect()
        };
        (
            pick(&self.rules.ads.strong, 0),
            pick(&self.rules.ads.weak, n_strong),
        )
    }
}

fn china(t: Timestamp) -> chrono::DateTime<FixedOffset> {
    t.with_timezone(&govwatch_model::time::CHINA_TZ)
}

fn months_before(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(m)).unwrap_or(d)
}

fn months_after(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_add_months(Months::new(m)).unwrap_or(d)
}

/// Index of pages by every URL they answer to.
fn page_index(pages: &[Page]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for (i, p) in pages.iter().enumerate() {
        m.entry(p.fetch.url.as_str()).or_insert(i);
        m.entry(p.fetch.final_url.as_str()).or_insert(i);
    }
    m
}

struct Ctx<'a, 'b> {
    input: &'a ProbeInput<'b>,
    index: HashMap<&'a str, usize>,
    /// Channel kind of each URL some channel link points to.
    kind_of_url: HashMap<String, Kind>,
}

impl<'a, 'b> Ctx<'a, 'b> {
    fn page(&self, url: &str) -> Option<usize> {
        self.index.get(url).copied()
    }

    fn text(&self, i: usize) -> &'a str {
        self.input.text(i)
    }
}

impl<'b> Ctx<'_, 'b> {
    /// What the probe read of page `i` (during the crawl, or now); an empty scan for a page of
    /// a kind the probe does not read (not HTML, failed).
    fn scan<'s>(&'s self, probe: &Interaction, i: usize) -> Option<&'s InteractionScan> {
        let p = &self.input.pages()[i];
        if !p.is_html || !p.fetch.ok() {
            return None;
        }
        Some(
            self.input
                .scan::<InteractionScan>(probe, i)
                .unwrap_or(&NOTHING),
        )
    }
}

// Every finding of the probe, built by the one builder ([`crate::evidence`]).
#[allow(clippy::too_many_arguments)]
fn finding(
    code: &str,
    severity: Severity,
    url: &str,
    value: Value,
    message: String,
    excerpt: Option<String>,
    page: Option<&Page>,
    at: Timestamp,
) -> Finding {
    crate::evidence::finding("interaction", code, severity, at)
        .url(url)
        .value(value)
        .message(message)
        .excerpt(excerpt)
        .page(page)
        .build()
}

fn fact(code: &str, url: Option<&str>, value: Value, at: Timestamp) -> Fact {
    Fact {
        probe: "interaction".into(),
        code: code.into(),
        url: url.map(str::to_string),
        value,
        observed_at: at,
    }
}

/// What the interaction probe reads of one page while its DOM is at hand (see
/// [`crate::Probe::scan`]).
pub struct InteractionScan {
    /// The page says it is about letters or messages (title, breadcrumb, heading).
    letter_context: bool,
    /// Letters listed on the page (kept only when the page turns out to be a letter list).
    letter_list: Vec<LetterInfo>,
    /// The letter the page itself shows, if it is a letter page.
    letter_page: Option<LetterInfo>,
    /// A form to look a message up by its number.
    lookup: bool,
    has_textarea: bool,
    /// For pages with a form: its limits, its login, its visible text. `None`: no form, read on
    /// demand if the page turns out to be a channel's write page.
    form: Option<FormScan>,
    /// Sales phrases (strong, weak) in the text, and an excerpt around the first strong one.
    ad_words: (Vec<String>, Vec<String>),
    ad_excerpt: Option<String>,
}

/// A page with nothing for this probe (the scan of most pages).
static NOTHING: InteractionScan = InteractionScan {
    letter_context: false,
    letter_list: Vec::new(),
    letter_page: None,
    lookup: false,
    has_textarea: false,
    form: None,
    ad_words: (Vec::new(), Vec::new()),
    ad_excerpt: None,
};

impl Interaction {
    fn read_page(&self, p: &Page, doc: &Html, cx: &crate::ScanCx) -> Option<InteractionScan> {
        if !p.is_html || !p.fetch.ok() {
            return None;
        }
        let text = cx.visible_text(doc);
        let words = &self.rules.replies;
        let title = p.title.clone().unwrap_or_default();
        let (letter_list, letter_page) = if p.depth == 0 && !self.direct_letter_list(p, text) {
            (vec![], None)
        } else {
            let list = match Url::parse(&p.fetch.final_url) {
                Ok(base) => letters::read_letter_list(doc, &base, words),
                Err(_) => vec![],
            };
            (list, letters::read_letter_page(text, &title, words))
        };
        let has_textarea = doc.select(sel("form textarea, textarea")).next().is_some();
        // a page with a form to fill in (not just the header's search box) is read as a form
        // page now; any other page that turns out to be a write page is read on demand
        let form = crate::columns::working_form(doc).then(|| FormScan {
            limits: limits::read_limits(doc, text),
            login: self.login_state(doc, text, has_textarea, p),
            text: text.to_string(),
        });
        let (strong, weak) = self.ad_words(text);
        let ad_excerpt = strong
            .first()
            .and_then(|w| crate::evidence::excerpt_around(text, w, 40));
        let scan = InteractionScan {
            letter_context: self.letter_context(p, text),
            letter_list,
            letter_page,
            lookup: is_lookup_page(doc, text),
            has_textarea,
            form,
            ad_words: (strong, weak),
            ad_excerpt,
        };
        // nothing noted: nothing kept while the site is in flight
        let nothing = !scan.letter_context
            && scan.letter_list.is_empty()
            && scan.letter_page.is_none()
            && !scan.lookup
            && !scan.has_textarea
            && scan.form.is_none()
            && scan.ad_words.0.is_empty()
            && scan.ad_words.1.is_empty();
        (!nothing).then_some(scan)
    }
}

impl Probe for Interaction {
    fn name(&self) -> &'static str {
        "interaction"
    }

    fn slot(&self) -> Option<usize> {
        Some(2)
    }

    fn scan(&self, page: &Page, doc: &Html, cx: &crate::ScanCx) -> Option<crate::Scan> {
        self.read_page(page, doc, cx)
            .map(|s| Box::new(s) as crate::Scan)
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        let pages = input.pages();
        let Some(home) = input.home() else {
            return out;
        };
        let at = input.as_of;
        let today = china(at).date_naive();
        let mut cx = Ctx {
            input,
            index: page_index(pages),
            kind_of_url: HashMap::new(),
        };
        let channels = self.find_channels(&mut cx);
        self.inherit_kinds(&mut cx);
        let letters = self.collect_letters(&cx);
        self.judge_letters(&letters, pages, today, at, &mut out);
        let has_lookup = self.read_forms(&cx, &channels, &letters, at, &mut out);
        // after the forms: a consultation form the crawl opened is a working channel
        self.judge_channels(&channels, home, at, &mut out);
        self.judge_lookup(&channels, has_lookup, home, at, &mut out);
        self.judge_surveys(&cx, today, at, &mut out);
        out
    }
}

#[cfg(test)]
mod tests;
