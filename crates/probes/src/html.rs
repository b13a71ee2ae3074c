//! What every probe needs of HTML: CSS selectors parsed once per process ([`sel`]), an
//! element's text ([`text_of`]) and a page's visible text ([`visible_text`]).
//!
//! Probes name selectors inline (`sel("form textarea")`), where they are read; [`sel`] parses
//! each one the first time it is asked for and keeps it, so reading a thousand pages parses it
//! once, not a thousand times. (Escaping site content for people is the report's and the web
//! view's business: probes keep raw text in evidence.)

use scraper::{ElementRef, Html, Selector};
use std::collections::{HashMap, HashSet};
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

/// The text of element `e`, its text nodes joined and white space folded to single spaces.
pub fn text_of(e: &ElementRef) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text a visitor sees on the page, white space folded: text nodes outside `script`,
/// `style`, `noscript`, `head` and `template`, and outside the elements in `skip` (e.g. hidden
/// blocks).
pub fn visible_text(doc: &Html, skip: &HashSet<ego_tree::NodeId>) -> String {
    let mut out = String::new();
    for node in doc.root_element().descendants() {
        if let Some(t) = node.value().as_text() {
            let bad = node.ancestors().any(|a| {
                skip.contains(&a.id())
                    || ElementRef::wrap(a).is_some_and(|e| {
                        matches!(
                            e.value().name(),
                            "script" | "style" | "noscript" | "head" | "template"
                        )
                    })
            });
            if !bad {
                out.push_str(t);
                out.push(' ');
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
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

    #[test]
    fn element_and_visible_text_fold_white_space() {
        let doc = Html::parse_document(
            "<html><head><title>t</title></head><body><p> 通知\n  公告 </p>\
             <script>var x = 1;</script><div id=h>藏</div></body></html>",
        );
        let p = doc.select(sel("p")).next().unwrap();
        assert_eq!(text_of(&p), "通知 公告");
        assert_eq!(visible_text(&doc, &HashSet::new()), "通知 公告 藏");
        let hidden = doc.select(sel("#h")).next().unwrap().id();
        assert_eq!(visible_text(&doc, &HashSet::from([hidden])), "通知 公告");
    }
}
