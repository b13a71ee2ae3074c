//! Government new-media accounts scored by the veto part of the 2019 indicators, which applies to
//! every account (`[[media_veto]]` of `config/indicators.toml`): any veto → 不合格; no veto and a
//! feed that was read → 合格; no veto and a feed that could not be read (`media.not_measured`) →
//! 未监测, counted apart from the pass rate. Other findings (reposts, ads, off-topic posts,
//! duplicate accounts) are the account's listed problems (annex 4), not points.
//!
//! Account verdicts are computed from the stored findings whenever they are needed (reports,
//! `govwatch score`), so findings added to a run later (inspectors' CSV) count at once.

use crate::engine::{SiteInfo, SiteInput, matched};
use crate::rules::Rules;
use crate::{PASS, ScoreError};
use chrono::DateTime;
use govwatch_model::{SiteKind, Timestamp};
use govwatch_store::{AccountRunRow, ScoreItemRow, Store, StoredFact, StoredFinding};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Verdict of an account whose feed could not be read and that no veto caught.
pub const NOT_MEASURED: &str = "not_measured";

/// The fact that says an account was not measured (its feed could not be read, held no dated
/// item, or held items all dated after the monitoring time): the media probe's judgement, which
/// the verdict reads (never the feed reader's own success).
pub const NOT_MEASURED_FACT: &str = "media.not_measured";

/// Chinese word of an account verdict.
pub fn account_verdict_zh(v: &str) -> &'static str {
    match v {
        PASS => "合格",
        NOT_MEASURED => "未监测",
        _ => "不合格",
    }
}

/// One account's verdict, with the vetoes that failed it (each naming its findings).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountVerdict {
    pub key: String,
    /// `pass`, `fail` or `not_measured`.
    pub verdict: String,
    /// Whether the account was measured (no `media.not_measured` fact).
    pub measured: bool,
    /// The vetoes that apply (`part` = `veto`).
    pub items: Vec<ScoreItemRow>,
}

/// Scores one account: its findings and facts of the run, at the run's monitoring time. The
/// account is measured unless a fact `media.not_measured` says otherwise.
pub fn score_account(
    rules: &Rules,
    key: &str,
    as_of: Timestamp,
    findings: &[StoredFinding],
    facts: &[StoredFact],
) -> AccountVerdict {
    let measured = !facts.iter().any(|f| f.fact.code == NOT_MEASURED_FACT);
    let info = SiteInfo {
        id: key.to_string(),
        kind: SiteKind::Portal,
    };
    let input = SiteInput {
        site: &info,
        as_of,
        findings,
        facts,
    };
    let mut items = Vec::new();
    for v in rules
        .media_vetoes
        .iter()
        .filter(|v| v.not_measured.is_none())
    {
        let m = matched(v, &input, &HashSet::new());
        if m.count() >= v.at_least as usize {
            items.push(ScoreItemRow {
                part: "veto".into(),
                indicator: "media_veto".into(),
                rule: v.id.clone(),
                name: v.name.clone(),
                points: 0.0,
                finding_ids: m.findings.clone(),
                fact_ids: m.facts.clone(),
                note: format!("发现 {} 处（≥ {}）", m.count(), v.at_least),
            });
        }
    }
    let verdict = if !items.is_empty() {
        crate::FAIL
    } else if measured {
        PASS
    } else {
        NOT_MEASURED
    };
    AccountVerdict {
        key: key.to_string(),
        verdict: verdict.into(),
        measured,
        items,
    }
}

/// Every account a run recorded, scored under `rules`, in the order of
/// [`Store::run_accounts`].
pub fn score_accounts(
    store: &Store,
    run_id: i64,
    rules: &Rules,
) -> Result<Vec<AccountVerdict>, ScoreError> {
    let run = store.run(run_id)?.ok_or(ScoreError::NoRun(run_id))?;
    let as_of: Timestamp =
        DateTime::parse_from_rfc3339(&run.as_of).map_err(|e| ScoreError::Bad {
            run: run_id,
            message: format!("as_of {:?} is not RFC 3339: {e}", run.as_of),
        })?;
    let reviews = store.reviews(run_id)?;
    let mut findings: HashMap<String, Vec<StoredFinding>> = HashMap::new();
    for f in store.account_findings(run_id)? {
        if let Some(stored) = crate::reviewed(vec![f.stored], &reviews).pop() {
            findings.entry(f.account_key).or_default().push(stored);
        }
    }
    let mut facts: HashMap<String, Vec<StoredFact>> = HashMap::new();
    for f in store.account_facts(run_id)? {
        facts.entry(f.account_key).or_default().push(f.stored);
    }
    Ok(store
        .run_accounts(run_id)?
        .iter()
        .map(|a: &AccountRunRow| {
            score_account(
                rules,
                &a.key,
                as_of,
                findings.get(&a.key).map(Vec::as_slice).unwrap_or(&[]),
                facts.get(&a.key).map(Vec::as_slice).unwrap_or(&[]),
            )
        })
        .collect())
}

/// The summary figures of the accounts: checked (every account read or judged), passed, failed,
/// not measured, and the pass rate (合格率) over the accounts judged (passed + failed).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccountFigures {
    pub accounts: u64,
    pub passed: u64,
    pub failed: u64,
    pub not_measured: u64,
    /// Percent, two decimals; `None` when no account was judged.
    pub pass_rate: Option<f64>,
}

/// Figures of a set of verdicts.
pub fn account_figures(verdicts: &[AccountVerdict]) -> AccountFigures {
    let mut f = AccountFigures {
        accounts: verdicts.len() as u64,
        ..Default::default()
    };
    for v in verdicts {
        match v.verdict.as_str() {
            PASS => f.passed += 1,
            NOT_MEASURED => f.not_measured += 1,
            _ => f.failed += 1,
        }
    }
    let judged = f.passed + f.failed;
    f.pass_rate = (judged > 0).then(|| (f.passed as f64 * 10000.0 / judged as f64).round() / 100.0);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwatch_model::{Evidence, Fact, Finding, Severity};
    use serde_json::json;

    fn rules() -> Rules {
        crate::shipped_rules()
    }

    fn at() -> Timestamp {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap()
    }

    fn finding(id: i64, code: &str) -> StoredFinding {
        StoredFinding {
            id,
            site_id: "1310000001".into(),
            finding: Finding {
                probe: "media".into(),
                code: code.into(),
                severity: Severity::Veto,
                url: None,
                value: json!({"account": "weibo:1"}),
                message: String::new(),
                evidence: Evidence::default(),
                observed_at: at(),
            },
        }
    }

    #[test]
    fn shipped_media_vetoes_load() {
        let r = rules();
        let ids: Vec<&str> = r.media_vetoes.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "media_security",
                "media_stale",
                "media_zombie",
                "media_interaction_poor"
            ]
        );
    }

    #[test]
    fn vetoes_fail_an_account_other_problems_do_not() {
        let r = rules();
        let v = score_account(&r, "weibo:1", at(), &[finding(1, "media.repost_only")], &[]);
        assert_eq!(v.verdict, PASS);
        let v = score_account(
            &r,
            "weibo:1",
            at(),
            &[finding(1, "media.stale"), finding(2, "media.zombie")],
            &[],
        );
        assert_eq!(v.verdict, "fail");
        let rules_hit: Vec<&str> = v.items.iter().map(|i| i.rule.as_str()).collect();
        assert_eq!(rules_hit, vec!["media_stale", "media_zombie"]);
        assert_eq!(v.items[0].finding_ids, vec![1]);
        // not measured: 未监测, unless an inspector's observation vetoes it
        let nm = Fact {
            probe: "media".into(),
            code: "media.not_measured".into(),
            url: None,
            value: json!({}),
            observed_at: at(),
        };
        let facts = [StoredFact {
            id: 1,
            site_id: "1310000001".into(),
            fact: nm,
        }];
        let v = score_account(&r, "weibo:1", at(), &[], &facts);
        assert_eq!(v.verdict, NOT_MEASURED);
        assert_eq!(account_verdict_zh(&v.verdict), "未监测");
        let v = score_account(
            &r,
            "weibo:1",
            at(),
            &[finding(3, "media.comments_closed")],
            &facts,
        );
        assert_eq!(v.verdict, "fail");
        let figures = account_figures(&[
            score_account(&r, "a", at(), &[], &[]),
            score_account(&r, "b", at(), &[finding(1, "media.stale")], &[]),
            score_account(&r, "c", at(), &[], &facts),
        ]);
        assert_eq!(
            (
                figures.accounts,
                figures.passed,
                figures.failed,
                figures.not_measured
            ),
            (3, 1, 1, 1)
        );
        assert_eq!(figures.pass_rate, Some(50.0));
    }

    #[test]
    fn media_vetoes_are_checked_with_their_line() {
        let text = govwatch_config::shipped::INDICATORS;
        let bad = text.replacen(
            "select = [{ codes = [\"media.stale\"] }]",
            "kinds = [\"portal\"]\nselect = [{ codes = [\"media.stal\"] }]",
            1,
        );
        let e = crate::parse_rules(&bad, std::path::Path::new("indicators.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a [[media_veto]] applies to every account"),
            "{e}"
        );
        assert!(e.contains("unknown finding code \"media.stal\""), "{e}");
        let line = bad[..bad.find("id = \"media_stale\"").unwrap()]
            .matches('\n')
            .count();
        assert!(e.contains(&format!("indicators.toml 第 {line} 行")), "{e}");
    }
}
