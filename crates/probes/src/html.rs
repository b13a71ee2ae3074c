//! What every probe needs of HTML: CSS selectors, parsed once per process.
//!
//! Probes name selectors inline (`sel("form textarea")`), where they are read; [`sel`] parses
//! each one the first time it is asked for and keeps it, so reading a thousand pages parses it
//! once, not a thousand times.

use scraper::Selector;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The selector `s`, parsed on first use and kept for the life of the process. `s` is written in
/// the code, so a selector that does not parse is a bug, found by the first test that reaches it.
pub fn sel(s: &'static str) -> &'static Selector {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static Selector>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(s).or_insert_with(|| {
        Box::leak(Box::new(
            Selector::parse(s).unwrap_or_else(|e| panic!("selector {s:?}: {e:?}")),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_selector_is_parsed_once() {
        assert!(std::ptr::eq(sel("a[href]"), sel("a[href]")));
        let doc = scraper::Html::parse_fragment(r#"<a href="/x">x</a><a>y</a>"#);
        assert_eq!(doc.select(sel("a[href]")).count(), 1);
    }
}
