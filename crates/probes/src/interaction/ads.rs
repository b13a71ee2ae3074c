//! Commercial content (`content.commercial_ad`): a survey that is an advertisement (the Anhui
//! notice's case), or product promotion on any page. Signals, from `config/interaction.toml`:
//! links to shop hosts (2 points), strong sales phrases (2 each), weak ones (1 each, distinct).
//! A survey page or an activity linked from one is reported at 2 points, any other page at 3, so
//! a single "特价" in a price-monitoring notice is never a finding.
//!
//! [`judge`] is the rule itself, over any text and its links: the media probe applies it to the
//! posts of new-media accounts (`media.commercial_ad`).

use super::{Ctx, Interaction, finding};
use govwatch_config::AdRules;
use govwatch_model::{LinkKind, Severity, Timestamp};
use serde_json::json;
use std::collections::BTreeSet;
use url::Url;

fn host_matches(host: &str, suffix: &str) -> bool {
    host == suffix || host.ends_with(&format!(".{suffix}"))
}

/// Points a page (or post) needs to be advertising: in a survey's context, and elsewhere.
pub const NEEDED_IN_SURVEY: usize = 2;
pub const NEEDED_ELSEWHERE: usize = 3;

/// The signals of commercial advertising found in a text and its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdSignals {
    /// (shop host, link) for each distinct shop host linked.
    pub shops: Vec<(String, String)>,
    pub strong: Vec<String>,
    pub weak: Vec<String>,
    /// 2 for any shop link, 2 per strong phrase, 1 per weak one.
    pub score: usize,
    /// The text around the first strong phrase, or the first shop link.
    pub excerpt: String,
}

/// The advertising rule over `text` and the `links` it carries: `Some` when the score reaches
/// `needed` and a shop link or a strong phrase is among the signals (weak phrases alone never
/// make an advertisement).
pub fn judge<'l>(
    rules: &AdRules,
    text: &str,
    links: impl IntoIterator<Item = &'l str>,
    needed: usize,
) -> Option<AdSignals> {
    let mut shops: Vec<(String, String)> = Vec::new();
    for l in links {
        if let Ok(u) = Url::parse(l)
            && let Some(h) = u.host_str()
            && rules.shop_hosts.iter().any(|s| host_matches(h, s))
            && !shops.iter().any(|(x, _)| x == h)
        {
            shops.push((h.to_string(), l.to_string()));
        }
    }
    let strong: Vec<String> = rules
        .strong
        .iter()
        .filter(|w| text.contains(w.as_str()))
        .cloned()
        .collect();
    let weak: Vec<String> = rules
        .weak
        .iter()
        .filter(|w| text.contains(w.as_str()))
        .cloned()
        .collect();
    let score = 2 * shops.len().min(1) + 2 * strong.len() + weak.len();
    if score < needed || (strong.is_empty() && shops.is_empty()) {
        return None;
    }
    let excerpt = strong
        .first()
        .and_then(|w| crate::evidence::excerpt_around(text, w, 40))
        .or_else(|| shops.first().map(|(_, u)| format!("link to {u}")))
        .unwrap_or_default();
    Some(AdSignals {
        shops,
        strong,
        weak,
        score,
        excerpt,
    })
}

/// Scans every page; returns the URLs reported.
pub(super) fn scan(
    probe: &Interaction,
    cx: &Ctx,
    survey_pages: &[usize],
    at: Timestamp,
    out: &mut crate::ProbeOutput,
) -> Vec<String> {
    let input = cx.input;
    let pages = input.pages();
    let rules = &probe.rules.ads;
    // Pages in survey context: the survey lists and what they link to on the site.
    let mut survey_ctx: BTreeSet<String> = BTreeSet::new();
    for &i in survey_pages {
        survey_ctx.insert(pages[i].fetch.url.clone());
        for l in &pages[i].links {
            if l.kind == LinkKind::Anchor {
                survey_ctx.insert(l.url.clone());
            }
        }
    }
    let mut flagged = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        if !p.is_html || !p.fetch.ok() {
            continue;
        }
        let mut shops: Vec<(String, String)> = Vec::new();
        for l in &p.links {
            if l.kind != LinkKind::Anchor {
                continue;
            }
            // a shop host's name is in the URL; only then is it parsed
            if rules.shop_hosts.iter().any(|s| l.url.contains(s.as_str()))
                && let Ok(u) = Url::parse(&l.url)
                && let Some(h) = u.host_str()
                && rules.shop_hosts.iter().any(|s| host_matches(h, s))
                && !shops.iter().any(|(x, _)| x == h)
            {
                shops.push((h.to_string(), l.url.clone()));
            }
        }
        let Some(sc) = cx.scan(probe, i) else {
            continue;
        };
        let (strong, weak) = (&sc.ad_words.0, &sc.ad_words.1);
        let score = 2 * shops.len().min(1) + 2 * strong.len() + weak.len();
        let in_survey =
            survey_ctx.contains(&p.fetch.url) || survey_ctx.contains(&p.fetch.final_url);
        let needed = if in_survey {
            NEEDED_IN_SURVEY
        } else {
            NEEDED_ELSEWHERE
        };
        if score < needed || (strong.is_empty() && shops.is_empty()) {
            continue;
        }
        let excerpt = sc
            .ad_excerpt
            .clone()
            .or_else(|| shops.first().map(|(_, u)| format!("link to {u}")))
            .unwrap_or_default();
        flagged.push(p.fetch.url.clone());
        out.findings.push(finding(
            super::codes::CONTENT_COMMERCIAL_AD,
            Severity::Deduct,
            &p.fetch.url,
            json!({
                "in_survey": in_survey,
                "shop_links": shops.iter().map(|(_, u)| u.clone()).collect::<Vec<_>>(),
                "strong": strong,
                "weak": weak,
                "score": score,
            }),
            if in_survey {
                "调查征集页面含有商业广告（商品推广、价格、网店链接）".into()
            } else {
                "页面含有商业广告（商品推广、价格、网店链接）".into()
            },
            Some(excerpt),
            Some(p),
            at,
        ));
    }
    flagged
}
