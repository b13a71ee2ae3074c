//! Quarterly reports of a scored run, laid out as the provincial notice lays them out.
//!
//! - [`ReportData::load`] gathers a run, its scoring, findings, facts, archive records and
//!   (optionally) the comparison with an earlier run ([`since`]).
//! - [`annexes`] builds the five annex tables in Chinese (附件1–5) and [`summary`] the summary
//!   paragraph; they are rendered as Markdown, CSV, JSON ([`write_md`], [`write_csv`],
//!   [`write_json`]), one self-contained HTML file ([`html`]) and an XLSX workbook ([`xlsx`]).
//! - [`warc`] writes a run's fetched pages as a WARC/1.1 file, one gzip member per record.
//! - [`media`]: the new-media accounts — annex 4, their summary sentence, their evidence section.
//!
//! Every string that comes from a site (names, titles, URLs, excerpts) is escaped in HTML.

pub mod html;
pub mod media;
pub mod since;
pub mod warc;
pub mod xlsx;

use govwatch_score::{Figures, Rules, figures, verdict_zh};
use govwatch_store::{
    ArchiveRecord, PageRow, RunRow, ScoreRow, ScoreSet, SiteRow, Store, StoredFact, StoredFinding,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub use since::{RectItem, Rectification};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] govwatch_store::StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing {}: {message}", path.display())]
    Xlsx { path: PathBuf, message: String },
    #[error("{0}")]
    Other(String),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the rules say that the report repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulesInfo {
    pub version: String,
    pub hash: String,
    pub high_score_above: f64,
    pub rectification_days: u32,
    pub rectification_source: String,
    /// (rule name, why) of rules nothing measures yet.
    pub not_measured: Vec<(String, String)>,
    /// Indicator id → Chinese name (`veto` and `bonus` included).
    pub indicators: BTreeMap<String, String>,
}

impl RulesInfo {
    pub fn from_rules(r: &Rules) -> RulesInfo {
        RulesInfo {
            version: r.version.clone(),
            hash: r.hash.clone(),
            high_score_above: r.report.high_score_above,
            rectification_days: r.rectification.days,
            rectification_source: r.rectification.source.clone(),
            not_measured: r
                .vetoes
                .iter()
                .filter_map(|v| v.not_measured.as_ref().map(|w| (v.name.clone(), w.clone())))
                .collect(),
            indicators: r
                .indicators
                .iter()
                .map(|i| (i.id.clone(), i.name.clone()))
                .chain([
                    ("veto".to_string(), "单项否决".to_string()),
                    ("bonus".to_string(), "加分".to_string()),
                ])
                .collect(),
        }
    }
}

/// Everything a report shows.
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// e.g. `2020年第一季度` or `第 12 次检查`.
    pub title: String,
    pub run: RunRow,
    pub sites: Vec<SiteRow>,
    pub scores: ScoreSet,
    pub findings: Vec<StoredFinding>,
    pub facts: Vec<StoredFact>,
    pub pages: Vec<PageRow>,
    pub archive: Vec<ArchiveRecord>,
    pub figures: Figures,
    pub rules: RulesInfo,
    pub since: Option<Rectification>,
    /// The run's new-media accounts, their verdicts and findings.
    pub media: media::MediaReport,
    /// (site, URL or final URL) → page id, and page id → index in `archive`.
    #[serde(skip)]
    page_index: HashMap<(String, String), i64>,
    #[serde(skip)]
    archive_index: HashMap<i64, usize>,
}

impl ReportData {
    /// Reads a scored run. Fails when the run has no scoring under these rules.
    pub fn load(
        store: &Store,
        run_id: i64,
        rules: &Rules,
        title: String,
        since_run: Option<i64>,
    ) -> Result<ReportData, ReportError> {
        let scores = store.scores(run_id, Some(&rules.hash))?.ok_or_else(|| {
            ReportError::Other(format!(
                "run {run_id} has no scores under rules {} ({}); run `govwatch score --run {run_id}` first",
                rules.version,
                rules.path.display()
            ))
        })?;
        ReportData::with_scores(store, run_id, rules, scores, title, since_run)
    }

    /// Reads a run with a scoring given by the caller (e.g. one made in memory by a viewer that
    /// may not write to the database).
    pub fn with_scores(
        store: &Store,
        run_id: i64,
        rules: &Rules,
        scores: ScoreSet,
        title: String,
        since_run: Option<i64>,
    ) -> Result<ReportData, ReportError> {
        let run = store
            .run(run_id)?
            .ok_or_else(|| ReportError::Other(format!("run {run_id} does not exist")))?;
        let sites = store.run_sites(run_id)?;
        let findings = store.findings(run_id, None)?;
        let facts: Vec<StoredFact> = store
            .facts(run_id, None)?
            .into_iter()
            .filter(|f| f.fact.code.starts_with("message.") || f.fact.code == "survey.count")
            .collect();
        let pages = store.run_pages(run_id)?;
        let archive = store.archive_records(run_id)?;
        let figures = figures(&sites, &scores, rules.report.high_score_above, &facts);
        let since = match since_run {
            Some(prev) => Some(since::compare(store, prev, run_id, &findings, rules)?),
            None => None,
        };
        let mut page_index = HashMap::new();
        for p in &pages {
            for u in [&p.final_url, &p.url] {
                page_index.insert((p.site_id.clone(), u.clone()), p.id);
            }
        }
        let archive_index = archive
            .iter()
            .enumerate()
            .map(|(i, a)| (a.page_id, i))
            .collect();
        let media = media::MediaReport::load(store, run_id, rules)?;
        Ok(ReportData {
            media,
            page_index,
            archive_index,
            title,
            run,
            sites,
            scores,
            findings,
            facts,
            pages,
            archive,
            figures,
            rules: RulesInfo::from_rules(rules),
            since,
        })
    }

    pub fn site(&self, id: &str) -> Option<&SiteRow> {
        self.sites.iter().find(|s| s.id == id)
    }

    pub fn score(&self, id: &str) -> Option<&ScoreRow> {
        self.scores.scores.iter().find(|s| s.site_id == id)
    }

    pub fn finding(&self, id: i64) -> Option<&StoredFinding> {
        self.findings.iter().find(|f| f.id == id)
    }

    /// The archived record that holds a finding's evidence: the page its evidence names
    /// (`archived`), else the finding's own URL if it was crawled as a page.
    pub fn archived(&self, f: &StoredFinding) -> Option<&ArchiveRecord> {
        let want: Vec<&str> = [
            f.finding.evidence.archived.as_deref(),
            f.finding.url.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        for w in want {
            if let Some(page) = self.page_index.get(&(f.site_id.clone(), w.to_string()))
                && let Some(&i) = self.archive_index.get(page)
            {
                return Some(&self.archive[i]);
            }
        }
        None
    }
}

/// One annex table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Short name, e.g. `附件1` (sheet and file names).
    pub key: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Said under the table (e.g. why it is empty).
    pub note: Option<String>,
    /// Column widths for spreadsheets, in characters.
    pub widths: Vec<f64>,
}

/// A table cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(x) => fmt_num(*x),
        }
    }
}

/// 98.9, 100, 99.64 — no trailing zeros.
pub fn fmt_num(x: f64) -> String {
    let s = format!("{:.2}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn pct(x: Option<f64>) -> Cell {
    match x {
        Some(v) => Cell::Text(format!("{}%", fmt_num(v))),
        None => Cell::Text("—".into()),
    }
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn kind_zh(kind: &str) -> &'static str {
    if kind == "portal" {
        "门户网站"
    } else {
        "部门网站"
    }
}

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
    let f = &d.figures;
    // 附件1
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
    let a1 = Table {
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
    };

    // 附件2
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
    let a2 = Table {
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
    };

    // 附件3
    let failed: Vec<(&SiteRow, &ScoreRow)> = d
        .scores
        .scores
        .iter()
        .filter(|s| s.verdict != govwatch_score::PASS)
        .filter_map(|s| d.site(&s.site_id).map(|site| (site, s)))
        .collect();
    let a3 = Table {
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
    };

    // 附件4
    let a4 = media::annex4(d);

    // 附件5
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
                row.extend([
                    int("letters"),
                    int("answered"),
                    int("within_1"),
                    int("within_5"),
                    share("share_1"),
                    share("share_5"),
                    t(v["last_reply"].as_str().unwrap_or("—")),
                ]);
            }
            None => row.extend([t("未检测"), t("—"), t("—"), t("—"), t("—"), t("—"), t("—")]),
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
        Cell::Int(r.within_1 as i64),
        Cell::Int(r.within_5 as i64),
        pct(r.share_1),
        pct(r.share_5),
        t(""),
    ]);
    let a5 = Table {
        key: "附件5".into(),
        title: "政府网站互动交流情况".into(),
        headers: [
            "序号",
            "地区",
            "网站名称",
            "公开信件数",
            "已答复数",
            "1个工作日内答复数",
            "5个工作日内答复数",
            "1个工作日内答复率",
            "5个工作日内答复率",
            "最近答复日期",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some("答复率按已答复信件计；工作日按国务院办公厅节假日安排（含调休）计算。".into()),
        widths: vec![6.0, 16.0, 30.0, 12.0, 10.0, 18.0, 18.0, 18.0, 18.0, 14.0],
    };
    vec![a1, a2, a3, a4, a5]
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
    for (name, why) in &d.rules.not_measured {
        s.push_str(&format!("“{name}”指标本系统未检测（{why}）。"));
    }
    s
}

/// Markdown: title, summary, the annexes, the rectification list.
pub fn render_md(d: &ReportData) -> String {
    let md = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
    let mut out = format!(
        "# 政府网站检查情况（{}）\n\n{}\n\n",
        md(&d.title),
        md(&summary(d))
    );
    out.push_str(&format!(
        "检查批次：第 {} 次，监测时间点 {}；评分规则 {}。\n\n",
        d.run.id,
        display_time(&d.run.as_of),
        d.rules.version
    ));
    for table in annexes(d) {
        out.push_str(&format!("## {} {}\n\n", table.key, table.title));
        out.push_str(&format!("| {} |\n", table.headers.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(table.headers.len())));
        for row in &table.rows {
            let cells: Vec<String> = row.iter().map(|c| md(&c.text())).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        if let Some(n) = &table.note {
            out.push_str(&format!("\n{}\n", md(n)));
        }
        out.push('\n');
    }
    if let Some(r) = &d.since {
        out.push_str(&format!(
            "## 整改情况（与第 {} 次检查相比，整改期限 {}）\n\n",
            r.since_run, r.deadline
        ));
        for (title, items) in [
            ("已整改", &r.fixed),
            ("仍未整改", &r.open),
            ("新发现", &r.new),
        ] {
            out.push_str(&format!("### {title}（{}）\n\n", items.len()));
            for i in items {
                out.push_str(&format!(
                    "- {} {} `{}` {}\n",
                    md(&i.site_name),
                    md(&i.site_id),
                    i.code,
                    md(&i.url)
                ));
            }
            out.push('\n');
        }
    }
    out
}

/// The annex tables as CSV files `附件N.csv` in `dir` (UTF-8 with BOM, so spreadsheet programs
/// read the Chinese), plus `rectification.csv` with `--since`. Returns the files written.
pub fn write_csv(d: &ReportData, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    let mut tables = annexes(d);
    if let Some(r) = &d.since {
        tables.push(since::table(r));
    }
    for table in tables {
        let path = dir.join(format!("{}.csv", table.key));
        let mut buf = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut buf);
            let err = |e: csv::Error| ReportError::Other(format!("{}: {e}", path.display()));
            w.write_record(&table.headers).map_err(err)?;
            for row in &table.rows {
                w.write_record(row.iter().map(|c| c.text()))
                    .map_err(|e| ReportError::Other(format!("{}: {e}", path.display())))?;
            }
            w.flush().map_err(io_err(&path))?;
        }
        std::fs::write(&path, buf).map_err(io_err(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// The whole report as JSON: figures, annexes, scores with items, rectification.
pub fn render_json(d: &ReportData) -> serde_json::Value {
    let archived: BTreeMap<i64, &ArchiveRecord> = d
        .findings
        .iter()
        .filter_map(|f| d.archived(f).map(|a| (f.id, a)))
        .collect();
    serde_json::json!({
        "title": d.title,
        "run": d.run,
        "rules": d.rules,
        "summary": summary(d),
        "figures": d.figures,
        "annexes": annexes(d),
        "sites": d.sites,
        "scores": d.scores,
        "findings": d.findings,
        "archived": archived,
        "media": d.media,
        "rectification": d.since,
    })
}

/// Writes `name` in `dir`.
pub fn write_file(dir: &Path, name: &str, text: &str) -> Result<PathBuf, ReportError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(io_err(&path))?;
    Ok(path)
}

/// A stored RFC 3339 time as people read it in a notice: China time, to the second
/// (`2026-11-28 10:00:00`); text that is not such a time is shown as it is.
pub fn display_time(t: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(d) => {
            let cst = govwatch_model::time::CHINA_TZ;
            d.with_timezone(&cst)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        }
        Err(_) => t.to_string(),
    }
}
