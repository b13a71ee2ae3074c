//! The figures of the notice's summary paragraph: sites checked, failed, pass rate (合格率)
//! overall, by region and by kind; the share of portals entering bonus scoring; sites above the
//! high-score line; sites per problem; the share of letters answered within 1 and 5 working days.

use crate::engine::{NOT_INSPECTED, PASS};
use govwatch_store::{ScoreSet, SiteRow, StoredFact};
use serde::Serialize;
use std::collections::BTreeMap;

/// Pass counts of a group of sites.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    /// Sites inspected and scored (the pass rate's denominator).
    pub sites: u64,
    pub passed: u64,
    pub failed: u64,
    /// Sites that could not be inspected (未检查（无法评分）): neither passed nor failed, outside
    /// the pass rate, listed with their reason.
    pub not_inspected: u64,
    /// Percent, two decimals (the notice writes 99.64%); `None` for an empty group.
    pub pass_rate: Option<f64>,
    /// Mean final score of the sites that have one.
    pub mean_score: Option<f64>,
    /// Findings that cost points or failed a site (score items' finding ids), for the chart.
    pub problems: u64,
}

/// Replies to letters, from the `message.latency` facts (pooled over sites).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Replies {
    /// Sites with a `message.latency` fact.
    pub sites: u64,
    pub letters: u64,
    /// Letters answered (marked 已回复 or with a reply), with or without a reply date.
    pub answered: u64,
    /// Of the answered letters, those whose reply date is not published (their latency is not
    /// known: they count as answered, not in the shares).
    pub answered_undated: u64,
    pub within_1: u64,
    pub within_5: u64,
    /// Percent of the answers with a known reply date given within 1 / 5 working days.
    pub share_1: Option<f64>,
    pub share_5: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub overall: Group,
    pub by_region: Vec<Group>,
    pub by_kind: Vec<Group>,
    pub portals: u64,
    /// Portals strictly above the bonus line (进入加分环节).
    pub bonus_scored: u64,
    /// Percent of portals.
    pub bonus_share: Option<f64>,
    /// Sites whose final score is strictly above the high-score line (annex 2).
    pub high_scores: u64,
    /// Sites with at least one item of the rule, by rule name (veto and deduction rules).
    pub problems: BTreeMap<String, u64>,
    /// Sites whose score is provisional (a window the rules need was incomplete).
    pub incomplete: u64,
    pub replies: Replies,
}

fn pct(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 10000.0 / d as f64).round() / 100.0)
}

fn finish(g: &mut Group, scores: &[f64]) {
    g.pass_rate = pct(g.passed, g.sites);
    g.mean_score = (!scores.is_empty())
        .then(|| (scores.iter().sum::<f64>() / scores.len() as f64 * 100.0).round() / 100.0);
}

/// Computes the figures of a scoring.
pub fn figures(
    sites: &[SiteRow],
    set: &ScoreSet,
    high_score_above: f64,
    facts: &[StoredFact],
) -> Figures {
    let by_id: BTreeMap<&str, &SiteRow> = sites.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut f = Figures::default();
    let mut groups: BTreeMap<(u8, String), (Group, Vec<f64>)> = BTreeMap::new();
    let mut all_scores = Vec::new();
    for s in &set.scores {
        let Some(site) = by_id.get(s.site_id.as_str()) else {
            continue;
        };
        let pass = s.verdict == PASS;
        let problems: u64 = s
            .items
            .iter()
            .filter(|i| i.part == "veto" || i.part == "deduct")
            .map(|i| (i.finding_ids.len() + i.fact_ids.len()).max(1) as u64)
            .sum();
        let kind = if site.kind == "portal" {
            "门户网站"
        } else {
            "部门网站"
        };
        for key in [
            (0u8, String::new()),
            (1, site.region.clone()),
            (2, kind.to_string()),
        ] {
            let (g, sc) = groups.entry(key.clone()).or_insert_with(|| {
                (
                    Group {
                        name: key.1.clone(),
                        ..Group::default()
                    },
                    Vec::new(),
                )
            });
            if s.verdict == NOT_INSPECTED {
                g.not_inspected += 1;
                continue;
            }
            g.sites += 1;
            if pass {
                g.passed += 1;
            } else {
                g.failed += 1;
            }
            g.problems += problems;
            if let Some(x) = s.score {
                sc.push(x);
            }
        }
        if let Some(x) = s.score {
            all_scores.push(x);
            if x > high_score_above {
                f.high_scores += 1;
            }
        }
        if site.kind == "portal" {
            f.portals += 1;
            if s.bonus_scored {
                f.bonus_scored += 1;
            }
        }
        if !s.complete && s.verdict != NOT_INSPECTED {
            f.incomplete += 1;
        }
        let mut seen = std::collections::BTreeSet::new();
        for i in s
            .items
            .iter()
            .filter(|i| i.part == "veto" || i.part == "deduct")
        {
            if seen.insert(i.name.clone()) {
                *f.problems.entry(i.name.clone()).or_insert(0) += 1;
            }
        }
    }
    for ((level, _), (mut g, sc)) in groups {
        finish(&mut g, &sc);
        match level {
            0 => {
                g.name = "全部".into();
                f.overall = g;
            }
            1 => f.by_region.push(g),
            _ => f.by_kind.push(g),
        }
    }
    f.bonus_share = pct(f.bonus_scored, f.portals);
    let scored: std::collections::BTreeSet<&str> =
        set.scores.iter().map(|s| s.site_id.as_str()).collect();
    for fact in facts
        .iter()
        .filter(|x| x.fact.code == "message.latency" && scored.contains(x.site_id.as_str()))
    {
        let v = &fact.fact.value;
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        f.replies.sites += 1;
        f.replies.letters += n("letters");
        f.replies.answered += n("answered");
        f.replies.answered_undated += n("answered_undated");
        f.replies.within_1 += n("within_1");
        f.replies.within_5 += n("within_5");
    }
    let dated = f.replies.answered - f.replies.answered_undated.min(f.replies.answered);
    f.replies.share_1 = pct(f.replies.within_1, dated);
    f.replies.share_5 = pct(f.replies.within_5, dated);
    f
}
