//! Scoring by the official indicators (政府网站与政务新媒体检查指标, 国办秘函〔2019〕19号), with the
//! rules as data (`config/indicators.toml`).
//!
//! - [`rules`]: the rules file, loaded and checked (unknown codes, malformed rules → file:line).
//! - [`engine`]: pure scoring of one site: vetoes first, deductions capped per indicator, bonus
//!   for portals strictly above 80, every point traced to finding and fact ids.
//! - [`score_run`]: a stored run scored (the availability veto read from the run's `avail.window`
//!   fact).
//! - [`figures`]: the summary paragraph figures (pass rates by region and kind, bonus share,
//!   reply shares).
//! - [`media`]: government new-media accounts by the veto part (`[[media_veto]]`): 合格, 不合格
//!   or 未监测, and their pass rate.

pub mod codes;
pub mod engine;
pub mod figures;
pub mod media;
pub mod rules;

pub use engine::{FAIL, NOT_INSPECTED, PASS, SiteInfo, SiteInput, score_site, verdict_zh};
pub use figures::{Figures, Group, Replies, figures};
pub use media::{
    AccountFigures, AccountVerdict, NOT_MEASURED, account_figures, account_verdict_zh,
    score_accounts,
};
pub use rules::{INDICATORS_FILE, Rules, load_rules, parse_rules};

use chrono::DateTime;
use govwatch_model::{SiteKind, Timestamp};
use govwatch_store::{ScoreSet, Store, StoredFact, StoredFinding};
use std::collections::HashMap;

/// The rules shipped in `config/indicators.toml`, compiled in: for the demo when it runs outside
/// the project directory (`govwatch score` and `report` read the file from `--config`).
pub fn shipped_rules() -> Rules {
    const TEXT: &str = govwatch_config::shipped::INDICATORS;
    parse_rules(TEXT, std::path::Path::new("config/indicators.toml"))
        .expect("the shipped config/indicators.toml is valid (tested)")
}

/// The scoring rules of a configuration folder: its `indicators.toml`, or the shipped rules when
/// the file is missing (a folder without `config/`, such as the demo's). The second value is
/// `true` when the shipped rules were taken. Every command that scores (`score`, `report`,
/// `codes`, `demo`, `serve`) reads its rules through this one function.
pub fn rules_in(config: &std::path::Path) -> Result<(Rules, bool), govwatch_config::ConfigError> {
    let path = config.join(INDICATORS_FILE);
    if path.is_file() {
        Ok((load_rules(&path)?, false))
    } else {
        Ok((shipped_rules(), true))
    }
}

/// Why a run could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error(transparent)]
    Store(#[from] govwatch_store::StoreError),
    #[error(transparent)]
    Config(#[from] govwatch_config::ConfigError),
    #[error("run {0} does not exist")]
    NoRun(i64),
    #[error("run {run}: {message}")]
    Bad { run: i64, message: String },
}

/// The findings as the rules judge them after inspectors' reviews: a dismissed finding is left
/// out (it stays in the store, and in the report's list of dismissed findings); a confirmed one
/// carries `review: "confirmed"` in its value, which a rule selects with
/// `where = { review = ["confirmed"] }` (a confirmed 疑似 counts as 确定).
pub fn reviewed(
    findings: Vec<StoredFinding>,
    reviews: &HashMap<i64, govwatch_store::Review>,
) -> Vec<StoredFinding> {
    use govwatch_store::ReviewState;
    findings
        .into_iter()
        .filter_map(|mut f| match reviews.get(&f.id).map(|r| r.state) {
            Some(ReviewState::Dismissed) => None,
            Some(ReviewState::Confirmed) => {
                if let Some(o) = f.finding.value.as_object_mut() {
                    o.insert("review".into(), "confirmed".into());
                }
                Some(f)
            }
            None => Some(f),
        })
        .collect()
}

/// Whether the run has no scoring under `rules`, or one older than an inspector's review of one
/// of its findings (the review changed what counts).
pub fn needs_scoring(store: &Store, run_id: i64, rules: &Rules) -> Result<bool, ScoreError> {
    let Some(set) = store.scores(run_id, Some(&rules.hash))? else {
        return Ok(true);
    };
    let Some(reviewed) = store.last_review_at(run_id)? else {
        return Ok(false);
    };
    Ok(
        match (
            DateTime::parse_from_rfc3339(&reviewed),
            DateTime::parse_from_rfc3339(&set.scored_at),
        ) {
            (Ok(r), Ok(s)) => r >= s,
            _ => true,
        },
    )
}

/// Scores every site a run recorded, under `rules`, at the run's monitoring time (inspectors'
/// reviews applied: see [`reviewed`]).
pub fn score_run(store: &Store, run_id: i64, rules: &Rules) -> Result<ScoreSet, ScoreError> {
    let run = store.run(run_id)?.ok_or(ScoreError::NoRun(run_id))?;
    let as_of: Timestamp =
        DateTime::parse_from_rfc3339(&run.as_of).map_err(|e| ScoreError::Bad {
            run: run_id,
            message: format!("as_of {:?} is not RFC 3339: {e}", run.as_of),
        })?;
    let sites = store.run_sites(run_id)?;
    let reviews = store.reviews(run_id)?;
    let mut findings: HashMap<String, Vec<StoredFinding>> = HashMap::new();
    for f in reviewed(store.findings(run_id, None)?, &reviews) {
        findings.entry(f.site_id.clone()).or_default().push(f);
    }
    let mut facts: HashMap<String, Vec<StoredFact>> = HashMap::new();
    for f in store.facts(run_id, None)? {
        facts.entry(f.site_id.clone()).or_default().push(f);
    }
    let mut scores = Vec::new();
    for s in &sites {
        let kind = match s.kind.as_str() {
            "portal" => SiteKind::Portal,
            _ => SiteKind::Department,
        };
        let info = SiteInfo {
            id: s.id.clone(),
            kind,
        };
        let input = SiteInput {
            site: &info,
            as_of,
            findings: findings.get(&s.id).map(Vec::as_slice).unwrap_or(&[]),
            facts: facts.get(&s.id).map(Vec::as_slice).unwrap_or(&[]),
        };
        scores.push(score_site(rules, &input));
    }
    Ok(ScoreSet {
        run_id,
        rules_version: rules.version.clone(),
        rules_hash: rules.hash.clone(),
        scored_at: chrono::Local::now().fixed_offset().to_rfc3339(),
        as_of: run.as_of,
        scores,
    })
}

#[cfg(test)]
mod tests;
