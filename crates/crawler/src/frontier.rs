//! The crawl frontier: which URLs of a site are worth fetching, once each, breadth-first.
//!
//! - [`normalize`]: one spelling per URL (host lower-cased, default port and fragment dropped,
//!   empty path as `/`, `index.html`-style defaults kept since servers differ).
//! - [`Frontier`]: de-duplication, the depth and page budgets, and guards against crawler traps:
//!   over-long URLs, paths that repeat a segment (relative-link loops such as `/a/b/a/b/…`),
//!   endless query strings (calendars, session ids) capped per path, and document downloads that
//!   are only checked, never parsed.

use std::collections::{BTreeMap, HashMap, HashSet};
use url::Url;

/// File extensions that are documents or media: checked as links, never crawled as pages.
const NON_HTML_EXT: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "zip", "rar", "7z", "gz",
    "tar", "jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "mp3", "mp4", "avi", "wmv",
    "flv", "swf", "exe", "apk", "txt", "xml", "csv", "ofd", "css", "js", "json",
];

pub use govwatch_model::normalize_url as normalize;

/// True when the URL's path names a document or media file.
pub fn looks_like_document(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    match path.rsplit_once('.') {
        Some((_, ext)) if !ext.contains('/') => NON_HTML_EXT.contains(&ext),
        _ => false,
    }
}

/// Why a URL was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    Seen,
    Depth,
    Budget,
    LongUrl,
    RepeatedSegments,
    QueryVariants,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Seen => "seen",
            Skip::Depth => "depth",
            Skip::Budget => "page_budget",
            Skip::LongUrl => "long_url",
            Skip::RepeatedSegments => "repeated_segments",
            Skip::QueryVariants => "query_variants",
        }
    }
}

/// Breadth-first frontier of one site.
pub struct Frontier {
    max_pages: usize,
    max_depth: u32,
    max_url_len: usize,
    max_query_variants: usize,
    seen: HashSet<String>,
    queued: usize,
    query_variants: HashMap<String, usize>,
    skipped: BTreeMap<&'static str, u64>,
}

impl Frontier {
    pub fn new(
        max_pages: usize,
        max_depth: u32,
        max_url_len: usize,
        max_query_variants: usize,
    ) -> Frontier {
        Frontier {
            max_pages,
            max_depth,
            max_url_len,
            max_query_variants,
            seen: HashSet::new(),
            queued: 0,
            query_variants: HashMap::new(),
            skipped: BTreeMap::new(),
        }
    }

    /// Marks a URL as already known (e.g. the home page's final URL after a redirect).
    pub fn mark_seen(&mut self, url: &Url) -> bool {
        self.seen.insert(normalize(url).to_string())
    }

    pub fn is_seen(&self, url: &Url) -> bool {
        self.seen.contains(normalize(url).as_str())
    }

    /// Offers a URL found at `depth`; returns it (normalised) when it should be fetched.
    pub fn offer(&mut self, url: &Url, depth: u32) -> Result<Url, Skip> {
        self.offer_within(url, depth, 0)
    }

    /// Like [`Frontier::offer`], allowing `extra` levels beyond the depth budget (pages along
    /// interaction links).
    pub fn offer_within(&mut self, url: &Url, depth: u32, extra: u32) -> Result<Url, Skip> {
        let u = normalize(url);
        let key = u.to_string();
        let r = self.check(&u, &key, depth.saturating_sub(extra));
        match r {
            Ok(()) => {
                self.seen.insert(key);
                self.queued += 1;
                if u.query().is_some() {
                    *self.query_variants.entry(path_key(&u)).or_default() += 1;
                }
                Ok(u)
            }
            Err(Skip::Seen) => Err(Skip::Seen),
            Err(s) => {
                *self.skipped.entry(s.as_str()).or_default() += 1;
                // remember it so the same trap URL is counted once
                self.seen.insert(key);
                Err(s)
            }
        }
    }

    fn check(&self, u: &Url, key: &str, depth: u32) -> Result<(), Skip> {
        if self.seen.contains(key) {
            return Err(Skip::Seen);
        }
        if depth > self.max_depth {
            return Err(Skip::Depth);
        }
        if self.queued >= self.max_pages {
            return Err(Skip::Budget);
        }
        if key.len() > self.max_url_len {
            return Err(Skip::LongUrl);
        }
        if repeated_segments(u) {
            return Err(Skip::RepeatedSegments);
        }
        if u.query().is_some()
            && self.query_variants.get(&path_key(u)).copied().unwrap_or(0)
                >= self.max_query_variants
        {
            return Err(Skip::QueryVariants);
        }
        Ok(())
    }

    /// Counts of URLs left out, by reason.
    pub fn skipped(&self) -> BTreeMap<String, u64> {
        self.skipped
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }
}

fn path_key(u: &Url) -> String {
    format!("{}{}", u.host_str().unwrap_or(""), u.path())
}

/// A path in which one segment appears three times or more (`/a/b/a/b/a/`), the mark of a
/// relative-link loop.
fn repeated_segments(u: &Url) -> bool {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for seg in u.path().split('/').filter(|s| !s.is_empty()) {
        let c = counts.entry(seg).or_default();
        *c += 1;
        if *c >= 3 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn interaction_links_get_extra_levels() {
        let mut f = Frontier::new(100, 3, 512, 20);
        assert_eq!(
            f.offer(&u("http://a.test/news/4.html"), 4),
            Err(Skip::Depth)
        );
        assert!(
            f.offer_within(&u("http://a.test/hdjl/list/4.html"), 4, 2)
                .is_ok()
        );
        assert!(
            f.offer_within(&u("http://a.test/hdjl/list/5.html"), 5, 2)
                .is_ok()
        );
        assert_eq!(
            f.offer_within(&u("http://a.test/hdjl/list/6.html"), 6, 2),
            Err(Skip::Depth)
        );
    }

    #[test]
    fn normalizes_spellings() {
        assert_eq!(
            normalize(&u("HTTP://WWW.A.gov.test:80#x")).as_str(),
            "http://www.a.gov.test/"
        );
        assert_eq!(
            normalize(&u("http://a.test/p?")).as_str(),
            "http://a.test/p"
        );
    }

    #[test]
    fn dedups_and_applies_budgets() {
        let mut f = Frontier::new(3, 2, 200, 2);
        assert!(f.offer(&u("http://a.test/"), 0).is_ok());
        assert_eq!(f.offer(&u("http://a.test/#top"), 1), Err(Skip::Seen));
        assert_eq!(f.offer(&u("http://a.test/deep"), 3), Err(Skip::Depth));
        assert!(f.offer(&u("http://a.test/cal?d=1"), 1).is_ok());
        assert!(f.offer(&u("http://a.test/cal?d=2"), 1).is_ok());
        assert_eq!(f.offer(&u("http://a.test/cal?d=3"), 1), Err(Skip::Budget));
        let mut f = Frontier::new(100, 5, 60, 2);
        f.offer(&u("http://a.test/cal?d=1"), 1).unwrap();
        f.offer(&u("http://a.test/cal?d=2"), 1).unwrap();
        assert_eq!(
            f.offer(&u("http://a.test/cal?d=3"), 1),
            Err(Skip::QueryVariants)
        );
        assert_eq!(
            f.offer(&u("http://a.test/a/b/a/b/a/x.html"), 1),
            Err(Skip::RepeatedSegments)
        );
        assert_eq!(
            f.offer(&u(&format!("http://a.test/{}", "x".repeat(80))), 1),
            Err(Skip::LongUrl)
        );
        assert_eq!(f.skipped().get("query_variants"), Some(&1));
    }

    #[test]
    fn documents_are_not_pages() {
        assert!(looks_like_document(&u("http://a.test/uploads/plan.DOC")));
        assert!(!looks_like_document(&u("http://a.test/zwgk/index.html")));
        assert!(!looks_like_document(&u("http://a.test/zwgk/")));
        assert!(!looks_like_document(&u("http://a.test/v1.2/list")));
    }
}
