//! `govwatch report`: the quarterly report of a scored run in the chosen formats beside its WARC
//! ([`write_report`], shared with the demo), titled by [`run_title`] or the quarter's name.

use super::{EXIT_CLEAN, newest_run};
use crate::cli::ReportArgs;
use anyhow::{Context, Result, anyhow};
use govwatch_store::Store;
use std::path::PathBuf;

pub(crate) fn run_title(store: &Store, run_id: i64) -> Result<String> {
    let run = store
        .run(run_id)?
        .ok_or_else(|| anyhow!("没有第 {run_id} 次检查"))?;
    let day = run
        .as_of_time()
        .map(|t| t.format("%Y年%-m月%-d日").to_string())
        .unwrap_or_default();
    Ok(format!("第 {run_id} 次检查，监测时间点 {day}"))
}

/// Scores the run if it has no scoring under these rules, writes the WARC and the formats.
pub(crate) fn write_report(
    store: &mut Store,
    run_id: i64,
    rules: &govwatch_score::Rules,
    title: String,
    since: Option<i64>,
    formats: &[String],
    out: &std::path::Path,
) -> Result<Vec<PathBuf>> {
    for f in formats {
        if !["md", "html", "csv", "xlsx", "json"].contains(&f.as_str()) {
            return Err(anyhow!("--format {f:?}：应为 md、html、csv、xlsx 或 json"));
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("无法建立文件夹 {}", out.display()))?;
    if govwatch_score::needs_scoring(store, run_id, rules)? {
        let set = govwatch_score::score_run(store, run_id, rules)?;
        store.write_scores(&set)?;
        eprintln!("第 {run_id} 次检查已按评分规则 {} 评分", rules.version);
    }
    let (warc, _) = govwatch_report::warc::write_run_warc(store, run_id, out)?;
    let mut written = vec![warc];
    let d = govwatch_report::ReportData::load(store, run_id, rules, title, since)?;
    for f in formats {
        match f.as_str() {
            "md" => written.push(govwatch_report::write_file(
                out,
                "report.md",
                &govwatch_report::render_md(&d),
            )?),
            "html" => written.push(govwatch_report::write_file(
                out,
                "report.html",
                &govwatch_report::html::render_html(&d),
            )?),
            "json" => written.push(govwatch_report::write_file(
                out,
                "report.json",
                &serde_json::to_string_pretty(&govwatch_report::render_json(&d))?,
            )?),
            "csv" => written.extend(govwatch_report::write_csv(&d, out)?),
            "xlsx" => {
                let p = out.join("report.xlsx");
                govwatch_report::xlsx::write_xlsx(&d, &p)?;
                written.push(p);
            }
            _ => unreachable!("checked above"),
        }
    }
    Ok(written)
}

/// Runs `govwatch report`.
pub(crate) fn cmd_report(a: ReportArgs) -> Result<u8> {
    let db = super::existing_db(&a.db)?;
    let rules = super::score_rules(&a.config)?;
    let mut store =
        Store::open(db).with_context(|| format!("无法打开数据库 {}", a.db.display()))?;
    let (run_id, title) = match (a.run, a.quarter.as_deref()) {
        (Some(id), _) => (id, run_title(&store, id)?),
        (None, Some(q)) => {
            let govwatch_model::time::Quarter { from, until, name } =
                govwatch_model::time::quarter_bounds(q)?;
            let id = newest_run(&store, |r| {
                r.as_of_time().is_some_and(|t| t >= from && t < until)
            })
            .with_context(|| format!("没有监测时间点在 {q} 内的已完成检查"))?;
            (id, name)
        }
        (None, None) => {
            let id = newest_run(&store, |_| true)?;
            (id, run_title(&store, id)?)
        }
    };
    let written = write_report(
        &mut store, run_id, &rules, title, a.since, &a.format, &a.out,
    )?;
    for p in written {
        outln!("{}", p.display());
    }
    Ok(EXIT_CLEAN)
}
