//! Lists and search boxes built by script, as far as a reader of the raw HTML can see them
//! (issue 25). Since about 2022 many government sites draw their lists with script:
//!
//! - **placeholder**: the items sit in the page as markup a browser does not show — an HTML
//!   comment a script copies into the list, or a data block (`<script type="text/xml">` holding
//!   `<record><![CDATA[<li>…</li>]]></record>`, `<script type="text/html">`) a script draws;
//! - **inline data**: the items sit in the page's own script as an array of objects with a title
//!   and a date (`var data = [{title: "…", pubDate: "2026-11-20"}]`, or a JSON block), drawn by a
//!   client-side template;
//! - **ajax**: an empty list container that a script on the page fills from an endpoint
//!   (`$.getJSON('/api/list.json', …)`, `fetch(…)`);
//! - **script search**: a search box whose handler lives in a script the page does not show (an
//!   input beside a search button, [`crate::search::locate_in`]'s `unverified` entries), or a
//!   search box the page's script writes in.
//!
//! The first two are read here without a browser ([`inline_items`]): cheaper than rendering and
//! the only way without Chromium. The others are only *recognised* ([`assess`]): the crawl
//! renders such a page when a browser is at hand, and without one the probes report the list or
//! search as unverified (`column.unverified`, `search.unverified`: 未能核实) — never blank, stale
//! or missing. Every rule is about the page's shape (comments, data blocks, arrays of titled and
//! dated objects, containers named by a requesting script), never about one CMS.

use crate::dates::parse_date;
use crate::evidence::clip;
use crate::html::sel;
use crate::lists::{ListItem, list_items};
use chrono::NaiveDate;
use regex::Regex;
use scraper::{ElementRef, Html};
use serde::Serialize;
use std::sync::OnceLock;
use url::Url;

/// How a list or search box is built by script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Items in an HTML comment or a data block a script draws.
    Placeholder,
    /// Items in an array of the page's own script (or a JSON block), drawn by a template.
    InlineData,
    /// An empty container a script fills from an endpoint.
    Ajax,
    /// A search box wired (or written) by a script the page does not show.
    ScriptSearch,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Placeholder => "placeholder",
            Shape::InlineData => "inline_data",
            Shape::Ajax => "ajax",
            Shape::ScriptSearch => "script_search",
        }
    }

    /// In Chinese, for findings and reports.
    pub fn zh(self) -> &'static str {
        match self {
            Shape::Placeholder => "列表内容由脚本从页面注释或数据块中生成",
            Shape::InlineData => "列表内容由脚本从页面内嵌数据生成",
            Shape::Ajax => "列表内容由脚本从接口动态加载",
            Shape::ScriptSearch => "搜索框由脚本生成或绑定",
        }
    }
}

/// What the static reading recognised on a page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Found {
    pub shape: Shape,
    /// The markup or script that shows it.
    pub excerpt: String,
    /// The endpoint a script requests (ajax).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// The scripts of a page: `(type, src, text)`.
struct Scripts<'a> {
    all: Vec<(String, Option<&'a str>, String)>,
}

impl<'a> Scripts<'a> {
    fn of(doc: &'a Html) -> Scripts<'a> {
        let all = doc
            .select(sel("script"))
            .map(|e| {
                (
                    e.value()
                        .attr("type")
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase(),
                    e.value().attr("src"),
                    e.text().collect::<String>(),
                )
            })
            .collect();
        Scripts { all }
    }

    /// Inline scripts a browser runs (no `src`, a JavaScript type or none).
    fn code(&self) -> impl Iterator<Item = &str> {
        self.all
            .iter()
            .filter(|(ty, src, _)| src.is_none() && runs(ty))
            .map(|(_, _, t)| t.as_str())
    }

    /// Blocks a browser does not run: data and templates (`text/xml`, `text/html`, …).
    fn data(&self) -> impl Iterator<Item = (&str, &str)> {
        self.all
            .iter()
            .filter(|(ty, src, _)| src.is_none() && !runs(ty))
            .map(|(ty, _, t)| (ty.as_str(), t.as_str()))
    }

    fn any_code(&self) -> bool {
        self.all.iter().any(|(ty, _, _)| runs(ty))
    }
}

/// Whether a `<script type>` is JavaScript a browser runs.
fn runs(ty: &str) -> bool {
    ty.is_empty()
        || ty.contains("javascript")
        || ty.contains("ecmascript")
        || ty == "module"
        || ty.contains("jscript")
}

/// HTML comments of the page's body, in document order.
fn comments(doc: &Html) -> Vec<&str> {
    doc.tree
        .nodes()
        .filter_map(|n| n.value().as_comment().map(|c| &**c))
        .collect()
}

fn strip_cdata(s: &str) -> String {
    s.replace("<![CDATA[", "").replace("]]>", "")
}

/// The dated items of markup held as text (a comment's, a data block's).
fn items_of_markup(markup: &str, page_url: &Url, as_of: NaiveDate) -> Vec<ListItem> {
    let lower = markup.to_ascii_lowercase();
    if !lower.contains("<a") || !lower.contains("href") {
        return Vec::new();
    }
    let frag = Html::parse_document(&format!("<ul>{}</ul>", strip_cdata(markup)));
    list_items(&frag, page_url, as_of)
}

/// Words of a script that reads comments back (to copy their markup into the page).
const COMMENT_READERS: &[&str] = &[
    "nodeType",
    "COMMENT_NODE",
    "nodeValue",
    "createComment",
    "comment",
    "<!--",
];

/// Words of a script that draws markup into the page.
const DRAWERS: &[&str] = &[
    "innerHTML",
    "appendChild",
    "append(",
    "html(",
    "insertAdjacentHTML",
    "document.write",
    "template",
    "render",
    "v-for",
    "{{",
    "createElement",
];

/// Items in placeholders a script draws: comments (when a script of the page reads comments)
/// and data blocks. Only dated items count: undated markup may be a navigation left commented
/// out.
fn placeholder_items(
    doc: &Html,
    scripts: &Scripts,
    page_url: &Url,
    as_of: NaiveDate,
) -> (Vec<ListItem>, Option<String>) {
    let mut items = Vec::new();
    let mut excerpt = None;
    for (_, text) in scripts.data() {
        let got = items_of_markup(text, page_url, as_of);
        if got.iter().any(|i| i.date.is_some()) {
            excerpt.get_or_insert_with(|| clip(&fold(text), 300));
            items.extend(got);
        }
    }
    let reads_comments = scripts
        .code()
        .any(|c| COMMENT_READERS.iter().any(|w| c.contains(w)));
    if reads_comments {
        for c in comments(doc) {
            let got = items_of_markup(c, page_url, as_of);
            if got.iter().any(|i| i.date.is_some()) {
                excerpt.get_or_insert_with(|| clip(&format!("<!--{}-->", fold(c)), 300));
                items.extend(got);
            }
        }
    }
    items.retain(|i| i.date.is_some());
    (items, excerpt)
}

/// Keys of a data object that hold an item's title, date and link, as sites name them.
const TITLE_KEYS: &[&str] = &[
    "title",
    "doctitle",
    "name",
    "subject",
    "bt",
    "biaoti",
    "infotitle",
    "articletitle",
    "newstitle",
    "maintitle",
];
const DATE_KEYS: &[&str] = &[
    "date",
    "pubdate",
    "publishdate",
    "pubtime",
    "publishtime",
    "releasetime",
    "releasedate",
    "time",
    "createtime",
    "createdate",
    "docdate",
    "docreltime",
    "writetime",
    "crtime",
    "fbrq",
    "fbsj",
    "fwrq",
    "inputtime",
    "updatetime",
];
const URL_KEYS: &[&str] = &[
    "url", "link", "href", "docurl", "path", "linkurl", "infourl", "pageurl",
];

fn object_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    // an object literal holding no other object (an item of an array)
    R.get_or_init(|| Regex::new(r"\{[^{}]{0,4000}\}").unwrap())
}

fn pair_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r#"["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*:\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\d{10,13}\b)"#,
        )
        .unwrap()
    })
}

/// A JS or JSON string literal's text (quotes removed, escapes decoded).
fn unquote(lit: &str) -> String {
    let inner = &lit[1..lit.len().saturating_sub(1).max(1)];
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some('n') => out.push(' '),
            Some('t') => out.push(' '),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// A date field's value: a date as written, or a Unix time in seconds or milliseconds (read in
/// China time).
fn date_of(raw: &str, as_of: NaiveDate) -> Option<(NaiveDate, String)> {
    if raw.chars().all(|c| c.is_ascii_digit()) && raw.len() >= 10 {
        let n: i64 = raw.parse().ok()?;
        let secs = if raw.len() >= 13 { n / 1000 } else { n };
        let t = chrono::DateTime::from_timestamp(secs, 0)?
            .with_timezone(&govwatch_model::time::CHINA_TZ)
            .date_naive();
        return (2000..=2100)
            .contains(&chrono::Datelike::year(&t))
            .then(|| (t, raw.to_string()));
    }
    parse_date(raw, as_of)
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| (c as u32) >= 0x3400)
}

/// The titled and dated items of one script's data (objects of an array, JS or JSON).
fn data_items(text: &str, page_url: &Url, as_of: NaiveDate) -> Vec<ListItem> {
    let mut out = Vec::new();
    for (n, m) in object_re().find_iter(text).enumerate() {
        let (mut title, mut date, mut link) = (None, None, None);
        for c in pair_re().captures_iter(m.as_str()) {
            let key = c[1].to_ascii_lowercase();
            let lit = &c[2];
            let value = if lit.starts_with(['"', '\'']) {
                unquote(lit)
            } else {
                lit.to_string()
            };
            if title.is_none() && TITLE_KEYS.contains(&key.as_str()) {
                let t = fold(&value);
                if t.chars().count() >= 4 && has_cjk(&t) {
                    title = Some(t);
                }
            } else if date.is_none() && DATE_KEYS.contains(&key.as_str()) {
                date = date_of(value.trim(), as_of);
            } else if link.is_none() && URL_KEYS.contains(&key.as_str()) && !value.is_empty() {
                link = page_url.join(value.trim()).ok();
            }
        }
        if let (Some(title), Some((d, raw))) = (title, date) {
            let url = link.map(|u| u.to_string()).unwrap_or_else(|| {
                // an item without a link of its own: the page and its place in the list
                let mut u = page_url.clone();
                u.set_fragment(Some(&format!("item-{n}")));
                u.to_string()
            });
            out.push(ListItem {
                title,
                url,
                date: Some(d),
                raw_date: Some(raw),
                pinned: false,
                // drawn by script: read, never judged as backdated
                linked: false,
            });
        }
    }
    out
}

/// Whether the page's markup is a client-side template (`v-for`, `ng-repeat`, `x-for`, `{{…}}`
/// in its text) that a script fills.
fn html_template(doc: &Html) -> bool {
    doc.root_element().descendants().any(|n| match n.value() {
        scraper::Node::Element(e) => e.attrs().any(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k == "v-for" || k == "ng-repeat" || k == "x-for" || k == "th:each" || k == "wx:for"
        }),
        scraper::Node::Text(t) => t.contains("{{") && t.contains("}}"),
        _ => false,
    })
}

/// Items in arrays of the page's own scripts (and JSON blocks) that a script draws: at least two
/// titled and dated objects in one script.
fn inline_data_items(
    doc: &Html,
    scripts: &Scripts,
    page_url: &Url,
    as_of: NaiveDate,
) -> (Vec<ListItem>, Option<String>) {
    let draws = scripts
        .code()
        .any(|c| DRAWERS.iter().any(|w| c.contains(w)))
        || scripts
            .data()
            .any(|(ty, t)| ty.contains("template") || t.contains("{{"))
        || html_template(doc);
    if !draws {
        return (Vec::new(), None);
    }
    let mut items = Vec::new();
    let mut excerpt = None;
    let blocks = scripts.code().chain(
        scripts
            .data()
            .filter(|(ty, _)| ty.contains("json"))
            .map(|(_, t)| t),
    );
    for text in blocks {
        let got = data_items(text, page_url, as_of);
        if got.len() >= 2 {
            if excerpt.is_none() {
                let first = &got[0].title;
                excerpt = Some(clip(
                    &crate::evidence::excerpt_around(text, first, 120)
                        .unwrap_or_else(|| fold(text)),
                    300,
                ));
            }
            items.extend(got);
        }
    }
    (items, excerpt)
}

/// The list items a static reader can still get from a page whose list is built by script:
/// placeholders (comments a script copies, data blocks) and inline data (arrays of titled and
/// dated objects). Empty, with no shape, when the page holds neither.
pub fn inline_items(
    doc: &Html,
    page_url: &Url,
    as_of: NaiveDate,
) -> (Vec<ListItem>, Option<Found>) {
    let scripts = Scripts::of(doc);
    if !scripts.any_code() {
        return (Vec::new(), None);
    }
    let (items, excerpt) = placeholder_items(doc, &scripts, page_url, as_of);
    if !items.is_empty() {
        let found = Found {
            shape: Shape::Placeholder,
            excerpt: excerpt.unwrap_or_default(),
            endpoint: None,
        };
        return (dedup(items), Some(found));
    }
    let (items, excerpt) = inline_data_items(doc, &scripts, page_url, as_of);
    if !items.is_empty() {
        let found = Found {
            shape: Shape::InlineData,
            excerpt: excerpt.unwrap_or_default(),
            endpoint: None,
        };
        return (dedup(items), Some(found));
    }
    (Vec::new(), None)
}

fn dedup(mut items: Vec<ListItem>) -> Vec<ListItem> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert((i.url.clone(), i.title.clone())));
    items
}

fn request_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r#"(?:\$\.(?:ajax|get|getJSON|post)|\bfetch|axios(?:\.get|\.post)?)\s*\(\s*(?:\{[^}]*?url\s*:\s*)?(?:["'`]([^"'`]+)["'`]|[A-Za-z_$][\w$.]*)|\.load\s*\(\s*["'`]([^"'`]+)["'`]|\.open\s*\(\s*["'][A-Za-z]+["']\s*,\s*(?:["'`]([^"'`]+)["'`]|[A-Za-z_$][\w$.]*)"#,
        )
        .unwrap()
    })
}

/// An element that can hold a list: `ul`, `ol`, `tbody`, `table`, `dl` or a `div`/`section`
/// named for a list, with an id or a class.
fn container_names(e: &ElementRef) -> Vec<String> {
    let v = e.value();
    let mut names = Vec::new();
    if let Some(id) = v.attr("id").filter(|s| !s.trim().is_empty()) {
        names.push(id.trim().to_string());
    }
    for c in v.classes() {
        names.push(c.to_string());
    }
    names
}

/// Whether an element shows no list item of its own: no link with text, no row of text.
fn empty_container(e: &ElementRef) -> bool {
    let links = e
        .select(sel("a"))
        .filter(|a| a.text().collect::<String>().trim().chars().count() >= 4)
        .count();
    let text: usize = e
        .text()
        .map(|t| t.chars().filter(|c| (*c as u32) >= 0x3400).count())
        .sum();
    links == 0 && text < 30
}

/// An empty list container that a script of the page names and that script requests data: the
/// list is filled from an endpoint the static reader does not see.
fn ajax_list(doc: &Html, scripts: &Scripts) -> Option<Found> {
    let code: Vec<&str> = scripts.code().collect();
    let requesting: Vec<(&str, Option<String>)> = code
        .iter()
        .filter_map(|c| {
            let m = request_re().captures(c)?;
            let endpoint = m.get(1).or(m.get(2)).or(m.get(3));
            Some((*c, endpoint.map(|g| g.as_str().to_string())))
        })
        .collect();
    if requesting.is_empty() {
        return None;
    }
    for e in doc.select(sel(
        "ul, ol, tbody, table, dl, div[id], section[id], div[class*=list], div[class*=List]",
    )) {
        if !empty_container(&e) {
            continue;
        }
        for name in container_names(&e) {
            if name.len() < 2 {
                continue;
            }
            let quoted = [
                format!("'{name}'"),
                format!("\"{name}\""),
                format!("#{name}"),
                format!(".{name}"),
            ];
            if let Some((script, endpoint)) = requesting
                .iter()
                .find(|(c, _)| quoted.iter().any(|q| c.contains(q.as_str())))
            {
                let markup = clip(&fold(&e.html()), 150);
                let at = endpoint
                    .as_deref()
                    .and_then(|ep| crate::evidence::excerpt_around(script, ep, 80))
                    .unwrap_or_else(|| clip(&fold(script), 150));
                return Some(Found {
                    shape: Shape::Ajax,
                    excerpt: clip(&format!("{markup} … {at}"), 300),
                    endpoint: endpoint.clone(),
                });
            }
        }
    }
    None
}

/// A search box the page's script writes in (`document.write`, `innerHTML`, `.html(…)` of markup
/// holding a search input or a search form).
fn written_search(scripts: &Scripts) -> Option<Found> {
    scripts.code().find_map(|c| {
        let lower = c.to_ascii_lowercase();
        let writes = [
            "document.write",
            "innerhtml",
            ".html(",
            ".append(",
            "insertadjacenthtml",
        ]
        .iter()
        .any(|w| lower.contains(w));
        let input = lower.contains("<input") || lower.contains("<form");
        let search = ["搜索", "检索", "search", "sousuo", "keyword"]
            .iter()
            .any(|w| lower.contains(w));
        (writes && input && search).then(|| Found {
            shape: Shape::ScriptSearch,
            excerpt: crate::evidence::excerpt_around(c, "<input", 120)
                .or_else(|| crate::evidence::excerpt_around(c, "<form", 120))
                .unwrap_or_else(|| clip(&fold(c), 300)),
            endpoint: None,
        })
    })
}

/// What of a page is built by script: its list (placeholder, inline data or ajax) and its search
/// box. `list` is set only when the static reader finds no dated item on the page itself (a list
/// it can read needs no help); `search` when a search box's handler or markup is in a script.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Assessment {
    pub list: Option<Found>,
    pub search: Option<Found>,
}

impl Assessment {
    /// Whether a browser would show more than the static reader sees.
    pub fn needs_render(&self) -> bool {
        self.list.is_some() || self.search.is_some()
    }
}

/// Recognises a page's script-built list and search box (see [`Assessment`]). `search_entries`
/// are the search probe's entries on the page (an `unverified` one is a box wired by a script
/// the page does not show).
pub fn assess(
    doc: &Html,
    page_url: &Url,
    as_of: NaiveDate,
    unverified_search: Option<&str>,
) -> Assessment {
    let scripts = Scripts::of(doc);
    if !scripts.any_code() {
        return Assessment::default();
    }
    // the shapes first (cheap), the page's own list only when one is found
    let list = inline_items(doc, page_url, as_of)
        .1
        .or_else(|| ajax_list(doc, &scripts))
        .filter(|_| {
            !list_items(doc, page_url, as_of)
                .iter()
                .any(|i| i.date.is_some())
        });
    let search = unverified_search
        .map(|excerpt| Found {
            shape: Shape::ScriptSearch,
            excerpt: clip(excerpt, 300),
            endpoint: None,
        })
        .or_else(|| written_search(&scripts));
    Assessment { list, search }
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn base() -> Url {
        Url::parse("http://www.a.gov.test/tzgg/").unwrap()
    }

    fn dates(items: &[ListItem]) -> Vec<String> {
        items
            .iter()
            .map(|i| i.date.map(|d| d.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn items_in_a_comment_a_script_copies() {
        let html = r#"<html><body><ul id="list"></ul>
        <!--<li><a href="/tzgg/202611/t1.html">关于开展冬季消防检查的通知</a><span>2026-11-20</span></li>
        <li><a href="/tzgg/202610/t2.html">关于调整办公时间的公告</a><span>2026-10-08</span></li>-->
        <script>var n=document.body.childNodes;for(var i=0;i<n.length;i++){if(n[i].nodeType==8){document.getElementById('list').innerHTML=n[i].nodeValue;}}</script>
        </body></html>"#;
        let doc = Html::parse_document(html);
        let (items, found) = inline_items(&doc, &base(), as_of());
        assert_eq!(dates(&items), ["2026-11-20", "2026-10-08"]);
        assert_eq!(items[0].url, "http://www.a.gov.test/tzgg/202611/t1.html");
        assert_eq!(found.unwrap().shape, Shape::Placeholder);
        // the same comment with no script reading comments: a block left commented out, unseen
        let dead = html.replace("nodeType==8", "x").replace("nodeValue", "y");
        let doc = Html::parse_document(&dead);
        assert_eq!(inline_items(&doc, &base(), as_of()).0, vec![]);
    }

    #[test]
    fn items_in_a_data_block_with_cdata_records() {
        let html = r#"<div id="c1"><script type="text/xml"><datastore><recordset>
        <record><![CDATA[<li><a href="./202611/t3.html" target="_blank">县政府常务会议研究部署安全生产工作</a><span class="date">2026年11月25日</span></li>]]></record>
        <record><![CDATA[<li><a href="./202611/t4.html" target="_blank">全县秋冬季森林防火工作会议召开</a><span class="date">2026年11月02日</span></li>]]></record>
        </recordset></datastore></script><script src="/js/page.js"></script><script>var pageSize=15;</script></div>"#;
        let doc = Html::parse_document(html);
        let (items, found) = inline_items(&doc, &base(), as_of());
        assert_eq!(dates(&items), ["2026-11-25", "2026-11-02"]);
        assert_eq!(items[1].url, "http://www.a.gov.test/tzgg/202611/t4.html");
        assert_eq!(found.unwrap().shape, Shape::Placeholder);
    }

    #[test]
    fn arrays_of_titled_and_dated_objects() {
        // JS literal, unquoted keys, single quotes, a \u escape, a template drawing it
        let js = r#"<ul id="news"></ul><script>
        var list = [{title:'\u5e02\u653f\u5e9c\u53ec\u5f00\u5e38\u52a1\u4f1a\u8bae', pubDate:'2026-11-26', url:'/xw/1.html'},
                    {title:'全市经济运行情况通报会召开', pubDate:'2026-11-19', url:'/xw/2.html'}];
        var h=''; list.forEach(function(d){ h+='<li><a href="'+d.url+'">'+d.title+'</a>'+d.pubDate+'</li>'; });
        document.getElementById('news').innerHTML=h;</script>"#;
        let doc = Html::parse_document(js);
        let (items, found) = inline_items(&doc, &base(), as_of());
        assert_eq!(
            items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
            ["市政府召开常务会议", "全市经济运行情况通报会召开"]
        );
        assert_eq!(dates(&items), ["2026-11-26", "2026-11-19"]);
        assert_eq!(found.unwrap().shape, Shape::InlineData);
        // JSON in a data block drawn by a template, dates as milliseconds and Chinese keys' kin
        let json = r#"<div id="app"><p v-for="i in rows">{{i.docTitle}}</p></div>
        <script type="application/json" id="d">{"rows":[{"docTitle":"关于公布第一批示范单位名单的通知","docRelTime":1763452800000,"docUrl":"http://www.a.gov.test/tzgg/5.html"},
        {"docTitle":"关于征求意见稿公开征求意见的公告","docRelTime":1760000000000,"docUrl":"http://www.a.gov.test/tzgg/6.html"}]}</script>
        <script>new Vue({el:'#app',data:{rows:JSON.parse(document.getElementById('d').textContent).rows}})</script>"#;
        let doc = Html::parse_document(json);
        let (items, _) = inline_items(&doc, &base(), as_of());
        assert_eq!(dates(&items), ["2025-11-18", "2025-10-09"]);
        // one object alone (a page's settings) is no list
        let one = r#"<script>var cfg={title:'某某县人民政府门户网站',date:'2026-01-01'}; document.title=cfg.title;</script>"#;
        assert!(
            inline_items(&Html::parse_document(one), &base(), as_of())
                .0
                .is_empty()
        );
    }

    #[test]
    fn an_empty_container_a_requesting_script_names() {
        let jq = r#"<div class="main"><ul class="news-list" id="infoList"></ul></div>
        <script>$(function(){ $.getJSON('/api/tzgg/list.json', {page:1}, function(r){ var h=''; $.each(r.data,function(i,d){h+='<li>'+d.title+'</li>'}); $('#infoList').html(h); }); });</script>"#;
        let doc = Html::parse_document(jq);
        let a = assess(&doc, &base(), as_of(), None);
        let list = a.list.expect("ajax list");
        assert_eq!(
            (list.shape, list.endpoint.as_deref()),
            (Shape::Ajax, Some("/api/tzgg/list.json"))
        );
        // fetch() and a table body named by getElementById
        let f = r#"<table><tbody id="rows"></tbody></table><script>fetch("/gkml/data?col=12").then(r=>r.json()).then(j=>{document.getElementById("rows").innerHTML=j.map(x=>`<tr><td>${x.t}</td></tr>`).join('')})</script>"#;
        let a = assess(&Html::parse_document(f), &base(), as_of(), None);
        assert_eq!(
            a.list.map(|l| (l.shape, l.endpoint)),
            Some((Shape::Ajax, Some("/gkml/data?col=12".into())))
        );
        // XMLHttpRequest: the endpoint is the URL after the method
        let x = r#"<div id="jgList" class="list"></div><script>var x=new XMLHttpRequest();x.open('GET','/api/jg.json');x.onload=function(){document.getElementById('jgList').innerHTML=x.responseText};x.send();</script>"#;
        let a = assess(&Html::parse_document(x), &base(), as_of(), None);
        assert_eq!(
            a.list.map(|l| (l.shape, l.endpoint)),
            Some((Shape::Ajax, Some("/api/jg.json".into())))
        );
        // jQuery's window load event is no request
        let w = r#"<ul id="hot"></ul><script>$(window).load(function(){ $('#hot').show(); });</script>"#;
        assert_eq!(
            assess(&Html::parse_document(w), &base(), as_of(), None).list,
            None
        );
        // a blank column (an empty list, no script) and a script that requests nothing
        for blank in [
            r#"<ul class="list-txt" id="contentList"></ul><p class="no-data">暂无相关数据</p>"#,
            r#"<ul id="contentList"></ul><script>document.getElementById('contentList').className='x';</script>"#,
        ] {
            assert_eq!(
                assess(&Html::parse_document(blank), &base(), as_of(), None),
                Assessment::default(),
                "{blank}"
            );
        }
        // a list the static reader reads needs no help, whatever the scripts do
        let read = r#"<ul id="l"><li><a href="/a/1.html">县政府召开常务会议</a>2026-11-20</li></ul><script>$.get('/api/x',function(){ $('#l').append('') })</script>"#;
        assert_eq!(
            assess(&Html::parse_document(read), &base(), as_of(), None).list,
            None
        );
    }

    #[test]
    fn a_search_box_written_by_script() {
        let w = r#"<div id="s"></div><script>document.write('<form action="/search/"><input name="q" placeholder="站内搜索"><button>搜索</button></form>');</script>"#;
        let a = assess(&Html::parse_document(w), &base(), as_of(), None);
        assert_eq!(a.search.map(|s| s.shape), Some(Shape::ScriptSearch));
        let plain = r#"<script>document.write('<p>欢迎访问</p>');</script>"#;
        assert_eq!(
            assess(&Html::parse_document(plain), &base(), as_of(), None).search,
            None
        );
    }
}
