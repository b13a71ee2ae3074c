//! 严重表述错误 (single veto 1: a leader's name or title written wrong, the Party's guiding thought
//! or a fixed formulation written wrong), read on every crawled page and in every new-media post.
//!
//! Rules are data (`config/wording.toml`): leaders with their titles and the days each was held,
//! formulations, known wrong forms, a whitelist. [`lexicon`] compiles them once into one
//! Aho-Corasick automaton holding every canonical form and every near miss ([`variants`]: a
//! same-pronunciation or look-alike character, one dropped, one inserted, two swapped); [`judge`]
//! runs it once over a page's visible text and judges each match in its context.
//!
//! Findings: `wording.serious` (确定: a known wrong form, a name's near miss beside the leader's
//! title, a long formulation's near miss — counts for veto 1) and `wording.suspect` (疑似, 提示:
//! a short formulation's near miss, a title given to a leader who did not hold it at the
//! mention's date — for an inspector's review). How sure each kind is, is data
//! (`[confidence]`). Each finding's `value.pattern` is the wrong words: an inspector's dismissal
//! of it on a page keeps it from being raised again there (the store carries the dismissal on).

pub mod judge;
pub mod lexicon;
pub mod variants;

use crate::{Probe, ProbeInput, ProbeOutput};
use govwatch_config::{Confidence, WordingRules};
use govwatch_model::{Account, FeedRead, Finding, Page, Severity, Timestamp};
use judge::{Hit, HitKind, Judge};
use lexicon::Lexicon;
use scraper::Html;
use serde_json::json;
use std::sync::Arc;

/// The finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `wording.serious` (finding): 确定.
    pub const SERIOUS: &str = "wording.serious";
    /// `wording.suspect` (finding): 疑似.
    pub const SUSPECT: &str = "wording.suspect";
    /// Every code above.
    pub const ALL: &[&str] = &[SERIOUS, SUSPECT];
}

/// The wording probe (page slot 4).
pub struct Wording {
    lex: Arc<Lexicon>,
}

/// The findings of one page.
pub struct WordingScan(Vec<Finding>);

impl Wording {
    /// The probe of `rules` (compiled once per process for the same rules).
    pub fn new(rules: &WordingRules) -> Wording {
        Wording {
            lex: Lexicon::shared(rules),
        }
    }

    /// The errors of one text judged at `as_of` (`date`: the text's own date, when known;
    /// `items`: the dated list items of its page, read when a mention needs its date).
    pub fn hits(
        &self,
        text: &str,
        date: Option<chrono::NaiveDate>,
        items: judge::Items,
        as_of: Timestamp,
    ) -> Vec<Hit> {
        Judge {
            lex: &self.lex,
            as_of: crate::media::china_day(as_of),
        }
        .judge(text, date, items)
    }

    /// The findings of a page's visible text.
    fn page_findings(&self, page: &Page, doc: &Html, text: &str, as_of: Timestamp) -> Vec<Finding> {
        let day = crate::media::china_day(as_of);
        let items = || match url::Url::parse(&page.fetch.final_url) {
            Ok(u) => crate::lists::list_items(doc, &u, day)
                .into_iter()
                .filter_map(|i| Some((i.title, i.date?)))
                .collect(),
            Err(_) => Vec::new(),
        };
        self.hits(text, None, &items, as_of)
            .into_iter()
            .map(|h| {
                finding(&h, page.fetch.started_at, &page.fetch.url)
                    .page(Some(page))
                    .build()
            })
            .collect()
    }

    /// The findings of an account's posts published by `as_of` (each judged at its own date).
    pub fn posts(&self, account: &Account, feed: &FeedRead, as_of: Timestamp) -> Vec<Finding> {
        let mut out = Vec::new();
        for p in &feed.posts {
            if p.published.is_some_and(|t| t > as_of) {
                continue;
            }
            let day = p.published.map(crate::media::china_day);
            let text = p
                .full_text()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            for h in self.hits(&text, day, &Vec::new, as_of) {
                let url = p.link.as_deref().unwrap_or(&feed.url);
                let mut f = finding(&h, as_of, url).page(feed.page.as_ref()).build();
                f.value["account"] = json!(account.key());
                f.value["platform"] = json!(account.platform.as_str());
                f.value["post"] = json!(p.link);
                f.value["post_title"] = json!(p.title);
                out.push(f);
            }
        }
        out
    }
}

/// 确定 / 疑似.
pub fn confidence_zh(c: Confidence) -> &'static str {
    match c {
        Confidence::Serious => "确定",
        Confidence::Suspect => "疑似",
    }
}

/// A hit as a finding (evidence page not yet given).
fn finding(h: &Hit, at: Timestamp, url: &str) -> crate::evidence::FindingBuilder {
    let (code, severity) = match h.confidence {
        Confidence::Serious => (codes::SERIOUS, Severity::Veto),
        Confidence::Suspect => (codes::SUSPECT, Severity::Info),
    };
    let conf = confidence_zh(h.confidence);
    let how = h.edit.map(|e| format!("，{}", e.zh())).unwrap_or_default();
    let message = match h.kind {
        HitKind::Known => format!("{conf}表述错误：“{}”应为“{}”", h.wrong, h.right),
        HitKind::Name => format!(
            "{conf}领导人姓名写错：“{}”旁的“{}”应为“{}”{how}",
            h.title.as_deref().unwrap_or(""),
            h.wrong,
            h.right
        ),
        HitKind::Phrase => format!("{conf}规范表述写错：“{}”应为“{}”{how}", h.wrong, h.right),
        HitKind::TitleAtDate => {
            let when = h
                .date
                .map(|d| format!("{d} ", d = d.format("%Y-%m-%d")))
                .unwrap_or_default();
            let who = if h.right.is_empty() {
                String::new()
            } else {
                format!("，当时为“{}”", h.right)
            };
            format!(
                "{conf}职务与姓名不符：{when}{}不是{}{who}",
                h.leader.as_deref().unwrap_or(""),
                h.title.as_deref().unwrap_or(""),
            )
        }
    };
    crate::evidence::finding("wording", code, severity, at)
        .url(url)
        .value(json!({
            "kind": h.kind.as_str(),
            "confidence": conf,
            "wrong": h.wrong,
            "right": h.right,
            "pattern": h.wrong,
            "edit": h.edit.map(|e| e.as_str()),
            "title": h.title,
            "leader": h.leader,
            "page_date": h.date.map(|d| d.to_string()),
            "date_source": h.date_source,
            "count": h.count,
            "source": h.source,
        }))
        .message(message)
        .excerpt(h.excerpt.clone())
}

impl Probe for Wording {
    fn name(&self) -> &'static str {
        "wording"
    }

    fn slot(&self) -> Option<usize> {
        Some(4)
    }

    fn scan(&self, page: &Page, doc: &Html, cx: &crate::ScanCx) -> Option<crate::Scan> {
        if !page.is_html || !page.fetch.ok() {
            return None;
        }
        let found = self.page_findings(page, doc, cx.visible_text(doc), cx.as_of);
        (!found.is_empty()).then(|| Box::new(WordingScan(found)) as crate::Scan)
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        for i in 0..input.pages().len() {
            if let Some(s) = input.scan::<WordingScan>(self, i) {
                out.findings.extend(s.0.iter().cloned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
