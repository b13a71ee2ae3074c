//! The report's content, independent of format: the five annex tables (附件1–5, [`annexes`])
//! and the summary paragraph ([`summary`]), in Chinese.

use crate::cell::{Cell, Table, fmt_num, kind_zh, pct, t};
use crate::{ReportData, display_time, media};
use govwatch_score::verdict_zh;
use govwatch_store::{ScoreRow, SiteRow, StoredFinding};

/// The main problems of a site in words: its vetoes, or its largest deductions.
pub fn problems_of(s: &ScoreRow) -> String {
    let vetoes: Vec<&str> = s
        .items
        .iter()
        .filter(|i| i.part == "veto")
        .map(|i| i.name.as_str())
        .collect();
    if !vetoes.is_empty() {
        return format!("单项否决：{}", vetoes.join("；"));
    }
    if s.verdict == govwatch_score::NOT_INSPECTED {
        let why: Vec<&str> = s.items.iter().map(|i| i.note.as_str()).collect();
        return format!("未能检查：{}", why.join("；"));
    }
    let mut deducts: Vec<_> = s.items.iter().filter(|i| i.part == "deduct").collect();
    deducts.sort_by(|a, b| a.points.total_cmp(&b.points));
    let words: Vec<String> = deducts
        .iter()
        .map(|i| format!("{}（扣{}分）", i.name, fmt_num(-i.points)))
        .collect();
    if s.verdict != govwatch_score::PASS {
        format!("得分低于合格线：{}", words.join("；"))
    } else {
        words.join("；")
    }
}

/// The five annex tables.
pub fn annexes(d: &ReportData) -> Vec<Table> {
    vec![
        by_region(d),
        high_scores(d),
        failed_sites(d),
        media::annex4(d),
        replies(d),
    ]
}

/// 附件1 各地区政府网站检查情况: per region, then the total.
fn by_region(d: &ReportData) -> Table {
    let f = &d.figures;
    let mut rows = Vec::new();
    for (i, g) in f.by_region.iter().enumerate() {
        let portals: Vec<&SiteRow> = d
            .sites
            .iter()
            .filter(|s| s.region == g.name && s.kind == "portal")
            .collect();
        let bonus = portals
            .iter()
            .filter(|s| d.score(&s.id).is_some_and(|x| x.bonus_scored))
            .count();
        rows.push(vec![
            Cell::Int(i as i64 + 1),
            t(if g.name.is_empty() {
                "（未填地区）"
            } else {
                &g.name
            }),
            Cell::Int(g.sites as i64),
            Cell::Int(g.passed as i64),
            Cell::Int(g.failed as i64),
            pct(g.pass_rate),
            Cell::Int(portals.len() as i64),
            Cell::Int(bonus as i64),
            g.mean_score.map(Cell::Num).unwrap_or_else(|| t("—")),
        ]);
    }
    let o = &f.overall;
    rows.push(vec![
        t(""),
        t("合计"),
        Cell::Int(o.sites as i64),
        Cell::Int(o.passed as i64),
        Cell::Int(o.failed as i64),
        pct(o.pass_rate),
        Cell::Int(f.portals as i64),
        Cell::Int(f.bonus_scored as i64),
        o.mean_score.map(Cell::Num).unwrap_or_else(|| t("—")),
    ]);
    Table {
        key: "附件1".into(),
        title: "各地区政府网站检查情况".into(),
        headers: [
            "序号",
            "地区",
            "检查网站数",
            "合格数",
            "不合格数",
            "合格率",
            "门户网站数",
            "进入加分环节门户网站数",
            "平均得分",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: None,
        widths: vec![6.0, 16.0, 12.0, 8.0, 10.0, 10.0, 12.0, 22.0, 10.0],
    }
}

/// 附件2 得分较高的政府网站: the sites above the high-score line, best first.
fn high_scores(d: &ReportData) -> Table {
    let mut high: Vec<(&SiteRow, &ScoreRow)> = d
        .scores
        .scores
        .iter()
        .filter(|s| s.score.is_some_and(|x| x > d.rules.high_score_above))
        .filter_map(|s| d.site(&s.site_id).map(|site| (site, s)))
        .collect();
    high.sort_by(|a, b| {
        b.1.score
            .unwrap_or(0.0)
            .total_cmp(&a.1.score.unwrap_or(0.0))
            .then(a.0.id.cmp(&b.0.id))
    });
    Table {
        key: "附件2".into(),
        title: "得分较高的政府网站".into(),
        headers: ["序号", "地区", "网站名称", "网站标识码", "网站类型", "得分"]
            .map(String::from)
            .to_vec(),
        rows: high
            .iter()
            .enumerate()
            .map(|(i, (site, s))| {
                vec![
                    Cell::Int(i as i64 + 1),
                    t(&site.region),
                    t(&site.name),
                    t(&site.id),
                    t(kind_zh(&site.kind)),
                    Cell::Num(s.score.unwrap_or(0.0)),
                ]
            })
            .collect(),
        note: high.is_empty().then(|| {
            format!(
                "本次没有得分高于{}分的网站。",
                fmt_num(d.rules.high_score_above)
            )
        }),
        widths: vec![6.0, 16.0, 30.0, 14.0, 10.0, 8.0],
    }
}

/// 附件3 存在突出问题的政府网站: the sites that failed, with their main problems.
fn failed_sites(d: &ReportData) -> Table {
    let failed: Vec<(&SiteRow, &ScoreRow)> = d
        .scores
        .scores
        .iter()
        .filter(|s| s.verdict != govwatch_score::PASS)
        .filter_map(|s| d.site(&s.site_id).map(|site| (site, s)))
        .collect();
    Table {
        key: "附件3".into(),
        title: "存在突出问题的政府网站".into(),
        headers: [
            "序号",
            "地区",
            "网站名称",
            "网站标识码",
            "首页网址",
            "主要问题",
            "检查结果",
        ]
        .map(String::from)
        .to_vec(),
        rows: failed
            .iter()
            .enumerate()
            .map(|(i, (site, s))| {
                vec![
                    Cell::Int(i as i64 + 1),
                    t(&site.region),
                    t(&site.name),
                    t(&site.id),
                    t(&site.home),
                    t(problems_of(s)),
                    t(verdict_zh(&s.verdict)),
                ]
            })
            .collect(),
        note: failed
            .is_empty()
            .then(|| "本次没有不合格网站。".to_string()),
        widths: vec![6.0, 16.0, 30.0, 14.0, 36.0, 60.0, 10.0],
    }
}

/// 附件5 政府网站互动交流情况: each site's published letters and reply times, then the total.
fn replies(d: &ReportData) -> Table {
    let f = &d.figures;
    let mut rows = Vec::new();
    let mut n = 0;
    for site in &d.sites {
        let latency = d
            .facts
            .iter()
            .find(|f| f.site_id == site.id && f.fact.code == "message.latency");
        n += 1;
        let mut row = vec![Cell::Int(n), t(&site.region), t(&site.name)];
        match latency {
            Some(l) => {
                let v = &l.fact.value;
                let int = |k: &str| v[k].as_i64().map(Cell::Int).unwrap_or_else(|| t("—"));
                let share = |k: &str| pct(v[k].as_f64().map(|x| (x * 10000.0).round() / 100.0));
                // letters marked 已回复 whose reply date is not published: answered, apart
                let undated = v["answered_undated"].as_i64().unwrap_or(0);
                row.extend([
                    int("letters"),
                    int("answered"),
                    Cell::Int(undated),
                    int("within_1"),
                    int("within_5"),
                    share("share_1"),
                    share("share_5"),
                    t(v["last_reply"].as_str().unwrap_or("—")),
                ]);
            }
            None => row.extend([
                t("未检测"),
                t("—"),
                t("—"),
                t("—"),
                t("—"),
                t("—"),
                t("—"),
                t("—"),
            ]),
        }
        rows.push(row);
    }
    let r = &f.replies;
    rows.push(vec![
        t(""),
        t("合计"),
        t(format!("{} 个网站", r.sites)),
        Cell::Int(r.letters as i64),
        Cell::Int(r.answered as i64),
        Cell::Int(r.answered_undated as i64),
        Cell::Int(r.within_1 as i64),
        Cell::Int(r.within_5 as i64),
        pct(r.share_1),
        pct(r.share_5),
        t(""),
    ]);
    Table {
        key: "附件5".into(),
        title: "政府网站互动交流情况".into(),
        headers: [
            "序号",
            "地区",
            "网站名称",
            "公开信件数",
            "已答复数",
            "其中未注明答复日期",
            "1个工作日内答复数",
            "5个工作日内答复数",
            "1个工作日内答复率",
            "5个工作日内答复率",
            "最近答复日期",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some(
            "已答复数含标为“已回复”但未注明答复日期的信件（另列，答复时长无法计算）；答复率按注明答复日期的已答复信件计；工作日按国务院办公厅节假日安排（含调休）计算。"
                .into(),
        ),
        widths: vec![6.0, 16.0, 30.0, 12.0, 10.0, 18.0, 18.0, 18.0, 18.0, 18.0, 14.0],
    }
}

/// The summary paragraph of the notice, with the figures.
pub fn summary(d: &ReportData) -> String {
    let f = &d.figures;
    let o = &f.overall;
    let mut s = format!(
        "{}，共检查政府网站{}个，合格{}个，不合格{}个，合格率{}。",
        d.title,
        o.sites,
        o.passed,
        o.failed,
        o.pass_rate
            .map(|x| format!("{}%", fmt_num(x)))
            .unwrap_or_else(|| "—".into())
    );
    if o.not_inspected > 0 {
        s.push_str(&format!(
            "另有{}个网站未能检查（无法评分，原因见附件3），不计入合格率。",
            o.not_inspected
        ));
    }
    let kinds: Vec<String> = f
        .by_kind
        .iter()
        .map(|g| {
            format!(
                "{}{}个、合格率{}",
                g.name,
                g.sites,
                g.pass_rate
                    .map(|x| format!("{}%", fmt_num(x)))
                    .unwrap_or_else(|| "—".into())
            )
        })
        .collect();
    if !kinds.is_empty() {
        s.push_str(&format!("按类型：{}。", kinds.join("，")));
    }
    s.push_str(&format!(
        "门户网站{}个，其中{}个进入加分环节（占{}）；得分高于{}分的网站{}个。",
        f.portals,
        f.bonus_scored,
        f.bonus_share
            .map(|x| format!("{}%", fmt_num(x)))
            .unwrap_or_else(|| "—".into()),
        fmt_num(d.rules.high_score_above),
        f.high_scores
    ));
    if !f.problems.is_empty() {
        let p: Vec<String> = f
            .problems
            .iter()
            .map(|(k, n)| format!("{k}{n}个"))
            .collect();
        s.push_str(&format!("存在问题的网站数：{}。", p.join("，")));
    }
    if f.replies.answered > 0 {
        s.push_str(&format!(
            "已答复留言中，1个工作日内答复的占{}，5个工作日内答复的占{}。",
            f.replies
                .share_1
                .map(|x| format!("{}%", fmt_num(x)))
                .unwrap_or_default(),
            f.replies
                .share_5
                .map(|x| format!("{}%", fmt_num(x)))
                .unwrap_or_default()
        ));
    }
    s.push_str(&media::summary_sentence(d));
    if f.incomplete > 0 {
        s.push_str(&format!(
            "另有{}个网站的可用性监测未满7天（每天不少于20次），站点无法访问指标未作判定。",
            f.incomplete
        ));
    }
    if let Some(u) = unverified_sentence(&d.facts) {
        s.push_str(&u);
    }
    for (name, why) in &d.rules.not_measured {
        s.push_str(&format!("“{name}”指标本系统未检测（{why}）。"));
    }
    s
}

/// 未能核实: the columns and site searches built by script that no browser read
/// (`column.unverified`, `search.unverified`), and the sites whose home page stayed behind an
/// anti-bot wall (`site.not_inspected` with reason `challenged`) — counted, never blank, stale,
/// missing or unreachable.
pub fn unverified_sentence(facts: &[govwatch_store::StoredFact]) -> Option<String> {
    let count = |code: &str| facts.iter().filter(|f| f.fact.code == code).count();
    let sites = |code: &str| {
        facts
            .iter()
            .filter(|f| f.fact.code == code)
            .map(|f| f.site_id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let (columns, searches) = (count("column.unverified"), count("search.unverified"));
    let walled = facts
        .iter()
        .filter(|f| f.fact.code == "site.not_inspected" && f.fact.value["reason"] == "challenged")
        .count();
    let mut parts = Vec::new();
    if columns > 0 {
        parts.push(format!(
            "{}个网站的{columns}个栏目",
            sites("column.unverified")
        ));
    }
    if searches > 0 {
        parts.push(format!("{}个网站的站内搜索", sites("search.unverified")));
    }
    let mut out = String::new();
    if !parts.is_empty() {
        out.push_str(&format!(
            "{}由页面脚本生成，静态读取未能核实（未计为空白、不更新或缺失）。",
            parts.join("、")
        ));
    }
    if walled > 0 {
        out.push_str(&format!(
            "{walled}个网站首页被防护墙拦截，未能检查，请联系网站运维单位放行监测系统的IP地址和User-Agent。"
        ));
    }
    (!out.is_empty()).then_some(out)
}

/// 问题明细: one row per finding of the run — the sheet site owners rectify from: the site, the
/// indicator that counted it, the page, the page that links to it, the link text, the HTTP
/// status, the monitoring time (China time, to the second), what is wrong and the evidence.
pub fn problem_details(d: &ReportData) -> Table {
    let mut findings: Vec<&StoredFinding> = d.findings.iter().collect();
    let rank = |f: &StoredFinding| match f.finding.severity {
        govwatch_model::Severity::Veto => 0,
        govwatch_model::Severity::Deduct => 1,
        _ => 2,
    };
    let region_of = |id: &str| d.site(id).map(|s| s.region.clone()).unwrap_or_default();
    findings.sort_by(|a, b| {
        (
            region_of(&a.site_id),
            &a.site_id,
            rank(a),
            &a.finding.code,
            a.id,
        )
            .cmp(&(
                region_of(&b.site_id),
                &b.site_id,
                rank(b),
                &b.finding.code,
                b.id,
            ))
    });
    let mut rows = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let site = d.site(&f.site_id);
        let indicator = d
            .score(&f.site_id)
            .and_then(|s| s.items.iter().find(|it| it.finding_ids.contains(&f.id)))
            .map(|it| it.name.clone())
            .unwrap_or_else(|| "不计分".into());
        let v = &f.finding.value;
        let url = f.finding.url.clone().unwrap_or_default();
        let parent = v["from"][0]
            .as_str()
            .map(String::from)
            .or_else(|| f.finding.evidence.archived.clone().filter(|a| *a != url))
            .unwrap_or_default();
        let status = f
            .finding
            .evidence
            .status
            .or_else(|| v["status"].as_u64().and_then(|s| u16::try_from(s).ok()))
            .map(|s| Cell::Int(i64::from(s)))
            .unwrap_or_else(|| Cell::Text(v["error"].as_str().unwrap_or("").to_string()));
        let severity = f.finding.severity.zh();
        rows.push(vec![
            Cell::Int((i + 1) as i64),
            Cell::Text(site.map(|s| s.region.clone()).unwrap_or_default()),
            Cell::Text(site.map(|s| s.name.clone()).unwrap_or_default()),
            Cell::Text(f.site_id.clone()),
            Cell::Text(indicator),
            Cell::Text(f.finding.code.clone()),
            Cell::Text(severity.into()),
            Cell::Text(url),
            Cell::Text(parent),
            Cell::Text(v["anchor"].as_str().unwrap_or("").to_string()),
            status,
            Cell::Text(display_time(&f.finding.observed_at.to_rfc3339())),
            Cell::Text(f.finding.message.clone()),
            Cell::Text(f.finding.evidence.excerpt.clone().unwrap_or_default()),
            Cell::Text(
                d.archived(f)
                    .map(|a| a.record_id.clone())
                    .unwrap_or_default(),
            ),
        ]);
    }
    Table {
        key: "问题明细".into(),
        title: "问题明细（每条问题一行，供整改）".into(),
        headers: [
            "序号",
            "地区",
            "网站名称",
            "网站标识码",
            "指标",
            "问题代码",
            "严重程度",
            "问题页面",
            "上级页面",
            "链接文字",
            "HTTP状态",
            "监测时间",
            "问题说明",
            "证据摘录",
            "存档记录",
        ]
        .map(String::from)
        .to_vec(),
        widths: vec![
            6.0, 10.0, 24.0, 13.0, 16.0, 22.0, 10.0, 40.0, 40.0, 18.0, 10.0, 20.0, 40.0, 50.0, 30.0,
        ],
        rows,
        note: (d.findings.is_empty()).then(|| "本次检查未发现问题。".into()),
    }
}

#[cfg(test)]
mod unverified_tests {
    use super::unverified_sentence;
    use govwatch_model::Fact;
    use govwatch_store::StoredFact;

    fn fact(site: &str, code: &str, value: serde_json::Value) -> StoredFact {
        StoredFact {
            id: 1,
            site_id: site.into(),
            fact: Fact {
                probe: "x".into(),
                code: code.into(),
                url: None,
                value,
                observed_at: chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00")
                    .unwrap(),
            },
        }
    }

    #[test]
    fn unverified_columns_searches_and_walls_are_counted() {
        assert_eq!(unverified_sentence(&[]), None);
        let facts = vec![
            fact("a", "column.unverified", serde_json::json!({})),
            fact("a", "column.unverified", serde_json::json!({})),
            fact("b", "column.unverified", serde_json::json!({})),
            fact("b", "search.unverified", serde_json::json!({})),
            fact(
                "c",
                "site.not_inspected",
                serde_json::json!({"reason": "challenged"}),
            ),
            fact(
                "d",
                "site.not_inspected",
                serde_json::json!({"reason": "redirects"}),
            ),
        ];
        assert_eq!(
            unverified_sentence(&facts).as_deref(),
            Some(
                "2个网站的3个栏目、1个网站的站内搜索由页面脚本生成，静态读取未能核实（未计为空白、不更新或缺失）。\
                 1个网站首页被防护墙拦截，未能检查，请联系网站运维单位放行监测系统的IP地址和User-Agent。"
            )
        );
    }
}
