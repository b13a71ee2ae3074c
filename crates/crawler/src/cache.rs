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
//! Build one cache per run and drop it with the run: answers are the run's observations.

use govwatch_model::FetchRecord;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// What one request (with its retries) for a URL showed, as far as link checks need it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The last attempt of the fetch that made it.
    pub record: FetchRecord,
    /// The page's title and `keywords`/`description` meta tags, when the body was read as HTML.
    pub seen: Option<(Option<String>, String)>,
}

/// One cell per normalised URL; a cell is filled once, by whoever asked first.
#[derive(Default)]
pub struct RunCache {
    cells: Mutex<HashMap<String, Arc<OnceCell<Arc<Answer>>>>>,
}

impl RunCache {
    pub fn new() -> RunCache {
        RunCache::default()
    }

    /// The cell of `key` (a normalised URL), created empty on first use.
    pub fn cell(&self, key: &str) -> Arc<OnceCell<Arc<Answer>>> {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cells.get(key) {
            return c.clone();
        }
        let c: Arc<OnceCell<Arc<Answer>>> = Arc::default();
        cells.insert(key.to_string(), c.clone());
        c
    }

    /// URLs with an answer (for tests and figures).
    pub fn answered(&self) -> usize {
        let cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        cells.values().filter(|c| c.initialized()).count()
    }
}
