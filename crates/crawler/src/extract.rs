//! Link and title extraction from a parsed HTML page.
//!
//! Every reference a page makes is kept: anchors (`<a>`, `<area>`) for the crawl and the link
//! probe, and resources (`<img>`, `<script>`, `<link>`, `<iframe>`/`<frame>`, `<embed>`,
//! `<source>`) for the link probe. `<base href>` is honoured. Schemes that are not fetched
//! (`mailto:`, `tel:`, `javascript:`, `data:`) and bare fragments are left out.

use govwatch_model::{Link, LinkKind};
use scraper::{Html, Selector};
use std::sync::OnceLock;
use url::Url;

struct Selectors {
    refs: Selector,
    base: Selector,
    title: Selector,
}

fn selectors() -> &'static Selectors {
    static S: OnceLock<Selectors> = OnceLock::new();
    S.get_or_init(|| Selectors {
        refs: Selector::parse(
            "a[href], area[href], img[src], script[src], link[href], iframe[src], frame[src], embed[src], source[src]",
        )
        .unwrap(),
        base: Selector::parse("base[href]").unwrap(),
        title: Selector::parse("title").unwrap(),
    })
}

/// Folds runs of white space into one space and trims.
pub fn fold_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The page title, white space folded.
pub fn title(doc: &Html) -> Option<String> {
    doc.select(&selectors().title)
        .next()
        .map(|t| fold_ws(&t.text().collect::<String>()))
        .filter(|t| !t.is_empty())
}

/// Resolves an attribute value against the page URL; `None` for values that are not fetchable.
pub fn resolve(base: &Url, raw: &str) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() || raw.starts_with('#') {
        return None;
    }
    let lower = raw.to_ascii_lowercase();
    if [
        "mailto:",
        "tel:",
        "javascript:",
        "data:",
        "about:",
        "sms:",
        "weixin:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
    {
        return None;
    }
    let mut url = base.join(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

/// All links and resources of the page, in document order (duplicates kept: each is a reference).
pub fn links(doc: &Html, page_url: &Url) -> Vec<Link> {
    let s = selectors();
    let base = doc
        .select(&s.base)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut out = Vec::new();
    for el in doc.select(&s.refs) {
        let v = el.value();
        let (attr, kind) = match v.name() {
            "a" | "area" => ("href", LinkKind::Anchor),
            "img" => ("src", LinkKind::Image),
            "script" => ("src", LinkKind::Script),
            "iframe" | "frame" => ("src", LinkKind::Frame),
            "link" => {
                let rel = v.attr("rel").unwrap_or("").to_ascii_lowercase();
                if rel.contains("stylesheet") {
                    ("href", LinkKind::Stylesheet)
                } else if rel.contains("icon") {
                    ("href", LinkKind::Other)
                } else {
                    // preconnect, dns-prefetch, canonical, alternate…: not a resource to check
                    continue;
                }
            }
            _ => ("src", LinkKind::Other),
        };
        let Some(raw) = v.attr(attr) else { continue };
        let Some(url) = resolve(&base, raw) else {
            continue;
        };
        let text = match kind {
            LinkKind::Anchor => {
                let t = fold_ws(&el.text().collect::<String>());
                if t.is_empty() {
                    v.attr("title").map(fold_ws).unwrap_or_default()
                } else {
                    t
                }
            }
            _ => v
                .attr("alt")
                .or(v.attr("title"))
                .map(fold_ws)
                .unwrap_or_default(),
        };
        out.push(Link {
            url: url.to_string(),
            raw: raw.to_string(),
            text,
            kind,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_anchors_and_resources_with_base() {
        let html = r##"<html><head><title> 通知公告
            - 安平县 </title><base href="http://a.gov.test/zwgk/">
            <link rel="stylesheet" href="/css/main.css"><link rel="dns-prefetch" href="//x.test">
            <script src="js/app.js"></script></head><body>
            <a href="list.html#top">列表</a><a href="mailto:x@y">信箱</a><a href="javascript:void(0)">x</a>
            <a href="#a">锚点</a><img src="../img/logo.png" alt="标志"><a href="http://b.test/p"><img src="/i.png"></a>
            <a href="/x" title="无文字"></a></body></html>"##;
        let doc = Html::parse_document(html);
        let page = Url::parse("http://a.gov.test/index.html").unwrap();
        assert_eq!(title(&doc).as_deref(), Some("通知公告 - 安平县"));
        let l = links(&doc, &page);
        let got: Vec<(&str, LinkKind, &str)> = l
            .iter()
            .map(|l| (l.url.as_str(), l.kind, l.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("http://a.gov.test/css/main.css", LinkKind::Stylesheet, ""),
                ("http://a.gov.test/zwgk/js/app.js", LinkKind::Script, ""),
                ("http://a.gov.test/zwgk/list.html", LinkKind::Anchor, "列表"),
                ("http://a.gov.test/img/logo.png", LinkKind::Image, "标志"),
                ("http://b.test/p", LinkKind::Anchor, ""),
                ("http://a.gov.test/i.png", LinkKind::Image, ""),
                ("http://a.gov.test/x", LinkKind::Anchor, "无文字"),
            ]
        );
    }
}
