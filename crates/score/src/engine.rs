//! The scoring engine: pure. One site, its findings and facts (the availability window among them,
//! judged by the run), and the rules
//! in; the verdict, the points and the items that trace every point to findings and facts out.

use crate::rules::{
    Amount, AvailabilityRule, Centi, Cond, FactSelector, Op, Rule, Rules, Selector, points,
};
use chrono::{Months, NaiveDate};
use govwatch_model::{SiteKind, Timestamp};
use govwatch_store::{ScoreItemRow, ScoreRow, StoredFact, StoredFinding};
use serde_json::Value;
use std::collections::HashSet;

/// What the engine needs of a site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteInfo {
    pub id: String,
    pub kind: SiteKind,
}

/// One site's material for one scoring.
#[derive(Debug, Clone, Copy)]
pub struct SiteInput<'a> {
    pub site: &'a SiteInfo,
    /// The monitoring time point every window and date is judged against.
    pub as_of: Timestamp,
    /// The site's findings of the run.
    pub findings: &'a [StoredFinding],
    /// The site's facts of the run.
    pub facts: &'a [StoredFact],
}

/// `pass` / `fail` as stored; 合格 / 不合格 as printed.
pub const PASS: &str = "pass";
pub const FAIL: &str = "fail";
/// A site the crawl could not inspect (fact `site.not_inspected`): 未检查（无法评分）, no score.
pub const NOT_INSPECTED: &str = "not_inspected";

/// Chinese word of a stored verdict.
pub fn verdict_zh(v: &str) -> &'static str {
    match v {
        PASS => "合格",
        NOT_INSPECTED => "未检查（无法评分）",
        _ => "不合格",
    }
}

/// The reason of `site.not_inspected` in Chinese, for the score item's note.
fn not_inspected_zh(value: &Value) -> String {
    let reason = value.get("reason").and_then(Value::as_str).unwrap_or("");
    let detail = value.get("detail").and_then(Value::as_str).unwrap_or("");
    let why = match reason {
        "crawl_refused" => {
            "网站拒绝抓取（robots.txt 的 Crawl-delay 或 Retry-After 超过允许的上限）"
        }
        "redirects" => "首页重定向循环或超过重定向次数上限",
        "page_budget" => "首页嵌套过深或元素过多，超出解析上限",
        "challenged" => {
            // an anti-bot wall answered the home page with a challenge the monitor could not pass
            let wall = value.get("wall_name").and_then(Value::as_str).unwrap_or("");
            let advice = value.get("advice").and_then(Value::as_str).unwrap_or("");
            return format!(
                "未检查，无法评分：首页被网站防护墙（{wall}）拦截，监测程序未能读取页面；{advice} (site.not_inspected: challenged; {detail})"
            );
        }
        _ => "首页未能读取",
    };
    if detail.is_empty() {
        format!("未检查，无法评分：{why} (site.not_inspected: {reason})")
    } else {
        format!("未检查，无法评分：{why} (site.not_inspected: {reason}; {detail})")
    }
}

pub(crate) struct Matched {
    pub(crate) findings: Vec<i64>,
    pub(crate) facts: Vec<i64>,
    skipped: usize,
}

impl Matched {
    pub(crate) fn count(&self) -> usize {
        self.findings.len() + self.facts.len()
    }
}

fn item(
    part: &str,
    indicator: &str,
    rule: &Rule,
    pts: Centi,
    m: &Matched,
    note: String,
) -> ScoreItemRow {
    ScoreItemRow {
        part: part.into(),
        indicator: indicator.into(),
        rule: rule.id.clone(),
        name: rule.name.clone(),
        points: points(pts),
        finding_ids: m.findings.clone(),
        fact_ids: m.facts.clone(),
        note,
    }
}

/// Scores one site.
pub fn score_site(rules: &Rules, input: &SiteInput<'_>) -> ScoreRow {
    // A site the crawl could not inspect is never scored: what was not seen cannot pass.
    if let Some(row) = not_inspected(input) {
        return row;
    }
    let mut items = Vec::new();
    let mut complete = true;

    // Part 1: every veto is checked, so that each one that applies is named with its evidence.
    if vetoes(rules, input, &mut items, &mut complete) {
        return ScoreRow {
            site_id: input.site.id.clone(),
            verdict: FAIL.into(),
            vetoed: true,
            deducted: 0.0,
            bonus: 0.0,
            bonus_scored: false,
            score: None,
            complete,
            items,
        };
    }

    // Part 2: deductions, each finding counted once, each indicator capped.
    let deducted = deductions(rules, input, &mut items);
    let base = crate::rules::centi(rules.scale.base);
    let part2 = base - deducted;
    let pass = part2 >= crate::rules::centi(rules.scale.fail_below);

    // Part 3: bonus, for the kinds that have it, strictly above the threshold.
    let bonus_scored = pass
        && rules.scale.bonus_kinds.contains(&input.site.kind)
        && part2 > crate::rules::centi(rules.scale.bonus_above);
    let bonus = if bonus_scored {
        bonuses(rules, input, &mut items)
    } else {
        0
    };
    ScoreRow {
        site_id: input.site.id.clone(),
        verdict: if pass { PASS } else { FAIL }.into(),
        vetoed: false,
        deducted: points(deducted),
        bonus: points(bonus),
        bonus_scored,
        score: Some(points(part2 + bonus)),
        complete,
        items,
    }
}

/// The row of a site the crawl could not inspect (fact `site.not_inspected`): no score.
fn not_inspected(input: &SiteInput<'_>) -> Option<ScoreRow> {
    let f = input
        .facts
        .iter()
        .find(|f| f.fact.code == "site.not_inspected")?;
    Some(ScoreRow {
        site_id: input.site.id.clone(),
        verdict: NOT_INSPECTED.into(),
        vetoed: false,
        deducted: 0.0,
        bonus: 0.0,
        bonus_scored: false,
        score: None,
        complete: false,
        items: vec![ScoreItemRow {
            part: "note".into(),
            indicator: "veto".into(),
            rule: "not_inspected".into(),
            name: "未检查（无法评分）".into(),
            points: 0.0,
            finding_ids: Vec::new(),
            fact_ids: vec![f.id],
            note: not_inspected_zh(&f.fact.value),
        }],
    })
}

/// Part 1: every veto of the site's kind, each one that applies named with its evidence in
/// `items`; whether any applies. `complete` is cleared where a veto could not be judged.
fn vetoes(
    rules: &Rules,
    input: &SiteInput<'_>,
    items: &mut Vec<ScoreItemRow>,
    complete: &mut bool,
) -> bool {
    let mut vetoed = false;
    for v in rules
        .vetoes
        .iter()
        .filter(|v| v.kinds.contains(&input.site.kind))
    {
        if v.not_measured.is_some() {
            continue;
        }
        if let Some(a) = &v.availability {
            vetoed |= availability_veto(v, a, input, items, complete);
            continue;
        }
        let m = matched(v, input, &HashSet::new());
        if m.count() >= v.at_least as usize {
            vetoed = true;
            items.push(item(
                "veto",
                "veto",
                v,
                0,
                &m,
                format!("发现 {} 处（≥ {}）", m.count(), v.at_least),
            ));
        }
    }
    vetoed
}

/// The availability veto, judged once, by the run (govwatch_probes::availability::verdict, over
/// the family of probes.toml [availability]): the score reads the run's fact. Whether it applies.
fn availability_veto(
    v: &Rule,
    a: &AvailabilityRule,
    input: &SiteInput<'_>,
    items: &mut Vec<ScoreItemRow>,
    complete: &mut bool,
) -> bool {
    let failed_ids: Vec<i64> = input
        .findings
        .iter()
        .filter(|f| f.finding.code == "avail.sample_failed")
        .map(|f| f.id)
        .collect();
    let Some(fact) = input.facts.iter().find(|f| f.fact.code == a.fact) else {
        *complete = false;
        let m = Matched {
            findings: failed_ids,
            facts: Vec::new(),
            skipped: 0,
        };
        items.push(item(
            "note",
            "veto",
            v,
            0,
            &m,
            format!("无可用性监测数据（{}），未作判定", a.fact),
        ));
        return false;
    };
    let w = &fact.fact.value;
    let num = |k: &str| w[k].as_f64().unwrap_or(0.0);
    let m = Matched {
        findings: failed_ids,
        facts: vec![fact.id],
        skipped: 0,
    };
    let family = match w["family"].as_str() {
        Some("ipv4") => "IPv4 ",
        Some("ipv6") => "IPv6 ",
        _ => "",
    };
    let figures = format!(
        "{} 天内{family}采样 {} 次，失败 {} 次（{:.2}%），其中 {} 天每天不少于 {} 次",
        num("days"),
        num("samples"),
        num("failed"),
        num("ratio") * 100.0,
        num("full_days"),
        num("min_per_day"),
    );
    if !w["complete"].as_bool().unwrap_or(false) {
        *complete = false;
        items.push(item(
            "note",
            "veto",
            v,
            0,
            &m,
            format!("监测未满周期，未作判定：{figures}"),
        ));
        false
    } else if w["unreachable"].as_bool().unwrap_or(false) {
        items.push(item(
            "veto",
            "veto",
            v,
            0,
            &m,
            format!("{figures}，达到 {}%（含）", num("veto_ratio") * 100.0),
        ));
        true
    } else {
        false
    }
}

/// The points of a rule over `n` matches and their note (`once` says how a one-off amount
/// reads), capped at the rule's maximum.
fn rule_points(rule: &Rule, n: i64, once: impl FnOnce() -> String) -> (Centi, String) {
    let (mut pts, mut note) = match rule.amount {
        Some(Amount::Per(p)) => (p * n, format!("{n} × {}", points(p))),
        Some(Amount::Once(p)) => (p, once()),
        None => (0, String::new()),
    };
    if let Some(max) = rule.max
        && pts > max
    {
        note.push_str(&format!("，本项最多 {} 分", points(max)));
        pts = max;
    }
    (pts, note)
}

/// Part 2: the deductions of every indicator of the site's kind, each finding counted once, each
/// indicator capped; the points deducted.
fn deductions(rules: &Rules, input: &SiteInput<'_>, items: &mut Vec<ScoreItemRow>) -> Centi {
    let kind = input.site.kind;
    let mut used: HashSet<i64> = HashSet::new();
    let mut deducted: Centi = 0;
    for ind in rules.indicators.iter().filter(|i| i.kinds.contains(&kind)) {
        let mut total: Centi = 0;
        for rule in ind.rules.iter().filter(|r| r.kinds.contains(&kind)) {
            let m = matched(rule, input, &used);
            if m.count() == 0 {
                continue;
            }
            used.extend(m.findings.iter().copied());
            let n = m.count() as i64;
            let (pts, mut note) = rule_points(rule, n, || format!("发现 {n} 处，扣一次"));
            if m.skipped > 0 {
                note.push_str(&format!(
                    "；{} 处与 {} 同一网址，不重复扣分",
                    m.skipped,
                    rule.skip_if_same_url.join(", ")
                ));
            }
            items.push(item("deduct", &ind.id, rule, -pts, &m, note));
            total += pts;
        }
        if total > ind.points {
            items.push(ScoreItemRow {
                part: "cap".into(),
                indicator: ind.id.clone(),
                rule: String::new(),
                name: ind.name.clone(),
                points: points(total - ind.points),
                finding_ids: Vec::new(),
                fact_ids: Vec::new(),
                note: format!(
                    "共扣 {} 分，本指标最多扣 {} 分",
                    points(total),
                    points(ind.points)
                ),
            });
            total = ind.points;
        }
        deducted += total;
    }
    deducted
}

/// Part 3: the bonus rules of the site's kind that apply, capped at the scale's maximum; the
/// points added.
fn bonuses(rules: &Rules, input: &SiteInput<'_>, items: &mut Vec<ScoreItemRow>) -> Centi {
    let mut bonus: Centi = 0;
    for rule in rules
        .bonuses
        .iter()
        .filter(|r| r.kinds.contains(&input.site.kind))
    {
        let m = matched(rule, input, &HashSet::new());
        if m.count() < rule.at_least as usize {
            continue;
        }
        let n = m.count() as i64;
        let (pts, note) = rule_points(rule, n, || format!("符合 {n} 项"));
        items.push(item("bonus", "bonus", rule, pts, &m, note));
        bonus += pts;
    }
    let max = crate::rules::centi(rules.scale.bonus_max);
    if bonus > max {
        items.push(ScoreItemRow {
            part: "cap".into(),
            indicator: "bonus".into(),
            rule: String::new(),
            name: "加分".into(),
            points: -points(bonus - max),
            finding_ids: Vec::new(),
            fact_ids: Vec::new(),
            note: format!("加分最多 {} 分", points(max)),
        });
        bonus = max;
    }
    bonus
}

/// The findings and facts a rule reads, leaving out findings already `used` and those whose URL
/// a `skip_if_same_url` code covers.
pub(crate) fn matched(rule: &Rule, input: &SiteInput<'_>, used: &HashSet<i64>) -> Matched {
    let skip_urls: HashSet<&str> = input
        .findings
        .iter()
        .filter(|f| rule.skip_if_same_url.contains(&f.finding.code))
        .filter_map(|f| f.finding.url.as_deref())
        .collect();
    let mut m = Matched {
        findings: Vec::new(),
        facts: Vec::new(),
        skipped: 0,
    };
    for f in input.findings {
        if used.contains(&f.id) || !rule.select.iter().any(|s| selects(s, f)) {
            continue;
        }
        if f.finding
            .url
            .as_deref()
            .is_some_and(|u| skip_urls.contains(u))
        {
            m.skipped += 1;
            continue;
        }
        m.findings.push(f.id);
    }
    for f in input.facts {
        if rule.facts.iter().any(|s| fact_meets(s, f, input.as_of)) {
            m.facts.push(f.id);
        }
    }
    m
}

fn selects(s: &Selector, f: &StoredFinding) -> bool {
    s.codes.contains(&f.finding.code)
        && s.where_.iter().all(|(field, values)| {
            let v = &f.finding.value[field.as_str()];
            values.iter().any(|w| json_eq(v, w))
        })
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn fact_meets(s: &FactSelector, f: &StoredFact, as_of: Timestamp) -> bool {
    f.fact.code == s.code && s.when.iter().all(|c| cond_holds(c, &f.fact.value, as_of))
}

fn as_date(v: &Value) -> Option<NaiveDate> {
    let s = v.as_str()?;
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

/// Whether a condition holds on a value; a missing field never holds.
pub fn cond_holds(c: &Cond, value: &Value, as_of: Timestamp) -> bool {
    let Some(v) = lookup(value, &c.path) else {
        return false;
    };
    let num = |op: fn(f64, f64) -> bool| match (v.as_f64(), c.value.as_f64()) {
        (Some(x), Some(y)) => op(x, y),
        _ => false,
    };
    let today = as_of.date_naive();
    match c.op {
        Op::Eq => json_eq(v, &c.value),
        Op::Ne => !json_eq(v, &c.value),
        Op::In => c
            .value
            .as_array()
            .is_some_and(|a| a.iter().any(|w| json_eq(v, w))),
        Op::NotIn => c
            .value
            .as_array()
            .is_some_and(|a| !a.iter().any(|w| json_eq(v, w))),
        Op::Gt => num(|x, y| x > y),
        Op::Gte => num(|x, y| x >= y),
        Op::Lt => num(|x, y| x < y),
        Op::Lte => num(|x, y| x <= y),
        Op::WithinDays => match (as_date(v), c.value.as_u64()) {
            (Some(d), Some(n)) => {
                d <= today && (today - d).num_days() <= i64::try_from(n).unwrap_or(i64::MAX)
            }
            _ => false,
        },
        Op::OlderThanMonths => match (as_date(v), c.value.as_u64()) {
            (Some(d), Some(n)) => today
                .checked_sub_months(Months::new(u32::try_from(n).unwrap_or(u32::MAX)))
                .is_some_and(|limit| d < limit),
            _ => false,
        },
    }
}
