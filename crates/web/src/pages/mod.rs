//! The pages of the web view, one module each:
//!
//! - [`runs`] `/`: every run — monitoring time, sites, 合格率 overall, by region and by kind, a
//!   chart of the pass rate per run.
//! - [`run`] `/runs/{run}`: one run — the report's summary paragraph, charts and tables by region
//!   and kind, the failed sites, 整改 against the previous run, the report downloads.
//! - [`sites`] `/runs/{run}/sites` (and `/sites` for the newest run): the sites of a run, filtered
//!   by region, kind, verdict, indicator and finding code, sorted by score.
//! - [`site`] `/runs/{run}/sites/{site}`: one site — verdict, score items with the findings each
//!   cost, the findings with evidence, its history across runs, 整改 (open, fixed, new, deadline).
//! - [`finding`] `/findings/{id}`: one finding — evidence, fetch records, the archived page.
//! - [`accounts`] `/runs/{run}/accounts`: the run's new-media accounts, verdicts and findings.

pub mod accounts;
pub mod finding;
pub mod run;
pub mod runs;
pub mod site;
pub mod sites;

use crate::{App, WebError};
use govwatch_report::ReportData;
use govwatch_store::{RunRow, RunStatus, Store};

/// The run the view opens on: the newest finished run, else the newest run.
pub(crate) fn newest_run(store: &Store) -> Result<Option<RunRow>, crate::WebError> {
    let runs = store.runs()?;
    Ok(runs
        .iter()
        .rev()
        .find(|r| r.status == RunStatus::Done)
        .or(runs.last())
        .cloned())
}

/// The newest finished run before `run_id`: what 整改 is tracked against.
pub(crate) fn previous_run(store: &Store, run_id: i64) -> Result<Option<RunRow>, crate::WebError> {
    Ok(store
        .runs()?
        .into_iter()
        .rev()
        .find(|r| r.id < run_id && r.status == RunStatus::Done))
}

/// A run by id, or the page's 404.
pub(crate) fn run_or_404(store: &Store, run_id: i64) -> Result<RunRow, crate::WebError> {
    store
        .run(run_id)?
        .ok_or_else(|| crate::WebError::NotFound(format!("没有第 {run_id} 次检查。")))
}

/// The run's report data under the configured rules, compared with the previous finished run;
/// and whether its scoring was read from the database.
pub(crate) fn report_data(
    store: &Store,
    app: &App,
    run_id: i64,
) -> Result<(ReportData, bool), WebError> {
    let run = run_or_404(store, run_id)?;
    let scoring = app.scoring(store, run_id)?;
    let since = previous_run(store, run_id)?.map(|r| r.id);
    let title = govwatch_report::run_title(run_id, &run.as_of);
    let d = ReportData::with_scores(store, run_id, &app.rules, scoring.set, title, since)?;
    Ok((d, scoring.stored))
}
