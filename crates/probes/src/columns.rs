//! Column freshness (single-veto rules 3 and 4 of 国办秘函〔2019〕19号, and the security veto for
//! faked publish dates).
//!
//! - Columns are discovered from the home page navigation (links to column index pages), from
//!   channel pages (their links to sub-column indexes below their own path) and from the site's
//!   configured column hints; names come from the link text, else `<meta name="ColumnName">`.
//! - Each column is classified by name (`config/columns.toml`: news, notice, policy, personnel,
//!   plan, interaction, other) and its list items dated with [`crate::dates`]. The newest item
//!   date decides (pinned and out-of-order items cannot mislead); items dated after the monitoring
//!   time are not taken as updates.
//!
//! Facts: `column.latest` per column `{name, level, parent, kind, latest, items, undated, pinned,
//! future, window_days, channel, read}` (`read`: how its lists were read, [`ListReading::summary`]); `column.items` per column (its item list, compared by the next
//! run); `home.latest`.
//! Findings: `column.stale` (kind, latest, window, days overdue), `column.blank`,
//! `column.undated`, `home.stale` (a navigation-hub home page falls back to its column pages),
//! `content.backdated` (an item first seen long after its claimed date, or dated in the future).

use crate::dates::article_like;
use crate::lists::{ListItem, ListReading, read_lists};
use crate::{Probe, ProbeInput, ProbeOutput};
use chrono::NaiveDate;
use govwatch_config::ColumnRules;
use govwatch_model::{Fact, LinkKind, Page, Severity, normalize_url_str};
use scraper::{Html, Selector};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use url::Url;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `column.latest` (fact).
    pub const LATEST: &str = "column.latest";
    /// `column.items` (fact).
    pub const ITEMS: &str = "column.items";
    /// `home.latest` (fact).
    pub const HOME_LATEST: &str = "home.latest";
    /// `column.stale` (finding).
    pub const STALE: &str = "column.stale";
    /// `column.blank` (finding).
    pub const BLANK: &str = "column.blank";
    /// `column.undated` (finding).
    pub const UNDATED: &str = "column.undated";
    /// `home.stale` (finding).
    pub const HOME_STALE: &str = "home.stale";
    /// `content.backdated` (finding).
    pub const CONTENT_BACKDATED: &str = "content.backdated";
    /// `column.unverified` (fact): a list built by script the static reader cannot see.
    pub const UNVERIFIED: &str = "column.unverified";
    /// Every code above.
    pub const ALL: &[&str] = &[
        UNVERIFIED,
        LATEST,
        ITEMS,
        HOME_LATEST,
        STALE,
        BLANK,
        UNDATED,
        HOME_STALE,
        CONTENT_BACKDATED,
    ];
}

pub struct Columns {
    pub rules: ColumnRules,
}

/// A discovered column.
#[derive(Debug, Clone)]
pub struct Column {
    pub url: String,
    pub name: String,
    pub level: u8,
    pub parent: Option<String>,
}

fn dir_like(u: &Url) -> bool {
    !article_like(u) && !pagination(u)
}

fn pagination(u: &Url) -> bool {
    let file = u.path().rsplit('/').next().unwrap_or("");
    let q = u.query().unwrap_or("").to_ascii_lowercase();
    (file.starts_with("index_") || file.starts_with("list_") || file.starts_with("default_"))
        || q.contains("page=")
        || q.contains("pageindex=")
}

/// A link text as a column name: 2–10 CJK characters, not one of `not_columns`.
fn column_name(text: &str, not_columns: &[String]) -> Option<String> {
    let t = text.trim();
    let n = t.chars().count();
    let cjk = t.chars().all(|c| (c as u32) >= 0x3400 || c == '·');
    ((2..=10).contains(&n) && cjk && !not_columns.iter().any(|w| w == t)).then(|| t.to_string())
}

fn meta_column_name(doc: &Html) -> Option<String> {
    static SEL: std::sync::OnceLock<Selector> = std::sync::OnceLock::new();
    let sel = SEL.get_or_init(|| {
        Selector::parse(r#"meta[name="ColumnName"], meta[name="columnname"], meta[name="column"]"#)
            .expect("valid selector")
    });
    doc.select(sel)
        .find_map(|m| m.value().attr("content"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// What the columns probe reads of one page: its `ColumnName` meta tag and, for pages that can
/// be a column (the home page, index-like URLs, configured columns), its dated list items and
/// whether it is blank. `None` parts were not read during the crawl and are read on demand.
pub struct ColumnsScan {
    meta_name: Option<String>,
    items: Option<ListReading>,
    blank: Option<Option<String>>,
    /// How the list was read when the page builds it by script (`None`: plainly).
    scripted: Option<Scripted>,
}

/// A list built by script: read from the page's inline data (`read: inline`), or not
/// readable without a browser (`read: unverified`).
#[derive(Debug, Clone)]
pub struct Scripted {
    pub found: crate::scripted::Found,
    pub unverified: bool,
}

/// The list of a page whose static reading finds no dated item: the items of its inline data
/// (comments, data blocks, script arrays), or, for a list a script fills from an endpoint, the
/// mark that it is unverified (never blank, stale or undated).
pub fn scripted_list(
    doc: &Html,
    base: &Url,
    as_of: NaiveDate,
    reading: ListReading,
) -> (ListReading, Option<Scripted>) {
    if reading.items.iter().any(|i| i.date.is_some()) {
        return (reading, None);
    }
    let (inline, found) = crate::scripted::inline_items(doc, base, as_of);
    if let Some(found) = found {
        let dated = inline.iter().filter(|i| i.date.is_some()).count();
        let lists = vec![crate::lists::ListShape {
            structure: "inline".into(),
            records: inline.len(),
            dated,
        }];
        return (
            ListReading {
                items: inline,
                lists,
            },
            Some(Scripted {
                found,
                unverified: false,
            }),
        );
    }
    match crate::scripted::assess(doc, base, as_of, None).list {
        Some(found) => (
            reading,
            Some(Scripted {
                found,
                unverified: true,
            }),
        ),
        None => (reading, None),
    }
}

/// Whether a page may be a column index (so its list is read while it is parsed).
fn column_candidate(page: &Page, hints: &BTreeMap<String, String>) -> bool {
    if page.depth == 0 {
        return true;
    }
    let hinted = |u: &str| {
        hints
            .values()
            .filter_map(|h| normalize_url_str(h))
            .any(|h| h == u)
    };
    [&page.fetch.url, &page.fetch.final_url]
        .iter()
        .any(|u| Url::parse(u).is_ok_and(|x| dir_like(&x)) || hinted(u))
}

/// The column name of a start page that is not the site's root (an inspector pasting a column's
/// URL, whatever its shape): its `ColumnName` meta tag or a part of its title that is not the
/// site's name (`通知公告_某县人民政府` and `某县人力资源网-通知公告` → `通知公告`), a name of a
/// judged kind first. An article (its `ArticleTitle` or `PubDate` meta tag filled, as the
/// national page metadata rules have article pages say) names no column.
fn start_column_name(
    u: &Url,
    page: &Page,
    doc: &Html,
    meta: Option<String>,
    rules: &govwatch_config::ColumnRules,
    site_name: &str,
) -> Option<String> {
    if u.path() == "/" || article_page(doc) {
        return None;
    }
    // at the top folder or at an article-like path the page might be the home page: only what
    // it says of itself makes it a column — its ColumnName meta tag, or a breadcrumb bar (当前位置：
    // 首页 > 互动交流 > 民意征集) ending in the column, which no home page shows
    let meta = meta.filter(|m| !site_like(m, site_name));
    if dir_of(u) == "/" || article_like(u) {
        return meta
            .or_else(|| breadcrumb_name(doc))
            .and_then(|m| column_name(&m, &rules.not_columns));
    }
    // the ColumnName meta tag, then the parts of the title ("通知公告_某县人民政府", but also
    // "某县人力资源网-通知公告"): the site's own name is no column name
    let title_parts = page
        .title
        .as_deref()
        .unwrap_or("")
        .split(['_', '|', '-', '—', '－', '·', '｜'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let names: Vec<String> = meta
        .into_iter()
        .chain(title_parts)
        .filter_map(|s| column_name(&s, &rules.not_columns))
        .filter(|s| !site_like(s, site_name))
        .collect();
    // a name of a kind the rules judge wins over an unknown one
    names
        .iter()
        .find(|n| rules.classify(n) != "other")
        .or(names.first())
        .cloned()
}

/// Whether a title part names the site rather than a column (its registered name, or a name
/// ending as site names do: 人民政府, 政府网, 人力资源网, 门户网站).
fn site_like(s: &str, site_name: &str) -> bool {
    s == site_name
        || (!site_name.is_empty() && site_name.contains(s) && s.chars().count() >= 4)
        || ["人民政府", "政府", "网站", "网", "门户"]
            .iter()
            .any(|end| s.ends_with(end))
}

/// Words that open a breadcrumb bar.
const BREADCRUMB_WORDS: &[&str] = &[
    "当前位置",
    "您的位置",
    "你的位置",
    "您现在的位置",
    "你现在的位置",
    "所在位置",
    "现在位置",
];

/// Where a breadcrumb bar ends when the page is an article.
const ARTICLE_CRUMBS: &[&str] = &[
    "正文",
    "详情",
    "内容",
    "阅读",
    "文章",
    "详细内容",
    "正文内容",
];

/// The last place a page's breadcrumb bar names (`当前位置：首页 > 互动交流 > 民意征集` →
/// `民意征集`); none when it ends at an article (正文, 详情).
fn breadcrumb_name(doc: &Html) -> Option<String> {
    breadcrumb_last(doc).filter(|last| !ARTICLE_CRUMBS.contains(&last.as_str()))
}

/// The last place of a page's breadcrumb bar, as written.
fn breadcrumb_last(doc: &Html) -> Option<String> {
    for node in doc.root_element().descendants() {
        let Some(t) = node.value().as_text() else {
            continue;
        };
        if !BREADCRUMB_WORDS.iter().any(|w| t.contains(w)) {
            continue;
        }
        // the bar: the label's element, or the nearest one around it that holds the places too
        // (`<ol><span>当前位置：</span><a>首页</a> &gt; <a>专家解读</a></ol>`)
        let after_label = |e: &scraper::ElementRef| -> Option<String> {
            let text = crate::html::text_of(e);
            BREADCRUMB_WORDS
                .iter()
                .filter_map(|w| text.split_once(w).map(|(_, rest)| rest.to_string()))
                .next()
                .filter(|rest| rest.chars().any(|c| (c as u32) >= 0x3400))
        };
        let after = node
            .ancestors()
            .filter_map(scraper::ElementRef::wrap)
            .take(3)
            .find_map(|e| after_label(&e))?;
        return after
            .as_str()
            .split(['>', '＞', '»', '›', '→', '/', '\\'])
            .map(|p| p.trim_matches(|c: char| c.is_whitespace() || "：:".contains(c)))
            .rfind(|p| !p.is_empty())
            .map(str::to_string);
    }
    None
}

/// Whether a page says it is an article: its `ArticleTitle` or `PubDate` meta tag is filled
/// (the national page metadata rules give them to article pages), or its breadcrumb bar ends at
/// the article (…> 正文).
fn says_article(doc: &Html) -> bool {
    article_page(doc)
        || breadcrumb_last(doc).is_some_and(|last| ARTICLE_CRUMBS.contains(&last.as_str()))
}

/// Whether a page says it is an article: its `ArticleTitle` or `PubDate` meta tag is filled.
fn article_page(doc: &Html) -> bool {
    doc.select(crate::html::sel("meta[name]")).any(|m| {
        let name = m.value().attr("name").unwrap_or("");
        (name.eq_ignore_ascii_case("ArticleTitle") || name.eq_ignore_ascii_case("PubDate"))
            && !m.value().attr("content").unwrap_or("").trim().is_empty()
    })
}

/// The base path of a column URL (`/zwgk/tzgg/index.html` → `/zwgk/tzgg/`).
fn dir_of(u: &Url) -> String {
    let p = u.path();
    match p.rfind('/') {
        Some(i) => p[..=i].to_string(),
        None => "/".into(),
    }
}

/// Columns of the site, home navigation first, then sub-columns of channel pages; a link whose
/// text is no column name takes the `ColumnName` meta tag of its page (`meta_name`).
pub fn discover(
    pages: &[Page],
    hosts: &[String],
    hints: &BTreeMap<String, String>,
    meta_name: &dyn Fn(&Page) -> Option<String>,
    not_columns: &[String],
) -> Vec<Column> {
    let by_url: HashMap<String, &Page> = pages
        .iter()
        .filter(|p| p.is_html)
        .flat_map(|p| [(p.fetch.url.clone(), p), (p.fetch.final_url.clone(), p)])
        .collect();
    let internal = |u: &Url| {
        u.host_str()
            .is_some_and(|h| hosts.iter().any(|x| x.eq_ignore_ascii_case(h)))
    };
    let mut out: Vec<Column> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let Some(home) = pages.iter().find(|p| p.depth == 0 && p.is_html) else {
        return out;
    };
    seen.insert(home.fetch.url.clone());
    seen.insert(home.fetch.final_url.clone());
    let page_key = |u: &str| -> String {
        by_url
            .get(u)
            .map(|p| p.fetch.url.clone())
            .unwrap_or_else(|| u.to_string())
    };
    // the home page under another name (`/index.html` beside `/`, or the same page) is no column
    let home_alias = |u: &Url, url: &str| {
        let root_index = u.path().rsplit_once('/').is_some_and(|(dir, file)| {
            dir.is_empty()
                && ["index.", "default.", "main."]
                    .iter()
                    .any(|p| file.to_ascii_lowercase().starts_with(p))
        }) && Url::parse(&home.fetch.final_url)
            .is_ok_and(|h| h.host_str() == u.host_str());
        let same_page = by_url.get(url).is_some_and(|p| {
            p.fetch.content_hash.is_some() && p.fetch.content_hash == home.fetch.content_hash
        });
        root_index || same_page
    };
    for l in home.links.iter().filter(|l| l.kind == LinkKind::Anchor) {
        let Ok(u) = Url::parse(&l.url) else { continue };
        if !internal(&u) || !dir_like(&u) {
            continue;
        }
        let Some(url) = normalize_url_str(&l.url) else {
            continue;
        };
        if home_alias(&u, &url) {
            continue;
        }
        let key = page_key(&url);
        let name = column_name(&l.text, not_columns)
            .or_else(|| by_url.get(&url).and_then(|p| meta_name(p)));
        let Some(name) = name else { continue };
        if seen.insert(key.clone()) {
            out.push(Column {
                url: key,
                name,
                level: 1,
                parent: None,
            });
        }
    }
    for (name, url) in hints {
        if let Some(url) = normalize_url_str(url) {
            let key = page_key(&url);
            if seen.insert(key.clone()) {
                out.push(Column {
                    url: key,
                    name: name.clone(),
                    level: 1,
                    parent: None,
                });
            }
        }
    }
    let level1: Vec<Column> = out.clone();
    for parent in &level1 {
        let Some(page) = by_url.get(&parent.url) else {
            continue;
        };
        let Ok(pu) = Url::parse(&page.fetch.final_url) else {
            continue;
        };
        let base = dir_of(&pu);
        for l in page.links.iter().filter(|l| l.kind == LinkKind::Anchor) {
            let Ok(u) = Url::parse(&l.url) else { continue };
            if !internal(&u) || !dir_like(&u) {
                continue;
            }
            let d = dir_of(&u);
            if !(d.starts_with(&base) && d.len() > base.len()) {
                continue;
            }
            let Some(url) = normalize_url_str(&l.url) else {
                continue;
            };
            let key = page_key(&url);
            let name = column_name(&l.text, not_columns)
                .or_else(|| by_url.get(&url).and_then(|p| meta_name(p)));
            let Some(name) = name else { continue };
            if seen.insert(key.clone()) {
                out.push(Column {
                    url: key,
                    name,
                    level: 2,
                    parent: Some(parent.url.clone()),
                });
            }
        }
    }
    out
}

/// The text nodes of a page, white space folded, without scripts and styles.
fn text_nodes(doc: &Html) -> Vec<String> {
    let mut out = Vec::new();
    for node in doc.root_element().descendants() {
        if let Some(t) = node.value().as_text() {
            let inside_code = node
                .ancestors()
                .filter_map(scraper::ElementRef::wrap)
                .any(|a| matches!(a.value().name(), "script" | "style" | "noscript" | "head"));
            let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
            if !inside_code && !t.is_empty() {
                out.push(t);
            }
        }
    }
    out
}

/// The text nodes of the home page: the site's template (navigation, header, footer), which a
/// blank column page shows and nothing else. Kept as hashes of the nodes: a site in flight holds
/// its template until its columns are judged.
pub fn template(home: &Html) -> HashSet<u64> {
    text_nodes(home).iter().map(|t| node_hash(t)).collect()
}

pub(crate) fn node_hash(t: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// Whether the page carries a form to fill in: a text area, or a form with fields that is not
/// a site search box (whose action, field names or button say search).
pub(crate) fn working_form(doc: &Html) -> bool {
    static SEL: std::sync::OnceLock<(Selector, Selector, Selector)> = std::sync::OnceLock::new();
    let (textarea, form, field) = SEL.get_or_init(|| {
        (
            Selector::parse("textarea").expect("valid selector"),
            Selector::parse("form").expect("valid selector"),
            Selector::parse(
                "input[type=text], input:not([type]), input[type=radio], input[type=checkbox], select, input[type=submit], button",
            )
            .expect("valid selector"),
        )
    });
    if doc.select(textarea).next().is_some() {
        return true;
    }
    doc.select(form).any(|f| {
        let action = f.value().attr("action").unwrap_or("").to_ascii_lowercase();
        let mut fields = 0;
        let mut search = ["search", "sou", "query", "find", "jsearch"]
            .iter()
            .any(|w| action.contains(w));
        for e in f.select(field) {
            let v = e.value();
            let name = v.attr("name").unwrap_or("").to_ascii_lowercase();
            let label = v.attr("value").unwrap_or("").to_string() + &e.text().collect::<String>();
            if [
                "q",
                "query",
                "keyword",
                "keywords",
                "kw",
                "searchword",
                "sword",
                "wd",
                "searchkey",
                "search",
            ]
            .contains(&name.as_str())
                || ["搜索", "检索", "搜 索"].iter().any(|w| label.contains(w))
            {
                search = true;
            }
            if !matches!(v.attr("type"), Some("submit") | Some("button")) && v.name() != "button" {
                fields += 1;
            }
        }
        !search && fields > 0
    })
}

/// Whether a page without list items is blank: it says so, or it carries almost no text of its
/// own beyond what the home page template also carries (navigation, header, footer); without a
/// template (the start page is its own), beyond its links, navigation, header, footer and frame
/// lines ([`crate::lists::own_content_chars`]).
fn blank_page(
    doc: &Html,
    template: Option<&HashSet<u64>>,
    empty_words: &[String],
) -> Option<String> {
    // a page that is a form to fill in (写信, 查询, 申请) is a working page, not an empty column;
    // the site search box every page carries in its header is no such form
    if working_form(doc) {
        return None;
    }
    let nodes = text_nodes(doc);
    if let Some(m) = nodes
        .iter()
        .find(|t| empty_words.iter().any(|m| t.contains(m.as_str())))
    {
        return Some(m.clone());
    }
    let Some(template) = template else {
        return (crate::lists::own_content_chars(doc) < 30)
            .then(|| "(页面除页头、导航、页脚外无内容)".to_string());
    };
    let own: Vec<&String> = nodes
        .iter()
        .filter(|t| !template.contains(&node_hash(t)))
        .collect();
    let chars: usize = own
        .iter()
        .map(|t| t.chars().filter(|c| (*c as u32) >= 0x3400).count())
        .sum();
    (chars < 30).then(|| own.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" "))
}

/// The words a column page says it is empty with (暂无信息 …), in a text node of its own: not
/// one the home page template also carries (`own_only`), and not on a form page.
fn said_empty(
    doc: &Html,
    template: &HashSet<u64>,
    own_only: bool,
    empty_words: &[String],
) -> Option<String> {
    if working_form(doc) {
        return None;
    }
    text_nodes(doc)
        .into_iter()
        .filter(|t| !own_only || !template.contains(&node_hash(t)))
        .find(|t| empty_words.iter().any(|m| t.contains(m.as_str())))
}

/// The newest item date not after `as_of`.
fn latest(items: &[ListItem], as_of: NaiveDate) -> Option<NaiveDate> {
    items
        .iter()
        .filter_map(|i| i.date)
        .filter(|d| *d <= as_of)
        .max()
}

impl Columns {
    fn read_page(&self, page: &Page, doc: &Html, cx: &crate::ScanCx) -> ColumnsScan {
        let mut scan = ColumnsScan {
            meta_name: meta_column_name(doc),
            items: None,
            blank: None,
            scripted: None,
        };
        if page.fetch.ok() && column_candidate(page, &cx.site.overrides.columns) {
            let base = Url::parse(&page.fetch.final_url).unwrap_or_else(|_| cx.site.home.clone());
            let reading = read_lists(doc, &base, cx.as_of.date_naive());
            // a list built by script
            let (items, scripted) = scripted_list(doc, &base, cx.as_of.date_naive(), reading);
            scan.scripted = scripted;
            if items.items.is_empty()
                && let Some(t) = cx.template
            {
                scan.blank = Some(blank_page(doc, Some(t), &self.rules.empty_words));
            }
            scan.items = Some(items);
        }
        scan
    }
}

impl Probe for Columns {
    fn name(&self) -> &'static str {
        "columns"
    }

    fn slot(&self) -> Option<usize> {
        Some(1)
    }

    fn scan(&self, page: &Page, doc: &Html, cx: &crate::ScanCx) -> Option<crate::Scan> {
        Some(Box::new(self.read_page(page, doc, cx)))
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        let Some(home) = input.home().filter(|h| h.fetch.ok() && h.is_html) else {
            return out;
        };
        let run = Run::new(self, input, home);
        let columns = run.columns();
        // a channel page: a column with sub-columns (discovered below it, or below its path)
        let parents = channels(&columns);
        let mut backdating = Backdating::of(input);
        let mut column_latest: Vec<Option<NaiveDate>> = Vec::new();
        let mut unverified_columns = 0usize;
        for c in &columns {
            let read = run.judge_column(
                c,
                parents.contains(c.url.as_str()),
                &mut backdating,
                &mut out,
            );
            column_latest.push(read.latest);
            unverified_columns += usize::from(read.unverified);
        }
        run.judge_home(&columns, &column_latest, unverified_columns, &mut out);
        out
    }
}

/// What the steps of one run of the columns probe share: the probe, its input, the start page
/// and the monitoring day, and the crawled pages by URL.
struct Run<'a, 'p> {
    probe: &'p Columns,
    input: &'p ProbeInput<'a>,
    crawl: &'a govwatch_model::SiteCrawl,
    home: &'a Page,
    /// The start page's index among the crawled pages.
    home_index: Option<usize>,
    as_of: NaiveDate,
    at: govwatch_model::Timestamp,
    /// Every crawled page's index, by URL.
    index: HashMap<&'a str, usize>,
    /// The crawled HTML pages with their index, by URL.
    by_url: HashMap<&'a str, (usize, &'a Page)>,
}

/// How one column was read: its newest item date, and whether a script fills its list so the
/// static reader cannot see it.
#[derive(Default)]
struct ColumnRead {
    latest: Option<NaiveDate>,
    unverified: bool,
}

/// One crawled column page being judged, with its list read.
struct ColumnPage<'c> {
    column: &'c Column,
    kind: &'c str,
    page: &'c Page,
    /// The page's index among the crawled pages.
    index: usize,
    items: &'c [ListItem],
    newest: Option<NaiveDate>,
}

/// What the backdated-item check compares with: the last run's item lists by column URL (URL,
/// date, pinned), its monitoring day, and the items already reported.
struct Backdating {
    previous: HashMap<String, Vec<(String, Option<NaiveDate>, bool)>>,
    prev_as_of: Option<NaiveDate>,
    seen: HashSet<String>,
}

impl Backdating {
    /// The item lists the last run recorded (`column.items` facts).
    fn of(input: &ProbeInput) -> Backdating {
        let mut previous: HashMap<String, Vec<(String, Option<NaiveDate>, bool)>> = HashMap::new();
        let prev_as_of = input.previous.and_then(|p| p.as_of).map(|t| t.date_naive());
        if let Some(p) = input.previous {
            for f in p.facts.iter().filter(|f| f.code == codes::ITEMS) {
                let items = f.value["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| {
                        Some((
                            i["url"].as_str()?.to_string(),
                            i["date"]
                                .as_str()
                                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                            i["pinned"].as_bool().unwrap_or(false),
                        ))
                    })
                    .collect();
                if let Some(u) = &f.url {
                    previous.insert(u.clone(), items);
                }
            }
        }
        Backdating {
            previous,
            prev_as_of,
            seen: HashSet::new(),
        }
    }
}

/// The columns that are channels: a column with sub-columns (discovered below it, or below its
/// path); a column page in the top folder is no channel of the whole site.
fn channels(columns: &[Column]) -> HashSet<&str> {
    let dirs: Vec<(&str, String)> = columns
        .iter()
        .filter_map(|c| {
            Url::parse(&c.url)
                .ok()
                .map(|u| (c.url.as_str(), dir_of(&u)))
        })
        .collect();
    let mut parents: HashSet<&str> = columns.iter().filter_map(|c| c.parent.as_deref()).collect();
    for (url, dir) in &dirs {
        // a column page in the top folder is no channel of the whole site
        if dir == "/" {
            continue;
        }
        if dirs
            .iter()
            .any(|(u, d)| u != url && d.starts_with(dir.as_str()) && d.len() > dir.len())
        {
            parents.insert(url);
        }
    }
    parents
}

impl<'a, 'p> Run<'a, 'p> {
    /// The run of `probe` over `input`, whose start page is `home`.
    fn new(probe: &'p Columns, input: &'p ProbeInput<'a>, home: &'a Page) -> Self {
        let crawl = input.crawl;
        Run {
            probe,
            input,
            crawl,
            home,
            home_index: crawl.pages.iter().position(|p| std::ptr::eq(p, home)),
            as_of: input.as_of.date_naive(),
            at: home.fetch.started_at,
            index: crawl
                .pages
                .iter()
                .enumerate()
                .map(|(i, p)| (p.fetch.url.as_str(), i))
                .collect(),
            by_url: crawl
                .pages
                .iter()
                .enumerate()
                .filter(|(_, p)| p.is_html)
                .map(|(i, p)| (p.fetch.url.as_str(), (i, p)))
                .collect(),
        }
    }

    /// What the probe read of page `i` during the crawl (or reads now).
    fn scan(&self, i: usize) -> Option<&'p ColumnsScan> {
        self.input.scan::<ColumnsScan>(self.probe, i)
    }

    /// A page's `ColumnName` meta tag.
    fn meta_name(&self, p: &Page) -> Option<String> {
        self.index
            .get(p.fetch.url.as_str())
            .and_then(|&i| self.scan(i))
            .and_then(|s| s.meta_name.clone())
    }

    /// The site's columns ([`discover`]), the start page first when it is a column itself.
    fn columns(&self) -> Vec<Column> {
        let crawl = self.crawl;
        let hosts = crawl.site.hosts();
        let mut columns = discover(
            &crawl.pages,
            &hosts,
            &crawl.site.overrides.columns,
            &|p| self.meta_name(p),
            &self.probe.rules.not_columns,
        );
        if let Some(c) = self.start_column(&columns) {
            columns.insert(0, c);
        }
        columns
    }

    /// A crawl started at a column's page (an inspector pasting a column URL into `probe`):
    /// that page is judged as the column it is too, besides as the start page.
    fn start_column(&self, columns: &[Column]) -> Option<Column> {
        let home = self.home;
        let hi = self.home_index?;
        let hu = Url::parse(&home.fetch.final_url).ok()?;
        let name = start_column_name(
            &hu,
            home,
            self.input.dom(hi),
            self.meta_name(home),
            &self.probe.rules,
            &self.crawl.site.name,
        )?;
        if columns.iter().any(|c| c.url == home.fetch.url) {
            return None;
        }
        let items = match self.scan(hi).and_then(|s| s.items.clone()) {
            Some(r) => r.items,
            None => read_lists(self.input.dom(hi), &hu, self.as_of).items,
        };
        let dated = items.iter().filter(|i| i.date.is_some()).count();
        // a list of dated items, or a column page that is empty: it says so, or it shows
        // nothing of its own beside its frame (its own page is the template, so the page is
        // read without one)
        let blank = dated == 0
            && items.len() < 3
            && (said_empty(
                self.input.dom(hi),
                self.input.template(),
                false,
                &self.probe.rules.empty_words,
            )
            .is_some()
                || (items.is_empty() && blank_page(self.input.dom(hi), None, &[]).is_some()));
        (dated >= 3 || blank).then(|| Column {
            url: home.fetch.url.clone(),
            name,
            level: 1,
            parent: None,
        })
    }

    /// A page's list items: read during the crawl, or now.
    fn items_of(&self, i: usize, base: &Url) -> ListReading {
        let as_of = self.as_of;
        match self.scan(i).and_then(|s| s.items.clone()) {
            Some(r) => r,
            None => {
                scripted_list(
                    self.input.dom(i),
                    base,
                    as_of,
                    read_lists(self.input.dom(i), base, as_of),
                )
                .0
            }
        }
    }

    /// How a page's list was read when a script builds it.
    fn scripted_of(&self, i: usize) -> Option<Scripted> {
        let as_of = self.as_of;
        match self.scan(i) {
            Some(s) if s.items.is_some() => s.scripted.clone(),
            _ => {
                let p = &self.crawl.pages[i];
                if !p.is_html || !p.fetch.ok() {
                    return None;
                }
                let base = Url::parse(&p.fetch.final_url).ok()?;
                let dom = self.input.dom(i);
                scripted_list(dom, &base, as_of, read_lists(dom, &base, as_of)).1
            }
        }
    }

    /// Whether page `i` is blank (what it shows, if anything): read during the crawl, or now;
    /// the start page is its own template, so it is read without one.
    fn blank_of(&self, i: usize) -> Option<String> {
        let empty_words = &self.probe.rules.empty_words;
        if Some(i) == self.home_index {
            return blank_page(self.input.dom(i), None, empty_words);
        }
        match self.scan(i).and_then(|s| s.blank.clone()) {
            Some(b) => b,
            None => blank_page(self.input.dom(i), Some(self.input.template()), empty_words),
        }
    }

    /// The `column.unverified` fact of a list a script fills.
    fn unverified_fact(&self, url: &str, name: &str, kind: &str, s: &Scripted) -> Fact {
        Fact {
            probe: "columns".into(),
            code: codes::UNVERIFIED.into(),
            url: Some(url.to_string()),
            value: json!({
                "name": name, "kind": kind, "shape": s.found.shape, "reason": s.found.shape.zh(),
                "endpoint": s.found.endpoint, "excerpt": s.found.excerpt,
            }),
            observed_at: self.at,
        }
    }

    /// A finding of the probe, built by the one builder ([`crate::evidence`]).
    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        code: &str,
        severity: Severity,
        url: &str,
        value: serde_json::Value,
        message: String,
        excerpt: String,
        page: Option<&Page>,
    ) -> govwatch_model::Finding {
        crate::evidence::finding("columns", code, severity, self.at)
            .url(url)
            .value(value)
            .message(message)
            .excerpt(excerpt)
            .page(page)
            .build()
    }

    /// `column.blank` of a column page showing `shown` (empty: the template alone).
    fn blank_finding(&self, cp: &ColumnPage, shown: &str) -> govwatch_model::Finding {
        let c = cp.column;
        self.finding(
            codes::BLANK,
            Severity::Deduct,
            &c.url,
            json!({ "name": c.name, "kind": cp.kind, "level": c.level }),
            format!("栏目“{}”为空白栏目，无内容", c.name),
            crate::evidence::clip(
                &format!(
                    "{}: {}",
                    c.name,
                    if shown.is_empty() {
                        "(nothing but the site template)"
                    } else {
                        shown
                    }
                ),
                200,
            ),
            Some(cp.page),
        )
    }

    /// One column: its facts (`column.latest`, `column.items`, `column.unverified`), its
    /// backdated items, and whether it is blank, undated or stale.
    fn judge_column(
        &self,
        c: &Column,
        channel: bool,
        backdating: &mut Backdating,
        out: &mut ProbeOutput,
    ) -> ColumnRead {
        let crawl = self.crawl;
        let as_of = self.as_of;
        let kind = crawl
            .site
            .overrides
            .column_kinds
            .get(&c.name)
            .cloned()
            .unwrap_or_else(|| self.probe.rules.classify(&c.name).to_string());
        let window = self.probe.rules.window(&kind);
        let Some(&(i, page)) = self.by_url.get(c.url.as_str()) else {
            out.facts.push(Fact {
                probe: "columns".into(),
                code: codes::LATEST.into(),
                url: Some(c.url.clone()),
                value: json!({ "name": c.name, "level": c.level, "parent": c.parent, "kind": kind, "crawled": false }),
                observed_at: self.at,
            });
            return ColumnRead::default();
        };
        if !page.fetch.ok() {
            return ColumnRead::default(); // a failing column page is the links probe's finding
        }
        let base = Url::parse(&page.fetch.final_url).unwrap_or_else(|_| crawl.site.home.clone());
        let reading = self.items_of(i, &base);
        let items = &reading.items;
        // a list a script fills that the static reader cannot see: unverified,
        // never blank, stale or undated
        let scripted = self.scripted_of(i);
        if let Some(s) = scripted.as_ref().filter(|s| s.unverified) {
            out.facts.push(Fact {
                probe: "columns".into(),
                code: codes::LATEST.into(),
                url: Some(c.url.clone()),
                value: json!({ "name": c.name, "level": c.level, "parent": c.parent, "kind": kind, "crawled": true, "read": "unverified" }),
                observed_at: self.at,
            });
            out.facts
                .push(self.unverified_fact(&c.url, &c.name, &kind, s));
            return ColumnRead {
                latest: None,
                unverified: true,
            };
        }
        let newest = latest(items, as_of);
        let undated = items.iter().filter(|i| i.date.is_none()).count();
        let pinned = items.iter().filter(|i| i.pinned).count();
        // a faked date is judged on records that link to their own article only: a
        // record drawn by script or without a link (a duty roster, a table of figures)
        // is read for the column's freshness, never taken for a faked publication
        let future: Vec<&ListItem> = items
            .iter()
            .filter(|i| i.linked && i.date.is_some_and(|d| d > as_of))
            .collect();
        out.facts.push(Fact {
            probe: "columns".into(),
            code: codes::LATEST.into(),
            url: Some(c.url.clone()),
            value: json!({
                "name": c.name, "level": c.level, "parent": c.parent, "kind": kind,
                "latest": newest.map(|d| d.to_string()), "items": items.len(), "undated": undated,
                "pinned": pinned, "future": future.len(), "window_days": window, "channel": channel, "crawled": true,
                "read": if scripted.is_some() { "inline" } else { "static" },
                "lists": reading.summary(),
            }),
            observed_at: self.at,
        });
        let list: Vec<serde_json::Value> = items
            .iter()
            .take(200)
            .map(|i| json!({ "url": i.url, "date": i.date.map(|d| d.to_string()), "pinned": i.pinned, "title": i.title }))
            .collect();
        out.facts.push(Fact {
            probe: "columns".into(),
            code: codes::ITEMS.into(),
            url: Some(c.url.clone()),
            value: json!({ "name": c.name, "items": list }),
            observed_at: self.at,
        });
        let cp = ColumnPage {
            column: c,
            kind: &kind,
            page,
            index: i,
            items,
            newest,
        };
        self.backdated(&cp, &future, backdating, out);
        if !(channel && items.is_empty()) {
            // (a channel page is judged through its sub-columns)
            self.freshness(&cp, window, undated, out);
        }
        ColumnRead {
            latest: newest,
            unverified: false,
        }
    }

    /// `content.backdated`: items dated in the future, and items that appeared since the last
    /// run while claiming a date the last run's list covered (each item once).
    fn backdated(
        &self,
        cp: &ColumnPage,
        future: &[&ListItem],
        backdating: &mut Backdating,
        out: &mut ProbeOutput,
    ) {
        let (c, as_of) = (cp.column, self.as_of);
        // future dates are faked dates
        for f in future {
            if backdating.seen.insert(f.url.clone()) {
                out.findings.push(self.finding(
                    codes::CONTENT_BACKDATED,
                    Severity::Veto,
                    &f.url,
                    json!({ "column": c.url, "claimed": f.date.map(|d| d.to_string()), "seen": as_of.to_string(), "reason": "future" }),
                    format!("“{}” in {} is dated {}, after the monitoring time {as_of}", f.title, c.name, f.raw_date.clone().unwrap_or_default()),
                    format!("{} {}", f.title, f.raw_date.clone().unwrap_or_default()),
                    Some(cp.page),
                ));
            }
        }
        // items that appeared since the last run while claiming a date the last run's list covered
        let (Some(prev), Some(pas)) = (backdating.previous.get(&c.url), backdating.prev_as_of)
        else {
            return;
        };
        let prev_urls: HashSet<&str> = prev.iter().map(|(u, _, _)| u.as_str()).collect();
        let prev_min = prev
            .iter()
            .filter(|(_, _, p)| !*p)
            .filter_map(|(_, d, _)| *d)
            .min();
        let Some(prev_min) = prev_min else { return };
        for it in cp
            .items
            .iter()
            .filter(|it| it.linked && !it.pinned && !prev_urls.contains(it.url.as_str()))
        {
            let Some(d) = it.date else { continue };
            if d >= prev_min
                && d < pas - chrono::Duration::days(1)
                && backdating.seen.insert(it.url.clone())
            {
                out.findings.push(self.finding(
                    codes::CONTENT_BACKDATED,
                    Severity::Veto,
                    &it.url,
                    json!({ "column": c.url, "claimed": d.to_string(), "first_seen": as_of.to_string(), "previous_run": pas.to_string(), "previous_oldest": prev_min.to_string(), "reason": "first_seen_after_claimed_date" }),
                    format!("“{}” in {} claims {d} but was first listed after {pas}: the run of {pas} listed items back to {prev_min} without it", it.title, c.name),
                    format!("{} {} — not in the list seen on {pas}", it.title, it.raw_date.clone().unwrap_or_default()),
                    Some(cp.page),
                ));
            }
        }
    }

    /// `column.blank`, `column.undated` or `column.stale` of a column page that is no channel
    /// judged through its sub-columns.
    fn freshness(
        &self,
        cp: &ColumnPage,
        window: Option<u32>,
        undated: usize,
        out: &mut ProbeOutput,
    ) {
        let (c, i, items, kind) = (cp.column, cp.index, cp.items, cp.kind);
        if items.is_empty() {
            // a content page (a guide, a service list, a form) is not a list, and not blank
            if let Some(shown) = self.blank_of(i) {
                out.findings.push(self.blank_finding(cp, &shown));
            }
            return;
        }
        if cp.newest.is_none() && undated < 3 {
            // one or two undated links: a content page's related links, not a list — unless
            // the page says its list is empty (暂无信息 beside a pager's or a side box's links)
            if let Some(shown) = said_empty(
                self.input.dom(i),
                self.input.template(),
                Some(i) != self.home_index,
                &self.probe.rules.empty_words,
            ) {
                out.findings.push(self.blank_finding(cp, &shown));
            }
            return;
        }
        if cp.newest.is_none() {
            out.findings.push(
                self.finding(
                    codes::UNDATED,
                    Severity::Deduct,
                    &c.url,
                    json!({ "name": c.name, "kind": kind, "items": items.len() }),
                    format!(
                        "column {}: none of its {} items shows a date (counts as not updated)",
                        c.name,
                        items.len()
                    ),
                    items
                        .iter()
                        .take(3)
                        .map(|i| i.title.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                    Some(cp.page),
                ),
            );
            return;
        }
        if let (Some(w), Some(n)) = (window, cp.newest) {
            let age = (self.as_of - n).num_days();
            if age > w as i64 {
                let top = items
                    .iter()
                    .filter(|i| i.date == Some(n))
                    .map(|i| format!("{} {}", i.title, i.raw_date.clone().unwrap_or_default()))
                    .next()
                    .unwrap_or_default();
                out.findings.push(self.finding(
                    codes::STALE,
                    Severity::Deduct,
                    &c.url,
                    json!({ "name": c.name, "kind": kind, "level": c.level, "latest": n.to_string(), "window_days": w, "days_overdue": age - w as i64 }),
                    format!("栏目“{}”（{kind}）自 {n} 起未更新，已 {age} 天（要求 {w} 天内）", c.name),
                    format!("newest item: {top}"),
                    Some(cp.page),
                ));
            }
        }
    }

    /// The home page: `home.latest`, and `home.stale` (a navigation-hub home page judged by its
    /// columns' newest dates).
    fn judge_home(
        &self,
        columns: &[Column],
        column_latest: &[Option<NaiveDate>],
        unverified_columns: usize,
        out: &mut ProbeOutput,
    ) {
        let (home, as_of) = (self.home, self.as_of);
        let home_reading = self.items_of(
            0,
            &Url::parse(&home.fetch.final_url).unwrap_or_else(|_| self.crawl.site.home.clone()),
        );
        let home_items = &home_reading.items;
        let home_newest = latest(home_items, as_of);
        let hub = home_newest.is_none();
        // [issue 25 hook] a home page whose news a script fills, with nothing dated to fall back
        // on: unverified, never 首页不更新
        let home_unverified = self.scripted_of(0).filter(|s| s.unverified);
        let decided = if hub {
            column_latest.iter().flatten().max().copied()
        } else {
            home_newest
        };
        // a hub home page is judged by its columns: when none of them was read (a page probed
        // alone, a crawl cut short), nothing says it is stale
        let columns_crawled = columns
            .iter()
            .filter(|c| self.by_url.contains_key(c.url.as_str()))
            .count();
        let window = self.probe.rules.home.window_days as i64;
        out.facts.push(Fact {
            probe: "columns".into(),
            code: codes::HOME_LATEST.into(),
            url: Some(home.fetch.url.clone()),
            value: json!({ "latest": decided.map(|d| d.to_string()), "hub": hub, "items": home_items.len(), "columns": columns.len(), "window_days": window, "columns_crawled": columns_crawled, "lists": home_reading.summary() }),
            observed_at: self.at,
        });
        // a start page that is a column (an inspector probing a column's URL) is judged as that
        // column; the site's home page was not inspected, so the home rule is not judged on it;
        // a hub home page judged by its columns cannot be judged when some are unverified, or
        // when none was read
        let start_is_column = columns.first().is_some_and(|c| c.url == home.fetch.url);
        // a start page that says it is an article (an inspector probing an article's URL) is no
        // home page either: its side lists' dates say nothing of the home page's
        let start_is_article = self
            .home_index
            .is_some_and(|hi| says_article(self.input.dom(hi)));
        let unknown = home_unverified.is_some()
            || (hub && unverified_columns > 0)
            || (hub && decided.is_none() && columns_crawled == 0 && !columns.is_empty());
        let stale = !start_is_column
            && !start_is_article
            && match decided {
                Some(d) => (as_of - d).num_days() > window && !unknown,
                None => !unknown,
            };
        if let (None, Some(s)) = (decided, &home_unverified) {
            out.facts
                .push(self.unverified_fact(&home.fetch.url, "首页", "home", s));
        }
        if stale {
            let how = if hub {
                "导航型首页，以二级页面为准"
            } else {
                "首页信息"
            };
            out.findings.push(self.finding(
                codes::HOME_STALE,
                Severity::Veto,
                &home.fetch.url,
                json!({ "latest": decided.map(|d| d.to_string()), "hub": hub, "window_days": window }),
                match decided {
                    Some(d) => format!("首页自 {d} 起未更新，已 {} 天（{how}）", (as_of - d).num_days()),
                    None => format!("首页无带日期的信息（{how}）"),
                },
                format!("newest date: {} ({how})", decided.map(|d| d.to_string()).unwrap_or_else(|| "none".into())),
                Some(home),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<div class="head"><form action="/search/" method="get"><input type="text" name="q"><input type="submit" value="搜索"></form>
        <ul><li><a href="/">首页</a></li><li><a href="/tzgg/">通知公告</a></li></ul></div>"#;

    fn doc(body: &str) -> Html {
        Html::parse_document(&format!(
            "<html><body>{HEAD}{body}<div>某某县人民政府 主办</div></body></html>"
        ))
    }

    #[test]
    fn a_page_with_only_the_header_search_box_is_blank_and_a_form_page_is_not() {
        let home = doc(
            "<ul><li><a href=\"/a.html\">县政府召开常务会议</a><span>2026-11-27</span></li></ul>",
        );
        let t = template(&home);
        let w = govwatch_config::ColumnRules::default().empty_words;
        assert!(
            blank_page(&doc("<h1>通知公告</h1>"), Some(&t), &w).is_some(),
            "the template alone is blank"
        );
        let letter = doc(
            r#"<h1>县长信箱</h1><form action="/xx/submit" method="post"><input name="title"><textarea name="content"></textarea><input type="submit" value="提交"></form>"#,
        );
        assert_eq!(
            blank_page(&letter, Some(&t), &w),
            None,
            "a message form is a working page"
        );
        let lookup = doc(
            r#"<h1>信件查询</h1><form action="/cx.html"><input name="code"><input type="submit" value="查询"></form>"#,
        );
        assert_eq!(
            blank_page(&lookup, Some(&t), &w),
            None,
            "a lookup form is a working page"
        );
        let scoped = doc(
            r#"<h1>政务公开</h1><form action="/s.jsp"><select name="col"><option>全部</option></select><input name="keyword"><button>检索</button></form>"#,
        );
        assert!(
            blank_page(&scoped, Some(&t), &w).is_some(),
            "a second search box is still no content"
        );
    }
}
