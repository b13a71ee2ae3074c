//! robots.txt: fetched once per origin through the host's gate, parsed with `texting_robots`.
//!
//! RFC 9309 decides what an answer means: 4xx (no robots.txt) allows everything; 5xx forbids
//! everything until the next run ("complete disallow"), because the server is struggling. When no
//! answer came at all (the name does not resolve, the connection is refused, the address is
//! refused by the guard), the request itself would fail the same way, so it is let through to
//! record its real cause: a dead link must show as a DNS or connection failure, not be hidden
//! behind robots.txt. `Crawl-delay` is applied to the host's gate, capped by
//! `max_crawl_delay_secs`.

use govwatch_model::FetchRecord;
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

    /// Keeps the fetch records of a robots.txt load, by host, for the site that owns the host.
    pub fn record(&self, host: &str, recs: Vec<FetchRecord>) {
        self.records
            .lock()
            .unwrap()
            .entry(host.to_string())
            .or_default()
            .extend(recs);
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

/// Builds the rules from a robots.txt answer.
pub fn rules_from(agent_token: &str, rec: &FetchRecord, body: Option<&[u8]>) -> RobotsRules {
    if rec.error.is_some() {
        return RobotsRules::AllowAll;
    }
    match rec.status {
        Some(s) if (200..300).contains(&s) => match body.map(|b| Robot::new(agent_token, b)) {
            Some(Ok(r)) => RobotsRules::Parsed(Box::new(r)),
            _ => RobotsRules::AllowAll,
        },
        Some(s) if (400..500).contains(&s) => RobotsRules::AllowAll,
        Some(s) => RobotsRules::DisallowAll(format!("robots.txt answered HTTP {s}")),
        None => RobotsRules::DisallowAll("robots.txt: no answer".into()),
    }
}
