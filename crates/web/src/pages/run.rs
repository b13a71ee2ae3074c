//! `/runs/{run}`: one run as the quarterly report shows it — the summary paragraph, charts and
//! tables by region and kind, the failed sites, 整改 against the previous run, the downloads.
//! Everything is computed by `govwatch-report` from the run's scoring ([`crate::App::scoring`]).

use super::report_data;
use crate::layout::{self, kind_zh, num, time, url_link};
use crate::{App, WebError, downloads};
use axum::extract::{Path, State};
use axum::response::Html;
use govwatch_report::{Cell, RectItem, ReportData, Table, annexes, problems_of, summary};
use govwatch_score::Figures;
use govwatch_store::Store;
use maud::{Markup, html};
use std::sync::Arc;

pub async fn handler(
    State(app): State<Arc<App>>,
    Path(run_id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let m = app
        .with_store(move |store, app| render(store, app, run_id))
        .await?;
    Ok(Html(m.into_string()))
}

/// An annex table as the report lays it out.
pub(crate) fn annex_table(t: &Table) -> Markup {
    html! {
        table.annex {
            thead { tr { @for h in &t.headers { th { (h) } } } }
            tbody {
                @for (i, row) in t.rows.iter().enumerate() {
                    tr.sum[i + 1 == t.rows.len() && row.get(1).is_some_and(|c| c.text() == "合计")] {
                        @for c in row {
                            @match c {
                                // short Chinese text (a region, a name) kept on one line
                                Cell::Text(s) if s.chars().count() <= 12 => td.nw { (s) },
                                Cell::Text(s) => td { (s) },
                                _ => td.num { (c.text()) },
                            }
                        }
                    }
                }
            }
        }
        @if let Some(n) = &t.note { p.note { (n) } }
    }
}

/// Rows shown per 整改 state on the run page (the CSV download has them all).
const RECT_ROWS: usize = 200;

fn rect_rows(run_id: i64, since_run: i64, state: &str, class: &str, items: &[RectItem]) -> Markup {
    html! {
        @for i in items.iter().take(RECT_ROWS) {
            tr {
                td class=(class) { (state) }
                td { a href={ "/runs/" (if class == "state-fixed" { since_run } else { run_id }) "/sites/" (i.site_id) } { (i.site_name) } br; span.note { (i.site_id) } }
                td { code { (i.code) } }
                td.url { (url_link(&i.url)) }
                td { (i.message) }
                td { a href={ "/findings/" (i.finding_id) } { "#" (i.finding_id) } }
            }
        }
    }
}

fn render(store: &Store, app: &App, run_id: i64) -> Result<Markup, WebError> {
    let (d, stored) = report_data(store, app, run_id)?;
    let f = &d.figures;
    let tables = annexes(&d);
    let title = format!("第 {run_id} 次检查");
    let body = html! {
        p.breadcrumb { a href="/" { "检查批次" } " › 第 " (run_id) " 次" }
        h1 { (title) }
        p.meta {
            "监测时间点 " strong { (time(&d.run.as_of)) } "；开始 " (time(&d.run.started_at))
            "；结束 " (d.run.ended_at.as_deref().map(time).unwrap_or_else(|| "—".into()))
            "；状态 " (layout::status_zh(d.run.status))
            "；评分规则 " (d.rules.version)
            @if stored { "（评分时间 " (time(&d.scores.scored_at)) "）" }
            @else { "（本批次尚未按此规则评分，以下为即时计算结果，未写入数据库）" }
            "。"
        }
        p #summary { (summary(&d)) }
        p {
            "检查网站 " strong.count { (f.overall.sites) } " 个，合格 " (f.overall.passed)
            " 个，不合格 " (f.overall.failed) " 个，合格率 "
            strong { (f.overall.pass_rate.map(|x| format!("{}%", num(x))).unwrap_or_else(|| "—".into())) }
            "。 " a href={ "/runs/" (run_id) "/sites" } { "查看全部网站 →" }
        }
        @if !d.media.accounts.is_empty() {
            p { "政务新媒体账号 " (d.media.figures.accounts) " 个。 " a href={ "/runs/" (run_id) "/accounts" } { "查看账号与问题 →" } }
        }
        (charts(f))
        h2 #by-region { "按地区（" (tables[0].key) " " (tables[0].title) "）" }
        (annex_table(&tables[0]))
        (by_kind(run_id, f))
        (failed_sites(run_id, &d))
        @if let Some(t) = tables.iter().find(|t| t.key == "附件4") {
            h2 #accounts { "政务新媒体账号（" (t.key) " " (t.title) "）" }
            (annex_table(t))
        }
        (rectification(run_id, &d))
        h2 #downloads { "下载报告文件" }
        ul.downloads {
            @for (name, label) in downloads::files(run_id, d.since.is_some()) {
                li { a href={ "/runs/" (run_id) "/files/" (name) } { (label) } " " span.note { "(" (name) ")" } }
            }
        }
        p.note { "报告文件在下载时按当前评分规则生成；WARC 存档为本批次抓取的全部页面（WARC/1.1，每条记录单独 gzip 压缩）。" }
    };
    Ok(layout::page(&title, body))
}

/// The charts of the run: pass rate by region and kind, mean score and problems by region.
fn charts(f: &Figures) -> Markup {
    let region_name = |n: &str| {
        if n.is_empty() {
            "（未填地区）".to_string()
        } else {
            n.to_string()
        }
    };
    let by_region_rate: Vec<(String, f64)> = f
        .by_region
        .iter()
        .map(|g| (region_name(&g.name), g.pass_rate.unwrap_or(0.0)))
        .collect();
    let by_region_score: Vec<(String, f64)> = f
        .by_region
        .iter()
        .map(|g| (region_name(&g.name), g.mean_score.unwrap_or(0.0)))
        .collect();
    let by_region_problems: Vec<(String, f64)> = f
        .by_region
        .iter()
        .map(|g| (region_name(&g.name), g.problems as f64))
        .collect();
    let by_kind_rate: Vec<(String, f64)> = f
        .by_kind
        .iter()
        .map(|g| (g.name.clone(), g.pass_rate.unwrap_or(0.0)))
        .collect();
    html! {
    div.charts {
        (layout::bar_chart("各地区合格率", &by_region_rate, "%"))
        (layout::bar_chart("各类型合格率", &by_kind_rate, "%"))
        (layout::bar_chart("各地区平均得分", &by_region_score, "分"))
        (layout::bar_chart("各地区问题数", &by_region_problems, "个"))
    }
    }
}

/// 按类型: the sites, verdicts, pass rate and mean score of each kind.
fn by_kind(run_id: i64, f: &Figures) -> Markup {
    html! {
    h2 #by-kind { "按类型" }
    table {
        thead { tr { th { "类型" } th.num { "检查网站数" } th.num { "合格数" } th.num { "不合格数" } th.num { "合格率" } th.num { "平均得分" } } }
        tbody {
            @for g in &f.by_kind {
                tr {
                    td { a href={ "/runs/" (run_id) "/sites?kind=" (if g.name == kind_zh("portal") { "portal" } else { "department" }) } { (g.name) } }
                    td.num { (g.sites) } td.num { (g.passed) } td.num { (g.failed) }
                    td.num { (g.pass_rate.map(|x| format!("{}%", num(x))).unwrap_or_else(|| "—".into())) }
                    td.num { (g.mean_score.map(num).unwrap_or_else(|| "—".into())) }
                }
            }
        }
    }
    }
}

/// 不合格网站: the failed sites with their main problems.
fn failed_sites(run_id: i64, d: &ReportData) -> Markup {
    let failed: Vec<_> = d
        .scores
        .scores
        .iter()
        .filter(|s| s.verdict != govwatch_score::PASS)
        .filter_map(|s| d.site(&s.site_id).map(|site| (site, s)))
        .collect();
    html! {
    h2 #failed { "不合格网站（" (failed.len()) " 个）" }
    @if failed.is_empty() {
        p { "本次没有不合格网站。" }
    } @else {
        table {
            thead { tr { th { "网站名称" } th { "网站标识码" } th { "地区" } th { "类型" } th { "主要问题" } } }
            tbody {
                @for (site, s) in &failed {
                    tr {
                        td { a href={ "/runs/" (run_id) "/sites/" (site.id) } { (site.name) } }
                        td { (site.id) } td { (site.region) } td { (kind_zh(&site.kind)) }
                        td { (problems_of(s)) }
                    }
                }
            }
        }
    }
    }
}

/// 整改情况: fixed, open and new findings against the previous run, the deadline.
fn rectification(run_id: i64, d: &ReportData) -> Markup {
    html! {
    h2 #rectification { "整改情况" }
    @match &d.since {
        Some(r) => {
            p {
                "与第 " a href={ "/runs/" (r.since_run) } { (r.since_run) } " 次检查相比：已整改 "
                strong.state-fixed { (r.fixed.len()) } " 个，仍未整改 " strong.state-open { (r.open.len()) }
                " 个，新发现 " strong.state-new { (r.new.len()) } " 个；整改期限 " strong { (r.deadline.to_string()) }
                @if chrono::DateTime::parse_from_rfc3339(&d.run.as_of).is_ok_and(|t| t.date_naive() > r.deadline) { "（本次监测时已过期限）" }
                "。"
            }
            p.note { "整改期限：" (r.deadline_source) }
            @if !r.not_compared.is_empty() {
                p.note { "本次未检查、未作比较的网站：" (r.not_compared.join("、")) }
            }
            @if r.fixed.len() + r.open.len() + r.new.len() > 0 {
                table {
                    thead { tr { th { "整改状态" } th { "网站" } th { "问题代码" } th { "网址" } th { "问题" } th { "记录" } } }
                    tbody {
                        (rect_rows(run_id, r.since_run, "仍未整改", "state-open", &r.open))
                        (rect_rows(run_id, r.since_run, "新发现", "state-new", &r.new))
                        (rect_rows(run_id, r.since_run, "已整改", "state-fixed", &r.fixed))
                    }
                }
                @if [r.open.len(), r.new.len(), r.fixed.len()].iter().any(|n| *n > RECT_ROWS) {
                    p.note { "每种状态最多列出 " (RECT_ROWS) " 条；完整清单见下载的 整改情况.csv。" }
                }
            }
        }
        None => { p { "这是第一次完成的检查，没有可比较的上一批次。" } }
    }
    }
}
