//! Feeds of government new-media accounts (RSS 2.0, RSS 1.0/0.9x, Atom, JSON Feed), as bridges
//! such as RSSHub serve them for 微博, 微信公众号, 头条号 and 抖音 accounts.
//!
//! - [`Crawler::read_feed`]: one polite fetch of the feed ([`FEED_SPEC`]: robots.txt, the host's
//!   rate limit, the 15 s limit, retries — what every page gets), then [`read_fetched`].
//! - [`read_fetched`]: pure: the fetched bytes decoded (BOM, `charset=` of the header, the XML
//!   declaration's `encoding`, else UTF-8 or a guess) and parsed with `feed-rs` into [`Post`]s;
//!   or why the feed cannot be measured ([`FeedFailure`]): the fetch failed, the body is not a
//!   feed, the feed is empty, or no item has a date.
//! - [`html_text`]: an item's HTML body as plain text (block elements and `<br>` become spaces,
//!   scripts and styles dropped) with the links it holds.
//! - [`PostBudget`]: the parse budget of a feed's item bodies — the page budget of `crawl.toml`
//!   (`max_page_depth`, `max_page_elements`), measured with [`crate::budget::shape`] before a body
//!   is parsed: a body nested deeper than the page limit is not parsed, and the bodies of one feed
//!   together parse at most as many elements as one page may hold. A body left unparsed keeps no
//!   text (its title, date and link stay) and is counted in [`FeedRead::over_budget`]: a hostile
//!   feed costs what one page may cost, never minutes of CPU.
//!
//! The parsing runs on the crawler's CPU pool ([`Crawler::cpu`]), never on the async runtime.
//!
//! Whether a post is a repost is the media probe's rule (`govwatch-probes`), not the reader's.

use crate::Crawler;
use crate::budget;
use crate::decode::{charset_from_content_type, decode_html};
use crate::fetch::{BodyMode, FetchSpec, Fetched};
use chrono::{DateTime, FixedOffset, Utc};
use encoding_rs::Encoding;
use feed_rs::model::{Entry, FeedType};
use govwatch_model::{CharsetSource, FeedFailure, FeedRead, Page, Post, Purpose};
use scraper::{Html, Node, Selector};
use url::Url;

/// How a feed is fetched: a GET of any content type, obeying robots.txt, with retries. Feeds are
/// stored as pages (`purpose` page, `is_html` false) so their bodies are archived as evidence.
pub const FEED_SPEC: FetchSpec = FetchSpec {
    method: "GET",
    purpose: Purpose::Page,
    body: BodyMode::Any,
    robots: true,
    retry: true,
    family: None,
};

/// A feed parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    /// `rss2`, `rss1`, `rss0`, `atom` or `json`.
    pub format: &'static str,
    pub title: Option<String>,
    pub posts: Vec<Post>,
    /// Item bodies (and titles) left unparsed: over the [`PostBudget`].
    pub over_budget: u64,
}

/// China time, in which posts are shown and judged.
fn china() -> FixedOffset {
    govwatch_model::time::CHINA_TZ
}

/// The parse budget of one feed's item bodies (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostBudget {
    /// Deepest nesting of one body that is parsed (`max_page_depth`).
    pub max_depth: usize,
    /// Elements parsed over all the bodies of one feed (`max_page_elements`).
    pub max_elements: usize,
}

impl Default for PostBudget {
    fn default() -> Self {
        let d = govwatch_config::CrawlSettings::default();
        PostBudget {
            max_depth: d.max_page_depth,
            max_elements: d.max_page_elements,
        }
    }
}

/// What is left of a feed's [`PostBudget`] while its bodies are read.
#[derive(Debug)]
struct Spend {
    budget: PostBudget,
    elements_left: usize,
    /// Bodies left unparsed.
    over: u64,
}

impl Spend {
    fn new(budget: PostBudget) -> Spend {
        Spend {
            budget,
            elements_left: budget.max_elements,
            over: 0,
        }
    }

    /// Whether `html` may be parsed; if so, its elements are taken from what is left.
    fn take(&mut self, html: &str) -> bool {
        let s = budget::shape(html, self.budget.max_depth, self.elements_left);
        if budget::within(&s, self.budget.max_depth, self.elements_left) {
            self.elements_left -= s.elements;
            true
        } else {
            self.over += 1;
            false
        }
    }
}

impl Crawler {
    /// Fetches and reads an account's feed (the parsing on the CPU pool, under the page budget).
    pub async fn read_feed(&self, url: &Url) -> FeedRead {
        let f = self.fetch(url, FEED_SPEC).await;
        let budget = PostBudget {
            max_depth: self.settings.max_page_depth,
            max_elements: self.settings.max_page_elements,
        };
        let u = url.clone();
        let attempts = f.attempts.clone();
        match self.cpu(move || read_fetched_within(&u, &f, budget)).await {
            Ok(read) => read,
            Err(e) => {
                tracing::error!(%url, error = %e, "reading a feed failed");
                FeedRead {
                    url: url.to_string(),
                    fetches: attempts,
                    page: None,
                    format: None,
                    title: None,
                    posts: Vec::new(),
                    failure: Some((FeedFailure::Parse, format!("reading the feed failed: {e}"))),
                    over_budget: 0,
                }
            }
        }
    }
}

/// Reads a fetched feed: the posts, or why it cannot be measured (the default budget).
pub fn read_fetched(url: &Url, f: &Fetched) -> FeedRead {
    read_fetched_within(url, f, PostBudget::default())
}

/// [`read_fetched`] under a parse budget for the items' bodies.
pub fn read_fetched_within(url: &Url, f: &Fetched, budget: PostBudget) -> FeedRead {
    let last = f.last();
    let mut read = FeedRead {
        url: url.to_string(),
        fetches: f.attempts.clone(),
        page: None,
        format: None,
        title: None,
        posts: Vec::new(),
        failure: None,
        over_budget: 0,
    };
    let body = match (&f.body, last.failure()) {
        (_, Some(why)) => {
            read.failure = Some((FeedFailure::Fetch, why));
            return read;
        }
        (None, None) => {
            read.failure = Some((FeedFailure::Fetch, "no body".into()));
            return read;
        }
        (Some(b), None) => b,
    };
    let (text, encoding, source) = decode_feed(body, last.content_type.as_deref());
    let base = Url::parse(&last.final_url).unwrap_or_else(|_| url.clone());
    let parsed = parse_feed_text_within(&text, &base, budget);
    read.page = Some(Page {
        fetch: last.clone(),
        depth: 0,
        text,
        charset: Some(encoding.name().to_string()),
        charset_source: Some(source),
        title: parsed.as_ref().ok().and_then(|p| p.title.clone()),
        links: Vec::new(),
        is_html: false,
    });
    match parsed {
        Err(e) => read.failure = Some((FeedFailure::Parse, e)),
        Ok(p) => {
            read.format = Some(p.format.to_string());
            read.title = p.title;
            read.posts = p.posts;
            read.over_budget = p.over_budget;
            if read.posts.is_empty() {
                read.failure = Some((FeedFailure::Empty, "the feed holds no item".into()));
            } else if read.posts.iter().all(|p| p.published.is_none()) {
                read.failure = Some((
                    FeedFailure::Undated,
                    format!("none of the {} items has a date", read.posts.len()),
                ));
            }
        }
    }
    read
}

/// The encoding named by an XML declaration (`<?xml version="1.0" encoding="GBK"?>`).
fn xml_declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(256)];
    let head = String::from_utf8_lossy(head);
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let label = rest[1..].split(quote).next()?;
    Encoding::for_label(label.trim().as_bytes())
}

/// Decodes a feed body: BOM, then the header's charset, then the XML declaration, then what the
/// page decoder decides (valid UTF-8, or a guess).
fn decode_feed(
    bytes: &[u8],
    content_type: Option<&str>,
) -> (String, &'static Encoding, CharsetSource) {
    if Encoding::for_bom(bytes).is_none()
        && content_type.and_then(charset_from_content_type).is_none()
        && let Some(enc) = xml_declared_encoding(bytes)
    {
        let (text, had_errors) = enc.decode_without_bom_handling(bytes);
        if !had_errors {
            return (text.into_owned(), enc, CharsetSource::Meta);
        }
    }
    let d = decode_html(bytes, content_type);
    (d.text, d.encoding, d.source)
}

/// The text with its XML declaration saying UTF-8 (the parser decodes by the declaration, and
/// the text is already decoded).
fn as_utf8_xml(text: &str) -> std::borrow::Cow<'_, str> {
    let t = text.trim_start_matches('\u{feff}');
    let trimmed = t.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        return format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{}",
            &rest[end + 2..]
        )
        .into();
    }
    t.into()
}

/// Parses decoded feed text (RSS, Atom or JSON Feed); `base` resolves relative links. The
/// default [`PostBudget`] applies.
pub fn parse_feed_text(text: &str, base: &Url) -> Result<ParsedFeed, String> {
    parse_feed_text_within(text, base, PostBudget::default())
}

/// [`parse_feed_text`] under a parse budget for the items' bodies.
pub fn parse_feed_text_within(
    text: &str,
    base: &Url,
    budget: PostBudget,
) -> Result<ParsedFeed, String> {
    let xml = as_utf8_xml(text);
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .build()
        .parse(xml.as_bytes())
        .map_err(|e| format!("not an RSS, Atom or JSON feed: {e}"))?;
    let format = match feed.feed_type {
        FeedType::RSS2 => "rss2",
        FeedType::RSS1 => "rss1",
        FeedType::RSS0 => "rss0",
        FeedType::Atom => "atom",
        FeedType::JSON => "json",
    };
    let mut spend = Spend::new(budget);
    let title = feed
        .title
        .as_ref()
        .map(|t| plain(&t.content, &mut spend))
        .filter(|t| !t.is_empty());
    let posts = feed
        .entries
        .iter()
        .map(|e| post(e, base, &mut spend))
        .collect();
    Ok(ParsedFeed {
        format,
        title,
        posts,
        over_budget: spend.over,
    })
}

/// Text that may hold markup, as plain text (empty when over the budget).
fn plain(s: &str, spend: &mut Spend) -> String {
    if s.contains('<') {
        if spend.take(s) {
            html_text(s, None).0
        } else {
            String::new()
        }
    } else {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

fn post(e: &Entry, base: &Url, spend: &mut Spend) -> Post {
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| l.href.clone());
    let body = e
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .filter(|b| !b.trim().is_empty())
        .or_else(|| e.summary.as_ref().map(|s| s.content.clone()))
        .unwrap_or_default();
    let link_base = link
        .as_deref()
        .and_then(|l| base.join(l).ok())
        .unwrap_or_else(|| base.clone());
    let (text, links) = if spend.take(&body) {
        html_text(&body, Some(&link_base))
    } else {
        (String::new(), Vec::new())
    };
    let published: Option<DateTime<Utc>> = e.published.or(e.updated);
    Post {
        id: e.id.clone(),
        link: link.map(|l| base.join(&l).map(|u| u.to_string()).unwrap_or(l)),
        title: e
            .title
            .as_ref()
            .map(|t| plain(&t.content, spend))
            .unwrap_or_default(),
        published: published.map(|t| t.with_timezone(&china())),
        text,
        links,
        categories: e
            .categories
            .iter()
            .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
        repost: None,
    }
}

/// Elements after whose start a space is put, so that words of two blocks do not run together.
const BLOCKS: &[&str] = &[
    "br",
    "p",
    "div",
    "blockquote",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "img",
    "hr",
    "table",
];

/// An HTML fragment as plain text (white space folded) and the http(s) links it holds
/// (resolved against `base` when given). Parses whatever it is given: measure it against a
/// budget first ([`crate::budget::shape`]) when it comes from outside.
pub fn html_text(html: &str, base: Option<&Url>) -> (String, Vec<String>) {
    let doc = Html::parse_fragment(html);
    let mut out = String::new();
    for node in doc.root_element().descendants() {
        match node.value() {
            Node::Text(t) => {
                let skip = node
                    .parent()
                    .and_then(|p| p.value().as_element().map(|e| e.name()))
                    .is_some_and(|n| n == "script" || n == "style");
                if !skip {
                    out.push_str(t);
                }
            }
            Node::Element(e) if BLOCKS.contains(&e.name()) => out.push(' '),
            _ => {}
        }
    }
    let text = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let sel = Selector::parse("a[href]").expect("valid selector");
    let mut links = Vec::new();
    for a in doc.select(&sel) {
        let Some(href) = a.value().attr("href") else {
            continue;
        };
        let u = match base {
            Some(b) => b.join(href.trim()).ok(),
            None => Url::parse(href.trim()).ok(),
        };
        if let Some(u) = u.filter(|u| matches!(u.scheme(), "http" | "https")) {
            let s = u.to_string();
            if !links.contains(&s) {
                links.push(s);
            }
        }
    }
    (text, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_bodies_become_text_and_links() {
        let (t, links) = html_text(
            "转发微博<br><blockquote> - 转发 <a href=\"https://weibo.com/1\">@安平发布</a>: 今天<b>开会</b></blockquote><script>x()</script><p>二</p>",
            Some(&Url::parse("https://weibo.com/2/abc").unwrap()),
        );
        assert_eq!(t, "转发微博 - 转发 @安平发布: 今天开会 二");
        assert_eq!(links, vec!["https://weibo.com/1".to_string()]);
    }

    #[test]
    fn xml_declarations_name_the_encoding() {
        assert_eq!(
            xml_declared_encoding(b"<?xml version=\"1.0\" encoding=\"GBK\"?><rss/>"),
            Some(encoding_rs::GBK)
        );
        assert_eq!(
            xml_declared_encoding(b"<?xml version='1.0' encoding='gb2312' ?>"),
            Some(encoding_rs::GBK)
        );
        assert_eq!(xml_declared_encoding(b"<rss version=\"2.0\"/>"), None);
        assert_eq!(
            as_utf8_xml("<?xml version=\"1.0\" encoding=\"GBK\"?>\n<rss/>"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss/>"
        );
    }

    #[test]
    fn three_formats_parse_alike() {
        let base = Url::parse("http://rsshub.test/x").unwrap();
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title><![CDATA[安平发布的微博]]></title><link>https://weibo.com/1</link><description>d</description>
<item><title><![CDATA[转发微博]]></title><description><![CDATA[转发微博<br><blockquote> - 转发 <a href="https://weibo.com/9">@云泽发布</a>: 通知</blockquote>]]></description><pubDate>Fri, 20 Nov 2026 02:00:00 GMT</pubDate><guid isPermaLink="false">https://weibo.com/1/A</guid><link>https://weibo.com/1/A</link><category>转发</category></item></channel></rss>"#;
        let p = parse_feed_text(rss, &base).unwrap();
        assert_eq!(p.format, "rss2");
        assert_eq!(p.title.as_deref(), Some("安平发布的微博"));
        let post = &p.posts[0];
        assert_eq!(post.title, "转发微博");
        assert_eq!(post.text, "转发微博 - 转发 @云泽发布: 通知");
        assert_eq!(post.link.as_deref(), Some("https://weibo.com/1/A"));
        assert_eq!(post.categories, vec!["转发".to_string()]);
        assert_eq!(
            post.published.unwrap().to_rfc3339(),
            "2026-11-20T10:00:00+08:00"
        );
        let atom = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>安平头条</title><id>x</id><updated>2026-11-20T02:00:00Z</updated>
<entry><title>标题</title><id>e1</id><link href="/a/1"/><updated>2026-11-19T02:00:00Z</updated><content type="html">&lt;p&gt;正文&lt;/p&gt;</content><category term="政务"/></entry></feed>"#;
        let p = parse_feed_text(atom, &base).unwrap();
        assert_eq!(p.format, "atom");
        assert_eq!(p.posts[0].text, "正文");
        assert_eq!(p.posts[0].link.as_deref(), Some("http://rsshub.test/a/1"));
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"安平抖音","items":[{"id":"v1","url":"https://www.douyin.com/video/1","title":"视频","content_html":"<p>防汛</p>","date_published":"2026-11-18T08:00:00+08:00","tags":["防汛"]}]}"#;
        let p = parse_feed_text(json, &base).unwrap();
        assert_eq!(p.format, "json");
        assert_eq!(p.posts[0].title, "视频");
        assert_eq!(p.posts[0].text, "防汛");
        assert_eq!(p.posts[0].categories, vec!["防汛".to_string()]);
        assert_eq!(
            p.posts[0].published.unwrap().to_rfc3339(),
            "2026-11-18T08:00:00+08:00"
        );
        assert!(parse_feed_text("<html><body>502 Bad Gateway</body></html>", &base).is_err());
        assert!(parse_feed_text("not a feed", &base).is_err());
    }

    fn rss(items: &[String]) -> String {
        let mut s = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>"#,
        );
        for (i, d) in items.iter().enumerate() {
            s.push_str(&format!(
                "<item><title>第{i}条</title><link>https://weibo.com/1/{i}</link><pubDate>Fri, 20 Nov 2026 02:00:00 GMT</pubDate><description>{d}</description></item>"
            ));
        }
        s.push_str("</channel></rss>");
        s
    }

    #[test]
    fn a_body_nested_past_the_page_budget_is_not_parsed() {
        let base = Url::parse("http://rsshub.test/x").unwrap();
        let budget = PostBudget {
            max_depth: 100,
            max_elements: 10_000,
        };
        // nested blocks in CDATA, escaped nested spans, and a sane body after them
        let cdata = format!(
            "<![CDATA[{}深{}]]>",
            "<div>".repeat(101),
            "</div>".repeat(101)
        );
        let escaped = format!(
            "{}藏{}",
            "&lt;span&gt;".repeat(150),
            "&lt;/span&gt;".repeat(150)
        );
        let sane = format!(
            "<![CDATA[{}正文 <a href=\"/a\">链接</a>{}]]>",
            "<div>".repeat(99),
            "</div>".repeat(99)
        );
        let p = parse_feed_text_within(&rss(&[cdata, escaped, sane]), &base, budget).unwrap();
        assert_eq!(p.over_budget, 2);
        let texts: Vec<&str> = p.posts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["", "", "正文 链接"]);
        // what is not the body is kept
        assert_eq!(p.posts[0].title, "第0条");
        assert_eq!(p.posts[1].link.as_deref(), Some("https://weibo.com/1/1"));
        assert!(p.posts.iter().all(|p| p.published.is_some()));
        assert_eq!(p.posts[2].links, vec!["https://weibo.com/a".to_string()]);
    }

    #[test]
    fn the_bodies_of_one_feed_share_one_element_budget() {
        let base = Url::parse("http://rsshub.test/x").unwrap();
        let budget = PostBudget {
            max_depth: 1000,
            max_elements: 1000,
        };
        // flat paragraphs (400 elements), a table of cells (267), a list (400): the third passes 1000
        let items = [
            format!("<![CDATA[{}]]>", "<p>段</p>".repeat(400)),
            format!("<![CDATA[<table>{}</table>]]>", "<tr><td>格".repeat(133)),
            format!("<![CDATA[<ul>{}</ul>]]>", "<li>项</li>".repeat(399)),
            "无标记的正文".to_string(),
        ];
        let p = parse_feed_text_within(&rss(&items), &base, budget).unwrap();
        assert_eq!(p.over_budget, 1);
        assert!(p.posts[0].text.starts_with("段 段"));
        assert!(p.posts[1].text.starts_with("格 格"));
        assert_eq!(p.posts[2].text, "");
        assert_eq!(p.posts[3].text, "无标记的正文");
    }

    #[test]
    fn the_default_budget_is_the_page_budget() {
        let d = govwatch_config::CrawlSettings::default();
        assert_eq!(
            PostBudget::default(),
            PostBudget {
                max_depth: d.max_page_depth,
                max_elements: d.max_page_elements
            }
        );
    }
}
