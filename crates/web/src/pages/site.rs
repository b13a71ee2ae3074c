//! `/runs/{run}/sites/{site}`: one site in one run — the verdict, the score items with the points
//! each rule took and the findings behind them, every finding with its evidence and what it cost,
//! the site's history across runs, and 整改 against the previous run that inspected it (open,
//! fixed, new, with the deadline), computed by `govwatch_report::since`.

use super::run_or_404;
use crate::layout::{self, kind_zh, num, part_zh, time, url_link};
use crate::{App, WebError};
use axum::extract::{Path, State};
use axum::response::Html;
use govwatch_model::Severity;
use govwatch_report::{RectItem, Rectification, RulesInfo, problems_of, since};
use govwatch_store::{
    Review, RunStatus, ScoreItemRow, ScoreRow, SiteScoreRef, SiteVisit, Store, StoredFinding,
};
use maud::{Markup, html};
use std::collections::HashMap;
use std::sync::Arc;

pub async fn handler(
    State(app): State<Arc<App>>,
    Path((run_id, site_id)): Path<(i64, String)>,
) -> Result<Html<String>, WebError> {
    let m = app
        .with_store(move |store, app| render(store, app, run_id, &site_id))
        .await?;
    Ok(Html(m.into_string()))
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Veto => 0,
        Severity::Deduct => 1,
        Severity::Warn => 2,
        Severity::Info => 3,
    }
}

/// What a finding cost: the score items that name it, in words.
pub(crate) fn cost(f: &StoredFinding, items: &[&ScoreItemRow], score: Option<&ScoreRow>) -> Markup {
    if !items.is_empty() {
        return html! {
            @for (i, it) in items.iter().enumerate() {
                @if i > 0 { "；" }
                (part_zh(&it.part)) "「" (it.name) "」"
                @if it.part == "veto" {
                    "：本站不合格"
                } @else {
                    "（本项 " (num(it.points)) " 分，依据 " (it.finding_ids.len() + it.fact_ids.len()) " 条）"
                }
            }
        };
    }
    let text = match f.finding.severity {
        Severity::Info => "提示，不计分",
        Severity::Warn => "警示，不计分",
        _ if score.is_some_and(|s| s.vetoed) => "本站已被单项否决，扣分项不再计算",
        _ => "未计分（不在评分规则中，或同一问题已在其他项计分）",
    };
    html! { (text) }
}

fn rect_list(title: &str, class: &str, items: &[&RectItem]) -> Markup {
    html! {
        h3 { span class=(class) { (title) } "（" (items.len()) "）" }
        @if !items.is_empty() {
            ul {
                @for i in items {
                    li {
                        a href={ "/findings/" (i.finding_id) } { "#" (i.finding_id) } " "
                        code { (i.code) } " " (i.message) " "
                        span.note { (url_link(&i.url)) }
                    }
                }
            }
        }
    }
}

/// A run of the site's history: its visit, with the verdict, score and deduction of its scoring
/// (`None`: not scored).
type HistoryRow<'a> = (&'a SiteVisit, Option<(&'a str, Option<f64>, f64)>);

fn render(store: &Store, app: &App, run_id: i64, site_id: &str) -> Result<Markup, WebError> {
    let run = run_or_404(store, run_id)?;
    let site = store
        .run_sites(run_id)?
        .into_iter()
        .find(|s| s.id == site_id)
        .ok_or_else(|| WebError::NotFound(format!("第 {run_id} 次检查没有检查网站 {site_id}。")))?;
    let scoring = app.scoring(store, run_id)?;
    let score = scoring.set.scores.iter().find(|s| s.site_id == site_id);
    let mut findings = store.findings(run_id, Some(site_id))?;
    let reviews = store.reviews(run_id)?;
    findings.sort_by_key(|f| (severity_rank(f.finding.severity), f.id));

    // history: every run that inspected the site, with its score under the configured rules
    // (else the newest scoring of that run)
    let visits = store.site_runs(site_id)?;
    let scores = store.site_scores(site_id)?;
    let history: Vec<HistoryRow> = visits
        .iter()
        .map(|v| {
            let current = (v.run_id == run_id)
                .then(|| score.map(|s| (s.verdict.as_str(), s.score, s.deducted)))
                .flatten();
            let other = score_of(&scores, &app.rules.hash, v.run_id)
                .map(|s| (s.verdict.as_str(), s.score, s.deducted));
            (v, current.or(other))
        })
        .collect();

    // 整改: against the newest earlier finished run that inspected the site
    let prev = visits
        .iter()
        .rev()
        .find(|v| v.run_id < run_id && v.status == RunStatus::Done)
        .map(|v| v.run_id);
    let rect: Option<Rectification> = match prev {
        Some(p) => Some(since::compare(store, p, run_id, &findings, &app.rules)?),
        None => None,
    };

    let title = format!("{}（{}）", site.name, site.id);
    let body = html! {
        p.breadcrumb {
            a href="/" { "检查批次" } " › " a href={ "/runs/" (run_id) } { "第 " (run_id) " 次" }
            " › " a href={ "/runs/" (run_id) "/sites" } { "网站列表" } " › " (site.name)
        }
        h1 { (site.name) " " span.note { (site.id) } }
        p.meta {
            "地区：" (site.region) "；主办单位：" (site.org) "；类型：" (kind_zh(&site.kind))
            "；首页：" (url_link(&site.home))
        }
        p.meta { "第 " (run_id) " 次检查，监测时间点 " (time(&run.as_of)) "。" }
        (verdict_section(app, score, scoring.stored))
        (items_section(app, score))
        (findings_section(&findings, &reviews, score))
        (history_section(run_id, &site.id, score.and_then(|s| s.score), &history))
        (rect_section(&run.as_of, &site.id, rect.as_ref()))
    };
    Ok(layout::page(&title, body))
}

/// The run's scoring of the site in `run`: the one under the configured rules (`hash`), else the
/// newest of that run.
fn score_of<'a>(scores: &'a [SiteScoreRef], hash: &str, run: i64) -> Option<&'a SiteScoreRef> {
    let mine: Vec<&SiteScoreRef> = scores.iter().filter(|s| s.run_id == run).collect();
    mine.iter()
        .find(|s| s.rules_hash == hash)
        .or(mine.first())
        .copied()
}

/// 检查结果: the verdict, score, main problems, and whether the scoring was stored.
fn verdict_section(app: &App, score: Option<&ScoreRow>, stored: bool) -> Markup {
    html! {
        h2 #verdict { "检查结果" }
        @match score {
            Some(s) => {
                p.verdict {
                    "检查结果：" (layout::verdict(&s.verdict)) "；得分：" strong { (layout::score(s.score)) }
                    "；扣分：" (num(s.deducted)) "；加分：" (num(s.bonus))
                    @if s.bonus_scored { "（进入加分环节）" }
                }
                @let p = problems_of(s);
                @if !p.is_empty() { p { "主要问题：" (p) } }
                @if !s.complete { p.note { "部分指标监测未满周期（见下方“说明”），相应指标未作判定。" } }
                @if !stored { p.note { "本批次尚未按当前规则（" (app.rules.version) "）评分，以上为即时计算结果。" } }
            }
            None => { p { "本网站在本批次未评分。" } }
        }
    }
}

/// 扣分明细: the score items with the points each rule took and what it rests on.
fn items_section(app: &App, score: Option<&ScoreRow>) -> Markup {
    let info = RulesInfo::from_rules(&app.rules);
    html! {
        h2 #items { "扣分明细" }
        @match score.filter(|s| !s.items.is_empty()) {
            Some(s) => {
                table.items {
                    thead { tr { th { "类别" } th { "指标" } th { "规则" } th.num { "分值" } th { "依据" } th { "说明" } } }
                    tbody {
                        @for it in &s.items {
                            tr {
                                td { (part_zh(&it.part)) }
                                td { (info.indicators.get(&it.indicator).map(String::as_str).unwrap_or(&it.indicator)) }
                                td { (it.name) }
                                td.num { (num(it.points)) }
                                td {
                                    @for id in &it.finding_ids { a href={ "#f-" (id) } { "#" (id) } " " }
                                    @for id in &it.fact_ids { span.note { "监测记录 #" (id) } " " }
                                }
                                td { (it.note) }
                            }
                        }
                    }
                }
            }
            None => { p { "没有扣分、加分或单项否决。" } }
        }
    }
}

/// 发现的问题及证据: every finding with its evidence, its review and what it cost.
fn findings_section(
    findings: &[StoredFinding],
    reviews: &HashMap<i64, Review>,
    score: Option<&ScoreRow>,
) -> Markup {
    let mut items_of: HashMap<i64, Vec<&ScoreItemRow>> = HashMap::new();
    if let Some(s) = score {
        for it in &s.items {
            for id in &it.finding_ids {
                items_of.entry(*id).or_default().push(it);
            }
        }
    }
    html! {
        h2 #findings { "发现的问题及证据（" (findings.len()) " 条）" }
        @for f in findings {
            @let x = &f.finding;
            div class={ "finding " (x.severity.as_str()) } id={ "f-" (f.id) } {
                p {
                    a href={ "/findings/" (f.id) } { b { "#" (f.id) } } " "
                    (layout::severity(x.severity.as_str())) " " code { (x.code) } " " (x.message)
                }
                p.meta {
                    "网址：" (x.url.as_deref().map(url_link).unwrap_or_else(|| html! { "—" }))
                    "；发现时间：" (time(&x.observed_at.to_rfc3339()))
                    @if let Some(st) = x.evidence.status { "；HTTP 状态：" (st) }
                }
                @if let Some(e) = &x.evidence.excerpt { pre.excerpt { (e) } }
                @if let Some(r) = reviews.get(&f.id) { p.review { "审核：" (r.describe()) } }
                p { "计分：" (cost(f, items_of.get(&f.id).map(Vec::as_slice).unwrap_or(&[]), score)) }
                p { a href={ "/findings/" (f.id) } { "证据、抓取记录与存档页面 →" } }
            }
        }
    }
}

/// 历次检查: the chart of the site's scores (this run's: `current`) and the table of every run
/// that inspected it.
fn history_section(
    run_id: i64,
    site_id: &str,
    current: Option<f64>,
    history: &[HistoryRow],
) -> Markup {
    let chart: Vec<(String, f64)> = history
        .iter()
        .filter_map(|(v, scored)| {
            let s = if v.run_id == run_id {
                current
            } else {
                scored.and_then(|s| s.1)
            };
            Some((format!("第{}次", v.run_id), s?))
        })
        .collect();
    html! {
        h2 #history { "历次检查" }
        @if chart.len() > 1 { div.charts { (layout::bar_chart("历次得分", &chart, "分")) } }
        table.history {
            thead { tr {
                th { "批次" } th { "监测时间点" } th { "检查结果" } th.num { "得分" } th.num { "扣分" }
                th.num { "单项否决" } th.num { "扣分问题" } th.num { "警示" } th.num { "提示" } th.num { "抓取页面" }
            } }
            tbody {
                @for (v, scored) in history.iter().rev() {
                    tr.sum[v.run_id == run_id] {
                        td { a href={ "/runs/" (v.run_id) "/sites/" (site_id) } { "第 " (v.run_id) " 次" } }
                        td { (time(&v.as_of)) }
                        @match scored {
                            Some((verdict, sc, ded)) => {
                                td { (layout::verdict(verdict)) }
                                td.num { (sc.map(num).unwrap_or_else(|| "—".into())) }
                                td.num { (num(*ded)) }
                            }
                            None => { td { "未评分" } td.num { "—" } td.num { "—" } }
                        }
                        td.num { (v.by_severity.veto) } td.num { (v.by_severity.deduct) }
                        td.num { (v.by_severity.warn) } td.num { (v.by_severity.info) }
                        td.num { (v.pages) }
                    }
                }
            }
        }
    }
}

/// 整改情况: the site's open, fixed and new findings against the previous run, the deadline.
fn rect_section(as_of: &str, site_id: &str, rect: Option<&Rectification>) -> Markup {
    let mine = |v: &[RectItem]| -> Vec<RectItem> {
        v.iter().filter(|i| i.site_id == site_id).cloned().collect()
    };
    html! {
        h2 #rectification { "整改情况" }
        @match rect {
            Some(r) => {
                @let (open, fixed, new) = (mine(&r.open), mine(&r.fixed), mine(&r.new));
                @let past = chrono::DateTime::parse_from_rfc3339(as_of).is_ok_and(|t| t.date_naive() > r.deadline);
                p {
                    "与第 " a href={ "/runs/" (r.since_run) "/sites/" (site_id) } { (r.since_run) } " 次检查相比；整改期限 "
                    strong { (r.deadline.to_string()) }
                    @if past { "，本次监测时" span.state-open { "已过期限" } } @else { "，本次监测时尚未到期" }
                    "。"
                }
                (rect_list("仍未整改", "state-open", &open.iter().collect::<Vec<_>>()))
                (rect_list("已整改", "state-fixed", &fixed.iter().collect::<Vec<_>>()))
                (rect_list("新发现", "state-new", &new.iter().collect::<Vec<_>>()))
                p.note { "整改期限：" (r.deadline_source) "。同一网站、同一问题代码、同一网址视为同一问题；“提示”类问题不计。" }
            }
            None => { p { "此前没有完成的检查包括本网站，暂无整改对比。" } }
        }
    }
}
