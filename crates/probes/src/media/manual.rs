//! Inspectors' observations of an account (`govwatch media import-findings`) as findings of a run:
//! those observed on or before the monitoring time and within `[manual] months` of it, with the
//! inspector's note as the excerpt and the evidence URL as the finding's URL. Probe `manual`.

use super::china_day;
use chrono::Months;
use govwatch_config::ManualRules;
use govwatch_model::{Account, Finding, ManualFinding, Timestamp};
use serde_json::json;

/// The findings `rows` give for `account` at `as_of` (rows of other accounts, of codes no longer
/// importable, or outside the window are left out).
pub fn findings(
    rules: &ManualRules,
    account: &Account,
    rows: &[ManualFinding],
    as_of: Timestamp,
) -> Vec<Finding> {
    let today = china_day(as_of);
    let since = today
        .checked_sub_months(Months::new(rules.months))
        .unwrap_or(today);
    let key = account.key();
    let mut out = Vec::new();
    for m in rows {
        if m.account != key || m.date > today || m.date <= since {
            continue;
        }
        let Some(code) = rules.code(&m.code) else {
            continue;
        };
        out.push(
            crate::evidence::finding("manual", &m.code, code.severity, as_of)
                .url(
                    m.evidence_url
                        .clone()
                        .unwrap_or_else(|| account.feed.to_string()),
                )
                .value(json!({
                    "account": key,
                    "platform": account.platform.as_str(),
                    "name": code.name,
                    "date": m.date.to_string(),
                    "note": m.note,
                    "source": m.source,
                    "manual_id": m.id,
                }))
                .message(format!(
                    "账号「{}」{}（检查人员 {} 发现）：{}",
                    account.name, code.name, m.date, m.note
                ))
                .excerpt(m.note.clone())
                .extra(json!({
                    "manual": true,
                    "evidence_url": m.evidence_url,
                    "source": m.source,
                }))
                .build(),
        );
    }
    out
}
