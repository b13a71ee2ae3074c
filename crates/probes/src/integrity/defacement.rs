//! Defacement (篡改): the home page's text lines compared with the previous run's, and the
//! markers hackers leave (`config/integrity.toml`).

use super::{HomeScan, Integrity, IntegrityScan, codes, finding};
use crate::evidence::clip;
use crate::html::visible_text;
use crate::{ProbeInput, ProbeOutput};
use govwatch_model::{Fact, Page, Severity};
use scraper::Html;
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::hash::{Hash, Hasher};

impl Integrity {
    /// The home page's profile: its line hashes, the first marker it shows, its first words.
    pub(super) fn home_profile(
        &self,
        page: &Page,
        doc: &Html,
        cx: &crate::ScanCx,
        out: &mut IntegrityScan,
    ) {
        let text = cx.visible_text(doc).to_lowercase();
        let title = page.title.clone().unwrap_or_default().to_lowercase();
        let marker = self.rules.defacement.markers.iter().find_map(|m| {
            let lm = m.to_lowercase();
            (text.contains(&lm) || title.contains(&lm)).then(|| {
                let excerpt = crate::evidence::excerpt_around(&text, &lm, 80).unwrap_or_default();
                (m.clone(), excerpt)
            })
        });
        out.home = Some(HomeScan {
            lines: line_hashes(doc),
            marker,
            head: clip(&text, 200),
        });
    }

    /// Check 7: the home profile fact, and a finding when the home page changed drastically since
    /// the previous run with spam or a marker, or shows a marker.
    pub(super) fn defacement(
        &self,
        input: &ProbeInput,
        hi: usize,
        home: &Page,
        out: &mut ProbeOutput,
    ) {
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
                out.findings.push(finding(
                    codes::DEFACEMENT,
                    Severity::Veto,
                    home,
                    &home.fetch.url,
                    json!({ "similarity": similarity.map(|s| (s * 1000.0).round() / 1000.0), "marker": marker, "spam": spam_on_home, "title": title }),
                    format!(
                        "首页与上次检查相比大幅改变（相似度 {:.0}%），疑似被篡改{}",
                        similarity.unwrap_or(0.0) * 100.0,
                        marker.map(|m| format!("，页面显示“{m}”")).unwrap_or_default()
                    ),
                    excerpt,
                ));
            }
        }
    }
}

pub(super) fn line_hashes(doc: &Html) -> BTreeSet<u64> {
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
