//! `govwatch score`: score a run by config/indicators.toml and print the verdict table, sites
//! ([`print_verdicts`]) and new-media accounts ([`print_account_verdicts`]); both shared with the
//! demo.

use super::{EXIT_CLEAN, EXIT_FINDINGS, newest_run, pad};
use crate::cli::ScoreArgs;
use anyhow::{Context, Result};
use govwatch_store::Store;

/// Runs `govwatch score`.
pub(crate) fn cmd_score(a: ScoreArgs) -> Result<u8> {
    let db = super::existing_db(&a.db)?;
    let rules = super::score_rules(&a.config)?;
    let mut store =
        Store::open(db).with_context(|| format!("无法打开数据库 {}", a.db.display()))?;
    let run_id = match (a.run, a.as_of.as_deref()) {
        (Some(id), _) => id,
        (None, Some(d)) => {
            let until = govwatch_model::time::parse_as_of(d)?;
            // a date alone means the whole day
            let until = if d.len() == 10 {
                until + chrono::Duration::days(1)
            } else {
                until + chrono::Duration::seconds(1)
            };
            newest_run(&store, |r| r.as_of_time().is_some_and(|t| t < until))?
        }
        (None, None) => newest_run(&store, |_| true)?,
    };
    let set = govwatch_score::score_run(&store, run_id, &rules)?;
    store.write_scores(&set)?;
    if a.json {
        for s in &set.scores {
            outln!(
                "{}",
                serde_json::json!({"run": run_id, "rules": rules.version, "score": s})
            );
        }
    } else {
        print_verdicts(&store, &set)?;
    }
    let failed = set.scores.iter().any(|s| s.verdict != govwatch_score::PASS);
    let accounts_failed = print_account_verdicts(&store, run_id, &rules, a.json)?;
    Ok(if failed || accounts_failed {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// The run's new-media accounts by the media vetoes (one JSON object per account with `--json`);
/// returns whether one failed.
pub(crate) fn print_account_verdicts(
    store: &Store,
    run_id: i64,
    rules: &govwatch_score::Rules,
    json: bool,
) -> Result<bool> {
    let verdicts = govwatch_score::score_accounts(store, run_id, rules)?;
    if verdicts.is_empty() {
        return Ok(false);
    }
    let accounts = store.run_accounts(run_id)?;
    if json {
        for v in &verdicts {
            outln!(
                "{}",
                serde_json::json!({"run": run_id, "rules": rules.version, "account": v})
            );
        }
    } else {
        let f = govwatch_score::account_figures(&verdicts);
        outln!(
            "政务新媒体账号：判定 {} 个，合格 {} 个，不合格 {} 个，未监测 {} 个，合格率 {}",
            f.passed + f.failed,
            f.passed,
            f.failed,
            f.not_measured,
            f.pass_rate
                .map(|x| format!("{}%", govwatch_report::fmt_num(x)))
                .unwrap_or_else(|| "—".into())
        );
        for v in &verdicts {
            let a = accounts.iter().find(|a| a.key == v.key);
            let vetoes: Vec<&str> = v.items.iter().map(|i| i.name.as_str()).collect();
            outln!(
                "{:<36} {} {} {}  {}",
                v.key,
                pad(a.map(|a| a.name.as_str()).unwrap_or(""), 20),
                pad(a.map(|a| a.platform_zh()).unwrap_or(""), 12),
                pad(govwatch_score::account_verdict_zh(&v.verdict), 7),
                vetoes.join("；")
            );
        }
    }
    Ok(verdicts.iter().any(|v| v.verdict == govwatch_score::FAIL))
}

pub(crate) fn print_verdicts(store: &Store, set: &govwatch_store::ScoreSet) -> Result<()> {
    let sites = store.run_sites(set.run_id)?;
    let as_of = chrono::DateTime::parse_from_rfc3339(&set.as_of)
        .map(|t| govwatch_model::time::display(&t))
        .unwrap_or_else(|_| set.as_of.clone());
    outln!(
        "第 {} 次检查按指标 {} 评分（监测时间点 {}）：{} 个网站",
        set.run_id,
        set.rules_version,
        as_of,
        set.scores.len()
    );
    outln!(
        "{:<12} {} {} {} {} {} {} {}  问题",
        "网站标识码",
        pad("网站名称", 28),
        pad("地区", 12),
        pad("类型", 10),
        pad("结论", 7),
        pad("得分", 8),
        pad("扣分", 6),
        pad("加分", 5)
    );
    for s in &set.scores {
        let site = sites.iter().find(|x| x.id == s.site_id);
        let problems = govwatch_report::problems_of(s);
        let incomplete = if s.complete {
            ""
        } else {
            " [监测未满周期]"
        };
        outln!(
            "{:<12} {} {} {} {} {} {:>6} {:>5}  {}{}",
            s.site_id,
            pad(site.map(|x| x.name.as_str()).unwrap_or(""), 28),
            pad(site.map(|x| x.region.as_str()).unwrap_or(""), 12),
            pad(
                match site.map(|x| x.kind.as_str()) {
                    Some("portal") => "门户网站",
                    Some("department") => "部门网站",
                    other => other.unwrap_or(""),
                },
                10
            ),
            pad(govwatch_score::verdict_zh(&s.verdict), 7),
            pad(
                &s.score
                    .map(govwatch_report::fmt_num)
                    .unwrap_or_else(|| "单项否决".into()),
                8
            ),
            govwatch_report::fmt_num(s.deducted),
            govwatch_report::fmt_num(s.bonus),
            problems,
            incomplete
        );
    }
    let passed = set
        .scores
        .iter()
        .filter(|s| s.verdict == govwatch_score::PASS)
        .count();
    let n = set.scores.len();
    outln!(
        "合格 {passed} / {n}，不合格 {}，合格率 {}",
        n - passed,
        if n > 0 {
            format!(
                "{}%",
                govwatch_report::fmt_num(passed as f64 * 100.0 / n as f64)
            )
        } else {
            "—".into()
        }
    );
    Ok(())
}
