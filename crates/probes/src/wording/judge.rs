//! One text judged: the automaton run once over it, each match judged in its context.
//!
//! - A known wrong form is a hit wherever it stands.
//! - A phrase's near miss is a hit wherever it stands (the phrase is its own context).
//! - A name's near miss is a hit only beside one of the leader's titles (总理李墙, 习近乎总书记):
//!   an ordinary person with a similar name is never flagged. A 2-character near miss with the
//!   title after it must also start a word (no ideograph before it: 王立强总理 is not 李强).
//! - A leader's name right beside a full title the leader did not hold at the mention's date
//!   (国务院总理李克强 on a page of 2024) is a hit, unless the title is said to be a past one
//!   (时任, 原 …). The mention's date is its list item's date when it stands in a list item (the
//!   caller reads the items from the DOM, only when asked), else the nearest full dates around it
//!   (held at either: not a hit), else the page's.
//!
//! A near miss inside a whitelisted word, or right after words that say the text quotes an error
//! (误写为 …), is not a hit. White space between two ideographs is dropped first (visible text
//! joins text nodes with a space, and short names are padded: 李　强).

use super::lexicon::{Lexicon, Target};
use super::variants::{Edit, is_cjk};
use chrono::{Duration, NaiveDate};
use govwatch_config::Confidence;
use regex::Regex;
use std::sync::OnceLock;

/// What kind of error a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    Known,
    Name,
    Phrase,
    TitleAtDate,
}

impl HitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HitKind::Known => "known",
            HitKind::Name => "name",
            HitKind::Phrase => "phrase",
            HitKind::TitleAtDate => "title_at_date",
        }
    }
}

/// One error found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: HitKind,
    pub confidence: Confidence,
    /// The words as written.
    pub wrong: String,
    /// The words suggested.
    pub right: String,
    pub edit: Option<Edit>,
    /// The title beside a name (its context), or the title given to the wrong person.
    pub title: Option<String>,
    pub leader: Option<String>,
    /// The date the text was judged at (the mention's, else the page's), when known.
    pub date: Option<NaiveDate>,
    /// `nearby` (a date beside the mention), `published` (the page's 发布时间) or `given` (the
    /// post's time).
    pub date_source: Option<&'static str>,
    pub excerpt: String,
    pub source: String,
    /// How often the same error stands in the text.
    pub count: usize,
}

fn full_date_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})").unwrap()
    })
}

fn published_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?:发布时间|发布日期|发文日期|成文日期|印发日期|日期|时间)\s*[：:]\s*(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})",
        )
        .unwrap()
    })
}

fn date_of(c: &regex::Captures, as_of: NaiveDate) -> Option<NaiveDate> {
    let d = NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)?;
    (d <= as_of && d >= NaiveDate::from_ymd_opt(1949, 10, 1)?).then_some(d)
}

/// The page's publication date (发布时间：2024-05-06 …), when it says one.
pub fn published_date(text: &str, as_of: NaiveDate) -> Option<NaiveDate> {
    published_re()
        .captures_iter(text)
        .find_map(|c| date_of(&c, as_of))
}

/// `text` with the spaces between two ideographs dropped. `text` is folded already (white space
/// as single spaces, as [`crate::html::visible_text`] gives it); the spaces are found with
/// `memchr`, so a page costs little more than one copy.
pub fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(' ') {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let after = tail.trim_start_matches(' ');
        let joins =
            out.chars().next_back().is_some_and(is_cjk) && after.chars().next().is_some_and(is_cjk);
        if !joins && !out.is_empty() && !after.is_empty() {
            out.push(' ');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The last `n` characters before byte `at`.
fn before(text: &str, at: usize, n: usize) -> &str {
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    &text[start..at]
}

/// The first `n` characters from byte `at`.
fn after(text: &str, at: usize, n: usize) -> &str {
    let end = text[at..]
        .char_indices()
        .nth(n)
        .map(|(i, _)| at + i)
        .unwrap_or(text.len());
    &text[at..end]
}

/// The text before `at`, one space left out.
fn left(text: &str, at: usize) -> &str {
    let t = &text[..at];
    t.strip_suffix(' ').unwrap_or(t)
}

/// The text from `at`, one space left out.
fn right_of(text: &str, at: usize) -> &str {
    let t = &text[at..];
    t.strip_prefix(' ').unwrap_or(t)
}

/// The dated list items of a page, (title, date), read only when a mention needs its date.
pub type Items<'a> = &'a dyn Fn() -> Vec<(String, NaiveDate)>;

/// Judges texts by one lexicon.
pub struct Judge<'a> {
    pub lex: &'a Lexicon,
    pub as_of: NaiveDate,
}

/// A text being judged, with what is read of it on first need.
struct Cx<'t> {
    text: &'t str,
    page: Option<NaiveDate>,
    page_source: Option<&'static str>,
    items: Items<'t>,
    read: std::cell::OnceCell<Vec<(String, NaiveDate)>>,
}

impl Cx<'_> {
    fn items(&self) -> &[(String, NaiveDate)] {
        self.read
            .get_or_init(|| {
                (self.items)()
                    .into_iter()
                    .map(|(t, d)| (compact(&t), d))
                    .collect()
            })
            .as_slice()
    }
}

impl Judge<'_> {
    /// Every error of `text`, one hit per distinct error (with how often it stands). `date`: the
    /// text's own date when the caller knows it (a post's time); else the page's 发布时间.
    pub fn judge(&self, text: &str, date: Option<NaiveDate>, items: Items) -> Vec<Hit> {
        let text = compact(text);
        let (page_date, page_source) = match date {
            Some(d) => (Some(d), Some("given")),
            None => match published_date(&text, self.as_of) {
                Some(d) => (Some(d), Some("published")),
                None => (None, None),
            },
        };
        let cx = Cx {
            text: &text,
            page: page_date,
            page_source: page_source.map(|s| if s == "published" { "page" } else { s }),
            items,
            read: Default::default(),
        };
        let mut hits: Vec<Hit> = Vec::new();
        for m in self.lex.ac.find_iter(&text) {
            let pat = self.lex.pats[m.pattern().as_usize()];
            let (s, e) = (m.start(), m.end());
            let hit = match (pat.target, pat.edit) {
                (Target::Name(l), None) => self.title_at_date(&cx, s, e, l),
                (Target::Phrase(_), None) => None,
                _ if self.whitelisted(&text, s, e) || self.quoted(&text, s) => None,
                (Target::Known(k), _) => Some(self.hit(
                    HitKind::Known,
                    self.lex.rules.confidence.known,
                    &text,
                    s,
                    e,
                    self.lex.rules.wrong[k].right.clone(),
                    pat.target,
                    None,
                )),
                (Target::Phrase(p), edit) => {
                    let c = &self.lex.rules.confidence;
                    let phrase = &self.lex.rules.phrases[p].text;
                    let conf = if phrase.chars().count() >= c.short_phrase_chars {
                        c.phrase
                    } else {
                        c.short_phrase
                    };
                    let mut h = self.hit(
                        HitKind::Phrase,
                        conf,
                        &text,
                        s,
                        e,
                        phrase.clone(),
                        pat.target,
                        None,
                    );
                    h.edit = edit;
                    Some(h)
                }
                (Target::Name(l), edit) => self.name_in_context(&text, s, e, l).map(|title| {
                    let mut h = self.hit(
                        HitKind::Name,
                        self.lex.rules.confidence.name,
                        &text,
                        s,
                        e,
                        self.lex.rules.leaders[l].name.clone(),
                        pat.target,
                        Some(title),
                    );
                    h.edit = edit;
                    h.leader = Some(self.lex.rules.leaders[l].name.clone());
                    h
                }),
            };
            let Some(mut hit) = hit else { continue };
            if hit.date.is_none() {
                hit.date = page_date;
                hit.date_source = page_source;
            }
            match hits
                .iter_mut()
                .find(|h| h.kind == hit.kind && h.wrong == hit.wrong && h.right == hit.right)
            {
                Some(h) => h.count += 1,
                None => hits.push(hit),
            }
        }
        hits
    }

    #[allow(clippy::too_many_arguments)]
    fn hit(
        &self,
        kind: HitKind,
        confidence: Confidence,
        text: &str,
        s: usize,
        e: usize,
        right: String,
        target: Target,
        title: Option<String>,
    ) -> Hit {
        Hit {
            kind,
            confidence,
            wrong: text[s..e].to_string(),
            right,
            edit: None,
            title,
            leader: None,
            date: None,
            date_source: None,
            excerpt: format!("{}{}", before(text, s, 30), after(text, s, 30 + (e - s))),
            source: self.lex.source(target).to_string(),
            count: 1,
        }
    }

    /// The near miss at `s..e` lies inside a whitelisted word.
    fn whitelisted(&self, text: &str, s: usize, e: usize) -> bool {
        self.lex.rules.whitelist.words.iter().any(|w| {
            if w.is_empty() {
                return false;
            }
            let from = text[..s]
                .char_indices()
                .rev()
                .nth(w.chars().count())
                .map(|(i, _)| i)
                .unwrap_or(0);
            let to = (e + w.len()).min(text.len());
            let to = (to..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            text[from..to]
                .match_indices(w.as_str())
                .any(|(i, _)| from + i <= s && from + i + w.len() >= e)
        })
    }

    /// The words before `s` say the text quotes an error.
    fn quoted(&self, text: &str, s: usize) -> bool {
        let b = before(text, s, 8);
        self.lex
            .rules
            .matching
            .quote_markers
            .iter()
            .any(|q| b.contains(q.as_str()))
    }

    /// The title of leader `l` beside the near miss at `s..e`, if one is.
    fn name_in_context(&self, text: &str, s: usize, e: usize, l: usize) -> Option<String> {
        let forms = &self.lex.context[l];
        let b = left(text, s);
        if let Some(t) = forms.iter().find(|t| b.ends_with(t.as_str())) {
            return Some(t.clone());
        }
        let a = right_of(text, e);
        let t = forms.iter().find(|t| a.starts_with(t.as_str()))?;
        // a 2-character near miss followed by a title must start a word
        if text[s..e].chars().count() <= 2 && text[..s].chars().next_back().is_some_and(is_cjk) {
            return None;
        }
        Some(t.clone())
    }

    /// Whether leader `l` held `title` at `d`, give or take the grace days.
    fn held(&self, l: usize, title: &str, d: NaiveDate) -> bool {
        let g = Duration::days(i64::from(self.lex.rules.matching.grace_days));
        self.lex.rules.leaders[l]
            .titles
            .iter()
            .filter(|t| t.title == title)
            .any(|t| d >= t.from - g && t.to.is_none_or(|to| d <= to + g))
    }

    /// The dates a mention at `s..e` (`ws..we` with its title) is judged at: its list item's
    /// date, else the nearest full date before and after it in the window, else the page's.
    fn mention_dates(
        &self,
        cx: &Cx,
        (s, e): (usize, usize),
        (ws, we): (usize, usize),
    ) -> (Vec<NaiveDate>, Option<&'static str>) {
        let text = cx.text;
        let key = &text[ws..we];
        // the item whose title stands where the mention is
        let covers = |t: &str| {
            t.contains(key)
                && text
                    .match_indices(t)
                    .any(|(i, _)| i <= ws && i + t.len() >= we)
        };
        if let Some((_, d)) = cx.items().iter().find(|(t, _)| covers(t)) {
            return (vec![*d], Some("item"));
        }
        let page = cx.page;
        let w = self.lex.rules.matching.date_window_chars;
        let b = before(text, s, w);
        let a = after(text, e, w);
        let mut dates = Vec::new();
        if let Some(d) = full_date_re()
            .captures_iter(b)
            .filter_map(|c| date_of(&c, self.as_of))
            .last()
        {
            dates.push(d);
        }
        if let Some(d) = full_date_re()
            .captures_iter(a)
            .find_map(|c| date_of(&c, self.as_of))
        {
            dates.push(d);
        }
        if !dates.is_empty() {
            return (dates, Some("nearby"));
        }
        (page.into_iter().collect(), cx.page_source)
    }

    /// A leader's name at `s..e` right beside a full title the leader did not hold then.
    fn title_at_date(&self, cx: &Cx, s: usize, e: usize, l: usize) -> Option<Hit> {
        let text = cx.text;
        let lb = left(text, s);
        let ra = right_of(text, e);
        let (title, title_start) = self.lex.full_titles.iter().find_map(|(t, _)| {
            if lb.ends_with(t.as_str()) {
                Some((t, lb.len() - t.len()))
            } else if ra.starts_with(t.as_str()) {
                Some((t, s))
            } else {
                None
            }
        })?;
        let m = &self.lex.rules.matching;
        let lead = &text[..title_start];
        if m.past_markers.iter().any(|p| lead.ends_with(p.as_str())) || self.quoted(text, s) {
            return None;
        }
        let ever = self.lex.rules.leaders[l]
            .titles
            .iter()
            .any(|t| &t.title == title);
        let (ws, we) = if title_start < s {
            (title_start, e)
        } else {
            (s, text.len() - ra.len() + title.len())
        };
        let (dates, source) = self.mention_dates(cx, (s, e), (ws, we));
        if dates.is_empty() && ever {
            return None; // held it once, and no date to judge by
        }
        if dates.iter().any(|d| self.held(l, title, *d)) {
            return None;
        }
        let name = &self.lex.rules.leaders[l].name;
        let date = dates.first().copied();
        let holders: Vec<&str> = self
            .lex
            .full_titles
            .iter()
            .find(|(t, _)| t == title)
            .map(|(_, ls)| ls.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter(|&&o| date.is_some_and(|d| self.held(o, title, d)))
            .map(|&o| self.lex.rules.leaders[o].name.as_str())
            .collect();
        let mut h = self.hit(
            HitKind::TitleAtDate,
            self.lex.rules.confidence.title_at_date,
            text,
            ws,
            we,
            holders
                .iter()
                .map(|o| format!("{title}{o}"))
                .collect::<Vec<_>>()
                .join("、"),
            Target::Name(l),
            Some(title.clone()),
        );
        h.leader = Some(name.clone());
        h.date = date;
        h.date_source = source;
        Some(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwatch_config::WordingRules;

    fn judge(text: &str, as_of: &str) -> Vec<Hit> {
        let lex = Lexicon::shared(&WordingRules::default());
        let j = Judge {
            lex: &lex,
            as_of: as_of.parse().unwrap(),
        };
        j.judge(text, None, &Vec::new)
    }

    fn brief(h: &[Hit]) -> Vec<(&'static str, String, String)> {
        h.iter()
            .map(|h| (h.kind.as_str(), h.wrong.clone(), h.right.clone()))
            .collect()
    }

    #[test]
    fn right_text_gives_nothing() {
        let t = "学习贯彻习近平新时代中国特色社会主义思想，增强“四个意识”、坚定“四个自信”、做到“两个维护”。\
                 国务院总理李强主持召开国务院常务会议。李强强调，要…… 发布时间：2024-05-06";
        assert_eq!(brief(&judge(t, "2024-06-01")), vec![]);
    }

    #[test]
    fn a_name_near_miss_counts_only_beside_a_title() {
        let t = "国务院总理李墙主持会议。李墙同学获奖。王立强总理之说不对。";
        assert_eq!(
            brief(&judge(t, "2024-06-01")),
            vec![("name", "李墙".into(), "李强".into())]
        );
        let t = "学习习近乎总书记重要讲话精神";
        assert_eq!(
            brief(&judge(t, "2024-06-01")),
            vec![("name", "习近乎".into(), "习近平".into())]
        );
    }

    #[test]
    fn a_title_is_judged_at_the_mention_date() {
        // right in 2020, wrong in 2024 (李强 has been premier since 2023-03-11)
        let t = "国务院总理李克强主持召开国务院常务会议 2020-05-06";
        assert_eq!(brief(&judge(t, "2024-06-01")), vec![]);
        let t = "国务院总理李克强主持召开国务院常务会议 2024-05-06";
        assert_eq!(
            brief(&judge(t, "2024-06-01")),
            vec![(
                "title_at_date",
                "国务院总理李克强".into(),
                "国务院总理李强".into()
            )]
        );
        // a past title is not judged
        let t = "时任国务院总理李克强 2024-05-06";
        assert_eq!(brief(&judge(t, "2024-06-01")), vec![]);
        // no date at all: not judged
        assert_eq!(brief(&judge("国务院总理李克强", "2024-06-01")), vec![]);
    }

    #[test]
    fn quoted_errors_and_padded_names() {
        assert_eq!(
            brief(&judge("将“习近平”误写为“习近乎”总书记", "2024-06-01")),
            vec![]
        );
        assert_eq!(compact(" 李 强 总理  and more "), "李强总理 and more");
        assert_eq!(compact("习近平 , 总书记"), "习近平 , 总书记");
    }
}
