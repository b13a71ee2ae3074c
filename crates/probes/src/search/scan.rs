//! The search boxes and search links of a site noted page by page while it is crawled
//! ([`SearchScan`]), so the searches are planned without keeping the pages' text.

use super::locate::{SearchEntry, locate_in, not_crawled, note_search_links, raw_search_key};
use super::plan::plan_with;
use govwatch_model::{Page, SearchPlan, SiteCrawl};
use scraper::Html;
use std::collections::HashSet;

/// The search boxes and search links of a site, noted page by page while it is crawled (with
/// its DOM at hand), so that the searches can be planned without keeping the pages' text.
/// [`SearchScan::add`] on every page in crawl order gives what [`locate`](super::locate()) and
/// [`discovery_links`](super::discovery_links) give on the whole crawl.
#[derive(Debug, Default)]
pub struct SearchScan {
    raw_seen: HashSet<String>,
    seen: HashSet<String>,
    entries: Vec<SearchEntry>,
    candidates: Vec<String>,
}

impl SearchScan {
    /// Notes one page (its text and links must still be there).
    pub fn add(&mut self, page: &Page, doc: &Html) {
        if page.is_html && page.fetch.ok() {
            let key = raw_search_key(&page.text);
            if !key.is_empty() && self.raw_seen.insert(key) {
                for e in locate_in(page, doc) {
                    if self.seen.insert(e.key()) {
                        self.entries.push(e);
                    }
                }
            }
        }
        if page.is_html && page.depth <= 1 {
            note_search_links(page, &mut self.candidates);
        }
    }

    /// Search links (on the home page and its level) to pages not crawled, at most three.
    pub fn discovery_links(&self, crawl: &SiteCrawl) -> Vec<String> {
        not_crawled(crawl, self.candidates.clone())
    }

    /// The searches to submit (see [`plan`](super::plan())).
    pub fn plan(&self, crawl: &SiteCrawl) -> Vec<SearchPlan> {
        plan_with(crawl, self.entries.clone())
    }

    /// The distinct search entries found, as [`locate`](super::locate()) gives them.
    pub fn entries(&self) -> Vec<SearchEntry> {
        self.entries.clone()
    }

    /// [issue 25 hook] A page read again in the browser: the search boxes its drawn DOM shows
    /// (a form a script wrote in) replace the page's `unverified` entries. A box still without a
    /// readable target stays unverified until the browser tried it ([`Self::tried_in_browser`]).
    pub fn rendered_page(&mut self, page: &Page, doc: &Html) {
        let real: Vec<SearchEntry> = locate_in(page, doc)
            .into_iter()
            .filter(|e| e.kind != "unverified")
            .collect();
        if real.is_empty() {
            return;
        }
        self.entries
            .retain(|e| !(e.page == page.fetch.url && e.kind == "unverified"));
        for e in real {
            if self.seen.insert(e.key()) {
                self.entries.push(e);
            }
        }
    }

    /// [issue 25 hook] An `unverified` search box of `page` that the browser tried: the search
    /// its script sends, as an entry the planner submits like a script-built one.
    pub fn tried_in_browser(&mut self, page: &str, entry: SearchEntry) {
        self.entries
            .retain(|e| !(e.page == page && e.kind == "unverified"));
        if self.seen.insert(entry.key()) {
            self.entries.push(entry);
        }
    }
}
