//! Spam words (`config/integrity.toml`) in a page's title, meta tags and visible text, and
//! outbound links whose target now serves spam (a lapsed domain re-registered).

use super::{Integrity, IntegrityScan, codes, finding};
use crate::evidence::clip;
use crate::html::{sel, visible_text};
use crate::{ProbeInput, ProbeOutput};
use govwatch_model::{Page, Severity};
use scraper::Html;
use serde_json::json;
use std::collections::{BTreeSet, HashSet};

impl Integrity {
    /// Check 2: spam words in the title, meta tags and visible text outside `hidden_roots`.
    pub(super) fn spam_keywords(
        &self,
        page: &Page,
        doc: &Html,
        hidden_roots: &HashSet<ego_tree::NodeId>,
        out: &mut IntegrityScan,
    ) {
        let url = page.fetch.url.as_str();
        // 2. spam words in the title, meta tags and visible text (hidden blocks left out)
        let title = page.title.clone().unwrap_or_default();
        let meta: String = doc
            .select(sel(r#"meta[name="keywords"], meta[name="Keywords"], meta[name="description"], meta[name="Description"]"#))
            .filter_map(|m| m.value().attr("content"))
            .collect::<Vec<_>>()
            .join(" ");
        let in_head = self.spam_words(&format!("{title} {meta}"));
        let text = visible_text(doc, hidden_roots);
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
            out.findings.push(finding(
                codes::SPAM_KEYWORDS,
                Severity::Veto,
                page,
                url,
                json!({ "words": all, "in_title_meta": in_head.iter().map(|(_, w)| w).collect::<Vec<_>>(), "in_text": in_text.iter().map(|(_, w)| w).collect::<Vec<_>>() }),
                format!("页面 {url} 含违规有害内容词语：{}", all.iter().copied().collect::<Vec<_>>().join("、")),
                excerpt,
            ));
        }
    }

    /// Check 6: outbound links whose target's title or meta tags now carry spam words.
    pub(super) fn changed_links(&self, input: &ProbeInput, out: &mut ProbeOutput) {
        let crawl = input.crawl;
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
            out.findings.push(finding(
                codes::EXTERNAL_LINK_CHANGED,
                Severity::Veto,
                page,
                &c.url,
                json!({ "target": c.url, "anchor": link.text, "target_title": title, "words": w, "from": pages }),
                format!("页面 {} 上的链接“{}”指向的网站已变为有关{}的内容", page.fetch.url, link.text, w.join("、")),
                clip(&format!("link “{}” → {} — <title>{title}</title> {meta}", link.text, c.url), 400),
            ));
        }
    }
}
