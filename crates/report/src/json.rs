//! The report as JSON (`report.json`): the same tables and summary as the other formats.

use crate::{ReportData, annexes, summary};
use govwatch_store::ArchiveRecord;
use std::collections::BTreeMap;

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
        "wording": crate::wording::wording_table(d),
        "reviews": d.reviews,
        "rectification": d.since,
    })
}
