//! The run's shared record of what was already asked: one answer per URL per run.
//!
//! Every county site links to the same provincial and national portals, and a registry's sites
//! link to each other's home pages. [`RunCache`] makes each such URL cost one request per run,
//! however many sites link to it: the first site that needs a URL fetches it (politely, through
//! the host's gate) and every other site — at the same moment or later — shares that answer.
//!
//! - A link check shares the answer of an earlier check or of a page fetch of the same URL (a
//!   check needs only the status, the error and, for links to other sites' pages, the title and
//!   meta tags the target serves).
//! - A page fetch shares nothing it did not make itself (it needs the body), but it publishes its
//!   answer for the checks of other sites.
//!
//! Answers are kept small ([`Answer`]): a run of a thousand sites holds tens of thousands.
//! Build one cache per run and drop it with the run: answers are the run's observations.

use crate::locked;
use chrono::{DateTime, FixedOffset};
use govwatch_model::{FetchError, FetchRecord, Purpose};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// What one request (with its retries) for a URL showed, as far as link checks need it: the
/// last attempt's outcome, and what the page shows when it was read as HTML.
#[derive(Debug, Clone)]
pub struct Answer {
    method: &'static str,
    purpose: Purpose,
    status: Option<u16>,
    started_at: DateTime<FixedOffset>,
    elapsed_ms: u32,
    queue_ms: u32,
    bytes: u64,
    family: Option<u8>,
    error: Option<FetchError>,
    attempt: u32,
    /// Where it ended, when not where it was asked.
    final_url: Option<Box<str>>,
    error_message: Option<Box<str>>,
    redirects: Box<[String]>,
    /// The page's title and `keywords`/`description` meta tags, when the body was read as HTML.
    pub seen: Option<(Option<String>, String)>,
}

impl Answer {
    /// The answer of a fetch's last attempt.
    pub fn of(rec: &FetchRecord, seen: Option<(Option<String>, String)>) -> Answer {
        Answer {
            method: match rec.method.as_str() {
                "HEAD" => "HEAD",
                "POST" => "POST",
                _ => "GET",
            },
            purpose: rec.purpose,
            status: rec.status,
            started_at: rec.started_at,
            elapsed_ms: rec.elapsed_ms.min(u32::MAX as u64) as u32,
            queue_ms: rec.queue_ms.min(u32::MAX as u64) as u32,
            bytes: rec.bytes,
            family: rec.family,
            error: rec.error,
            attempt: rec.attempt,
            final_url: (rec.final_url != rec.url).then(|| rec.final_url.clone().into()),
            error_message: rec.error_message.clone().map(Into::into),
            redirects: rec.redirects.clone().into(),
            seen,
        }
    }

    /// The answer as a fetch record for `url` (the record a link check reports).
    pub fn record(&self, url: &str) -> FetchRecord {
        FetchRecord {
            url: url.to_string(),
            final_url: self.final_url.as_deref().unwrap_or(url).to_string(),
            method: self.method.to_string(),
            purpose: self.purpose,
            status: self.status,
            started_at: self.started_at,
            elapsed_ms: u64::from(self.elapsed_ms),
            queue_ms: u64::from(self.queue_ms),
            bytes: self.bytes,
            content_type: None,
            content_hash: None,
            remote_addr: None,
            family: self.family,
            error: self.error,
            error_message: self.error_message.as_deref().map(str::to_string),
            redirects: self.redirects.to_vec(),
            attempt: self.attempt,
        }
    }

    pub fn error(&self) -> Option<FetchError> {
        self.error
    }
}

/// One cell per normalised URL (kept by a hash of it); a cell is filled once, by whoever asked
/// first.
#[derive(Default)]
pub struct RunCache {
    cells: Mutex<HashMap<u64, Arc<OnceCell<Arc<Answer>>>>>,
}

fn key_of(url: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    h.finish()
}

impl RunCache {
    pub fn new() -> RunCache {
        RunCache::default()
    }

    /// The cell of `url` (normalised), created empty on first use.
    pub fn cell(&self, url: &str) -> Arc<OnceCell<Arc<Answer>>> {
        let key = key_of(url);
        let mut cells = locked(&self.cells);
        cells.entry(key).or_default().clone()
    }

    /// URLs with an answer (for tests and figures).
    pub fn answered(&self) -> usize {
        let cells = locked(&self.cells);
        cells.values().filter(|c| c.initialized()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_gives_back_the_record_a_link_check_reports() {
        let rec = FetchRecord {
            url: "http://a.gov.test/x".into(),
            final_url: "http://a.gov.test/y".into(),
            method: "GET".into(),
            purpose: Purpose::Page,
            status: Some(404),
            started_at: DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap(),
            elapsed_ms: 12,
            queue_ms: 900,
            bytes: 10,
            content_type: Some("text/html".into()),
            content_hash: Some("ab".into()),
            remote_addr: Some("127.0.0.1:80".into()),
            family: Some(4),
            error: None,
            error_message: None,
            redirects: vec!["301 http://a.gov.test/y".into()],
            attempt: 1,
        };
        let back = Answer::of(&rec, None).record(&rec.url);
        assert_eq!(
            back,
            FetchRecord {
                content_type: None,
                content_hash: None,
                remote_addr: None,
                ..rec
            }
        );
    }
}
