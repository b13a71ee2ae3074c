//! Inspectors' reviews of findings (`reviews`, schema v7): a finding confirmed (a 疑似 finding
//! then counts as 确定) or dismissed (kept, with who and why, but out of the score and the
//! report's counts). Reviews are a log: the newest row of a finding is its state.
//!
//! A dismissed finding whose `value.pattern` names what it saw (the wording probe's wrong words)
//! is not raised again on the same page: when a later run writes a finding of the same site,
//! code, URL, account and pattern, [`inherit_dismissals`] dismisses it too, naming the finding
//! the inspector dismissed (`inherited_from`).

use super::{Result, Store, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Confirmed or dismissed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewState {
    Confirmed,
    Dismissed,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Confirmed => "confirmed",
            ReviewState::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewState> {
        match s {
            "confirmed" => Some(ReviewState::Confirmed),
            "dismissed" => Some(ReviewState::Dismissed),
            _ => None,
        }
    }

    /// 已确认 / 已排除.
    pub fn zh(self) -> &'static str {
        match self {
            ReviewState::Confirmed => "已确认",
            ReviewState::Dismissed => "已排除",
        }
    }
}

/// The state of one finding's review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub finding_id: i64,
    pub state: ReviewState,
    pub reason: String,
    /// Who reviewed it.
    pub reviewer: String,
    /// RFC 3339.
    pub reviewed_at: String,
    /// For a dismissal carried over from an earlier run: the finding the inspector dismissed.
    pub inherited_from: Option<i64>,
}

impl Review {
    /// `已排除（张三，2026-11-28 10:00:00 +08:00：与页面原文一致）` — for listings and reports.
    pub fn describe(&self) -> String {
        let at = crate::parse_time(&self.reviewed_at)
            .map(|t| govwatch_model::time::display(&t))
            .unwrap_or_else(|_| self.reviewed_at.clone());
        let mut s = format!("{}（{}，{}", self.state.zh(), self.reviewer, at);
        if !self.reason.is_empty() {
            s.push_str(&format!("：{}", self.reason));
        }
        if let Some(o) = self.inherited_from {
            s.push_str(&format!("；沿用对 #{o} 的排除"));
        }
        s.push('）');
        s
    }
}

const LATEST: &str = "r.id = (SELECT max(x.id) FROM reviews x WHERE x.finding_id = r.finding_id)";

fn read(r: &rusqlite::Row) -> rusqlite::Result<(i64, String, String, String, String, Option<i64>)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn decode(row: (i64, String, String, String, String, Option<i64>)) -> Result<Review> {
    let (finding_id, state, reason, reviewer, reviewed_at, inherited_from) = row;
    let state = ReviewState::parse(&state)
        .ok_or_else(|| StoreError::corrupt(format!("review of #{finding_id}: state {state:?}")))?;
    Ok(Review {
        finding_id,
        state,
        reason,
        reviewer,
        reviewed_at,
        inherited_from,
    })
}

impl Store {
    /// Records an inspector's review of finding `finding_id` (any finding, of a site or an
    /// account). `None` when there is no such finding.
    pub fn review_finding(
        &mut self,
        finding_id: i64,
        state: ReviewState,
        reason: &str,
        reviewer: &str,
        at: &str,
    ) -> Result<Option<Review>> {
        let r = (|| {
            let exists: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM findings WHERE id = ?1)",
                params![finding_id],
                |r| r.get(0),
            )?;
            if !exists {
                return Ok(None);
            }
            self.conn.execute(
                "INSERT INTO reviews (finding_id, state, reason, reviewer, reviewed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![finding_id, state.as_str(), reason, reviewer, at],
            )?;
            self.review_of(finding_id)
        })();
        self.ctx(r)
    }

    /// The review state of one finding, if it was reviewed.
    pub fn review_of(&self, finding_id: i64) -> Result<Option<Review>> {
        let r = (|| {
            let row = self
                .conn
                .query_row(
                    &format!(
                        "SELECT r.finding_id, r.state, r.reason, r.reviewer, r.reviewed_at,
                                r.inherited_from
                         FROM reviews r WHERE r.finding_id = ?1 AND {LATEST}"
                    ),
                    params![finding_id],
                    read,
                )
                .optional()?;
            row.map(decode).transpose()
        })();
        self.ctx(r)
    }

    /// The review state of every reviewed finding of a run (sites' and accounts'), by finding id.
    pub fn reviews(&self, run_id: i64) -> Result<HashMap<i64, Review>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT r.finding_id, r.state, r.reason, r.reviewer, r.reviewed_at, r.inherited_from
                 FROM reviews r JOIN findings f ON f.id = r.finding_id
                 WHERE f.run_id = ?1 AND {LATEST}"
            ))?;
            let rows = stmt.query_map(params![run_id], read)?;
            let mut out = HashMap::new();
            for row in rows {
                let rv = decode(row?)?;
                out.insert(rv.finding_id, rv);
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The time of the newest review of a finding of the run, if any (a scoring older than it
    /// is out of date).
    pub fn last_review_at(&self, run_id: i64) -> Result<Option<String>> {
        let r = (|| {
            Ok(self
                .conn
                .query_row(
                    "SELECT r.reviewed_at FROM reviews r JOIN findings f ON f.id = r.finding_id
                 WHERE f.run_id = ?1 AND r.inherited_from IS NULL ORDER BY r.id DESC LIMIT 1",
                    params![run_id],
                    |r| r.get(0),
                )
                .optional()?)
        })();
        self.ctx(r)
    }
}

/// Dismisses the findings just written for `run_id` (of `site_id`, or of every site) whose site,
/// code, URL, account and `value.pattern` match a finding an inspector dismissed (its newest
/// review), naming that finding. Findings already reviewed are left alone.
pub(crate) fn inherit_dismissals(
    tx: &Connection,
    run_id: i64,
    site_id: Option<&str>,
) -> Result<usize> {
    let mut stmt = tx.prepare_cached(&format!(
        "WITH d AS (
             SELECT o.site_id, o.code, o.url, o.account_key,
                    o.value ->> '$.pattern' AS pattern, r.reason, r.reviewer, r.reviewed_at,
                    coalesce(r.inherited_from, r.finding_id) AS origin
             FROM reviews r JOIN findings o ON o.id = r.finding_id
             WHERE r.state = 'dismissed' AND {LATEST} AND o.run_id <> ?1
         )
         INSERT INTO reviews (finding_id, state, reason, reviewer, reviewed_at, inherited_from)
         SELECT n.id, 'dismissed', d.reason, d.reviewer, d.reviewed_at, max(d.origin)
         FROM findings n JOIN d
             ON d.site_id = n.site_id AND d.code = n.code AND d.url IS n.url
             AND d.account_key IS n.account_key AND d.pattern = n.value ->> '$.pattern'
         WHERE n.run_id = ?1 AND (?2 IS NULL OR n.site_id = ?2)
             AND NOT EXISTS (SELECT 1 FROM reviews y WHERE y.finding_id = n.id)
         GROUP BY n.id"
    ))?;
    Ok(stmt.execute(params![run_id, site_id])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwatch_model::{Finding, Severity, Site, SiteKind, SiteResult};

    fn site() -> Site {
        Site {
            id: "1300000001".into(),
            name: "测试县人民政府".into(),
            home: "http://a.gov.test/".parse().unwrap(),
            org: "o".into(),
            region: "r".into(),
            kind: SiteKind::Portal,
            overrides: Default::default(),
        }
    }

    fn finding(url: &str, pattern: Option<&str>) -> Finding {
        let at = chrono::DateTime::parse_from_rfc3339("2024-06-01T02:00:00+08:00").unwrap();
        Finding {
            probe: "wording".into(),
            code: "wording.suspect".into(),
            severity: Severity::Info,
            url: Some(url.into()),
            value: match pattern {
                Some(p) => serde_json::json!({ "pattern": p }),
                None => serde_json::json!({}),
            },
            message: "m".into(),
            evidence: Default::default(),
            observed_at: at,
        }
    }

    fn run_with(store: &mut Store, findings: Vec<Finding>) -> (i64, Vec<i64>) {
        let at = chrono::DateTime::parse_from_rfc3339("2024-06-01T02:00:00+08:00").unwrap();
        let run = store.begin_run(at, &serde_json::json!({})).unwrap();
        store
            .write_site_result(
                run,
                &SiteResult {
                    site: site(),
                    started_at: at,
                    finished_at: at,
                    fetches: vec![],
                    pages: vec![],
                    samples: vec![],
                    facts: vec![],
                    findings,
                },
            )
            .unwrap();
        store.finish_run(run, crate::RunStatus::Done, None).unwrap();
        let ids = store
            .findings(run, None)
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect();
        (run, ids)
    }

    #[test]
    fn a_dismissed_pattern_is_not_raised_again_on_that_page() {
        let mut store = Store::open_in_memory().unwrap();
        let (_, first) = run_with(
            &mut store,
            vec![
                finding("http://a.gov.test/1.html", Some("四个意士")),
                finding("http://a.gov.test/1.html", Some("习近乎")),
            ],
        );
        let r = store
            .review_finding(
                first[0],
                ReviewState::Dismissed,
                "原文如此",
                "张三",
                "2024-06-02T10:00:00+08:00",
            )
            .unwrap()
            .unwrap();
        assert_eq!(r.state, ReviewState::Dismissed);
        store
            .review_finding(
                first[1],
                ReviewState::Confirmed,
                "",
                "张三",
                "2024-06-02T10:01:00+08:00",
            )
            .unwrap();
        assert!(
            store
                .review_finding(999, ReviewState::Confirmed, "", "x", "t")
                .unwrap()
                .is_none()
        );
        // the next run: the same pattern on the same page, on another page, and the confirmed one
        let (run2, second) = run_with(
            &mut store,
            vec![
                finding("http://a.gov.test/1.html", Some("四个意士")),
                finding("http://a.gov.test/2.html", Some("四个意士")),
                finding("http://a.gov.test/1.html", Some("习近乎")),
                finding("http://a.gov.test/1.html", None),
            ],
        );
        let rv = store.reviews(run2).unwrap();
        assert_eq!(rv.len(), 1, "{rv:?}");
        let carried = &rv[&second[0]];
        assert_eq!(carried.state, ReviewState::Dismissed);
        assert_eq!(carried.inherited_from, Some(first[0]));
        assert_eq!(carried.reviewer, "张三");
        assert_eq!(carried.reason, "原文如此");
        assert_eq!(
            carried.describe(),
            format!(
                "已排除（张三，2024-06-02 10:00:00 +08:00：原文如此；沿用对 #{} 的排除）",
                first[0]
            )
        );
        // a later confirmation wins over the dismissal
        store
            .review_finding(
                second[0],
                ReviewState::Confirmed,
                "",
                "李四",
                "2024-06-03T09:00:00+08:00",
            )
            .unwrap();
        assert_eq!(
            store.review_of(second[0]).unwrap().unwrap().state,
            ReviewState::Confirmed
        );
        assert_eq!(
            store.last_review_at(run2).unwrap().as_deref(),
            Some("2024-06-03T09:00:00+08:00")
        );
    }
}
