//! `govwatch review ID --confirm | --dismiss --reason TEXT`: an inspector's review of one finding
//! (any code). The review is stored with who and when; the finding's run is scored again under
//! the configured rules when it was scored under them, so `score`, `report` and the web view
//! show the verdict the review gives.

use super::{EXIT_CLEAN, EXIT_FAILED};
use crate::cli::ReviewArgs;
use anyhow::{Context, Result};
use govwatch_score::codes::titled;
use govwatch_store::{ReviewState, Store};

/// Who reviews: `--by`, else the login name.
fn reviewer(by: Option<&str>) -> String {
    by.map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "未署名".into())
}

/// Runs `govwatch review`.
pub(crate) fn cmd_review(a: ReviewArgs) -> Result<u8> {
    let db = super::existing_db(&a.db)?;
    let mut store = Store::open(db).with_context(|| format!("opening {}", a.db.display()))?;
    let (state, reason) = if a.dismiss {
        let reason = a.reason.as_deref().unwrap_or("").trim().to_string();
        if reason.is_empty() {
            eprintln!("govwatch: --dismiss needs --reason TEXT (why the finding is wrong)");
            return Ok(EXIT_FAILED);
        }
        (ReviewState::Dismissed, reason)
    } else {
        (ReviewState::Confirmed, a.reason.unwrap_or_default())
    };
    let at = govwatch_model::time::china_now().to_rfc3339();
    let who = reviewer(a.by.as_deref());
    let Some(review) = store.review_finding(a.finding, state, &reason, &who, &at)? else {
        eprintln!(
            "govwatch: no finding #{} in {} (govwatch findings lists them)",
            a.finding,
            a.db.display()
        );
        return Ok(EXIT_FAILED);
    };
    let (run_id, site_id) = store
        .finding_location(a.finding)?
        .context("the finding vanished while reviewing it")?;
    let code = store
        .findings(run_id, Some(&site_id))?
        .into_iter()
        .chain(
            store
                .account_findings(run_id)?
                .into_iter()
                .map(|f| f.stored),
        )
        .find(|f| f.id == a.finding)
        .map(|f| f.finding.code)
        .unwrap_or_default();
    outln!(
        "问题 #{}（{}）：{}",
        a.finding,
        titled(&code),
        review.describe()
    );
    let rules = super::score_rules(&a.config)?;
    if store.scores(run_id, Some(&rules.hash))?.is_some() {
        let set = govwatch_score::score_run(&store, run_id, &rules)?;
        store.write_scores(&set)?;
        if let Some(s) = set.scores.iter().find(|s| s.site_id == site_id) {
            outln!(
                "第 {run_id} 次检查已按指标 {} 重新评分：网站 {site_id} {}",
                rules.version,
                govwatch_score::verdict_zh(&s.verdict)
            );
        }
    }
    Ok(EXIT_CLEAN)
}
