//! Commercial content (`content.commercial_ad`): a survey that is an advertisement (the Anhui
//! notice's case), or product promotion on any page. Signals, from `config/interaction.toml`:
//! links to shop hosts (2 points), strong sales phrases (2 each), weak ones (1 each, distinct).
//! A survey page or an activity linked from one is reported at 2 points, any other page at 3, so
//! a single "特价" in a price-monitoring notice is never a finding.

use super::{Ctx, Interaction, finding};
use govwatch_model::{LinkKind, Severity, Timestamp};
use serde_json::json;
use std::collections::BTreeSet;
use url::Url;

fn host_matches(host: &str, suffix: &str) -> bool {
    host == suffix || host.ends_with(&format!(".{suffix}"))
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
        let needed = if in_survey { 2 } else { 3 };
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
            "content.commercial_ad",
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
                "a survey page carries commercial advertising (product promotion, prices, shop links)".into()
            } else {
                "the page carries commercial advertising (product promotion, prices, shop links)".into()
            },
            Some(excerpt),
            Some(p),
            at,
        ));
    }
    flagged
}
