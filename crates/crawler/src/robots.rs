//! robots.txt: fetched once per origin through the host's gate, parsed with `texting_robots`.
//!
//! RFC 9309 decides what an answer means: 4xx (no robots.txt) allows everything; 5xx forbids
//! everything until the next run ("complete disallow"), because the server is struggling. When no
//! answer came at all (the name does not resolve, the connection is refused, the address is
//! refused by the guard), the request itself would fail the same way, so it is let through to
//! record its real cause: a dead link must show as a DNS or connection failure, not be hidden
//! behind robots.txt. `Crawl-delay` is applied to the host's gate, capped by
//! `max_crawl_delay_secs`; a longer delay makes the host refuse the crawl (see [`crate::gate`]).
//!
//! Bounds (issue 16: a robots.txt of 25,000 `Disallow: /xN/*.htm$` lines took gigabytes): only
//! the first `max_robots_bytes` (500 KiB, RFC 9309 §2.5) are read, cut at the last whole line, so
//! a huge file starting `Disallow: /` still forbids everything; and a file with more than
//! `max_robots_rules` Allow/Disallow lines is not compiled at all (each rule is a pattern in
//! memory) but taken as forbidding the crawl, which is what a polite crawler that cannot read
//! the rules must assume.

use crate::locked;
use govwatch_model::{CrawlNote, FetchRecord};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use texting_robots::Robot;
use tokio::sync::OnceCell;

/// The rules of one origin.
pub enum RobotsRules {
    /// No usable robots.txt (404 and friends): everything allowed.
    AllowAll,
    /// The server failed to answer: nothing allowed this run.
    DisallowAll(String),
    Parsed(Box<Robot>),
}

impl RobotsRules {
    pub fn allowed(&self, url: &str) -> bool {
        match self {
            RobotsRules::AllowAll => true,
            RobotsRules::DisallowAll(_) => false,
            RobotsRules::Parsed(r) => r.allowed(url),
        }
    }

    pub fn crawl_delay(&self) -> Option<f32> {
        match self {
            RobotsRules::Parsed(r) => r.delay,
            _ => None,
        }
    }
}

/// One origin's robots.txt, loaded at most once (concurrent askers wait for the same load).
#[derive(Default)]
pub struct RobotsCache {
    cells: Mutex<HashMap<String, Arc<OnceCell<Arc<RobotsRules>>>>>,
    records: Mutex<HashMap<String, Vec<FetchRecord>>>,
    notes: Mutex<HashMap<String, Vec<CrawlNote>>>,
}

impl RobotsCache {
    pub fn cell(&self, origin: &str) -> Arc<OnceCell<Arc<RobotsRules>>> {
        self.cells
            .lock()
            .unwrap()
            .entry(origin.to_string())
            .or_default()
            .clone()
    }

    /// Forgets an origin's robots.txt when it was read behind an anti-bot wall (a challenge,
    /// taken as no rules): once the wall is passed, the next request reads the real file.
    pub fn forget_challenged(&self, origin: &str) {
        let mut cells = locked(&self.cells);
        if cells
            .get(origin)
            .and_then(|c| c.get())
            .is_some_and(|r| matches!(**r, RobotsRules::AllowAll))
        {
            cells.remove(origin);
        }
    }

    /// Keeps the fetch records of a robots.txt load, by host, for the site that owns the host.
    pub fn record(&self, host: &str, recs: Vec<FetchRecord>) {
        self.records
            .lock()
            .unwrap()
            .entry(host.to_string())
            .or_default()
            .extend(recs);
    }

    /// Keeps a note about a host's robots.txt, for the site that owns the host.
    pub fn note(&self, host: &str, note: CrawlNote) {
        self.notes
            .lock()
            .unwrap()
            .entry(host.to_string())
            .or_default()
            .push(note);
    }

    /// Takes (once) the notes about a host's robots.txt.
    pub fn take_notes(&self, host: &str) -> Vec<CrawlNote> {
        locked(&self.notes).remove(host).unwrap_or_default()
    }

    /// Takes (once) the robots.txt fetch records of a host.
    pub fn take_records(&self, host: &str) -> Vec<FetchRecord> {
        self.records
            .lock()
            .unwrap()
            .remove(host)
            .unwrap_or_default()
    }
}

/// The part of a robots.txt body that is read: at most `max_bytes`, cut after the last whole line
/// within them (a rule cut in the middle would be a different rule).
pub fn bounded(body: &[u8], max_bytes: usize) -> &[u8] {
    if body.len() <= max_bytes {
        return body;
    }
    let head = &body[..max_bytes];
    match head.iter().rposition(|b| *b == b'\n' || *b == b'\r') {
        Some(i) => &head[..=i],
        None => head,
    }
}

/// Allow/Disallow lines of a robots.txt (each one a compiled pattern).
pub fn rule_count(body: &[u8]) -> usize {
    body.split(|b| *b == b'\n' || *b == b'\r')
        .filter(|l| {
            let l = l.trim_ascii_start();
            let lower = |n: usize| l.get(..n).map(|p| p.to_ascii_lowercase());
            lower(5).as_deref() == Some(b"allow".as_slice())
                || lower(8).as_deref() == Some(b"disallow".as_slice())
        })
        .count()
}

/// Builds the rules from a robots.txt answer (the body already [`bounded`]). A file with more
/// than `max_rules` rules is not compiled: it forbids the crawl.
pub fn rules_from(
    agent_token: &str,
    rec: &FetchRecord,
    body: Option<&[u8]>,
    max_rules: usize,
) -> RobotsRules {
    if rec.error.is_some() {
        return RobotsRules::AllowAll;
    }
    match rec.status {
        Some(s) if (200..300).contains(&s) => {
            if let Some(b) = body {
                let n = rule_count(b);
                if n > max_rules {
                    return RobotsRules::DisallowAll(format!(
                        "robots.txt has {n} rules, more than the {max_rules} read"
                    ));
                }
            }
            match body.map(|b| Robot::new(agent_token, b)) {
                Some(Ok(r)) => RobotsRules::Parsed(Box::new(r)),
                _ => RobotsRules::AllowAll,
            }
        }
        Some(s) if (400..500).contains(&s) => RobotsRules::AllowAll,
        Some(s) => RobotsRules::DisallowAll(format!("robots.txt answered HTTP {s}")),
        None => RobotsRules::DisallowAll("robots.txt: no answer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_at_a_whole_line() {
        assert_eq!(
            bounded(b"Disallow: /\nAllow: /a\n", 100),
            b"Disallow: /\nAllow: /a\n"
        );
        assert_eq!(bounded(b"Disallow: /\nAllow: /abc\n", 15), b"Disallow: /\n");
    }

    #[test]
    fn counts_rules_of_any_case() {
        let t = b"User-agent: *\nDisallow: /a\n  allow: /b\nDISALLOW: /c*.htm$\nSitemap: x\n";
        assert_eq!(rule_count(t), 3);
    }
}
