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

pub mod ads;
pub mod letters;
pub mod limits;

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

/// What a channel is for; the rules exclude some kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Consultation,
    Petition,
    Discipline,
    Interview,
    Survey,
    ErrorReport,
    /// 依申请公开: applying for government information.
    Application,
    Hub,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Consultation => "consultation",
            Kind::Petition => "petition",
            Kind::Discipline => "discipline",
            Kind::Interview => "interview",
            Kind::Survey => "survey",
            Kind::ErrorReport => "error_report",
            Kind::Application => "application",
            Kind::Hub => "hub",
        }
    }
}

/// What a channel link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Entry,
    Write,
    List,
    Lookup,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Entry => "entry",
            Role::Write => "write",
            Role::List => "list",
            Role::Lookup => "lookup",
        }
    }
}

#[derive(Debug, Clone)]
struct Channel {
    kind: Kind,
    role: Role,
    name: String,
    url: String,
    from: String,
    ok: Option<bool>,
    status: Option<u16>,
    failure: Option<String>,
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

    /// The kind of a link or page name, by the channel words (first match in rule order).
    pub fn classify(&self, text: &str) -> Option<Kind> {
        let w = &self.rules.channels;
        let has = |words: &[String]| words.iter().any(|x| text.contains(x.as_str()));
        if has(&w.error_report) {
            Some(Kind::ErrorReport)
        } else if has(&w.discipline) {
            Some(Kind::Discipline)
        } else if has(&w.application) {
            Some(Kind::Application)
        } else if has(&w.petition) {
            Some(Kind::Petition)
        } else if has(&w.interview) {
            Some(Kind::Interview)
        } else if has(&w.survey) {
            Some(Kind::Survey)
        } else if has(&w.consultation) {
            Some(Kind::Consultation)
        } else if has(&w.hub) {
            Some(Kind::Hub)
        } else {
            None
        }
    }

    /// Whether a text holds a letter word (`[channels] letter_context`).
    fn letterish(&self, text: &str) -> bool {
        self.rules
            .channels
            .letter_context
            .iter()
            .any(|w| text.contains(w.as_str()))
    }

    /// A page that names itself as about letters or messages: in its title or its first lines
    /// (the breadcrumb and heading).
    fn letter_context(&self, p: &Page, text: &str) -> bool {
        let head: String = text.chars().take(300).collect();
        self.letterish(p.title.as_deref().unwrap_or("")) || self.letterish(&head)
    }

    /// A crawl started at a letters list (信件公开, 来信选登, 市长信箱 › 信件公开) rather than at
    /// the site's root: its rows are read as letters, as they are when the list is reached by a
    /// link.
    fn direct_letter_list(&self, p: &Page, text: &str) -> bool {
        let root = Url::parse(&p.fetch.final_url).map_or(true, |u| u.path() == "/");
        !root && self.letter_context(p, text)
    }

    fn role(&self, text: &str) -> Role {
        let w = &self.rules.channels;
        let letterish = self.letterish(text);
        if w.lookup.iter().any(|x| text.contains(x.as_str())) {
            Role::Lookup
        } else if letterish && w.public_list.iter().any(|x| text.contains(x.as_str())) {
            Role::List
        } else if w.write.iter().any(|x| text.contains(x.as_str())) {
            Role::Write
        } else {
            Role::Entry
        }
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

/// A form page as read: limits, login, visible text.
struct FormScan {
    limits: limits::FormLimits,
    login: Option<Login>,
    text: String,
}

/// A published letter with everything known about it.
#[derive(Debug, Clone)]
struct Letter {
    info: LetterInfo,
    kind: Kind,
    /// The list page it was read from (if any) and the letter page (if fetched).
    list: Option<String>,
    page: Option<usize>,
}

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

        // ---- Channels ------------------------------------------------------------------
        let mut order: Vec<usize> = (0..pages.len()).collect();
        order.sort_by_key(|&i| pages[i].depth);
        let mut channels: Vec<Channel> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut judged: HashMap<&str, (Option<Kind>, Role)> = HashMap::new();
        // the rows of letter lists are letters, not channels (a title with 咨询 is no channel)
        let letter_urls: HashSet<String> = (0..pages.len())
            .filter_map(|i| cx.scan(self, i))
            .flat_map(|sc| sc.letter_list.iter().filter_map(|l| l.url.clone()))
            .collect();
        for &i in &order {
            let p = &pages[i];
            if !p.is_html {
                continue;
            }
            for l in &p.links {
                if l.kind != LinkKind::Anchor
                    || !l.url.starts_with("http")
                    || letter_urls.contains(&l.url)
                {
                    continue;
                }
                let text = l.text.trim();
                let n = text.chars().count();
                if !(2..=16).contains(&n) {
                    continue;
                }
                // the same link texts (navigation) repeat on every page: classified once
                let (class, role) = *judged
                    .entry(text)
                    .or_insert_with(|| (self.classify(text), self.role(text)));
                let kind = match (class, role) {
                    (Some(k), _) => k,
                    (None, Role::Lookup | Role::List) if self.letterish(text) => Kind::Consultation,
                    _ => continue,
                };
                if let Some(&at) = seen.get(&l.url) {
                    // The same page linked as 互动交流 and as 县长信箱: the specific name wins.
                    if channels[at].kind == Kind::Hub && kind != Kind::Hub {
                        channels[at].kind = kind;
                        channels[at].role = role;
                        channels[at].name = text.to_string();
                        cx.kind_of_url.insert(l.url.clone(), kind);
                    }
                    continue;
                }
                let (ok, status, failure) = target_state(input, &cx, &l.url);
                seen.insert(l.url.clone(), channels.len());
                cx.kind_of_url.entry(l.url.clone()).or_insert(kind);
                channels.push(Channel {
                    kind,
                    role,
                    name: text.to_string(),
                    url: l.url.clone(),
                    from: p.fetch.url.clone(),
                    ok,
                    status,
                    failure,
                });
            }
        }
        for c in &channels {
            out.facts.push(fact(
                codes::CHANNEL,
                Some(&c.url),
                json!({
                    "kind": c.kind.as_str(),
                    "role": c.role.as_str(),
                    "name": c.name,
                    "url": c.url,
                    "from": c.from,
                    "ok": c.ok,
                    "status": c.status,
                }),
                at,
            ));
        }
        let consult: Vec<&Channel> = channels
            .iter()
            .filter(|c| c.kind == Kind::Consultation)
            .collect();
        let working = consult.iter().any(|c| c.ok == Some(true));
        // A link the crawl could not check (robots.txt, budget) proves nothing either way.
        let proven_dead = consult.iter().all(|c| c.ok == Some(false));
        // A home page that did not open shows no channels: availability reports it, not this.
        if !working && proven_dead && home.fetch.ok() {
            let (message, excerpt) = if consult.is_empty() {
                let others: Vec<String> = channels
                    .iter()
                    .filter(|c| c.kind != Kind::Hub)
                    .map(|c| format!("{} ({})", c.name, c.kind.as_str()))
                    .collect();
                (
                    "未发现在线咨询渠道（咨询/留言/信箱）；信访、纪检举报渠道不计在内".to_string(),
                    if others.is_empty() {
                        None
                    } else {
                        Some(format!("channels found: {}", others.join(", ")))
                    },
                )
            } else {
                let failed: Vec<String> = consult
                    .iter()
                    .map(|c| {
                        format!(
                            "{} → {} ({})",
                            c.name,
                            c.url,
                            c.failure.clone().unwrap_or_else(|| "not checked".into())
                        )
                    })
                    .collect();
                (
                    "咨询渠道均不可用：所有咨询链接都无法打开".to_string(),
                    Some(failed.join("; ")),
                )
            };
            out.findings.push(finding(
                codes::CHANNEL_MISSING,
                Severity::Veto,
                &home.fetch.url,
                json!({"consultation_links": consult.len(), "channels": channels.len()}),
                message,
                excerpt,
                Some(home),
                at,
            ));
        }

        // The form behind an error-report or application channel's page ("填写网上申请表",
        // "在线纠错") is of the channel's kind, whatever its own link or title says.
        let mut inherited: Vec<(String, Kind)> = Vec::new();
        for p in pages {
            let kind = cx
                .kind_of_url
                .get(&p.fetch.url)
                .or_else(|| cx.kind_of_url.get(&p.fetch.final_url));
            let Some(&kind @ (Kind::ErrorReport | Kind::Application)) = kind else {
                continue;
            };
            if !p.is_html || !p.fetch.ok() {
                continue;
            }
            for l in p.links.iter().filter(|l| l.kind == LinkKind::Anchor) {
                let Some(j) = cx.page(&l.url) else { continue };
                let form = cx
                    .scan(self, j)
                    .is_some_and(|sc| sc.has_textarea || sc.form.is_some());
                if form && pages[j].depth > 0 && !cx.kind_of_url.contains_key(&l.url) {
                    inherited.push((l.url.clone(), kind));
                }
            }
        }
        for (url, kind) in inherited {
            cx.kind_of_url.entry(url).or_insert(kind);
        }

        // Kind of every page: the channel link pointing to it, else its title.
        let page_kind = |cx: &Ctx, i: usize| -> Option<Kind> {
            let p = &pages[i];
            cx.kind_of_url
                .get(&p.fetch.url)
                .or_else(|| cx.kind_of_url.get(&p.fetch.final_url))
                .copied()
                .filter(|k| *k != Kind::Hub)
                .or_else(|| {
                    p.title
                        .as_deref()
                        .map(|t| t.split(['-', '_', '|', '—']).next().unwrap_or(t))
                        .and_then(|t| self.classify(t))
                        .filter(|k| *k != Kind::Hub)
                })
        };

        // ---- Letters -------------------------------------------------------------------
        let mut letters: BTreeMap<String, Letter> = BTreeMap::new();
        for (i, p) in pages.iter().enumerate() {
            if !p.is_html
                || !p.fetch.ok()
                || (p.depth == 0 && !self.direct_letter_list(p, cx.text(i)))
            {
                continue;
            }
            let kind = page_kind(&cx, i);
            if matches!(
                kind,
                Some(Kind::Survey | Kind::Interview | Kind::ErrorReport | Kind::Application)
            ) {
                continue;
            }
            let Some(sc) = cx.scan(self, i) else {
                continue;
            };
            // Only pages of an interaction channel, or that say they list letters: a 办件公示
            // table (受理/办结, 已办结) is services, not messages.
            if kind.is_none() && !sc.letter_context {
                continue;
            }
            for info in sc.letter_list.iter().cloned() {
                let key = info
                    .url
                    .clone()
                    .unwrap_or_else(|| format!("{}#{}", p.fetch.url, info.title));
                letters.entry(key).or_insert(Letter {
                    kind: kind.unwrap_or(Kind::Consultation),
                    info,
                    list: Some(p.fetch.url.clone()),
                    page: None,
                });
            }
        }
        for (i, p) in pages.iter().enumerate() {
            if !p.is_html || !p.fetch.ok() || p.depth == 0 {
                continue;
            }
            let Some(sc) = cx.scan(self, i) else {
                continue;
            };
            let Some(mut info) = sc.letter_page.clone() else {
                continue;
            };
            info.url = Some(p.fetch.url.clone());
            let key = [&p.fetch.url, &p.fetch.final_url]
                .into_iter()
                .find(|u| letters.contains_key(u.as_str()))
                .cloned()
                .unwrap_or_else(|| p.fetch.url.clone());
            match letters.get_mut(&key) {
                Some(l) => {
                    let listed = l.info.clone();
                    l.info = LetterInfo {
                        title: if listed.title.is_empty() {
                            info.title
                        } else {
                            listed.title
                        },
                        sent: info.sent.or(listed.sent),
                        replied: info.replied.or(listed.replied),
                        status: if info.status == Status::Unknown {
                            listed.status
                        } else {
                            info.status
                        },
                        kind_label: info.kind_label,
                        url: Some(key.clone()),
                        excerpt: info.excerpt,
                    };
                    l.page = Some(i);
                }
                None => {
                    let kind = match page_kind(&cx, i) {
                        Some(k) => k,
                        None if sc.letter_context => Kind::Consultation,
                        None => continue,
                    };
                    if matches!(
                        kind,
                        Kind::Survey | Kind::Interview | Kind::ErrorReport | Kind::Application
                    ) {
                        continue;
                    }
                    letters.insert(
                        key,
                        Letter {
                            info,
                            kind,
                            list: None,
                            page: Some(i),
                        },
                    );
                }
            }
        }
        self.judge_letters(&letters, pages, today, at, &mut out);

        // ---- Forms, lookup, login ------------------------------------------------------
        let mut has_lookup = channels.iter().any(|c| {
            c.kind == Kind::Consultation
                && matches!(c.role, Role::Lookup | Role::List)
                && c.ok == Some(true)
        });
        let public_letters = letters.values().any(|l| l.kind == Kind::Consultation);
        has_lookup |= public_letters;
        let write_targets: Vec<&str> = channels
            .iter()
            .filter(|c| c.kind == Kind::Consultation && c.role == Role::Write)
            .map(|c| c.url.as_str())
            .collect();
        let previous_forms: Vec<&Fact> = input
            .previous
            .map(|p| p.facts.iter().filter(|f| f.code == codes::FORM).collect())
            .unwrap_or_default();
        for (i, p) in pages.iter().enumerate() {
            if !p.is_html || !p.fetch.ok() {
                continue;
            }
            let Some(sc) = cx.scan(self, i) else {
                continue;
            };
            if !has_lookup && sc.lookup {
                has_lookup = true;
            }
            let has_textarea = sc.has_textarea;
            let kind = page_kind(&cx, i);
            let targeted = write_targets.contains(&p.fetch.url.as_str())
                || write_targets.contains(&p.fetch.final_url.as_str());
            let was_form = previous_forms.iter().any(|f| {
                f.url.as_deref() == Some(p.fetch.url.as_str()) && f.value["form_present"] == true
            });
            if !(has_textarea || targeted || was_form) {
                continue;
            }
            // read while crawled; a write page without any form is read now
            let read_now;
            let form = match &sc.form {
                Some(f) => f,
                None => {
                    let (doc, text) = (input.dom(i), cx.text(i));
                    read_now = FormScan {
                        limits: limits::read_limits(doc, text),
                        login: self.login_state(doc, text, has_textarea, p),
                        text: text.to_string(),
                    };
                    &read_now
                }
            };
            let title = p.title.clone().unwrap_or_default();
            let kind = match kind {
                Some(k) => k,
                None => {
                    let head: String = form.text.chars().take(400).collect();
                    if ["写信", "留言", "咨询", "来信", "信箱"]
                        .iter()
                        .any(|w| title.contains(w) || head.contains(w))
                        && !["评论", "找错", "纠错"].iter().any(|w| title.contains(w))
                    {
                        Kind::Consultation
                    } else {
                        continue;
                    }
                }
            };
            // error-report and application forms are the same markup as message forms: their
            // limits, captcha and login are read and kept as facts; the message-form findings
            // are the consultation channel's alone
            if !matches!(
                kind,
                Kind::Consultation | Kind::Petition | Kind::ErrorReport | Kind::Application
            ) {
                continue;
            }
            let (lim, login, text) = (&form.limits, form.login.as_ref(), form.text.as_str());
            let hour = china(p.fetch.started_at).hour();
            out.facts.push(fact(
                codes::FORM,
                Some(&p.fetch.url),
                json!({
                    "kind": kind.as_str(),
                    "min_len": lim.min_len,
                    "max_len": lim.max_len,
                    "min_source": lim.min_source,
                    "max_source": lim.max_source,
                    "daily_cap": lim.daily_cap,
                    "open_hours": lim.open_hours(),
                    "workdays_only": lim.workdays_only,
                    "captcha": lim.captcha,
                    "login_required": login.map(|l| l.required).unwrap_or(false),
                    "login_url": login.and_then(|l| l.url.clone()),
                    "form_present": lim.form_present,
                    "fetched_hour": hour,
                }),
                at,
            ));
            if kind != Kind::Consultation {
                continue;
            }
            self.judge_form(lim, login, p, text, &previous_forms, hour, at, &mut out);
        }
        if !consult.is_empty() && working && !has_lookup {
            out.findings.push(finding(
                codes::NO_LOOKUP,
                Severity::Deduct,
                &home.fetch.url,
                json!({"lookup": false, "public_list": false}),
                "留言无法查询：既无按编号查询页面，也无公开的来信及答复列表".into(),
                Some(
                    consult
                        .iter()
                        .map(|c| c.name.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Some(home),
                at,
            ));
        }

        // ---- Surveys and commercial content ------------------------------------------
        let survey_pages: Vec<usize> = (0..pages.len())
            .filter(|&i| {
                pages[i].is_html && pages[i].fetch.ok() && page_kind(&cx, i) == Some(Kind::Survey)
            })
            .collect();
        let ad_pages = ads::scan(self, &cx, &survey_pages, at, &mut out);
        self.count_surveys(&cx, &survey_pages, &ad_pages, today, at, &mut out);
        out
    }
}

/// Whether a link target answered: from the crawled page, else from the link check.
fn target_state(
    input: &ProbeInput,
    cx: &Ctx,
    url: &str,
) -> (Option<bool>, Option<u16>, Option<String>) {
    if let Some(i) = cx.page(url) {
        let f = &input.crawl.pages[i].fetch;
        return (Some(f.ok()), f.status, f.failure());
    }
    if let Some(c) = input.crawl.link_checks.iter().find(|c| c.url == url) {
        let f = &c.record;
        let ok = f.error.is_none() && matches!(f.status, Some(s) if s < 400);
        return (Some(ok), f.status, f.failure());
    }
    (None, None, None)
}

fn is_lookup_page(doc: &Html, text: &str) -> bool {
    let words = [
        "查询码",
        "信件编号",
        "留言编号",
        "受理编号",
        "查询密码",
        "信件查询",
        "留言查询",
        "办件查询",
    ];
    let field = doc.select(sel("form input")).any(|e| {
        let v = e.value();
        let attrs = [v.attr("name"), v.attr("id"), v.attr("placeholder")];
        attrs.iter().flatten().any(|a| {
            let l = a.to_ascii_lowercase();
            words.iter().any(|w| a.contains(w))
                || [
                    "cxm",
                    "querycode",
                    "searchcode",
                    "letterno",
                    "letter_no",
                    "xjbh",
                    "cxmm",
                    "lybh",
                ]
                .iter()
                .any(|w| l.contains(w))
        })
    });
    field || (doc.select(sel("form")).next().is_some() && words.iter().any(|w| text.contains(w)))
}

struct Login {
    required: bool,
    url: Option<String>,
    has_return: bool,
    excerpt: String,
}

impl Interaction {
    fn login_state(
        &self,
        doc: &Html,
        text: &str,
        has_textarea: bool,
        page: &Page,
    ) -> Option<Login> {
        let words = &self.rules.channels.login;
        let base = Url::parse(&page.fetch.final_url).ok()?;
        let mut links = Vec::new();
        for a in doc.select(sel("a[href]")) {
            let t: String = a.text().collect::<String>().trim().to_string();
            let href = a.value().attr("href").unwrap_or("");
            let hl = href.to_ascii_lowercase();
            let by_text = words.iter().any(|w| t.contains(w.as_str())) && t.chars().count() <= 12;
            let by_href = ["login", "sso", "passport", "/auth", "cas/"]
                .iter()
                .any(|w| hl.contains(w));
            if (by_text || by_href)
                && !hl.starts_with("javascript")
                && !hl.starts_with('#')
                && let Ok(u) = base.join(href)
            {
                links.push((u, t));
            }
        }
        let asks = [
            "请先登录",
            "登录后",
            "须登录",
            "需登录",
            "请登录",
            "登录后方可",
            "实名认证后",
            "先登录",
        ]
        .iter()
        .any(|w| text.contains(w));
        if links.is_empty() {
            return asks.then(|| Login {
                required: true,
                url: None,
                has_return: true,
                excerpt: String::new(),
            });
        }
        let required = asks || !has_textarea;
        let params = &self.rules.channels.return_params;
        let has_return = links.iter().any(|(u, _)| {
            u.query_pairs().any(|(k, v)| {
                let k = k.to_ascii_lowercase();
                !v.is_empty() && params.contains(&k)
            })
        });
        let (u, t) = &links[0];
        Some(Login {
            required,
            url: Some(u.to_string()),
            has_return,
            excerpt: format!("{t} → {u}"),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn judge_form(
        &self,
        lim: &limits::FormLimits,
        login: Option<&Login>,
        p: &Page,
        text: &str,
        previous_forms: &[&Fact],
        hour: u32,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let r = &self.rules.limits;
        let url = &p.fetch.url;
        if let (Some(n), Some(src)) = (lim.min_len, &lim.min_source)
            && n > r.min_length_above
        {
            out.findings.push(finding(
                codes::MIN_LENGTH,
                Severity::Deduct,
                url,
                json!({"min_len": n, "threshold": r.min_length_above, "how": src.how}),
                format!("留言内容不得少于 {n} 字（见表单的 {}）", src.how),
                Some(src.excerpt.clone()),
                Some(p),
                at,
            ));
        }
        if let (Some(n), Some(src)) = (lim.max_len, &lim.max_source)
            && n < r.max_length_below
        {
            out.findings.push(finding(
                codes::MAX_LENGTH,
                Severity::Deduct,
                url,
                json!({"max_len": n, "threshold": r.max_length_below, "how": src.how}),
                format!("留言内容不得超过 {n} 字（见表单的 {}）", src.how),
                Some(src.excerpt.clone()),
                Some(p),
                at,
            ));
        }
        if let (Some(n), Some(src)) = (lim.daily_cap, &lim.daily_cap_source)
            && n <= r.daily_cap_at_most
        {
            out.findings.push(finding(
                codes::DAILY_CAP,
                Severity::Deduct,
                url,
                json!({"daily_cap": n, "how": src.how}),
                format!("每天最多只能留言 {n} 次（见表单的 {}）", src.how),
                Some(src.excerpt.clone()),
                Some(p),
                at,
            ));
        }
        if let (Some((a, b)), Some(src)) = (lim.open, &lim.open_source)
            && (b - a) < r.open_hours_below * 60
        {
            out.findings.push(finding(
                codes::OPEN_HOURS,
                Severity::Deduct,
                url,
                json!({"open_hours": lim.open_hours(), "workdays_only": lim.workdays_only, "how": src.how}),
                format!(
                    "渠道仅在 {}{} 开放（见表单的 {}）",
                    lim.open_hours().unwrap_or_default(),
                    if lim.workdays_only { "（工作日）" } else { "" },
                    src.how
                ),
                Some(src.excerpt.clone()),
                Some(p),
                at,
            ));
        } else if !lim.form_present {
            // Closed now, open in an earlier fetch at another hour: the history shows a window.
            let closed_words = [
                "关闭",
                "非开放",
                "不在",
                "暂停",
                "休息时间",
                "开放时间",
                "暂不受理",
            ];
            if closed_words.iter().any(|w| text.contains(w))
                && let Some(prev) = previous_forms.iter().find(|f| {
                    f.url.as_deref() == Some(url.as_str())
                        && f.value["form_present"] == true
                        && f.value["fetched_hour"]
                            .as_u64()
                            .is_some_and(|h| h as u32 != hour)
                })
            {
                let open_at = prev.value["fetched_hour"].as_u64().unwrap_or(0);
                let said = closed_words
                    .iter()
                    .find_map(|w| crate::evidence::excerpt_around(text, w, 30))
                    .unwrap_or_default();
                out.findings.push(finding(
                    codes::OPEN_HOURS,
                    Severity::Deduct,
                    url,
                    json!({"open_hours": null, "open_at_hour": open_at, "closed_at_hour": hour, "how": "history"}),
                    format!(
                        "表单在 {open_at:02} 时抓取时开放、在 {hour:02} 时关闭：渠道限时开放"
                    ),
                    Some(said),
                    Some(p),
                    at,
                ));
            }
        }
        if let Some(l) = login
            && l.required
            && l.url.is_some()
            && !l.has_return
        {
            out.findings.push(finding(
                codes::LOGIN_NO_RETURN,
                Severity::Deduct,
                url,
                json!({"login_url": l.url}),
                "写信须先登录，且登录链接不带返回地址：登录后不能回到写信页面".into(),
                Some(l.excerpt.clone()),
                Some(p),
                at,
            ));
        }
    }

    fn judge_letters(
        &self,
        letters: &BTreeMap<String, Letter>,
        pages: &[Page],
        today: NaiveDate,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let r = &self.rules.replies;
        let since = months_before(today, r.lookback_months);
        let mut days: Vec<u32> = Vec::new();
        let (mut in_window, mut answered, mut answered_undated) = (0u32, 0u32, 0u32);
        let mut last_reply: Option<NaiveDate> = None;
        let mut replied_by: Option<NaiveDate> = None;
        let mut newest_list: Option<(NaiveDate, String)> = None;
        let mut consult = 0;
        for (key, l) in letters {
            let i = &l.info;
            let wd = match (i.sent, i.replied) {
                (Some(s), Some(rp)) if rp >= s => Some(self.calendar.working_days_between(s, rp)),
                _ => None,
            };
            out.facts.push(fact(
                codes::LETTER,
                Some(key),
                json!({
                    "url": key,
                    "title": i.title,
                    "sent": i.sent.map(|d| d.to_string()),
                    "replied": i.replied.map(|d| d.to_string()),
                    "status": i.status.as_str(),
                    "kind": l.kind.as_str(),
                    "label": i.kind_label,
                    "working_days": wd,
                    "calendar": i.sent.is_none_or(|d| self.calendar.covers(d)),
                    "list": l.list,
                }),
                at,
            ));
            if l.kind != Kind::Consultation || i.status == Status::Invalid {
                continue;
            }
            consult += 1;
            if let Some(rp) = i.replied
                && rp <= today
            {
                last_reply = last_reply.max(Some(rp));
            }
            // Shown as answered without a reply date: it was answered on or after it was sent.
            if i.replied.is_none()
                && i.status == Status::Replied
                && let Some(s) = i.sent
                && s <= today
            {
                replied_by = replied_by.max(Some(s));
            }
            if let (Some(s), Some(list)) = (i.sent, &l.list)
                && newest_list.as_ref().is_none_or(|(d, _)| s > *d)
            {
                newest_list = Some((s, list.clone()));
            }
            let Some(sent) = i.sent else { continue };
            if sent < since || sent > today {
                continue;
            }
            in_window += 1;
            if let Some(w) = wd {
                answered += 1;
                days.push(w);
            } else if i.status == Status::Replied {
                // marked 已回复 without a reply date: answered, its latency unknown
                answered += 1;
                answered_undated += 1;
            }
            // Unanswered for more than the rule's months within the past year.
            let limit = months_after(sent, r.unanswered_months);
            let late = match i.replied {
                Some(rp) => rp > limit,
                // Only a letter the site shows as unanswered or in progress: a row whose state
                // the crawl could not read is not evidence for a veto.
                None => {
                    matches!(i.status, Status::Unanswered | Status::Processing) && today > limit
                }
            };
            if late {
                let page = l.page.map(|p| &pages[p]);
                let msg = match i.replied {
                    Some(rp) => format!(
                        "{sent} 提交的咨询留言直到 {rp} 才答复，超过 {} 个月",
                        r.unanswered_months
                    ),
                    None => format!(
                        "{sent} 提交的咨询留言截至 {today} 仍未答复（{}），超过 {} 个月",
                        i.status.as_str(),
                        r.unanswered_months
                    ),
                };
                out.findings.push(finding(
                    codes::UNANSWERED_3M,
                    Severity::Veto,
                    key,
                    json!({"sent": sent.to_string(), "replied": i.replied.map(|d| d.to_string()), "status": i.status.as_str(), "title": i.title}),
                    msg,
                    Some(format!("{} — {}", i.title, i.excerpt)),
                    page,
                    at,
                ));
            }
        }
        days.sort_unstable();
        let median = if days.is_empty() {
            None
        } else if days.len() % 2 == 1 {
            Some(f64::from(days[days.len() / 2]))
        } else {
            Some(f64::from(days[days.len() / 2 - 1] + days[days.len() / 2]) / 2.0)
        };
        let within = |n: u32| days.iter().filter(|&&d| d <= n).count() as u32;
        // shares are of the answers whose reply date is known
        let dated = answered - answered_undated;
        let share = |k: u32| (dated > 0).then(|| f64::from(k) / f64::from(dated));
        let (w1, w5) = (within(1), within(5));
        let list_url = newest_list.map(|(_, u)| u);
        if let Some(home) = pages.iter().find(|p| p.depth == 0) {
            out.facts.push(fact(
                codes::LATENCY,
                Some(&home.fetch.url),
                json!({
                    "letters": in_window,
                    "answered": answered,
                    "answered_undated": answered_undated,
                    "within_1": w1,
                    "within_5": w5,
                    "share_1": share(w1),
                    "share_5": share(w5),
                    "median_days": median,
                    "last_reply": last_reply.map(|d| d.to_string()),
                    "published": consult,
                    "since": since.to_string(),
                }),
                at,
            ));
        }
        // No reply published in the last months (only judged where letters are published).
        let recent = months_before(today, r.no_recent_reply_months);
        let proven_recent = last_reply.max(replied_by).is_some_and(|d| d >= recent);
        if consult > 0 && !proven_recent {
            let url =
                list_url.unwrap_or_else(|| letters.keys().next().cloned().unwrap_or_default());
            let page = pages.iter().find(|p| p.fetch.url == url);
            out.findings.push(finding(
                codes::NO_RECENT_REPLY,
                Severity::Deduct,
                &url,
                json!({"last_reply": last_reply.map(|d| d.to_string()), "since": recent.to_string()}),
                match last_reply {
                    Some(d) => format!("自 {d} 起未公开答复：截至 {today} 的 {} 个月内无答复", r.no_recent_reply_months),
                    None => format!("公开的来信均无答复（截至 {today}）"),
                },
                last_reply.map(|d| format!("newest reply {d}")),
                page,
                at,
            ));
        }
    }

    fn count_surveys(
        &self,
        cx: &Ctx,
        survey_pages: &[usize],
        ad_pages: &[String],
        today: NaiveDate,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let input = cx.input;
        let pages = input.pages();
        let since = months_before(today, self.rules.surveys.months);
        let mut acts: BTreeMap<String, Value> = BTreeMap::new();
        let (mut online, mut email) = (0, 0);
        let mut excluded = Vec::new();
        for &i in survey_pages {
            // a survey list: its dated items are the activities
            let items = crate::dates::list_items(
                input.dom(i),
                &match Url::parse(&pages[i].fetch.final_url) {
                    Ok(u) => u,
                    Err(_) => continue,
                },
                today,
            );
            for it in items {
                let Some(listed) = it.date else { continue };
                if acts.contains_key(&it.url) || ad_pages.contains(&it.url) {
                    if ad_pages.contains(&it.url) && !excluded.contains(&it.url) {
                        excluded.push(it.url.clone());
                    }
                    continue;
                }
                let detail = cx.page(&it.url);
                let (start, channel) = match detail {
                    Some(d) => {
                        let text = cx.text(d);
                        (
                            survey_start(text).unwrap_or(listed),
                            survey_channel(input.dom(d), text),
                        )
                    }
                    None => (listed, "unknown"),
                };
                if start <= since || start > today {
                    continue;
                }
                match channel {
                    "online" => online += 1,
                    "email" => email += 1,
                    _ => {}
                }
                acts.insert(
                    it.url.clone(),
                    json!({"title": it.title, "url": it.url, "start": start.to_string(), "channel": channel}),
                );
            }
        }
        let home = input.home().map(|h| h.fetch.url.clone());
        let count = acts.len();
        out.facts.push(fact(
            codes::SURVEY_COUNT,
            home.as_deref(),
            json!({
                "count": count,
                "since": since.to_string(),
                "activities": acts.into_values().collect::<Vec<_>>(),
                "online": online > 0,
                "email_only": count > 0 && online == 0 && email > 0,
                "email_activities": email,
                "excluded_ads": excluded,
            }),
            at,
        ));
    }
}

/// The start of a survey: 征集时间/调查时间/起止时间 "A至B", else 开始时间, else 发布时间.
fn survey_start(text: &str) -> Option<NaiveDate> {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        regex::Regex::new(
            r"(?:征集时间|征求意见时间|调查时间|起止时间|活动时间|开始时间|征集期限|时间为|发布时间|发布日期)\s*[：:]?\s*(?:自|从)?\s*(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})",
        )
        .expect("valid regex")
    });
    let c = r.captures(text)?;
    NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

/// How a survey takes part: an online form or page (`online`), e-mail only (`email`), else
/// `other` (post, phone, fax).
fn survey_channel(doc: &Html, text: &str) -> &'static str {
    let form = doc
        .select(sel(
            "form textarea, form input[type=radio], form input[type=checkbox], form select",
        ))
        .next()
        .is_some();
    let link = doc.select(sel("a[href]")).any(|a| {
        let t: String = a.text().collect();
        [
            "在线提交",
            "我要参与",
            "参与调查",
            "发表意见",
            "在线留言",
            "网上投票",
            "问卷",
            "我要评论",
            "提交意见",
            "在线参与",
        ]
        .iter()
        .any(|w| t.contains(w))
    });
    if form || link {
        return "online";
    }
    let mail = text.contains('@')
        && [
            "电子邮件",
            "电子邮箱",
            "邮箱",
            "E-mail",
            "e-mail",
            "Email",
            "email",
        ]
        .iter()
        .any(|w| text.contains(w));
    if mail { "email" } else { "other" }
}

#[cfg(test)]
mod tests;
