//! 表述问题: the run's `wording.*` findings (严重表述错误, single veto 1) in one table — the site or
//! account, the page, 确定 or 疑似, what is written, what should be, the page's date, the
//! excerpt and the inspector's review. Findings an inspector dismissed are listed last, marked
//! 已排除, and left out of the counts.

use crate::{Cell, ReportData, Table, display_time, t};
use govwatch_store::{ReviewState, StoredFinding};

/// The wording codes.
const CODES: &[&str] = &["wording.serious", "wording.suspect"];

fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "known" => "已知错误表述",
        "name" => "领导人姓名",
        "phrase" => "规范表述",
        "title_at_date" => "职务与姓名不符",
        _ => "表述",
    }
}

/// (who, region, site id) of a finding: the site, or the account and its site.
fn owner(d: &ReportData, f: &StoredFinding) -> (String, String) {
    let site = d.site(&f.site_id);
    let name = site.map(|s| s.name.clone()).unwrap_or_default();
    let region = site.map(|s| s.region.clone()).unwrap_or_default();
    match f.finding.value["account"].as_str() {
        Some(acc) => {
            let acct = d
                .media
                .accounts
                .iter()
                .find(|a| a.key == acc)
                .map(|a| a.name.clone())
                .unwrap_or_else(|| acc.to_string());
            (format!("{name}（政务新媒体：{acct}）"), region)
        }
        None => (name, region),
    }
}

/// Every wording finding of the run: the sites' and the accounts', then the dismissed ones.
fn rows(d: &ReportData) -> (Vec<&StoredFinding>, Vec<&StoredFinding>) {
    let wording = |f: &&StoredFinding| CODES.contains(&f.finding.code.as_str());
    let mut open: Vec<&StoredFinding> = d
        .findings
        .iter()
        .chain(d.media.findings.iter().map(|f| &f.stored))
        .filter(wording)
        .collect();
    open.sort_by_key(|f| (f.finding.code != "wording.serious", f.site_id.clone(), f.id));
    let dismissed: Vec<&StoredFinding> = d.dismissed.iter().filter(wording).collect();
    (open, dismissed)
}

/// The sentence above the table: how many, how sure, how many dismissed.
pub fn wording_summary(d: &ReportData) -> String {
    let (open, dismissed) = rows(d);
    let serious = open
        .iter()
        .filter(|f| {
            f.finding.code == "wording.serious" || reviewed(d, f) == Some(ReviewState::Confirmed)
        })
        .count();
    let mut s = format!(
        "发现表述问题{}处，其中确定（含经核实确认）{}处，疑似{}处（待核实，不计入单项否决）。",
        open.len(),
        serious,
        open.len() - serious
    );
    if !dismissed.is_empty() {
        s.push_str(&format!(
            "另有{}处经核实排除，不计入评分和问题数。",
            dismissed.len()
        ));
    }
    s
}

fn reviewed(d: &ReportData, f: &StoredFinding) -> Option<ReviewState> {
    d.reviews.get(&f.id).map(|r| r.state)
}

/// The 表述问题 table (a section of the report and a sheet of the workbook).
pub fn wording_table(d: &ReportData) -> Table {
    let (open, dismissed) = rows(d);
    let mut out = Vec::new();
    for (i, f) in open.iter().chain(dismissed.iter()).enumerate() {
        let v = &f.finding.value;
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let (who, region) = owner(d, f);
        let confidence = match reviewed(d, f) {
            Some(ReviewState::Confirmed) if f.finding.code == "wording.suspect" => {
                "确定（经核实）".to_string()
            }
            _ => s("confidence"),
        };
        let review = d
            .reviews
            .get(&f.id)
            .map(|r| r.describe())
            .unwrap_or_else(|| "未审核".into());
        out.push(vec![
            Cell::Int(i as i64 + 1),
            t(region),
            t(who),
            t(f.site_id.clone()),
            t(f.finding.url.clone().unwrap_or_default()),
            t(confidence),
            t(kind_zh(v["kind"].as_str().unwrap_or(""))),
            t(s("wrong")),
            t(s("right")),
            t(s("page_date")),
            t(f.finding.evidence.excerpt.clone().unwrap_or_default()),
            t(display_time(&f.finding.observed_at.to_rfc3339())),
            t(review),
            Cell::Int(f.id),
        ]);
    }
    Table {
        key: "表述问题".into(),
        title: "严重表述错误（领导人姓名职务、规范表述）".into(),
        headers: [
            "序号",
            "地区",
            "网站（账号）名称",
            "网站标识码",
            "问题页面",
            "可信度",
            "错误类型",
            "错误表述",
            "建议表述",
            "页面日期",
            "证据摘录",
            "监测时间",
            "审核",
            "问题编号",
        ]
        .map(String::from)
        .to_vec(),
        rows: out,
        note: Some(if open.is_empty() && dismissed.is_empty() {
            "本次检查未发现表述问题。".into()
        } else {
            format!(
                "{}确定的表述问题计入单项否决（安全、泄密事故等严重问题）；疑似的经 govwatch review 编号 --confirm 确认后计入，--dismiss --reason 原因 排除。",
                wording_summary(d)
            )
        }),
        widths: vec![
            6.0, 10.0, 26.0, 13.0, 40.0, 12.0, 14.0, 24.0, 24.0, 12.0, 50.0, 20.0, 36.0, 10.0,
        ],
    }
}
