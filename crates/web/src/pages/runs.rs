//! `/`: every run, newest first, with its pass rate overall, by region and by kind (from its
//! scoring under the configured rules, else its newest scoring), and a chart of the pass rate.

use crate::layout::{self, kind_zh, pct, time};
use crate::{App, WebError};
use axum::extract::State;
use axum::response::Html;
use govwatch_store::{PassCount, RunTally, ScoringTally, Store};
use maud::{Markup, html};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Runs shown in the pass-rate chart (the newest ones).
const CHART_RUNS: usize = 30;

pub async fn handler(State(app): State<Arc<App>>) -> Result<Html<String>, WebError> {
    let m = app.with_store(render).await?;
    Ok(Html(m.into_string()))
}

/// Passes of a group.
#[derive(Default)]
struct Tally {
    sites: u64,
    passed: u64,
}

fn groups(counts: &[PassCount], key: impl Fn(&PassCount) -> String) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for c in counts {
        let t = out.entry(key(c)).or_default();
        t.sites += c.sites;
        t.passed += c.passed;
    }
    out
}

fn group_lines(g: &BTreeMap<String, Tally>) -> Markup {
    html! {
        @for (i, (name, t)) in g.iter().enumerate() {
            @if i > 0 { br; }
            (name) " " (pct(t.passed, t.sites)) "（" (t.passed) "/" (t.sites) "）"
        }
    }
}

fn render(store: &Store, app: &App) -> Result<Markup, WebError> {
    let runs = store.runs()?;
    let tallies: HashMap<i64, RunTally> = store
        .run_tallies()?
        .into_iter()
        .map(|t| (t.run_id, t))
        .collect();
    let mut scorings: HashMap<i64, Vec<ScoringTally>> = HashMap::new();
    for s in store.scoring_tallies()? {
        scorings.entry(s.run_id).or_default().push(s);
    }
    let mut chart = Vec::new();
    let mut rows = Vec::new();
    for run in runs.iter().rev() {
        let t = tallies.get(&run.id).copied().unwrap_or_default();
        // the scoring under the configured rules, else the newest one
        let scoring = scorings.get(&run.id).and_then(|v| {
            v.iter()
                .find(|s| s.rules_hash == app.rules.hash)
                .or(v.first())
        });
        let counts = match scoring {
            Some(s) => store.pass_counts(run.id, &s.rules_hash)?,
            None => Vec::new(),
        };
        if let Some(s) = scoring
            && chart.len() < CHART_RUNS
            && s.sites > 0
        {
            let day = time(&run.as_of);
            chart.push((
                format!("第{}次 {}", run.id, day.get(5..10).unwrap_or(&day)),
                (s.passed as f64 * 10000.0 / s.sites as f64).round() / 100.0,
            ));
        }
        rows.push((run, t, scoring, counts));
    }
    chart.reverse();
    let body = html! {
        h1 { "检查批次" }
        @if runs.is_empty() {
            p { "数据库中尚无检查批次。运行 " code { "govwatch run" } " 或 " code { "govwatch demo" } " 后再来。" }
        } @else {
            p.meta { "共 " (runs.len()) " 次检查；评分规则 " (app.rules.version) "。时间均为北京时间。" }
            @if !chart.is_empty() {
                div.charts { (layout::bar_chart("各批次合格率", &chart, "%")) }
            }
            table.runs {
                thead { tr {
                    th { "批次" } th { "监测时间点" } th { "状态" } th.num { "检查网站数" }
                    th.num { "合格" } th.num { "不合格" } th.num { "合格率" } th { "按地区" }
                    th { "按类型" } th.num { "发现记录" } th { "评分规则" }
                } }
                tbody {
                    @for (run, t, scoring, counts) in &rows {
                        tr {
                            td { a href={ "/runs/" (run.id) } { "第 " (run.id) " 次" } }
                            td { (time(&run.as_of)) }
                            td { (layout::status_zh(run.status)) }
                            td.num { a href={ "/runs/" (run.id) "/sites" } { (t.sites) } }
                            @match scoring {
                                Some(s) => {
                                    td.num { (s.passed) }
                                    td.num { (s.sites - s.passed) }
                                    td.num { (pct(s.passed, s.sites)) }
                                    td { (group_lines(&groups(counts, |c| if c.region.is_empty() { "（未填地区）".into() } else { c.region.clone() }))) }
                                    td { (group_lines(&groups(counts, |c| kind_zh(&c.kind).to_string()))) }
                                    td.num { (t.findings) }
                                    td { (s.rules_version) @if s.rules_hash != app.rules.hash { " " span.note { "（非当前规则）" } } }
                                }
                                None => {
                                    td.num { "—" } td.num { "—" } td.num { "—" } td { "—" } td { "—" }
                                    td.num { (t.findings) }
                                    td.note { "未评分（打开批次页面时按当前规则即时计算）" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page("检查批次", body))
}
