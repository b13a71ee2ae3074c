//! `govwatch report`: the quarterly report of a scored run in the chosen formats beside its WARC
//! ([`write_report`], shared with the demo; each format by [`govwatch_report::write`]), titled by
//! [`run_title`] or the quarter's name.

use super::{EXIT_CLEAN, newest_run};
use crate::cli::ReportArgs;
use anyhow::{Context, Result, anyhow};
use govwatch_report::Format;
use govwatch_store::Store;
use std::path::PathBuf;

/// The title of run `run_id` ([`govwatch_report::run_title`]), or an error when there is no such
/// run.
pub(crate) fn run_title(store: &Store, run_id: i64) -> Result<String> {
    let run = store
        .run(run_id)?
        .ok_or_else(|| anyhow!("没有第 {run_id} 次检查"))?;
    Ok(govwatch_report::run_title(run_id, &run.as_of))
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
    let formats = formats
        .iter()
        .map(|f| {
            Format::parse(f)
                .ok_or_else(|| anyhow!("--format {f:?}：应为 md、html、csv、xlsx 或 json"))
        })
        .collect::<Result<Vec<Format>>>()?;
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
        written.extend(govwatch_report::write(f, &d, out)?);
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
