//! Quarterly reports of a scored run, laid out as the provincial notice lays them out.
//!
//! - [`ReportData::load`] gathers a run, its scoring, findings, facts, archive records and
//!   (optionally) the comparison with an earlier run ([`since`]).
//! - `tables`: [`annexes`] builds the five annex tables in Chinese (附件1–5) and [`summary`] the
//!   summary paragraph, of the [`Table`]s and [`Cell`]s of `cell`.
//! - One module per format, named after it: [`md`], [`html`] (one self-contained file), [`csv`],
//!   [`xlsx`], [`json`]; [`Format`] names them and [`write`] / [`render`] make a format's files —
//!   the one way `govwatch report`, the demo and the web downloads choose a format.
//! - [`warc`] writes a run's fetched pages as a WARC/1.1 file, one gzip member per record.
//! - [`media`]: the new-media accounts — annex 4 and their summary sentence.
//! - [`run_title`]: a run's title, as the CLI and the web view name it.
//!
//! Every string that comes from a site (names, titles, URLs, excerpts) is escaped in HTML.

mod cell;
pub mod csv;
mod format;
pub mod html;
pub mod json;
pub mod md;
pub mod media;
pub mod since;
mod tables;
pub mod warc;
pub mod wording;
pub mod xlsx;

use govwatch_score::{Figures, Rules, figures};
use govwatch_store::{
    ArchiveRecord, PageRow, RunRow, ScoreRow, ScoreSet, SiteRow, Store, StoredFact, StoredFinding,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub(crate) use cell::t;
pub use cell::{Cell, Table, fmt_num};
pub use format::{Format, ReportFile, render, write};
pub use since::{RectItem, Rectification};
pub use tables::*;

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
    #[error("writing report.xlsx: {message}")]
    Xlsx { message: String },
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
    /// Inspectors' reviews of the run's findings, by finding id.
    pub reviews: HashMap<i64, govwatch_store::Review>,
    /// The sites' findings an inspector dismissed: kept out of `findings` (and every count),
    /// listed apart.
    pub dismissed: Vec<StoredFinding>,
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
        let reviews = store.reviews(run_id)?;
        let dismissed_id = |id: &i64| {
            reviews
                .get(id)
                .is_some_and(|r| r.state == govwatch_store::ReviewState::Dismissed)
        };
        let (dismissed, findings): (Vec<StoredFinding>, Vec<StoredFinding>) = store
            .findings(run_id, None)?
            .into_iter()
            .partition(|f| dismissed_id(&f.id));
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
        let mut media = media::MediaReport::load(store, run_id, rules)?;
        media.findings.retain(|f| !dismissed_id(&f.stored.id));
        Ok(ReportData {
            media,
            reviews,
            dismissed,
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

/// A run's title as the CLI's report and the web view name it: `第 12 次检查，监测时间点
/// 2026年11月28日`, the day in China time (+08:00) whatever zone the time was stored in.
pub fn run_title(run_id: i64, as_of: &str) -> String {
    let day = chrono::DateTime::parse_from_rfc3339(as_of)
        .map(|t| {
            let cst = govwatch_model::time::CHINA_TZ;
            t.with_timezone(&cst).format("%Y年%-m月%-d日").to_string()
        })
        .unwrap_or_default();
    format!("第 {run_id} 次检查，监测时间点 {day}")
}
