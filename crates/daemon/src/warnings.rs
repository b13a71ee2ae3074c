//! Early warnings: each rule of `config/warnings.toml` measures one metric of a site; the warning
//! opens (once) when the metric reaches `open_at`, stays open without being sent again while it
//! holds, and closes when the metric falls below `clear_below`. Between the two thresholds an open
//! warning stays open and a closed one stays closed, so a site hovering at the threshold — or
//! flapping between good and bad samples — yields one warning, not one per sample.

use chrono::NaiveDate;
use govwatch_config::{WarningMetric, WarningRule};
use govwatch_model::Timestamp;
use govwatch_store::{Raised, Store, StoreError, StoredFact, StoredFinding};
use serde_json::json;

/// What a site's newest run recorded, for the run-based metrics.
pub struct RunData<'a> {
    pub as_of: Timestamp,
    pub facts: &'a [StoredFact],
    pub findings: &'a [StoredFinding],
}

/// The value of a run-based metric, `None` when it cannot be measured (no such fact).
pub fn measure_run(metric: WarningMetric, run: &RunData) -> Option<f64> {
    let today = run.as_of.date_naive();
    match metric {
        WarningMetric::AvailabilityRatio => None,
        WarningMetric::BlankColumns => Some(count(run.findings, "column.blank")),
        WarningMetric::StaleColumns => Some(count(run.findings, "column.stale")),
        WarningMetric::HomeDaysStale => {
            let f = run.facts.iter().find(|f| f.fact.code == "home.latest")?;
            // a home page without any dated item is judged (as home.stale) by the columns
            // probe; a warning adds nothing then
            let latest = f.fact.value["latest"].as_str()?;
            let d = NaiveDate::parse_from_str(latest, "%Y-%m-%d").ok()?;
            Some((today - d).num_days().max(0) as f64)
        }
        WarningMetric::LetterDaysUnanswered => {
            let year_ago = today - chrono::Days::new(365);
            let waits = run
                .facts
                .iter()
                .filter(|f| f.fact.code == "message.letter")
                .filter_map(|f| {
                    let v = &f.fact.value;
                    if v["status"].as_str() == Some("replied") || v["replied"].is_string() {
                        return None;
                    }
                    let sent = NaiveDate::parse_from_str(v["sent"].as_str()?, "%Y-%m-%d").ok()?;
                    (sent >= year_ago && sent <= today).then(|| (today - sent).num_days() as f64)
                });
            // no published unanswered letter: nothing waits
            Some(waits.fold(0.0, f64::max))
        }
    }
}

fn count(findings: &[StoredFinding], code: &str) -> f64 {
    findings.iter().filter(|f| f.finding.code == code).count() as f64
}

/// What happened to a warning after a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Opened(i64),
    StillOpen(i64),
    Closed,
    Unchanged,
}

/// The metric as shown in a message: a ratio as a percentage, counts and days as integers.
pub fn shown(metric: WarningMetric, v: f64) -> String {
    match metric {
        WarningMetric::AvailabilityRatio => format!("{:.2}%", v * 100.0),
        _ => format!("{}", v.round() as i64),
    }
}

/// Applies one measurement of `rule` to the site's warning (see the module documentation).
/// `value` is `None` when the metric cannot be measured: the warning is left as it is.
pub fn apply(
    store: &mut Store,
    site_id: &str,
    rule: &WarningRule,
    value: Option<f64>,
    detail: serde_json::Value,
    at: Timestamp,
) -> Result<Outcome, StoreError> {
    let Some(v) = value else {
        return Ok(Outcome::Unchanged);
    };
    let open = store
        .open_warnings(Some(site_id))?
        .into_iter()
        .any(|w| w.code == rule.code);
    let record = json!({
        "metric": rule.metric.as_str(),
        "value": v,
        "open_at": rule.open_at,
        "clear_below": rule.clear_below(),
        "source": rule.source,
        "detail": detail,
    });
    if v >= rule.open_at || (open && v >= rule.clear_below()) {
        let message = rule.message.replace("{value}", &shown(rule.metric, v));
        return Ok(
            match store.raise_warning(site_id, &rule.code, at, &record, &message)? {
                Raised::Opened(id) => Outcome::Opened(id),
                Raised::StillOpen(id) => Outcome::StillOpen(id),
            },
        );
    }
    if open && store.clear_warning(site_id, &rule.code, at)? {
        return Ok(Outcome::Closed);
    }
    Ok(Outcome::Unchanged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwatch_model::{Fact, Finding, Severity};

    fn fact(code: &str, value: serde_json::Value) -> StoredFact {
        StoredFact {
            id: 0,
            site_id: "s".into(),
            fact: Fact {
                probe: "p".into(),
                code: code.into(),
                url: None,
                value,
                observed_at: chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00")
                    .unwrap(),
            },
        }
    }

    fn finding(code: &str) -> StoredFinding {
        StoredFinding {
            id: 0,
            site_id: "s".into(),
            finding: Finding {
                probe: "columns".into(),
                code: code.into(),
                severity: Severity::Deduct,
                url: None,
                value: serde_json::Value::Null,
                message: String::new(),
                evidence: Default::default(),
                observed_at: chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00")
                    .unwrap(),
            },
        }
    }

    #[test]
    fn run_metrics() {
        let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap();
        let facts = vec![
            fact("home.latest", json!({"latest": "2026-11-18", "hub": false})),
            // replied: not waiting
            fact(
                "message.letter",
                json!({"sent": "2026-06-01", "replied": "2026-06-03", "status": "replied"}),
            ),
            // unanswered 77 days
            fact(
                "message.letter",
                json!({"sent": "2026-09-12", "replied": null, "status": "unanswered"}),
            ),
            // processing, 20 days
            fact(
                "message.letter",
                json!({"sent": "2026-11-08", "replied": null, "status": "processing"}),
            ),
            // more than a year ago: outside the rule
            fact(
                "message.letter",
                json!({"sent": "2025-01-01", "replied": null, "status": "unanswered"}),
            ),
        ];
        let findings = vec![
            finding("column.blank"),
            finding("column.blank"),
            finding("column.blank"),
            finding("column.stale"),
        ];
        let run = RunData {
            as_of,
            facts: &facts,
            findings: &findings,
        };
        let m = |x| measure_run(x, &run);
        assert_eq!(m(WarningMetric::HomeDaysStale), Some(10.0));
        assert_eq!(m(WarningMetric::BlankColumns), Some(3.0));
        assert_eq!(m(WarningMetric::StaleColumns), Some(1.0));
        assert_eq!(m(WarningMetric::LetterDaysUnanswered), Some(77.0));
        assert_eq!(m(WarningMetric::AvailabilityRatio), None);
        // the shipped thresholds: 10 days, > 2 blank, not > 6 stale, 76 days
        let cfg = govwatch_config::WarningConfig::default();
        let open: Vec<&str> = cfg
            .warnings
            .iter()
            .filter(|w| m(w.metric).is_some_and(|v| v >= w.open_at))
            .map(|w| w.code.as_str())
            .collect();
        assert_eq!(
            open,
            [
                "warn.home_stale",
                "warn.columns_blank",
                "warn.letter_unanswered"
            ]
        );
        // a home page without dated items is not measured (home.stale judges it)
        let hub = vec![fact("home.latest", json!({"latest": null, "hub": true}))];
        let run = RunData {
            as_of,
            facts: &hub,
            findings: &[],
        };
        assert_eq!(measure_run(WarningMetric::HomeDaysStale, &run), None);
        assert_eq!(
            measure_run(WarningMetric::LetterDaysUnanswered, &run),
            Some(0.0)
        );
    }
}
