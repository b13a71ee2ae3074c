//! The report's new-media part: annex 4 (存在问题的政务新媒体: 账号名称, 平台, 主办单位, 存在问题)
//! and the accounts' sentence of the summary (accounts checked, 合格率); the per-account evidence
//! section of the HTML report is the HTML format's (`html/accounts.rs`).
//!
//! - [`MediaReport`]: a run's accounts, their verdicts under `[[media_veto]]`, their findings and
//!   the accounts whose feed could not be read.
//! - [`annex4`], [`summary_sentence`].

use crate::ReportData;
use crate::cell::{Cell, Table, fmt_num};
use govwatch_score::{AccountFigures, AccountVerdict, Rules, account_figures, account_verdict_zh};
use govwatch_store::{AccountRunRow, Store, StoredAccountFinding};
use serde::Serialize;

/// A run's new-media accounts as the report shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MediaReport {
    pub accounts: Vec<AccountRunRow>,
    /// One per account, in the order of `accounts`.
    pub verdicts: Vec<AccountVerdict>,
    pub findings: Vec<StoredAccountFinding>,
    /// (account key, why) of the accounts whose feed could not be read.
    pub not_measured: Vec<(String, String)>,
    pub figures: AccountFigures,
}

impl MediaReport {
    /// Reads a run's accounts and scores them under `rules`.
    pub fn load(
        store: &Store,
        run_id: i64,
        rules: &Rules,
    ) -> Result<MediaReport, crate::ReportError> {
        let accounts = store.run_accounts(run_id)?;
        let verdicts = govwatch_score::score_accounts(store, run_id, rules)
            .map_err(|e| crate::ReportError::Other(e.to_string()))?;
        let findings = store.account_findings(run_id)?;
        let not_measured = store
            .account_facts(run_id)?
            .into_iter()
            .filter(|f| f.stored.fact.code == "media.not_measured")
            .map(|f| {
                let v = &f.stored.fact.value;
                let why = match v["reason"].as_str().unwrap_or("") {
                    "fetch" => format!("订阅源无法读取：{}", v["error"].as_str().unwrap_or("")),
                    "parse" => "订阅源返回的不是RSS/Atom/JSON Feed".to_string(),
                    "empty" => "订阅源没有任何内容".to_string(),
                    "undated" => "订阅源的内容均无发布时间".to_string(),
                    _ => "订阅源在监测时间点前没有内容".to_string(),
                };
                (f.account_key, why)
            })
            .collect();
        let figures = account_figures(&verdicts);
        Ok(MediaReport {
            accounts,
            verdicts,
            findings,
            not_measured,
            figures,
        })
    }

    pub fn verdict(&self, key: &str) -> Option<&AccountVerdict> {
        self.verdicts.iter().find(|v| v.key == key)
    }

    /// The findings of one account that are problems (not `info`).
    pub fn problems_of(&self, key: &str) -> Vec<&StoredAccountFinding> {
        self.findings
            .iter()
            .filter(|f| {
                f.account_key == key && f.stored.finding.severity != govwatch_model::Severity::Info
            })
            .collect()
    }
}

/// One problem in the words of annex 4, with its code beside it.
fn problem_words(f: &StoredAccountFinding) -> String {
    let x = &f.stored.finding;
    let v = &x.value;
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let text = match x.code.as_str() {
        "media.stale" => format!(
            "监测时间点前{}天内无更新（最近发布于 {}）",
            v["window_days"],
            s("latest")
        ),
        "media.zombie" => format!("{} 发布停更公告后未关停注销（僵尸账号）", s("announced")),
        "media.repost_only" => format!(
            "内容基本为转发（{} 条中转发 {} 条）",
            v["posts"], v["reposts"]
        ),
        "media.duplicate_accounts" => {
            let names: Vec<String> = v["accounts"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x["name"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            format!("同一主办单位在同一平台开设多个账号（{}）", names.join("、"))
        }
        _ if x.probe == "manual" => {
            format!(
                "{}（检查人员 {} 发现：{}）",
                s("name"),
                s("date"),
                s("note")
            )
        }
        "media.commercial_ad" => format!("发布商业广告（《{}》）", s("title")),
        "media.off_topic" => format!("发布与本单位职能无关的内容（《{}》）", s("title")),
        _ => x.message.clone(),
    };
    format!("{text} [{}]", x.code)
}

/// Annex 4: every account with a problem (vetoes first), with its verdict.
pub fn annex4(d: &ReportData) -> Table {
    let m = &d.media;
    let mut rows = Vec::new();
    let mut listed: Vec<(&AccountRunRow, Vec<&StoredAccountFinding>)> = m
        .accounts
        .iter()
        .map(|a| (a, m.problems_of(&a.key)))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    // failed accounts first, then by region and key (the store's order)
    listed.sort_by_key(|(a, _)| m.verdict(&a.key).is_none_or(|v| v.verdict != "fail"));
    for (i, (a, mut problems)) in listed.into_iter().enumerate() {
        // vetoes first; the probe's findings before inspectors' observations
        problems.sort_by_key(|f| {
            (
                f.stored.finding.severity,
                f.stored.finding.probe == "manual",
            )
        });
        let words: Vec<String> = problems.iter().map(|f| problem_words(f)).collect();
        rows.push(vec![
            Cell::Int(i as i64 + 1),
            Cell::Text(a.region.clone()),
            Cell::Text(a.name.clone()),
            Cell::Text(a.platform_zh().to_string()),
            Cell::Text(a.org.clone()),
            Cell::Text(words.join("；")),
            Cell::Text(
                m.verdict(&a.key)
                    .map(|v| account_verdict_zh(&v.verdict))
                    .unwrap_or("—")
                    .to_string(),
            ),
        ]);
    }
    let mut notes = Vec::new();
    if m.accounts.is_empty() {
        notes.push("本次未检查政务新媒体账号（config/accounts.toml 未登记账号）。".to_string());
    } else if rows.is_empty() {
        notes.push("本次检查的政务新媒体账号均未发现问题。".to_string());
    }
    if !m.not_measured.is_empty() {
        let list: Vec<String> = m
            .not_measured
            .iter()
            .filter_map(|(key, why)| {
                m.accounts
                    .iter()
                    .find(|a| &a.key == key)
                    .map(|a| format!("{}（{}，{}）", a.name, a.platform_zh(), why))
            })
            .collect();
        notes.push(format!(
            "以下{}个账号的订阅源无法读取，未作判定（不计入合格率）：{}。",
            list.len(),
            list.join("；")
        ));
    }
    if !m.accounts.is_empty() {
        notes.push(
            "单项否决（内容不更新、僵尸账号、互动回应差、安全问题）的账号为不合格；转发过多、商业广告、与职能无关内容、重复开设账号列为存在问题。"
                .to_string(),
        );
    }
    Table {
        key: "附件4".into(),
        title: "存在问题的政务新媒体".into(),
        headers: [
            "序号",
            "地区",
            "账号名称",
            "平台",
            "主办单位",
            "存在问题",
            "检查结果",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: (!notes.is_empty()).then(|| notes.join("")),
        widths: vec![6.0, 16.0, 24.0, 12.0, 24.0, 60.0, 10.0],
    }
}

/// The accounts' sentence of the summary ("" when the run read no account).
pub fn summary_sentence(d: &ReportData) -> String {
    let f = &d.media.figures;
    if f.accounts == 0 {
        return String::new();
    }
    let mut s = format!(
        "共检查政务新媒体账号{}个，合格{}个，不合格{}个，合格率{}",
        f.accounts - f.not_measured,
        f.passed,
        f.failed,
        f.pass_rate
            .map(|x| format!("{}%", fmt_num(x)))
            .unwrap_or_else(|| "—".into())
    );
    if f.not_measured > 0 {
        s.push_str(&format!(
            "；另有{}个账号的订阅源无法读取，未作判定",
            f.not_measured
        ));
    }
    s.push('。');
    s
}
