//! 整改 tracking: the findings of an earlier run compared with this run's, site by site.
//!
//! A finding is the same problem in both runs when site, code and URL agree. Only sites inspected
//! by both runs are compared (a site the later run did not reach is not "fixed"). `info` findings
//! cost nothing and are left out. The rectification deadline is the earlier run's monitoring date
//! plus `[rectification] days` of `config/indicators.toml`.

use crate::{Cell, ReportError, Table};
use chrono::NaiveDate;
use govwatch_model::Severity;
use govwatch_score::Rules;
use govwatch_store::{Store, StoredFinding};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One problem in the rectification list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RectItem {
    pub site_id: String,
    pub site_name: String,
    pub code: String,
    pub url: String,
    pub message: String,
    /// The finding's id in the later run (open, new) or in the earlier run (fixed).
    pub finding_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rectification {
    pub since_run: i64,
    pub run: i64,
    pub deadline: NaiveDate,
    pub deadline_source: String,
    /// In the earlier run, gone now.
    pub fixed: Vec<RectItem>,
    /// In both.
    pub open: Vec<RectItem>,
    /// Only now.
    pub new: Vec<RectItem>,
    /// Sites of the earlier run the later run did not inspect (not compared).
    pub not_compared: Vec<String>,
}

type Key = (String, String, String);

fn key(f: &StoredFinding) -> Key {
    (
        f.site_id.clone(),
        f.finding.code.clone(),
        f.finding.url.clone().unwrap_or_default(),
    )
}

/// Compares run `prev` with run `cur` (whose findings are given).
pub fn compare(
    store: &Store,
    prev: i64,
    cur: i64,
    cur_findings: &[StoredFinding],
    rules: &Rules,
) -> Result<Rectification, ReportError> {
    let prev_run = store
        .run(prev)?
        .ok_or_else(|| ReportError::Other(format!("--since {prev}: no such run")))?;
    if prev >= cur {
        return Err(ReportError::Other(format!(
            "--since {prev}: the earlier run must come before run {cur}"
        )));
    }
    let start = chrono::DateTime::parse_from_rfc3339(&prev_run.as_of)
        .map_err(|e| ReportError::Other(format!("run {prev}: as_of {:?}: {e}", prev_run.as_of)))?
        .date_naive();
    let deadline = start + chrono::Duration::days(i64::from(rules.rectification.days));
    let prev_sites: BTreeMap<String, String> = store
        .run_sites(prev)?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let cur_sites: BTreeMap<String, String> = store
        .run_sites(cur)?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let costly = |f: &&StoredFinding| f.finding.severity != Severity::Info;
    let prev_findings = store.findings(prev, None)?;
    let before: BTreeMap<Key, &StoredFinding> = prev_findings
        .iter()
        .filter(costly)
        .filter(|f| cur_sites.contains_key(&f.site_id))
        .map(|f| (key(f), f))
        .collect();
    let now: BTreeMap<Key, &StoredFinding> = cur_findings
        .iter()
        .filter(costly)
        .map(|f| (key(f), f))
        .collect();
    let item = |f: &StoredFinding, names: &BTreeMap<String, String>| RectItem {
        site_id: f.site_id.clone(),
        site_name: names.get(&f.site_id).cloned().unwrap_or_default(),
        code: f.finding.code.clone(),
        url: f.finding.url.clone().unwrap_or_default(),
        message: f.finding.message.clone(),
        finding_id: f.id,
    };
    let mut r = Rectification {
        since_run: prev,
        run: cur,
        deadline,
        deadline_source: rules.rectification.source.clone(),
        fixed: Vec::new(),
        open: Vec::new(),
        new: Vec::new(),
        not_compared: prev_sites
            .keys()
            .filter(|s| !cur_sites.contains_key(*s))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    for (k, f) in &before {
        if now.contains_key(k) {
            continue;
        }
        r.fixed.push(item(f, &prev_sites));
    }
    for (k, f) in &now {
        if before.contains_key(k) {
            r.open.push(item(f, &cur_sites));
        } else {
            // new, also on a site the earlier run did not inspect
            r.new.push(item(f, &cur_sites));
        }
    }
    Ok(r)
}

/// The rectification list as a table (CSV, XLSX).
pub fn table(r: &Rectification) -> Table {
    let mut rows = Vec::new();
    let mut n = 0;
    for (state, items) in [
        ("已整改", &r.fixed),
        ("仍未整改", &r.open),
        ("新发现", &r.new),
    ] {
        for i in items {
            n += 1;
            rows.push(vec![
                Cell::Int(n),
                Cell::Text(i.site_name.clone()),
                Cell::Text(i.site_id.clone()),
                Cell::Text(i.code.clone()),
                Cell::Text(i.url.clone()),
                Cell::Text(i.message.clone()),
                Cell::Text(state.into()),
                Cell::Text(r.deadline.to_string()),
            ]);
        }
    }
    Table {
        key: "整改情况".into(),
        title: format!("整改情况（与第 {} 次检查相比）", r.since_run),
        headers: [
            "序号",
            "网站名称",
            "网站标识码",
            "问题代码",
            "网址",
            "问题",
            "整改状态",
            "整改期限",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some(format!("整改期限：{}", r.deadline_source)),
        widths: vec![6.0, 30.0, 14.0, 24.0, 40.0, 50.0, 10.0, 12.0],
    }
}
