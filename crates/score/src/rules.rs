//! `config/indicators.toml`: the scoring rules as data, loaded and checked.
//!
//! Every problem is reported with the file and line it is on: TOML syntax, unknown keys, codes not
//! documented in `docs/codes.md` (nor pending from issue 5), `where` fields the code's value does
//! not have, rules with no way to apply, duplicate ids, impossible thresholds.

use crate::codes::{CodeKind, KnownCode, known_codes};
use govwatch_config::{ConfigError, Diagnostic};
use govwatch_model::SiteKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// File name of the scoring rules inside a configuration directory.
pub const INDICATORS_FILE: &str = "indicators.toml";

/// Points in hundredths, so that 0.1-point deductions add up exactly.
pub type Centi = i64;

/// Converts points to hundredths.
pub fn centi(points: f64) -> Centi {
    (points * 100.0).round() as Centi
}

/// Converts hundredths back to points.
pub fn points(c: Centi) -> f64 {
    c as f64 / 100.0
}

/// The loaded rule set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rules {
    /// `version` of the file (recorded with every score).
    pub version: String,
    /// SHA-256 of the file's text: a changed rule is a different scoring.
    pub hash: String,
    pub path: PathBuf,
    pub scale: Scale,
    pub rectification: Rectification,
    pub report: ReportRules,
    pub vetoes: Vec<Rule>,
    pub indicators: Vec<Indicator>,
    pub bonuses: Vec<Rule>,
    /// Single vetoes of government new-media accounts (`[[media_veto]]`): any one → the account
    /// fails.
    pub media_vetoes: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub source: String,
    pub base: f64,
    /// A score below this fails (inclusive pass at the value itself).
    pub fail_below: f64,
    /// Strictly above this, the bonus part is scored.
    pub bonus_above: f64,
    pub bonus_max: f64,
    pub bonus_kinds: Vec<SiteKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rectification {
    pub source: String,
    /// Days from the notice to the rectification deadline.
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRules {
    pub source: String,
    /// Annex 2 lists sites whose final score is strictly above this.
    pub high_score_above: f64,
}

/// Veto 2 (站点无法访问): judged by the run over its availability window — the window, the
/// samples a day, the ratio and the family are `config/probes.toml [availability]`, written once —
/// and read here from the run's fact (`avail.window`: `complete`, `unreachable` and its figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRule {
    /// The fact holding the run's window verdict.
    pub fact: String,
}

/// Findings with one of `codes` whose value has, for every `where` field, one of the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    pub codes: Vec<String>,
    #[serde(default, rename = "where")]
    pub where_: BTreeMap<String, Vec<Value>>,
}

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    WithinDays,
    OlderThanMonths,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cond {
    /// A field of the fact's value (dots for nested objects).
    pub path: String,
    pub op: Op,
    pub value: Value,
}

/// Facts with this code whose value meets every condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactSelector {
    pub code: String,
    #[serde(default)]
    pub when: Vec<Cond>,
}

/// How many points a deduction or bonus rule is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Amount {
    /// Per matched finding or fact.
    Per(Centi),
    /// Once when anything matches.
    Once(Centi),
}

/// One rule: a veto, a deduction (inside an indicator) or a bonus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub source: String,
    pub kinds: Vec<SiteKind>,
    /// Matches needed for the rule to apply (vetoes; 1 for the others).
    pub at_least: u32,
    pub amount: Option<Amount>,
    /// Most points the rule itself may take or give.
    pub max: Option<Centi>,
    pub select: Vec<Selector>,
    pub facts: Vec<FactSelector>,
    pub skip_if_same_url: Vec<String>,
    pub availability: Option<AvailabilityRule>,
    /// Why the rule cannot be applied yet (nothing measures it).
    pub not_measured: Option<String>,
}

/// A deduction indicator: its rules and the cap on what they take together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    pub source: String,
    pub points: Centi,
    pub kinds: Vec<SiteKind>,
    pub rules: Vec<Rule>,
}

// ---- raw file -------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: String,
    scale: Spanned<Scale>,
    rectification: Rectification,
    report: ReportRules,
    #[serde(default)]
    veto: Vec<Spanned<RawRule>>,
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
    #[serde(default)]
    bonus: Vec<Spanned<RawRule>>,
    #[serde(default)]
    media_veto: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    name: String,
    source: String,
    points: f64,
    kinds: Vec<SiteKind>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    name: String,
    source: String,
    #[serde(default)]
    kinds: Option<Vec<SiteKind>>,
    #[serde(default)]
    at_least: Option<u32>,
    #[serde(default)]
    per: Option<f64>,
    #[serde(default)]
    once: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    select: Vec<Spanned<Selector>>,
    #[serde(default)]
    facts: Vec<Spanned<FactSelector>>,
    #[serde(default)]
    skip_if_same_url: Vec<String>,
    #[serde(default)]
    availability: Option<AvailabilityRule>,
    #[serde(default)]
    not_measured: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    Veto,
    Deduct,
    Bonus,
    /// A veto of new-media accounts: no site kinds, no availability window.
    MediaVeto,
}

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn at(&mut self, span: std::ops::Range<usize>, msg: impl Into<String>) {
        let (line, column) = govwatch_config::line_col(self.text, span.start);
        self.diags
            .push(Diagnostic::new(self.path, line, column, msg.into()));
    }
}

/// Reads `path` (required: the scorer has no built-in rules).
pub fn load_rules(path: &Path) -> Result<Rules, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_rules(&text, path)
}

/// Parses and checks the text of a rules file (`path` names it in errors).
pub fn parse_rules(text: &str, path: &Path) -> Result<Rules, ConfigError> {
    let raw: RawFile = govwatch_config::parse_toml(text, path)?;
    let mut ck = Checker {
        path,
        text,
        diags: Vec::new(),
    };
    let scale_span = raw.scale.span();
    let scale = raw.scale.into_inner();
    if !(scale.fail_below >= 0.0
        && scale.fail_below <= scale.bonus_above
        && scale.bonus_above <= scale.base
        && scale.bonus_max >= 0.0)
    {
        ck.at(
            scale_span,
            format!(
                "[scale] needs 0 ≤ fail_below ({}) ≤ bonus_above ({}) ≤ base ({}) and bonus_max ≥ 0",
                scale.fail_below, scale.bonus_above, scale.base
            ),
        );
    }
    let mut ids = HashSet::new();
    let vetoes: Vec<Rule> = raw
        .veto
        .into_iter()
        .map(|r| check_rule(&mut ck, r, Part::Veto, None, &mut ids))
        .collect();
    let mut indicators = Vec::new();
    for ind in raw.indicator {
        let span = ind.span();
        let ind = ind.into_inner();
        if !ids.insert(ind.id.get_ref().clone()) {
            ck.at(
                ind.id.span(),
                format!("duplicate id {:?}", ind.id.get_ref()),
            );
        }
        if ind.points <= 0.0 {
            ck.at(span.clone(), "indicator points must be above 0");
        }
        if ind.kinds.is_empty() {
            ck.at(
                span.clone(),
                "kinds is empty: the indicator applies to no site",
            );
        }
        if ind.rule.is_empty() {
            ck.at(span, "an indicator needs at least one [[indicator.rule]]");
        }
        let rules = ind
            .rule
            .into_iter()
            .map(|r| check_rule(&mut ck, r, Part::Deduct, Some(&ind.kinds), &mut ids))
            .collect();
        indicators.push(Indicator {
            id: ind.id.into_inner(),
            name: ind.name,
            source: ind.source,
            points: centi(ind.points),
            kinds: ind.kinds,
            rules,
        });
    }
    let bonuses = raw
        .bonus
        .into_iter()
        .map(|r| check_rule(&mut ck, r, Part::Bonus, None, &mut ids))
        .collect();
    let media_vetoes = raw
        .media_veto
        .into_iter()
        .map(|r| check_rule(&mut ck, r, Part::MediaVeto, None, &mut ids))
        .collect();
    if !ck.diags.is_empty() {
        return Err(ConfigError::Invalid(ck.diags));
    }
    Ok(Rules {
        version: raw.version,
        hash: hex::encode(Sha256::digest(text.as_bytes())),
        path: path.to_path_buf(),
        scale,
        rectification: raw.rectification,
        report: raw.report,
        vetoes,
        indicators,
        bonuses,
        media_vetoes,
    })
}

/// Checks one rule of a part (`parent_kinds`: its indicator's kinds) and makes it; every
/// problem goes to `ck`, its id to `ids` (duplicates reported).
fn check_rule(
    ck: &mut Checker<'_>,
    raw: Spanned<RawRule>,
    part: Part,
    parent_kinds: Option<&Vec<SiteKind>>,
    ids: &mut HashSet<String>,
) -> Rule {
    let span = raw.span();
    let r = raw.into_inner();
    if !ids.insert(r.id.get_ref().clone()) {
        ck.at(r.id.span(), format!("duplicate id {:?}", r.id.get_ref()));
    }
    let kinds = rule_kinds(ck, &r, &span, part, parent_kinds);
    if r.kinds.as_ref().is_some_and(|k| k.is_empty()) {
        ck.at(span.clone(), "kinds is empty: the rule applies to no site");
    }
    let codes = known_codes();
    check_selectors(ck, &r.select, codes);
    check_fact_selectors(ck, &r.facts, codes);
    for code in &r.skip_if_same_url {
        if !codes.contains_key(code) {
            ck.at(
                span.clone(),
                format!("skip_if_same_url: unknown code {code:?}"),
            );
        }
    }
    let amount = rule_amount(ck, &span, &r);
    check_part(ck, &span, part, &r, amount.is_some());
    if r.at_least == Some(0) {
        ck.at(span.clone(), "at_least must be 1 or more");
    }
    Rule {
        id: r.id.into_inner(),
        name: r.name,
        source: r.source,
        kinds,
        at_least: r.at_least.unwrap_or(1).max(1),
        amount,
        max: r.max.map(centi),
        select: r.select.into_iter().map(Spanned::into_inner).collect(),
        facts: r.facts.into_iter().map(Spanned::into_inner).collect(),
        skip_if_same_url: r.skip_if_same_url,
        availability: r.availability,
        not_measured: r.not_measured,
    }
}

/// The site kinds a rule applies to: its own, else its indicator's; none for a media veto.
fn rule_kinds(
    ck: &mut Checker<'_>,
    r: &RawRule,
    span: &Range<usize>,
    part: Part,
    parent_kinds: Option<&Vec<SiteKind>>,
) -> Vec<SiteKind> {
    match (&r.kinds, parent_kinds) {
        (Some(_), _) if part == Part::MediaVeto => {
            ck.at(
                span.clone(),
                "kinds are site kinds: a [[media_veto]] applies to every account",
            );
            Vec::new()
        }
        (None, _) if part == Part::MediaVeto => Vec::new(),
        (Some(k), _) => k.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => {
            ck.at(span.clone(), "kinds is missing (portal, department)");
            Vec::new()
        }
    }
}

/// Every `select` names known finding codes, and `where` only fields their values have.
fn check_selectors(
    ck: &mut Checker<'_>,
    select: &[Spanned<Selector>],
    codes: &BTreeMap<String, KnownCode>,
) {
    for sel in select {
        let s_span = sel.span();
        let sel = sel.get_ref();
        if sel.codes.is_empty() {
            ck.at(s_span.clone(), "a selector needs at least one code");
        }
        for code in &sel.codes {
            match codes.get(code) {
                None => ck.at(
                    s_span.clone(),
                    format!("unknown finding code {code:?} (not in docs/codes.md)"),
                ),
                Some(k) if k.kind != CodeKind::Finding => ck.at(
                    s_span.clone(),
                    format!("{code:?} is a fact code; `select` reads findings (use `facts`)"),
                ),
                Some(k) => {
                    for field in sel.where_.keys() {
                        if !k.fields.is_empty() && !k.fields.contains(field) {
                            ck.at(
                                s_span.clone(),
                                format!(
                                    "{code:?} has no value field {field:?} (it has {})",
                                    k.fields.join(", ")
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Every `facts` selector names a known fact code, its conditions only fields its value has,
/// each with a value its operator can compare.
fn check_fact_selectors(
    ck: &mut Checker<'_>,
    facts: &[Spanned<FactSelector>],
    codes: &BTreeMap<String, KnownCode>,
) {
    for fs in facts {
        let f_span = fs.span();
        let fs = fs.get_ref();
        match codes.get(&fs.code) {
            None => ck.at(
                f_span.clone(),
                format!("unknown fact code {:?} (not in docs/codes.md)", fs.code),
            ),
            Some(k) if k.kind != CodeKind::Fact => ck.at(
                f_span.clone(),
                format!(
                    "{:?} is a finding code; `facts` reads facts (use `select`)",
                    fs.code
                ),
            ),
            Some(k) => {
                for c in &fs.when {
                    let head = c.path.split('.').next().unwrap_or("");
                    if !k.fields.is_empty() && !k.fields.iter().any(|f| f == head) {
                        ck.at(
                            f_span.clone(),
                            format!(
                                "{:?} has no value field {head:?} (it has {})",
                                fs.code,
                                k.fields.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        check_conditions(ck, &f_span, &fs.when);
    }
}

/// Each condition's value is what its operator compares: a list, a number, a whole number.
fn check_conditions(ck: &mut Checker<'_>, f_span: &Range<usize>, when: &[Cond]) {
    for c in when {
        let ok = match c.op {
            Op::Eq | Op::Ne => true,
            Op::In | Op::NotIn => c.value.is_array(),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => c.value.is_number(),
            Op::WithinDays | Op::OlderThanMonths => c.value.as_u64().is_some(),
        };
        if !ok {
            ck.at(
                f_span.clone(),
                format!(
                    "condition on {:?}: {:?} needs {}",
                    c.path,
                    c.op,
                    match c.op {
                        Op::In | Op::NotIn => "a list",
                        Op::WithinDays | Op::OlderThanMonths => "a whole number ≥ 0",
                        _ => "a number",
                    }
                ),
            );
        }
    }
}

/// The rule's points: `per` or `once` (not both), above 0.
fn rule_amount(ck: &mut Checker<'_>, span: &Range<usize>, r: &RawRule) -> Option<Amount> {
    let amount = match (r.per, r.once) {
        (Some(_), Some(_)) => {
            ck.at(span.clone(), "give `per` or `once`, not both");
            None
        }
        (Some(p), None) => Some(Amount::Per(centi(p))),
        (None, Some(o)) => Some(Amount::Once(centi(o))),
        (None, None) => None,
    };
    if let Some(Amount::Per(c) | Amount::Once(c)) = amount
        && c <= 0
    {
        ck.at(span.clone(), "points must be above 0");
    }
    amount
}

/// What a rule of its part must and must not have: a veto one way of judging and no points, a
/// deduction or bonus points and something to read.
fn check_part(
    ck: &mut Checker<'_>,
    span: &Range<usize>,
    part: Part,
    r: &RawRule,
    has_amount: bool,
) {
    let has_matchers = !r.select.is_empty() || !r.facts.is_empty();
    match part {
        Part::MediaVeto => {
            if has_matchers == r.not_measured.is_some() {
                ck.at(
                    span.clone(),
                    "a media veto needs exactly one of: select/facts (with at_least), not_measured",
                );
            }
            if r.availability.is_some() {
                ck.at(span.clone(), "availability belongs to site vetoes");
            }
            if has_amount {
                ck.at(span.clone(), "a veto has no points (per/once)");
            }
        }
        Part::Veto => {
            let ways = [
                has_matchers,
                r.availability.is_some(),
                r.not_measured.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if ways != 1 {
                ck.at(
                    span.clone(),
                    "a veto needs exactly one of: select/facts (with at_least), availability, not_measured",
                );
            }
            if has_amount {
                ck.at(span.clone(), "a veto has no points (per/once)");
            }
            if let Some(a) = &r.availability
                && a.fact.is_empty()
            {
                ck.at(
                    span.clone(),
                    "availability names the run's window fact (`fact = \"avail.window\"`); its \
                     thresholds are config/probes.toml [availability]",
                );
            }
        }
        Part::Deduct | Part::Bonus => {
            if !has_amount {
                ck.at(span.clone(), "the rule needs points: `per` or `once`");
            }
            if !has_matchers {
                ck.at(
                    span.clone(),
                    "the rule reads nothing: give `select` or `facts`",
                );
            }
            if r.availability.is_some() || r.not_measured.is_some() {
                ck.at(
                    span.clone(),
                    "availability and not_measured belong to vetoes",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/indicators.toml")
    }

    #[test]
    fn shipped_rules_load() {
        let r = load_rules(&shipped()).unwrap();
        assert_eq!(r.scale.fail_below, 60.0);
        assert_eq!(r.scale.bonus_above, 80.0);
        assert!(r.vetoes.iter().any(|v| v.availability.is_some()));
        let survey = r.bonuses.iter().find(|b| b.id == "survey").unwrap();
        assert_eq!(survey.amount, Some(Amount::Once(200)));
        assert_eq!(survey.kinds, vec![SiteKind::Portal]);
        assert_eq!(r.rectification.days, 15);
        assert_eq!(r.hash.len(), 64);
    }

    fn replace(from: &str, to: &str) -> String {
        let text = std::fs::read_to_string(shipped()).unwrap();
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1)
    }

    fn errors(text: &str) -> String {
        parse_rules(text, Path::new("indicators.toml"))
            .unwrap_err()
            .to_string()
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text[..text.find(needle).unwrap()].matches('\n').count() + 1
    }

    #[test]
    fn unknown_code_is_rejected_with_its_line() {
        let text = replace("codes = [\"home.stale\"]", "codes = [\"home.stal\"]");
        let e = errors(&text);
        let line = line_of(&text, "home.stal\"");
        assert!(
            e.contains(&format!("indicators.toml 第 {line} 行")) && e.contains("\"home.stal\""),
            "{e}"
        );
    }

    #[test]
    fn unknown_where_field_and_fact_code_are_rejected() {
        let text = replace(
            "where = { kind = [\"policy\"]",
            "where = { knd = [\"policy\"]",
        );
        let e = errors(&text);
        assert!(e.contains("no value field \"knd\""), "{e}");
        let text = replace("code = \"survey.count\"", "code = \"survey.cnt\"");
        assert!(errors(&text).contains("unknown fact code \"survey.cnt\""));
        let text = replace("code = \"survey.count\"", "code = \"home.stale\"");
        assert!(errors(&text).contains("is a finding code"));
    }

    #[test]
    fn malformed_rules_are_rejected() {
        // unknown key, with its line
        let text = replace("per = 0.1\n", "per = 0.1\nperr = 2\n");
        let e = errors(&text);
        assert!(
            e.contains(&format!("indicators.toml 第 {} 行", line_of(&text, "perr")))
                && e.contains("perr"),
            "{e}"
        );
        // both per and once
        let text = replace("per = 0.1\n", "per = 0.1\nonce = 2.0\n");
        assert!(errors(&text).contains("not both"));
        // a wrong op argument
        let text = replace(
            "{ path = \"count\", op = \"gte\", value = 6 }",
            "{ path = \"count\", op = \"gte\", value = \"6\" }",
        );
        assert!(errors(&text).contains("needs a number"));
        // impossible scale
        let text = replace("fail_below = 60.0", "fail_below = 90.0");
        assert!(errors(&text).contains("fail_below"));
        // duplicate id
        let text = replace("id = \"columns_blank\"", "id = \"home_stale\"");
        assert!(errors(&text).contains("duplicate id \"home_stale\""));
        // bad syntax
        let e = errors("version = \n");
        assert!(e.starts_with("indicators.toml 第 1 行"), "{e}");
    }
}
