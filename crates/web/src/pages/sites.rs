//! `/runs/{run}/sites`: the sites of a run with their verdicts, filtered by region, kind, verdict,
//! indicator (a score item of that indicator) and finding code, sorted by score; `/sites` shows
//! the newest run's. The filters are a plain GET form (no script).

use super::{newest_run, run_or_404};
use crate::layout::{self, kind_zh, num};
use crate::{App, WebError};
use axum::extract::{Path, Query, State};
use axum::response::Html;
use govwatch_report::{RulesInfo, problems_of};
use govwatch_store::{ScoreRow, SiteRow, SiteSummary, Store};
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The filters and sort order of the list (empty values mean "all").
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filters {
    pub region: Option<String>,
    pub kind: Option<String>,
    pub verdict: Option<String>,
    pub indicator: Option<String>,
    pub code: Option<String>,
    /// `score` (high to low, the default), `score_asc` or `id`.
    pub sort: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn handler(
    State(app): State<Arc<App>>,
    Path(run_id): Path<i64>,
    Query(f): Query<Filters>,
) -> Result<Html<String>, WebError> {
    let m = app
        .with_store(move |store, app| render(store, app, run_id, &f))
        .await?;
    Ok(Html(m.into_string()))
}

/// `/sites`: the newest run's sites.
pub async fn latest_handler(
    State(app): State<Arc<App>>,
    Query(f): Query<Filters>,
) -> Result<Html<String>, WebError> {
    let m = app
        .with_store(move |store, app| match newest_run(store)? {
            Some(run) => render(store, app, run.id, &f),
            None => Ok(layout::page(
                "网站列表",
                html! { h1 { "网站列表" } p { "数据库中尚无检查批次。" } },
            )),
        })
        .await?;
    Ok(Html(m.into_string()))
}

/// Whether a site passes the filters.
fn keep(f: &Filters, site: &SiteRow, score: Option<&ScoreRow>, sum: Option<&SiteSummary>) -> bool {
    if given(&f.region).is_some_and(|r| r != site.region) {
        return false;
    }
    if given(&f.kind).is_some_and(|k| k != site.kind) {
        return false;
    }
    if let Some(v) = given(&f.verdict)
        && score.is_none_or(|s| s.verdict != v)
    {
        return false;
    }
    if let Some(ind) = given(&f.indicator)
        && !score.is_some_and(|s| {
            s.items
                .iter()
                .any(|i| i.indicator == ind && i.part != "note")
        })
    {
        return false;
    }
    if let Some(code) = given(&f.code)
        && !sum.is_some_and(|s| s.by_code.contains_key(code))
    {
        return false;
    }
    true
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[(String, String)]) -> Markup {
    html! {
        label {
            (label)
            select name=(name) {
                option value="" selected[current.is_none()] { "全部" }
                @for (value, text) in options {
                    option value=(value) selected[current == Some(value.as_str())] { (text) }
                }
            }
        }
    }
}

/// A site of the list: its row, its scoring and its findings' counts.
type Row<'a> = (&'a SiteRow, Option<&'a ScoreRow>, Option<&'a SiteSummary>);

fn render(store: &Store, app: &App, run_id: i64, f: &Filters) -> Result<Markup, WebError> {
    let run = run_or_404(store, run_id)?;
    let scoring = app.scoring(store, run_id)?;
    let sites = store.run_sites(run_id)?;
    let summaries: HashMap<String, SiteSummary> = store
        .run_summary(run_id)?
        .into_iter()
        .map(|s| (s.site_id.clone(), s))
        .collect();
    let scores: HashMap<&str, &ScoreRow> = scoring
        .set
        .scores
        .iter()
        .map(|s| (s.site_id.as_str(), s))
        .collect();

    let mut rows: Vec<Row> = sites
        .iter()
        .map(|s| (s, scores.get(s.id.as_str()).copied(), summaries.get(&s.id)))
        .filter(|(s, sc, sum)| keep(f, s, *sc, *sum))
        .collect();
    // a vetoed (or unscored) site has no score: it sorts below every score
    let key = |s: Option<&ScoreRow>| s.and_then(|x| x.score).unwrap_or(f64::NEG_INFINITY);
    let sort = given(&f.sort).unwrap_or("score");
    rows.sort_by(|a, b| match sort {
        "id" => a.0.id.cmp(&b.0.id),
        "score_asc" => key(a.1)
            .total_cmp(&key(b.1))
            .then_with(|| a.0.id.cmp(&b.0.id)),
        _ => key(b.1)
            .total_cmp(&key(a.1))
            .then_with(|| a.0.id.cmp(&b.0.id)),
    });

    let title = format!("网站列表 · 第 {run_id} 次检查");
    let body = html! {
        p.breadcrumb { a href="/" { "检查批次" } " › " a href={ "/runs/" (run_id) } { "第 " (run_id) " 次" } " › 网站列表" }
        h1 { "网站列表" }
        p.meta {
            "第 " (run_id) " 次检查，监测时间点 " (layout::time(&run.as_of)) "；共 " (sites.len())
            " 个网站，筛选后 " strong #shown { (rows.len()) } " 个。"
            @if !scoring.stored { " 本批次尚未按当前规则评分，结果为即时计算。" }
        }
        (filter_form(app, run_id, f, &sites, &summaries))
        (sites_table(run_id, &rows))
        @if rows.is_empty() { p { "没有符合条件的网站。" } }
    };
    Ok(layout::page(&title, body))
}

/// The filters' form (a plain GET form): region, kind, verdict, indicator, finding code, sort.
fn filter_form(
    app: &App,
    run_id: i64,
    f: &Filters,
    sites: &[SiteRow],
    summaries: &HashMap<String, SiteSummary>,
) -> Markup {
    let info = RulesInfo::from_rules(&app.rules);
    let sort = given(&f.sort).unwrap_or("score");
    let regions: BTreeSet<&str> = sites.iter().map(|s| s.region.as_str()).collect();
    let mut codes: BTreeMap<&str, u64> = BTreeMap::new();
    for s in summaries.values() {
        for (c, n) in &s.by_code {
            *codes.entry(c.as_str()).or_insert(0) += n;
        }
    }
    let region_opts: Vec<(String, String)> = regions
        .iter()
        .map(|r| {
            (
                r.to_string(),
                if r.is_empty() {
                    "（未填地区）".into()
                } else {
                    r.to_string()
                },
            )
        })
        .collect();
    let kind_opts = vec![
        ("portal".to_string(), "门户网站".to_string()),
        ("department".to_string(), "部门网站".to_string()),
    ];
    let verdict_opts = vec![
        ("pass".to_string(), "合格".to_string()),
        ("fail".to_string(), "不合格".to_string()),
    ];
    let indicator_opts: Vec<(String, String)> = info
        .indicators
        .iter()
        .map(|(id, name)| (id.clone(), format!("{name}（{id}）")))
        .collect();
    let code_opts: Vec<(String, String)> = codes
        .iter()
        .map(|(c, n)| (c.to_string(), format!("{c}（{n} 条）")))
        .collect();
    let sort_opts = [
        ("score", "得分从高到低"),
        ("score_asc", "得分从低到高"),
        ("id", "网站标识码"),
    ];
    html! {
    form.filters method="get" action={ "/runs/" (run_id) "/sites" } {
        (select("region", "地区", given(&f.region), &region_opts))
        (select("kind", "类型", given(&f.kind), &kind_opts))
        (select("verdict", "检查结果", given(&f.verdict), &verdict_opts))
        (select("indicator", "指标", given(&f.indicator), &indicator_opts))
        (select("code", "问题代码", given(&f.code), &code_opts))
        label {
            "排序"
            select name="sort" {
                @for (v, t) in sort_opts {
                    option value=(v) selected[sort == v] { (t) }
                }
            }
        }
        button type="submit" { "筛选" }
        a href={ "/runs/" (run_id) "/sites" } { "清除条件" }
    }
    }
}

/// The table of the sites kept, in their order.
fn sites_table(run_id: i64, rows: &[Row]) -> Markup {
    html! {
    table.sites {
        thead { tr {
            th.num { "序号" } th { "网站名称" } th { "网站标识码" } th { "地区" } th { "类型" }
            th { "检查结果" } th.num { "得分" } th.num { "扣分" } th.num { "加分" }
            th.num { "问题（否决/扣分）" } th { "主要问题" }
        } }
        tbody {
            @for (i, (site, score, sum)) in rows.iter().enumerate() {
                tr {
                    td.num { (i + 1) }
                    td { a href={ "/runs/" (run_id) "/sites/" (site.id) } { (site.name) } }
                    td { (site.id) }
                    td.nowrap { (site.region) }
                    td.nowrap { (kind_zh(&site.kind)) }
                    @match score {
                        Some(s) => {
                            td.nowrap { (layout::verdict(&s.verdict)) @if !s.complete { br; span.note { "监测未满周期" } } }
                            td.num { (s.score.map(num).unwrap_or_else(|| "—".into())) }
                            td.num { (num(s.deducted)) }
                            td.num { (num(s.bonus)) }
                        }
                        None => { td { "未评分" } td.num { "—" } td.num { "—" } td.num { "—" } }
                    }
                    td.num { (sum.map(|s| s.by_severity.veto + s.by_severity.deduct).unwrap_or(0)) }
                    td { (score.map(problems_of).unwrap_or_default()) }
                }
            }
        }
    }
    }
}
